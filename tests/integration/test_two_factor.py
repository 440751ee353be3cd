"""Two-step verification: sign-in with a code, recovery codes, enrolment, devices, resets."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta

import pyotp
import pytest
import time_machine

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from helpdesk.models import utcnow
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_password_reset import NEW_PASSWORD, ask_for_link, choose, open_link
from tests.integration.test_sign_in import sign_in
from tests.mailbox import link_in, outbox, text_of
from tests.support import a_step_ahead, at_once, csrf_from


def pat_id() -> str:
    """The account's id in the directory (opaque: not a number to guess)."""
    return directory().find("pat@example.org").id



def datetime_in_an_hour() -> datetime:
    return utcnow() + timedelta(hours=1)


T0 = a_step_ahead()


def send_code(client, code: str):
    return client.post("/login", data={"csrf_token": _token(client), "code": code})


def _token(client) -> str:
    return csrf_from(client.get("/password/forgot").get_data(as_text=True))


def test_a_password_alone_is_not_enough(app, client, with_2fa):
    asked = sign_in(client, "pat@example.org", DEMO_PASSWORD)
    assert asked.status_code == 200
    assert "Enter your code" in asked.get_data(as_text=True) and 'name="code"' in asked.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_the_code_finishes_the_sign_in_and_is_never_accepted_twice(app, client, with_2fa):
    secret, _ = with_2fa
    with time_machine.travel(T0, tick=False):
        sign_in(client, "pat@example.org", DEMO_PASSWORD)
        code = pyotp.TOTP(secret).now()
        assert send_code(client, code).location == "/account"
        other = app.test_client()
        sign_in(other, "pat@example.org", DEMO_PASSWORD)
        replay = send_code(other, code)
        assert replay.status_code == 400 and "That code didn" in replay.get_data(as_text=True)


def test_codes_from_oathtool_are_accepted(app, client, with_2fa):
    """Interoperability with an independent implementation (Debian's oathtool)."""
    oathtool = shutil.which("oathtool")
    if oathtool is None:
        pytest.fail("oathtool is not installed: apt-get install oathtool")
    secret, _ = with_2fa
    with time_machine.travel(T0, tick=False):
        code = subprocess.run(
            [oathtool, "--totp", "-b", secret, "--now", T0.strftime("%Y-%m-%d %H:%M:%S UTC")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        sign_in(client, "pat@example.org", DEMO_PASSWORD)
        assert send_code(client, code).location == "/account"


def test_wrong_codes_count_towards_the_lock(app, client, with_2fa):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            sign_in(client, "pat@example.org", DEMO_PASSWORD)
            assert send_code(client, "000000").status_code in (400,)
        with app.app_context():
            assert directory().find("pat@example.org").locked_until is not None


def test_the_same_code_sent_twice_at_once_is_accepted_once(app, with_2fa):
    from helpdesk.accounts.signin import complete_sign_in

    secret, _ = with_2fa
    with app.app_context():
        account_id = directory().find("pat@example.org").id
    code = pyotp.TOTP(secret).now()

    def submit() -> bool:
        with app.test_request_context():
            accepted = complete_sign_in(account_id, code, "127.0.0.1", "test").ok
            db.session.remove()
            return accepted

    results = at_once(6, submit)
    assert sorted(results) == [False] * 5 + [True]


def test_a_recovery_code_signs_in_once_then_asks_to_re_enrol(app, client, with_2fa, outbox_dir):
    _, codes = with_2fa
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    answer = send_code(client, codes[0].lower().replace("-", " "))
    assert answer.location == "/account/two-factor"
    page = client.get(answer.location).get_data(as_text=True)
    assert "You signed in with a recovery code" in page
    notice = outbox(outbox_dir)[-1]
    assert notice["Subject"] == "A recovery code was used to sign in" and "9 unused" in text_of(notice)
    again = app.test_client()
    sign_in(again, "pat@example.org", DEMO_PASSWORD)
    assert send_code(again, codes[0]).status_code == 400
    with app.app_context():
        assert [e.result for e in directory().sign_ins(pat_id())][:2] == ["wrong-code", "ok-recovery-code"]


def test_enrolment_shows_a_qr_code_and_the_key_and_needs_one_code(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "<path" in page
    key = re.search(r'class="code key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert len(key) == 32
    wrong = client.post("/account/two-factor", data={"csrf_token": csrf_from(page), "code": "123456"})
    assert wrong.status_code == 400
    with app.app_context():
        assert not directory().get(account.id).two_factor
    done = client.post(
        "/account/two-factor", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(key).now()}
    )
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li>([2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})</li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    with app.app_context():
        assert directory().get(account.id).two_factor
        assert directory().recovery_codes_left(account.id) == 10


def test_the_otpauth_uri_names_the_site(app, account):
    from helpdesk.accounts.two_factor import begin_enrolment

    with app.test_request_context():
        uri = begin_enrolment(account).uri
    parsed = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/Example%20Help:pat%40example.org?")
    assert parsed.issuer == "Example Help" and parsed.name == "pat@example.org"


def test_new_recovery_codes_replace_the_old_ones(app, client, with_2fa):
    secret, old = with_2fa
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    send_code(client, pyotp.TOTP(secret).now())
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "You have 10 unused recovery codes" in page
    made = client.post(
        "/account/recovery-codes", data={"csrf_token": csrf_from(page), "password": DEMO_PASSWORD}
    )
    new = re.findall(r"<li>([2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})</li>", made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    other = app.test_client()
    sign_in(other, "pat@example.org", DEMO_PASSWORD)
    assert send_code(other, old[1]).status_code == 400
    assert send_code(other, new[1]).status_code == 303


def test_few_recovery_codes_left_are_shown_on_the_account_page(app, client, with_2fa):
    _, codes = with_2fa
    with app.app_context():
        from helpdesk.accounts.two_factor import use_recovery_code

        with app.test_request_context():
            for code in codes[:8]:
                use_recovery_code(pat_id(), code)
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    send_code(client, codes[9])
    page = client.get("/account").get_data(as_text=True)
    assert "1 unused recovery code left" in page and "make new ones soon" in page


def test_a_reset_never_bypasses_the_second_factor(app, client, with_2fa, outbox_dir):
    _, codes = with_2fa
    ask_for_link(client, "pat@example.org")
    page = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    assert 'name="code"' in page.get_data(as_text=True)
    missing = choose(client, page, NEW_PASSWORD)
    assert missing.status_code == 400 and "Enter the code" in missing.get_data(as_text=True)
    wrong = client.post(
        "/password/reset",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "new_password": NEW_PASSWORD,
            "code": "000000",
        },
    )
    assert wrong.status_code == 400
    done = client.post(
        "/password/reset",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "new_password": NEW_PASSWORD,
            "code": codes[0],
        },
    )
    assert done.location == "/login"


def _reset_with_code(client, page, code: str):
    return client.post(
        "/password/reset",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "new_password": NEW_PASSWORD,
            "code": code,
        },
    )


def _reset_page(client, outbox_dir):
    ask_for_link(client, "pat@example.org")
    return open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))


