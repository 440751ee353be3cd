"""The owner's own history: security events next to the sign-ins, failed sign-ins unaffected."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.accounts.directory import FAILED_SIGN_IN_RESULTS, SIGNED_IN_RESULTS, HistoryResult, directory
from helpdesk.accounts.history import SECURITY_EVENTS, NotASecurityEvent, record_event
from helpdesk.models import utcnow


def test_an_event_is_a_line_of_the_history_with_address_and_device(app, account):
    with app.app_context():
        record_event(account.id, HistoryResult.SIGNED_OUT_IDLE, ip="198.51.100.4", device="Safari on iOS")
        [line] = directory().sign_ins(account.id)
    assert (line.result, line.ip, line.device) == (
        HistoryResult.SIGNED_OUT_IDLE,
        "198.51.100.4",
        "Safari on iOS",
    )


def test_events_are_not_failed_sign_ins(app, account):
    with app.app_context():
        for event in SECURITY_EVENTS:
            record_event(account.id, event)
        assert directory().failed_sign_ins(account.id, utcnow() - timedelta(minutes=1)) == []
        assert len(directory().sign_ins(account.id, 100)) == len(SECURITY_EVENTS)


def test_sign_in_results_are_not_security_events(app, account):
    assert not set(SECURITY_EVENTS) & set(SIGNED_IN_RESULTS + FAILED_SIGN_IN_RESULTS)
    with app.app_context(), pytest.raises(NotASecurityEvent):
        record_event(account.id, HistoryResult.OK)


def test_every_result_fits_its_column():
    assert max(len(result) for result in HistoryResult) <= 30
