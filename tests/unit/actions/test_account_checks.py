"""The checks and fixes on the signed-in account: two-step on, the checkup green, signing out
everywhere else, and a verification request sent from this browser."""

from __future__ import annotations

from helpdesk.accounts.directory import directory
from helpdesk.actions import ActionContext, Viewer, get_action
from helpdesk.cases.verification import asking
from tests.conftest import DEMO_PASSWORD
from tests.support import action_context

TWO_FACTOR = get_action("two-factor-enrolled")
CHECKUP = get_action("account-checkup")
SIGN_OUT = get_action("sign-out-everywhere")
REQUESTED = get_action("verification-requested")


def context(
    viewer: Viewer | None = None, *, sandbox: bool = False, request_id: int | None = None
) -> ActionContext:
    return action_context(
        "after-recovery",
        "check",
        remote_addr="203.0.113.50",
        device="Firefox on Linux",
        sandbox=sandbox,
        viewer=viewer,
        verification_request_id=request_id,
        start_url="/diagnose/after-recovery",
    )


def signed_in(account_id: int, cookie: str = "cookie-mine", summary: str = "Firefox on Linux") -> Viewer:
    """A browser signed in to the account on a device of its own."""
    accounts = directory()
    device_id, _ = accounts.remember_device(account_id, cookie, summary)
    token = accounts.start_session(account_id, "203.0.113.50", summary, device_id=device_id)
    _, session_id = accounts.session_account(token)
    return Viewer(account_id, session_id, token)


# two-factor-enrolled


def test_two_step_on_is_a_success_that_counts_the_recovery_codes(app, with_2fa):
    with app.app_context():
        viewer = signed_in(directory().find("pat@example.org").id)
        outcome = TWO_FACTOR.submit(context(viewer), {})
    assert outcome.status == "success"
    assert outcome.detail == {"two_factor": True, "recovery_codes_left": 10}


def test_two_step_off_is_a_failure(app, account):
    with app.app_context():
        outcome = TWO_FACTOR.submit(context(signed_in(account.id)), {})
    assert (outcome.status, outcome.detail) == ("failure", {"two_factor": False})


def test_two_step_check_without_a_signed_in_person_asks_them_to_sign_in(app, with_2fa):
    with app.app_context():
        outcome = TWO_FACTOR.submit(context(), {})
    assert (outcome.status, outcome.detail) == ("failure", {"two_factor": "not-signed-in"})
    assert "Sign in first" in outcome.message


def test_two_step_check_in_the_sandbox_checks_nothing(app):
    with app.app_context():
        outcome = TWO_FACTOR.submit(context(sandbox=True), {})
    assert (outcome.status, outcome.detail) == ("success", {"sandbox": True})


# account-checkup


def test_a_green_checkup_succeeds_and_tells_the_page_to_forget_the_way_back(app, with_2fa):
    with app.app_context():
        viewer = signed_in(directory().find("pat@example.org").id)
        outcome = CHECKUP.submit(context(viewer), {})
    assert (outcome.status, outcome.detail) == ("success", {"checkup": "green"})
    assert outcome.checkup_done and outcome.sign_in is None


def test_an_open_checkup_fails_naming_the_open_items_and_keeps_the_way_back(app, account):
    with app.app_context():
        outcome = CHECKUP.submit(context(signed_in(account.id)), {})
    assert outcome.status == "failure" and not outcome.checkup_done
    assert outcome.detail == {"checkup": "open", "open": ["two-factor", "recovery-codes"]}
    assert outcome.message == (
        "Not yet: 3 of 5 items are green. Still to do: two-step verification, recovery codes."
    )


def test_another_unconfirmed_device_keeps_the_checkup_open(app, with_2fa):
    with app.app_context():
        account_id = directory().find("pat@example.org").id
        viewer = signed_in(account_id)
        signed_in(account_id, cookie="cookie-phone", summary="Chrome on Android")
        outcome = CHECKUP.submit(context(viewer), {})
    assert outcome.status == "failure" and outcome.detail["open"] == ["devices"]


def test_the_checkup_without_a_signed_in_person_fails_and_says_to_sign_in(app, with_2fa):
    with app.app_context():
        outcome = CHECKUP.submit(context(), {})
    assert (outcome.status, outcome.detail) == ("failure", {"checkup": "not-signed-in"})
    assert not outcome.checkup_done


