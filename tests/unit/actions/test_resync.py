"""resync-authenticator: two consecutive codes measure the phone's clock, allowed for from then on."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine

from helpdesk.accounts.directory import HistoryResult, directory
from helpdesk.accounts.signin import attempt_sign_in
from helpdesk.actions import ActionContext, get_action
from tests.conftest import DEMO_PASSWORD
from tests.mailbox import outbox, text_of
from tests.support import a_step_ahead, action_context

RESYNC = get_action("resync-authenticator")
IP, DEVICE = "203.0.113.40", "Chrome on Android"
STEP = timedelta(seconds=30)


def context(*, sandbox: bool = False, ip: str = IP) -> ActionContext:
    return action_context(
        "two-factor-rejected", "resync-authenticator", remote_addr=ip, device=DEVICE, sandbox=sandbox
    )


def two_codes(secret: str, phone_time) -> dict[str, str]:
    """What a person types: the code their phone showed, then the next one, with the password."""
    phone = pyotp.TOTP(secret)
    return {
        "email": "pat@example.org",
        "password": DEMO_PASSWORD,
        "code": phone.at(phone_time - STEP),
        "code2": phone.at(phone_time),
    }


@pytest.fixture
def now():
    moment = a_step_ahead()  # 15 seconds into a step, after the enrolment
    with time_machine.travel(moment, tick=False) as clock:
        yield moment, clock


def test_the_form_asks_for_address_password_and_two_codes(app):
    with app.test_request_context():
        form = str(RESYNC.render_form(context()))
    assert all(f'name="{name}"' in form for name in ("email", "password", "code", "code2"))


def test_a_fast_phone_is_measured_in_seconds_and_steps(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    with app.app_context():
        outcome = RESYNC.submit(context(), two_codes(secret, moment + timedelta(seconds=150)))
    assert outcome.status == "success"
    assert outcome.detail == {"drift_seconds": 150, "offset_steps": 5}
    assert "your phone is about 2 minutes 30 seconds fast" in outcome.message
    # short, so the next page's sign-in fits a phone's screen: that page says to set the time
    assert outcome.message.endswith("fast. We allow for that from now on.")


def test_a_slow_phone_is_measured_as_a_negative_drift(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    with app.app_context():
        outcome = RESYNC.submit(context(), two_codes(secret, moment - timedelta(minutes=2)))
    assert outcome.detail == {"drift_seconds": -120, "offset_steps": -4}
    assert "your phone is about 2 minutes slow" in outcome.message


def test_the_measured_offset_is_kept_on_the_account_and_the_resync_is_in_its_history(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    with app.app_context():
        account = directory().find("pat@example.org")
        RESYNC.submit(context(), two_codes(secret, moment + timedelta(seconds=150)))
        assert directory().get(account.id).totp_offset == 5
        [line] = directory().sign_ins(account.id)
    assert (line.result, line.ip, line.device) == (HistoryResult.RESYNC, IP, DEVICE)


def test_the_same_two_codes_again_prove_nothing_and_are_called_used_not_wrong(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    form = two_codes(secret, moment + timedelta(seconds=150))
    with app.app_context():
        RESYNC.submit(context(), form)
        again = RESYNC.submit(context(), form)
        account = directory().find("pat@example.org")
        last = directory().sign_ins(account.id)[0]
    assert (again.status, again.detail, again.http_status) == ("retry", {"drift": "used"}, 400)
    assert "used already" in again.message and "don't come from" not in again.message
    assert last.result == HistoryResult.RESYNC_CODES_USED
    assert account.failed_count == 0  # a replay guesses nothing: it does not count towards a lock


def test_a_slow_phone_resyncs_right_after_a_sign_in(app, with_2fa, now):
    secret, _ = with_2fa
    moment, clock = now
    with app.app_context():
        signed_in = attempt_sign_in(
            "pat@example.org", DEMO_PASSWORD, IP, DEVICE, code=pyotp.TOTP(secret).at(moment)
        )
        assert signed_in.ok
        clock.shift(2 * STEP)  # a minute later, on a phone whose clock is 5 minutes slow
        outcome = RESYNC.submit(context(), two_codes(secret, moment + 2 * STEP - timedelta(minutes=5)))
        account = directory().find("pat@example.org")
        history = [line.result for line in directory().sign_ins(account.id)]
    assert (outcome.status, outcome.detail["offset_steps"]) == ("success", -10)
    assert "your phone is about 5 minutes slow" in outcome.message
    assert (account.totp_offset, account.failed_count) == (-10, 0)
    assert history == [HistoryResult.RESYNC, HistoryResult.OK]


def test_after_a_slow_phone_resync_its_next_code_signs_in_and_the_pair_is_not_taken_again(
    app, with_2fa, now
):
    secret, _ = with_2fa
    moment, clock = now
    phone = pyotp.TOTP(secret)
    slow = timedelta(minutes=5)
    with app.app_context():
        assert attempt_sign_in("pat@example.org", DEMO_PASSWORD, IP, DEVICE, code=phone.at(moment)).ok
        clock.shift(2 * STEP)
        form = two_codes(secret, moment + 2 * STEP - slow)
        assert RESYNC.submit(context(), form).status == "success"
        assert RESYNC.submit(context(), form).detail == {"drift": "used"}
        clock.shift(STEP)
        next_code = phone.at(moment + 3 * STEP - slow)
        later = attempt_sign_in("pat@example.org", DEMO_PASSWORD, IP, DEVICE, code=next_code)
        again = attempt_sign_in("pat@example.org", DEMO_PASSWORD, IP, DEVICE, code=form["code2"])
    assert later.ok
    assert not again.ok  # the resync's second code, used up by it


def test_five_resyncs_with_codes_of_another_key_lock_the_account_and_mail_its_owner(
    app, with_2fa, now, outbox_dir
):
    moment, clock = now
    with app.app_context():
        for n in range(5):
            clock.shift(STEP)
            RESYNC.submit(context(ip=f"198.51.100.{90 + n}"), two_codes(pyotp.random_base32(), moment))
        account = directory().find("pat@example.org")
    assert account.failed_count == 5 and account.locked_until is not None
    [notice] = outbox(outbox_dir)
    assert "unlock" in text_of(notice).lower()


def test_codes_of_another_key_fail_and_count_like_a_wrong_code(app, with_2fa, now):
    moment, _ = now
    with app.app_context():
        outcome = RESYNC.submit(context(), two_codes(pyotp.random_base32(), moment))
        account = directory().find("pat@example.org")
        [line] = directory().sign_ins(account.id)
    assert (outcome.status, outcome.detail) == ("failure", {"drift": "no-match"})
    assert account.failed_count == 1 and account.totp_offset == 0
    assert line.result == HistoryResult.RESYNC_FAILED


def test_old_codes_of_this_key_are_a_retry_that_says_they_had_expired(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    phone = pyotp.TOTP(secret)
    form = {
        "email": "pat@example.org",
        "password": DEMO_PASSWORD,
        "code": phone.at(moment - 4 * STEP),  # not two in a row: the first one is just old
        "code2": phone.at(moment - STEP),
    }
    with app.app_context():
        outcome = RESYNC.submit(context(), form)
        # this key's codes, only old: nothing was guessed, so nothing counts towards a lock
        assert directory().find("pat@example.org").failed_count == 0
    assert (outcome.status, outcome.detail, outcome.http_status) == ("retry", {"drift": "expired"}, 400)
    assert "expired" in outcome.message


def test_a_wrong_password_is_answered_like_an_unknown_address(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    with app.app_context():
        wrong = RESYNC.submit(context(), {**two_codes(secret, moment), "password": "not my password"})
        unknown = RESYNC.submit(context(), {**two_codes(secret, moment), "email": "nobody@example.org"})
    assert wrong == unknown
    assert wrong.status == "retry" and wrong.http_status == 400


def test_an_account_without_an_authenticator_is_told_so(app, account, now):
    moment, _ = now
    with app.app_context():
        outcome = RESYNC.submit(context(), two_codes(pyotp.random_base32(), moment))
    assert (outcome.status, outcome.detail) == ("failure", {"drift": "no-2fa"})


def test_a_missing_box_is_a_retry_that_names_it_and_checks_nothing(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    with app.app_context():
        for missing in ("email", "password", "code", "code2"):
            outcome = RESYNC.submit(context(), {**two_codes(secret, moment), missing: ""})
            assert (outcome.status, outcome.field) == ("retry", missing)
        assert directory().sign_ins(directory().find("pat@example.org").id) == []


def test_in_the_sandbox_nothing_is_measured_or_recorded(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    with app.app_context():
        outcome = RESYNC.submit(context(sandbox=True), two_codes(secret, moment + 5 * STEP))
        account = directory().find("pat@example.org")
        assert directory().sign_ins(account.id) == []
    assert (outcome.status, outcome.detail) == ("success", {"sandbox": True})
    assert account.totp_offset == 0


def test_the_sandbox_still_wants_all_four_boxes(app):
    with app.app_context():
        outcome = RESYNC.submit(context(sandbox=True), {"email": "pat@example.org"})
    assert outcome.status == "retry"


def test_an_eleventh_try_within_the_hour_from_one_address_is_refused(app, account, now):
    form = {"email": "nobody@example.org", "password": "whatever it is", "code": "123456", "code2": "654321"}
    with app.app_context():
        here = [RESYNC.submit(context(ip="198.51.100.50"), form).http_status for _ in range(11)]
        elsewhere = RESYNC.submit(context(ip="198.51.100.51"), form)
    assert here == [400] * 10 + [429]
    assert elsewhere.http_status == 400


def test_a_sixth_try_for_one_account_within_15_minutes_is_refused_before_the_codes_are_checked(
    app, with_2fa, now
):
    secret, _ = with_2fa
    moment, clock = now
    with app.app_context():
        outcomes = []
        for n in range(6):
            clock.shift(STEP)  # a fresh pair of codes each time, from another address each time
            phone_time = moment + (n + 1) * STEP + timedelta(seconds=150)
            outcomes.append(RESYNC.submit(context(ip=f"198.51.100.{60 + n}"), two_codes(secret, phone_time)))
        account = directory().find("pat@example.org")
        history = [line.result for line in directory().sign_ins(account.id)]
    assert [o.status for o in outcomes] == ["success"] * 5 + ["retry"]
    assert outcomes[-1].http_status == 429 and "15 minutes" in outcomes[-1].message
    assert history == [HistoryResult.RESYNC] * 5 and account.failed_count == 0


def test_nothing_typed_enters_the_outcome(app, with_2fa, now):
    secret, _ = with_2fa
    moment, _ = now
    typed = two_codes(secret, moment + 3 * STEP)
    with app.app_context():
        outcomes = [
            RESYNC.submit(context(), typed),
            RESYNC.submit(context(), {**typed, "code": "111111", "code2": "222222"}),
        ]
    for outcome in outcomes:
        said = f"{outcome.message} {outcome.detail}"
        assert all(value not in said for value in (typed["password"], typed["code"], typed["code2"]))
        assert "111111" not in said and "222222" not in said
