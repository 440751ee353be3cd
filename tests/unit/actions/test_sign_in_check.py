"""verify-sign-in: the check that a fix worked is a real sign-in, which the page then completes."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import time_machine

from helpdesk.accounts.directory import HistoryResult, directory
from helpdesk.actions import ActionContext, get_action
from helpdesk.models import utcnow
from tests.conftest import DEMO_PASSWORD
from tests.support import a_step_ahead, action_context

CHECK = get_action("verify-sign-in")
IP, DEVICE = "203.0.113.30", "Firefox on Linux"


def context(*, sandbox: bool = False) -> ActionContext:
    return action_context("wrong-password", "check-sign-in", remote_addr=IP, device=DEVICE, sandbox=sandbox)


def submit(**form: str):
    return CHECK.submit(context(), form)


def test_the_form_asks_for_address_password_and_an_optional_code(app):
    with app.test_request_context():
        form = str(CHECK.render_form(context()))
    assert all(f'name="{name}"' in form for name in ("email", "password", "code"))


def test_the_right_password_signs_in_and_asks_the_page_to_sign_this_browser_in(app, account):
    with app.app_context():
        outcome = submit(email="pat@example.org", password=DEMO_PASSWORD)
    assert outcome.status == "success"
    assert outcome.detail == {"signed_in": True, "factor": "password"}
    assert outcome.sign_in is not None and outcome.sign_in.id == account.id
    assert not outcome.checkup_done


def test_the_sign_in_is_recorded_with_the_browsers_address_and_device(app, account):
    with app.app_context():
        submit(email="pat@example.org", password=DEMO_PASSWORD)
        [line] = directory().sign_ins(account.id)
    assert (line.result, line.ip, line.device) == (HistoryResult.OK, IP, DEVICE)


def test_a_wrong_password_fails_without_signing_in_and_counts(app, account):
    with app.app_context():
        outcome = submit(email="pat@example.org", password="not the password at all")
        failures = directory().get(account.id).failed_count
    assert (outcome.status, outcome.detail, outcome.sign_in) == ("failure", {"signed_in": False}, None)
    assert failures == 1


def test_an_unknown_address_fails_exactly_like_a_wrong_password(app, account):
    with app.app_context():
        wrong = submit(email="pat@example.org", password="not the password at all")
        unknown = submit(email="nobody@example.org", password="not the password at all")
    assert unknown == wrong


def test_a_locked_account_fails_like_a_wrong_password_even_with_the_right_one(app, account):
    with app.app_context():
        wrong = submit(email="pat@example.org", password="not the password at all")
        for _ in range(4):
            directory().record_failure(account.id)
        assert directory().lock(account.id, utcnow() + timedelta(minutes=10), 5)
        locked = submit(email="pat@example.org", password=DEMO_PASSWORD)
    assert locked == wrong


def test_missing_address_or_password_is_a_retry(app, account):
    with app.app_context():
        assert submit(email="pat@example.org").status == "retry"
        assert submit(password=DEMO_PASSWORD).status == "retry"
        assert submit(email="  ", password=DEMO_PASSWORD).status == "retry"
        assert directory().sign_ins(account.id) == []


def test_with_two_step_on_the_password_alone_asks_for_a_code(app, with_2fa):
    with app.app_context():
        outcome = submit(email="pat@example.org", password=DEMO_PASSWORD)
    assert outcome.status == "retry" and "two-step verification" in outcome.message
    assert outcome.sign_in is None


def test_with_two_step_on_an_authenticator_code_signs_in(app, with_2fa):
    secret, _ = with_2fa
    with time_machine.travel(a_step_ahead(), tick=False), app.app_context():
        outcome = submit(email="pat@example.org", password=DEMO_PASSWORD, code=pyotp.TOTP(secret).now())
    assert outcome.status == "success" and outcome.detail["factor"] == "authenticator"
    assert outcome.sign_in is not None


def test_with_two_step_on_a_recovery_code_signs_in_and_says_so(app, with_2fa):
    _, codes = with_2fa
    with app.test_request_context():
        outcome = submit(email="pat@example.org", password=DEMO_PASSWORD, code=codes[0])
    assert outcome.status == "success" and outcome.detail["factor"] == "recovery-code"


def test_a_wrong_code_fails_without_signing_in(app, with_2fa):
    with app.app_context():
        outcome = submit(email="pat@example.org", password=DEMO_PASSWORD, code="000000")
    assert outcome.status == "failure" and outcome.sign_in is None


def test_nothing_typed_enters_the_outcome(app, with_2fa):
    _, codes = with_2fa
    with app.test_request_context():
        outcomes = [
            submit(email="pat@example.org", password=DEMO_PASSWORD, code=codes[1]),
            submit(email="pat@example.org", password=DEMO_PASSWORD + "x", code=codes[2]),
        ]
    for outcome in outcomes:
        said = f"{outcome.message} {outcome.detail}"
        assert DEMO_PASSWORD not in said and codes[1] not in said and codes[2] not in said


def test_in_the_sandbox_nobody_is_signed_in_and_nothing_is_recorded(app, account):
    with app.app_context():
        outcome = CHECK.submit(context(sandbox=True), {"email": "pat@example.org", "password": "anything"})
        history = directory().sign_ins(account.id)
    assert (outcome.status, outcome.detail, outcome.sign_in) == ("success", {"sandbox": True}, None)
    assert history == []
