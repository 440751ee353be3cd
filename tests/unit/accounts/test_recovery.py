"""Resetting a password and unlocking with an emailed link: the link's status, or a refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.accounts.directory import directory
from helpdesk.accounts.recovery import ResetRefused, reset_password, unlock_account
from helpdesk.accounts.tokens import TokenStatus, check_token, issue_token
from helpdesk.accounts.two_factor import enable_without_confirmation
from tests.conftest import DEMO_PASSWORD

NEW_PASSWORD = "fresh canyon drift 55"
HALF_AN_HOUR = timedelta(minutes=30)


def test_a_reset_sets_the_password_and_uses_the_link(app, account):
    with app.test_request_context():
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        assert reset_password(raw, NEW_PASSWORD).status is TokenStatus.VALID
        assert directory().check_password(account.id, NEW_PASSWORD)
        assert reset_password(raw, "another calm river 77").status is TokenStatus.USED


def test_a_weak_password_is_refused_with_the_reason_and_the_link_still_works(app, account):
    with app.test_request_context():
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        with pytest.raises(ResetRefused) as refused:
            reset_password(raw, "short")
        assert refused.value.problem and str(refused.value) == refused.value.problem
        assert directory().check_password(account.id, DEMO_PASSWORD)
        assert check_token(raw, "reset").status is TokenStatus.VALID


def test_with_two_step_on_a_reset_needs_a_right_code(app, account):
    with app.test_request_context():
        _, recovery_codes = enable_without_confirmation(account)
        account = directory().get(account.id)
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        with pytest.raises(ResetRefused, match="Enter the code"):
            reset_password(raw, NEW_PASSWORD)
        with pytest.raises(ResetRefused, match="didn't work"):
            reset_password(raw, NEW_PASSWORD, "000000")
        assert directory().get(account.id).failed_count == 1  # a wrong code counts towards the lock
        assert reset_password(raw, NEW_PASSWORD, recovery_codes[0]).status is TokenStatus.VALID


def test_an_unlock_link_clears_the_failures_once(app, account):
    with app.test_request_context():
        for _ in range(3):
            directory().record_failure(account.id)
        raw = issue_token(account.id, "unlock", HALF_AN_HOUR)
        assert unlock_account(raw).status is TokenStatus.VALID
        assert directory().get(account.id).failed_count == 0
        assert unlock_account(raw).status is TokenStatus.USED
        assert unlock_account("not-a-token").status is TokenStatus.UNKNOWN


def _session(account_id: int) -> int:
    token = directory().start_session(account_id, "203.0.113.9", "Firefox on Linux")
    return directory().session_account(token)[1]


def test_a_reset_and_an_unlock_are_in_the_owners_history_with_address_and_device(app, account):
    from helpdesk.accounts.directory import HistoryResult

    with app.test_request_context():
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        reset_password(raw, NEW_PASSWORD, ip="203.0.113.9", device="Firefox on Linux")
        unlock_account(
            issue_token(account.id, "unlock", HALF_AN_HOUR), ip="198.51.100.2", device="Safari on iOS"
        )
        unlocked, reset = directory().sign_ins(account.id)[:2]
    assert (reset.result, reset.ip, reset.device) == (
        HistoryResult.PASSWORD_RESET,
        "203.0.113.9",
        "Firefox on Linux",
    )
    assert (unlocked.result, unlocked.ip, unlocked.device) == (
        HistoryResult.UNLOCKED,
        "198.51.100.2",
        "Safari on iOS",
    )


def test_a_wrong_current_password_on_the_owners_change_counts_towards_the_lock(app, account):
    from helpdesk.accounts.recovery import WRONG_CURRENT, change_own_password

    with app.test_request_context():
        session_id = _session(account.id)
        refused = change_own_password(account, "not my password at all", NEW_PASSWORD, session_id=session_id)
        assert refused == WRONG_CURRENT
        assert directory().get(account.id).failed_count == 1
        assert directory().check_password(account.id, DEMO_PASSWORD)


def test_with_two_step_on_the_owners_change_needs_a_code_unless_just_proved(app, account):
    import pyotp

    from helpdesk.accounts import reauth
    from helpdesk.accounts.directory import HistoryResult
    from helpdesk.accounts.recovery import change_own_password, own_change_needs_code

    with app.test_request_context():
        uri, _ = enable_without_confirmation(account)
        account = directory().get(account.id)
        session_id = _session(account.id)
        assert own_change_needs_code(account, session_id)
        refused = change_own_password(account, DEMO_PASSWORD, NEW_PASSWORD, session_id=session_id)
        assert refused == reauth.REFUSALS[reauth.Proof.CODE_NEEDED]
        assert not directory().check_password(account.id, NEW_PASSWORD)
        code = pyotp.parse_uri(uri).now()
        assert (
            change_own_password(account, DEMO_PASSWORD, NEW_PASSWORD, session_id=session_id, code=code) == ""
        )
        assert directory().check_password(account.id, NEW_PASSWORD)
        assert directory().sign_ins(account.id)[0].result == HistoryResult.PASSWORD_CHANGED
        fresh = _session(account.id)
        reauth.record_proof(fresh)
        assert not own_change_needs_code(account, fresh)


def test_a_refused_new_password_uses_up_no_code(app, account):
    import pyotp

    from helpdesk.accounts.recovery import change_own_password

    with app.test_request_context():
        uri, _ = enable_without_confirmation(account)
        account = directory().get(account.id)
        session_id = _session(account.id)
        code = pyotp.parse_uri(uri).now()
        assert change_own_password(account, DEMO_PASSWORD, "short", session_id=session_id, code=code)
        assert (
            change_own_password(account, DEMO_PASSWORD, NEW_PASSWORD, session_id=session_id, code=code) == ""
        )


LAPTOP = "pats-laptop-cookie-0123456789"  # the browser's device cookie


def _locked_with_two_step(account) -> list[str]:
    from helpdesk.accounts.signin import count_failure

    _, recovery_codes = enable_without_confirmation(account)
    for _ in range(5):
        count_failure(directory().get(account.id), ip="203.0.113.66")
    return recovery_codes


def test_the_reset_forms_code_gets_past_a_lock_others_caused_on_the_owners_confirmed_device(app, account):
    with app.test_request_context():
        device_id, _ = directory().remember_device(account.id, LAPTOP, "Firefox")
        directory().confirm_device(account.id, device_id)
        recovery_codes = _locked_with_two_step(account)
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        with pytest.raises(ResetRefused, match="locked"):
            reset_password(raw, NEW_PASSWORD, recovery_codes[0], ip="192.0.2.10")
        done = reset_password(raw, NEW_PASSWORD, recovery_codes[0], ip="192.0.2.10", device_token=LAPTOP)
        assert done.status is TokenStatus.VALID


def test_a_wrong_code_on_the_reset_form_counts_against_the_address_too(app, account):
    from helpdesk.accounts.failures import route

    with app.test_request_context():
        enable_without_confirmation(account)
        for n in range(10):
            raw = issue_token(account.id, "reset", HALF_AN_HOUR)
            with pytest.raises(ResetRefused):
                reset_password(raw, NEW_PASSWORD, "000000", ip="203.0.113.66")
            if n in (4, 9):
                directory().clear_failures(account.id)  # as if each lock had been waited out
        assert route(account.id, "203.0.113.66", None).refused


def test_a_reset_and_a_recovery_remove_every_passkey(app, account, outbox_dir):
    from helpdesk.accounts import passkeys
    from helpdesk.accounts.directory import HistoryResult
    from helpdesk.accounts.passkey_ceremony import add_passkey, registration_options
    from helpdesk.accounts.recovery import change_password
    from tests.mailbox import outbox, text_of
    from tests.passkey_authenticator import SoftAuthenticator

    def two_passkeys() -> None:
        for name in ("Phone", "Laptop"):
            answer = SoftAuthenticator().register(registration_options(account))
            add_passkey(account, answer, name, ip="", device="")

    with app.test_request_context():
        two_passkeys()
        reset_password(issue_token(account.id, "reset", HALF_AN_HOUR), NEW_PASSWORD)
        assert passkeys.passkeys_of(str(account.id)) == []
        assert HistoryResult.PASSKEYS_REMOVED in [s.result for s in directory().sign_ins(account.id)]
        assert "removed as well (2 in all)" in text_of(outbox(outbox_dir)[-1])
        two_passkeys()
        change_password(account, "another calm river 77", by="recovery")  # staff-approved recovery
        assert passkeys.passkeys_of(str(account.id)) == []
        assert "removed as well (2 in all)" in text_of(outbox(outbox_dir)[-1])


def test_the_owners_own_password_change_keeps_the_passkeys(app, account):
    from helpdesk.accounts import passkeys
    from helpdesk.accounts.passkey_ceremony import add_passkey, registration_options
    from helpdesk.accounts.recovery import change_password
    from tests.passkey_authenticator import SoftAuthenticator

    with app.test_request_context():
        answer = SoftAuthenticator().register(registration_options(account))
        add_passkey(account, answer, "", ip="", device="")
        change_password(account, NEW_PASSWORD, by="owner")
        assert len(passkeys.passkeys_of(str(account.id))) == 1