def test_the_checkup_in_the_sandbox_checks_nothing_and_keeps_the_way_back(app):
    with app.app_context():
        outcome = CHECKUP.submit(context(sandbox=True), {})
    assert (outcome.status, outcome.detail, outcome.checkup_done) == ("success", {"sandbox": True}, False)


def test_the_checkup_form_links_to_the_account_page_with_the_way_back(app):
    with app.test_request_context():
        form = str(CHECKUP.render_form(context()))
    assert 'href="/account?back=/diagnose/after-recovery#checkup"' in form
    assert "you'll be asked to sign in" in form


# sign-out-everywhere


def test_signing_out_everywhere_ends_the_other_sessions_and_keeps_this_one(app, account):
    with app.app_context():
        mine = signed_in(account.id)
        other = signed_in(account.id, cookie="cookie-phone", summary="Chrome on Android")
        outcome = SIGN_OUT.submit(context(mine), {"password": DEMO_PASSWORD})
        assert directory().session_account(mine.session_token) is not None
        assert directory().session_account(other.session_token) is None
    assert (outcome.status, outcome.detail) == ("success", {"ended": 1, "forgotten": 1})
    assert outcome.message.startswith("Signed out everywhere else: 1 other session ended")


def test_signing_out_everywhere_needs_the_password_again_unless_just_given(app, account):
    from helpdesk.accounts import reauth

    with app.test_request_context():
        mine = signed_in(account.id)
        other = signed_in(account.id, cookie="cookie-phone")
        assert 'name="password"' in str(SIGN_OUT.render_form(context(mine)))
        refused = SIGN_OUT.submit(context(mine), {"password": "not the password at all"})
        assert refused.status == "retry" and directory().session_account(other.session_token) is not None
        assert directory().get(account.id).failed_count == 1  # a wrong guess counts towards the lock
        reauth.record_proof(mine.session_id)  # proved a moment ago: not asked again
        assert str(SIGN_OUT.render_form(context(mine))) == ""
        assert SIGN_OUT.submit(context(mine), {}).status == "success"


def test_signing_out_everywhere_without_a_signed_in_person_ends_nothing(app, account):
    with app.app_context():
        session = signed_in(account.id)
        outcome = SIGN_OUT.submit(context(), {})
        assert directory().session_account(session.session_token) is not None
    assert (outcome.status, outcome.detail) == ("failure", {"ended": 0})


def test_signing_out_everywhere_in_the_sandbox_signs_nobody_out(app, account):
    with app.app_context():
        mine = signed_in(account.id)
        other = signed_in(account.id, cookie="cookie-phone")
        outcome = SIGN_OUT.submit(context(mine, sandbox=True), {})
        assert directory().session_account(other.session_token) is not None
    assert (outcome.status, outcome.detail) == ("success", {"sandbox": True})


# verification-requested


def test_a_submitted_request_from_this_browser_is_a_success_naming_it(app):
    with app.app_context():
        request = asking.start("pat@example.org", "new@example.net")
        asking.submit(request, {"last_sign_in": "", "device": "", "other": ""})
        outcome = REQUESTED.submit(context(request_id=request.id), {})
        reference = request.reference
    assert outcome.status == "success"
    assert outcome.detail == {"requested": True, "request": reference}
    assert reference in outcome.message


def test_a_request_still_being_filled_in_is_not_sent_yet(app):
    with app.app_context():
        request = asking.start("pat@example.org", "new@example.net")
        outcome = REQUESTED.submit(context(request_id=request.id), {})
    assert (outcome.status, outcome.detail) == ("failure", {"requested": False})


def test_a_browser_with_no_request_has_sent_none(app):
    with app.app_context():
        assert REQUESTED.submit(context(), {}).detail == {"requested": False}
        assert REQUESTED.submit(context(request_id=12345), {}).status == "failure"


def test_the_request_check_in_the_sandbox_checks_nothing(app):
    with app.app_context():
        outcome = REQUESTED.submit(context(sandbox=True), {})
    assert (outcome.status, outcome.detail) == ("success", {"sandbox": True})
