"""Two-factor rules that pages show (when recovery codes run low), and how recovery codes are kept."""

from __future__ import annotations

import hashlib
import hmac
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
    new_recovery_codes,
    recovery_code_hash,
    recovery_code_matches,
    resync,
    use_recovery_code,
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


def test_each_recovery_code_is_stored_with_its_own_salt_and_key_version(app, account):
    with app.test_request_context():
        stored = recovery_code_hash("ABCDE23456"), recovery_code_hash("ABCDE23456")
        assert stored[0] != stored[1]  # the same code, two salts: one guess tests one code only
        for one in stored:
            version, salt, digest = one.split("$")
            assert version == "v1" and len(bytes.fromhex(salt)) * 8 >= 32 and len(digest) == 64
            assert recovery_code_matches("abcde-23456", one)
            assert not recovery_code_matches("ABCDE23457", one)
        codes = new_recovery_codes(account.id)
        kept = directory().unused_recovery_codes(account.id)
        assert (
            len(kept) == len(codes) == RECOVERY_COUNT
            and len({s.split("$")[1] for s in kept}) == RECOVERY_COUNT
        )
        assert not any(code.replace("-", "") in "".join(kept) for code in codes)


def test_a_recovery_code_is_used_once(app, account):
    with app.test_request_context():
        codes = new_recovery_codes(account.id)
        assert use_recovery_code(account.id, codes[0].lower())
        assert not use_recovery_code(account.id, codes[0])
        assert not use_recovery_code(account.id, "22222-22222")
        assert directory().recovery_codes_left(account.id) == RECOVERY_COUNT - 1


def test_a_recovery_code_stored_before_salts_still_works_once(app, account):
    with app.test_request_context():
        secret = app.extensions["helpdesk.settings"].secret_key
        # exactly how a code was stored before salts and key versions
        pepper = hashlib.sha256(b"helpdesk recovery codes\0" + secret.encode()).digest()
        unsalted = hmac.new(pepper, b"ABCDE23456", hashlib.sha256).hexdigest()
        directory().replace_recovery_codes(account.id, [unsalted])
        assert use_recovery_code(account.id, "abcde-23456")
        assert not use_recovery_code(account.id, "abcde-23456")


def test_replacing_the_authenticator_is_in_the_history_and_mailed_to_the_owner(app, account, outbox_dir):
    import pyotp

    from helpdesk.accounts.directory import HistoryResult, directory
    from helpdesk.accounts.two_factor import begin_enrolment, confirm_enrolment, enable_without_confirmation
    from tests.mailbox import outbox, text_of

    with app.test_request_context():
        enable_without_confirmation(account)
        account = directory().get(account.id)
        enrolment = begin_enrolment(account)
        code = pyotp.TOTP(enrolment.secret).now()
        codes = confirm_enrolment(
            account, enrolment.secret, code, ip="203.0.113.9", device="Firefox on Linux"
        )
        assert codes is not None and len(codes) == RECOVERY_COUNT
        [line] = directory().sign_ins(account.id)
    assert (line.result, line.ip) == (HistoryResult.AUTHENTICATOR_REPLACED, "203.0.113.9")
    [mail] = outbox(outbox_dir)
    assert mail["Subject"] == "Your authenticator app was replaced"
    assert "Firefox on Linux, address 203.0.113.9" in text_of(mail)


def test_a_first_authenticator_is_enrolled_not_replaced(app, account, outbox_dir):
    import pyotp

    from helpdesk.accounts.directory import HistoryResult, directory
    from helpdesk.accounts.two_factor import begin_enrolment, confirm_enrolment
    from tests.mailbox import outbox

    with app.test_request_context():
        enrolment = begin_enrolment(account)
        assert confirm_enrolment(account, enrolment.secret, pyotp.TOTP(enrolment.secret).now()) is not None
        assert directory().sign_ins(account.id)[0].result == HistoryResult.AUTHENTICATOR_ENROLLED
    assert [m["Subject"] for m in outbox(outbox_dir)] == ["Two-step verification was turned on"]


def test_new_recovery_codes_by_the_owner_are_in_the_history_and_mailed(app, account, outbox_dir):
    from helpdesk.accounts.directory import HistoryResult, directory
    from helpdesk.accounts.two_factor import enable_without_confirmation, regenerate_recovery_codes
    from tests.mailbox import outbox

    with app.test_request_context():
        _, old = enable_without_confirmation(account)
        new = regenerate_recovery_codes(account, ip="203.0.113.9", device="Firefox on Linux")
        assert set(new).isdisjoint(old) and directory().recovery_codes_left(account.id) == RECOVERY_COUNT
        assert directory().sign_ins(account.id)[0].result == HistoryResult.RECOVERY_CODES_NEW
    assert [m["Subject"] for m in outbox(outbox_dir)] == ["New recovery codes were made"]


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


def test_a_code_typed_again_is_refused_audited_and_its_owner_told(app, account, outbox_dir):
    from tests.mailbox import outbox

    with app.test_request_context():
        uri, _ = enable_without_confirmation(account)
        account = directory().get(account.id)
        code = pyotp.parse_uri(uri).now()
        assert check_second_factor(account, code) == "totp"
        assert check_second_factor(account, code) is None  # the same code again
        assert check_second_factor(account, "000000" if code != "000000" else "111111") is None  # wrong
        query = select(AuditEntry).where(AuditEntry.action == "account.code-reused")
        reused = db.session.scalars(query).all()
    assert len(reused) == 1 and reused[0].target == "pat@example.org"  # a wrong code is not a reuse
    assert [m["Subject"] for m in outbox(outbox_dir)] == ["A code of yours was used twice"]
