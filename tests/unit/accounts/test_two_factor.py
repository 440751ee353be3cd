"""Two-factor rules that pages show: when recovery codes run low."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from helpdesk.accounts.directory import directory
from helpdesk.accounts.two_factor import (
    FEW_CODES_LEFT,
    RECOVERY_COUNT,
    check_second_factor,
    enable_without_confirmation,
    few_codes_left,
    resync,
)
from helpdesk.extensions import db
from helpdesk.models import AuditEntry
from tests.support import a_step_ahead


def test_three_codes_or_fewer_is_few():
    assert FEW_CODES_LEFT == 3
    assert few_codes_left(3)
    assert few_codes_left(0)
    assert not few_codes_left(4)
    assert not few_codes_left(RECOVERY_COUNT)


# resync: measured pairs and the replay check on the server's clock

STEP = timedelta(seconds=30)


@pytest.fixture
def enrolled(app, account):
    """pat@example.org with an authenticator, 15 seconds into a step, half an hour ahead."""
    moment = a_step_ahead()
    with app.test_request_context(), time_machine.travel(moment, tick=False) as clock:
        uri, _ = enable_without_confirmation(account)
        yield account, pyotp.TOTP(pyotp.parse_uri(uri).secret), moment, clock


def signed_in_at(account, phone, when) -> None:
    """A sign-in with the code for *when* (the phone's clock right then)."""
    assert check_second_factor(directory().get(account.id), phone.at(when)) == "totp"


def test_a_slow_phone_resyncs_minutes_after_the_last_accepted_code(enrolled):
    account, phone, moment, clock = enrolled
    signed_in_at(account, phone, moment)
    clock.shift(4 * STEP)  # two minutes later, with a phone five minutes slow
    shown = moment + 4 * STEP - timedelta(minutes=5)
    drift = resync(directory().get(account.id), phone.at(shown - STEP), phone.at(shown))
    assert (drift.status, drift.offset_steps) == ("found", -10)
    assert directory().get(account.id).totp_offset == -10


def test_the_same_pair_again_is_used_not_unmatched(enrolled):
    account, phone, moment, _ = enrolled
    shown = moment - timedelta(minutes=5)
    pair = (phone.at(shown - STEP), phone.at(shown))
    assert resync(directory().get(account.id), *pair).status == "found"
    again = resync(directory().get(account.id), *pair)
    assert (again.status, again.offset_steps) == ("used", -10)


def test_a_pair_from_before_the_last_accepted_code_on_the_servers_clock_is_used(enrolled):
    account, phone, moment, _ = enrolled
    signed_in_at(account, phone, moment + STEP)  # the server's step after this one was used
    shown = moment + STEP  # a pair ending at that same step, at a measured offset of +1
    assert resync(directory().get(account.id), phone.at(shown - STEP), phone.at(shown)).status == "used"
    assert directory().get(account.id).totp_offset == 0


def test_a_resync_is_audited_with_its_offset(enrolled):
    account, phone, moment, _ = enrolled
    shown = moment + timedelta(minutes=3)
    resync(directory().get(account.id), phone.at(shown - STEP), phone.at(shown))
    resynced = select(AuditEntry).where(AuditEntry.action == "account.authenticator-resynced")
    [entry] = db.session.scalars(resynced)
    assert (entry.target, entry.detail) == ("pat@example.org", {"offset_steps": 6})
