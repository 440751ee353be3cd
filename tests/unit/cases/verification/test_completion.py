"""Completing a verified recovery: what the mailed link is now, and setting the new password with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk.accounts.directory import directory
from helpdesk.accounts.recovery import ResetRefused
from helpdesk.accounts.two_factor import enable_without_confirmation
from helpdesk.cases.verification import completion, hold
from helpdesk.cases.verification.completion import CompletionState
from helpdesk.extensions import db
from helpdesk.models import VerificationStatus
from tests.conftest import DEMO_PASSWORD
from tests.unit.cases.verification.steps import ACCOUNT, approved_request, fetched, link_sent

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AFTER_THE_HOLD = timedelta(hours=72, seconds=1)
NEW_PASSWORD = "fresh canyon drift 55"


def test_a_link_that_is_not_ours_is_unknown(app):
    with app.app_context():
        assert completion.check_completion("not-a-token") == (None, CompletionState.UNKNOWN)
        assert completion.check_completion("") == (None, CompletionState.UNKNOWN)


def test_the_link_works_from_the_end_of_the_hold_for_seven_days(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        assert completion.check_completion(token) == (fetched(request.id), CompletionState.READY)
        clock.shift(completion.RESET_LINK_LIFETIME - timedelta(seconds=1))
        assert completion.check_completion(token)[1] is CompletionState.READY
        clock.shift(timedelta(seconds=1))
        assert completion.check_completion(token)[1] is CompletionState.EXPIRED


def test_the_hold_is_checked_by_the_link_too_not_only_by_the_job(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        stored = fetched(request.id)
        stored.hold_until = T0 + timedelta(days=10)  # as if the hold had been extended
        db.session.commit()
        assert completion.check_completion(token)[1] is CompletionState.NOT_YET


def test_a_link_of_a_request_no_longer_on_hold_is_cancelled(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        stored = fetched(request.id)
        stored.status = VerificationStatus.DENIED  # any state but on hold (a cancel also forgets the link)
        db.session.commit()
        assert completion.check_completion(token)[1] is CompletionState.CANCELLED
        assert completion.complete(token, NEW_PASSWORD) is CompletionState.CANCELLED


def test_a_cancelled_request_forgets_its_link(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        hold.cancel_for_owner(account, request.id)
        assert completion.check_completion(token) == (None, CompletionState.UNKNOWN)


def test_completing_sets_the_password_and_removes_two_step_verification(app, account):
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        enable_without_confirmation(account)
        request = approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        assert completion.complete(token, NEW_PASSWORD, ip="192.0.2.7") is CompletionState.DONE
        recovered = directory().find(ACCOUNT)
        assert directory().check_password(recovered.id, NEW_PASSWORD)
        assert not recovered.two_factor and recovered.must_enrol_2fa
        assert directory().recovery_codes_left(recovered.id) == 0
        stored = fetched(request.id)
        assert stored.status == VerificationStatus.COMPLETED and stored.completed_at == T0 + AFTER_THE_HOLD


def test_a_link_is_used_once(app, account):
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        assert completion.complete(token, NEW_PASSWORD) is CompletionState.DONE
        assert completion.complete(token, "another calm river 77") is CompletionState.UNKNOWN
        assert directory().check_password(directory().find(ACCOUNT).id, NEW_PASSWORD)


def test_a_refused_password_changes_nothing_and_the_link_still_works(app, account):
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        with pytest.raises(ResetRefused) as refused:
            completion.complete(token, "short")
        assert refused.value.problem and str(refused.value) == refused.value.problem
        assert fetched(request.id).status == VerificationStatus.ON_HOLD
        assert directory().check_password(directory().find(ACCOUNT).id, DEMO_PASSWORD)
        assert completion.check_completion(token)[1] is CompletionState.READY


def test_a_recovered_staff_account_loses_its_role(app):
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        boss = directory().create(ACCOUNT, DEMO_PASSWORD)
        directory().set_role(boss.id, "admin")
        approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        assert completion.complete(link_sent(app), NEW_PASSWORD) is CompletionState.DONE
        assert directory().find(ACCOUNT).role is None