def test_wrong_codes_on_the_reset_form_lock_the_account_as_on_the_sign_in_page(
    app, client, with_2fa, outbox_dir
):
    with app.app_context():
        for _ in range(4):  # four wrong passwords on the sign-in page...
            directory().record_failure(pat_id())
    page = _reset_page(client, outbox_dir)
    wrong = _reset_with_code(client, page, "000000")  # ...and a fifth wrong code here
    assert wrong.status_code == 400
    with app.app_context():
        account = directory().get(pat_id())
        assert account.failed_count == 5 and account.locked_until is not None
    assert "Was this you? Your account was locked" in [m["Subject"] for m in outbox(outbox_dir)]


def test_a_locked_account_cannot_be_reset_with_a_correct_code(app, client, with_2fa, outbox_dir):
    secret, _ = with_2fa
    with app.app_context():
        for _ in range(5):
            directory().record_failure(pat_id())
        directory().lock(pat_id(), datetime_in_an_hour(), 5)
    page = _reset_page(client, outbox_dir)
    refused = _reset_with_code(client, page, pyotp.TOTP(secret).now())
    assert refused.status_code == 400
    assert "Your account is locked" in refused.get_data(as_text=True)
    assert sign_in(client, "pat@example.org", NEW_PASSWORD).status_code == 400  # nothing changed


def test_a_reset_link_dies_after_five_wrong_codes_and_says_so(app, client, with_2fa, outbox_dir):
    _, codes = with_2fa
    page = _reset_page(client, outbox_dir)
    with app.app_context():  # stay below the account's lock: this is the link's own cap
        answers = []
        for _ in range(5):
            answers.append(_reset_with_code(client, page, "000000").status_code)
            directory().clear_failures(pat_id())
    assert answers == [400, 400, 400, 400, 410]
    spent = _reset_with_code(client, page, codes[0])  # even a right code: the link is dead
    assert spent.status_code == 410
    assert "Too many wrong codes were typed with this link" in spent.get_data(as_text=True)
