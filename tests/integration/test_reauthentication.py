"""Changing a sign-in factor: "Confirm it's you" first, a mail to the owner after, and the owner's
history; secrets kept out of readable cookies and of addresses that reach logs."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import time_machine
from sqlalchemy import select

from helpdesk.accounts.devices import describe_device
from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from helpdesk.models import AuditEntry
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_lockout_and_unlock import fail
from tests.integration.test_password_reset import ask_for_link, open_link
from tests.integration.test_sign_in import PHONE_UA, sign_in
from tests.mailbox import link_in, outbox, text_of
from tests.support import a_step_ahead, confirm_its_you, csrf_from


def pat_id() -> str:
    """The account's id in the directory (opaque: not a number to guess)."""
    return directory().find("pat@example.org").id


T0 = a_step_ahead()
LATER = timedelta(minutes=6)  # past the 5 minutes a sign-in or a confirmation stays fresh
NEW_PASSWORD = "quiet meadow compass 81"


def signed_in_with_code(client, secret: str):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    token = csrf_from(client.get("/password/forgot").get_data(as_text=True))
    done = client.post("/login", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 303, done.get_data(as_text=True)


def token_of(client, path: str = "/account") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def subjects(outbox_dir) -> list[str]:
    return [m["Subject"] for m in outbox(outbox_dir)]


def key_on(page: str) -> str:
    return re.search(r'class="code key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_a_session_cannot_replace_the_authenticator_without_the_password_and_a_code(
    app, client, with_2fa, outbox_dir
):
    """Issue 13, point 1: a signed-in browser alone (a stolen cookie) opened ?new=1, enrolled its
    own key and got new recovery codes; now it is sent to "Confirm it's you" first."""
    secret, _ = with_2fa
    with time_machine.travel(T0, tick=False) as clock:
        signed_in_with_code(client, secret)
        clock.shift(LATER)
        asked = client.get("/account/two-factor?new=1")
        assert asked.status_code == 303
        assert asked.location.startswith("/account/confirm?")
        assert parse_qs(urlsplit(asked.location).query)["next"] == ["/account/two-factor?new=1"]
        page = client.get(asked.location).get_data(as_text=True)
        assert "<h1>Confirm it's you</h1>" in page and 'name="code"' in page
        # the confirming POST alone does nothing either
        posted = client.post("/account/two-factor", data={"csrf_token": csrf_from(page), "code": "123456"})
        assert posted.status_code == 303 and "/account/two-factor" in posted.location
        # the password alone is not enough with two-step verification on
        password_only = confirm_its_you(client, DEMO_PASSWORD, next_url="/account/two-factor?new=1")
        assert password_only.status_code == 400
        confirmed = confirm_its_you(
            client, DEMO_PASSWORD, pyotp.TOTP(secret).now(), next_url="/account/two-factor?new=1"
        )
        assert confirmed.status_code == 303 and confirmed.location == "/account/two-factor?new=1"
        page = client.get(confirmed.location).get_data(as_text=True)
        new_key = key_on(page)
        clock.shift(timedelta(seconds=30))
        done = client.post(
            "/account/two-factor", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(new_key).now()}
        )
        assert done.status_code == 200 and "ABCDE" not in done.get_data(as_text=True)
    assert subjects(outbox_dir)[-1] == "Your authenticator app was replaced"
    assert "If it was NOT you" in text_of(outbox(outbox_dir)[-1])
    with app.app_context():
        assert directory().get(pat_id()).two_factor
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.reauthenticated"))
        assert entry.target == "pat@example.org"


def test_an_enrolment_begun_in_another_session_is_not_finished_in_this_one(app, with_2fa):
    secret, _ = with_2fa
    first, second = app.test_client(), app.test_client()
    with time_machine.travel(T0, tick=False) as clock:
        signed_in_with_code(first, secret)
        clock.shift(timedelta(seconds=30))
        signed_in_with_code(second, secret)
        page = first.get("/account/two-factor?new=1").get_data(as_text=True)
        key = key_on(page)
        # the sealed key travels in the first browser's cookie: put into another session's, it is refused
        with first.session_transaction() as kept:
            sealed_key = kept["enrol_secret"]
        with second.session_transaction() as kept:
            kept["enrol_secret"] = sealed_key
        moved = second.post(
            "/account/two-factor", data={"csrf_token": token_of(second), "code": pyotp.TOTP(key).now()}
        )
        assert moved.status_code in (302, 303)
    with app.app_context():
        assert directory().totp_secret(pat_id()) == secret


def test_new_recovery_codes_need_a_fresh_confirmation(app, client, with_2fa, outbox_dir):
    secret, codes = with_2fa
    with time_machine.travel(T0, tick=False) as clock:
        signed_in_with_code(client, secret)
        clock.shift(LATER)
        stale = client.post("/account/recovery-codes", data={"csrf_token": token_of(client)})
        assert stale.status_code == 303
        assert stale.location.startswith("/account/confirm?next=")
        with app.app_context():
            assert directory().recovery_codes_left(pat_id()) == 10  # nothing changed
        assert (
            confirm_its_you(client, DEMO_PASSWORD, codes[0], next_url="/account/two-factor").status_code
            == 303
        )
        made = client.post("/account/recovery-codes", data={"csrf_token": token_of(client)})
        assert made.status_code == 200
        page = client.get("/account").get_data(as_text=True)
        assert "New recovery codes" in page and "Confirmed it was you" in page
    assert subjects(outbox_dir)[-1] == "New recovery codes were made"


def test_removing_or_trusting_a_device_needs_a_fresh_confirmation_and_is_mailed(app, account, outbox_dir):
    phone = app.test_client()
    laptop = app.test_client()
    with time_machine.travel(T0, tick=False) as clock:
        assert sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA}).status_code == 303
        assert sign_in(laptop, "pat@example.org", DEMO_PASSWORD).status_code == 303
        with app.app_context():
            device = next(
                d for d in directory().devices(account.id) if d.summary == describe_device(PHONE_UA)
            )
        clock.shift(LATER)
        for action in ("confirm", "remove"):
            stale = laptop.post(
                f"/account/devices/{device.id}/{action}", data={"csrf_token": token_of(laptop)}
            )
            assert stale.status_code == 303 and stale.location.startswith("/account/confirm?next=")
        with app.app_context():
            [still] = [d for d in directory().devices(account.id) if d.id == device.id]
            assert still.confirmed_at is None
        assert confirm_its_you(laptop, DEMO_PASSWORD).status_code == 303
        token = token_of(laptop)
        assert (
            laptop.post(f"/account/devices/{device.id}/confirm", data={"csrf_token": token}).status_code
            == 303
        )
        assert (
            laptop.post(f"/account/devices/{device.id}/remove", data={"csrf_token": token}).status_code == 303
        )
        assert phone.get("/account").status_code == 302  # removed: signed out
        page = laptop.get("/account").get_data(as_text=True)
        assert "Device removed" in page and "Device marked as yours" in page
    assert subjects(outbox_dir)[-2:] == [
        "A device was marked as yours",
        "A device was removed from your account",
    ]
    assert describe_device(PHONE_UA) in text_of(outbox(outbox_dir)[-1])


def test_with_two_step_on_a_password_change_asks_for_a_code_once_the_sign_in_is_not_fresh(
    app, client, with_2fa, outbox_dir
):
    secret, _ = with_2fa
    with time_machine.travel(T0, tick=False) as clock:
        signed_in_with_code(client, secret)
        assert 'name="code"' not in client.get("/account/password").get_data(as_text=True)
        clock.shift(LATER)
        page = client.get("/account/password").get_data(as_text=True)
        assert 'name="code"' in page
        form = {"csrf_token": csrf_from(page), "password": DEMO_PASSWORD, "new_password": NEW_PASSWORD}
        assert client.post("/account/password", data=form).status_code == 400
        done = client.post("/account/password", data={**form, "code": pyotp.TOTP(secret).now()})
        assert done.status_code == 303
        assert "Password changed" in client.get("/account").get_data(as_text=True)
    with app.app_context():
        assert directory().check_password(pat_id(), NEW_PASSWORD)
    mail = outbox(outbox_dir)[-1]
    assert mail["Subject"] == "Your password was changed" and "From: " in text_of(mail)


def test_wrong_passwords_on_the_confirmation_lock_the_account_like_a_sign_in(
    app, client, account, outbox_dir
):
    assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303
    for _ in range(5):
        assert confirm_its_you(client, "not the password at all").status_code == 400
    assert subjects(outbox_dir) == ["Was this you? Your account was locked"]
    locked = confirm_its_you(client, DEMO_PASSWORD)
    assert locked.status_code == 400 and "locked" in locked.get_data(as_text=True)
    assert "Review failed sign-ins" in client.get("/account").get_data(as_text=True)
    with app.app_context():
        failed = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account.reauth-failed")
        ).all()
        assert len(failed) == 6


def test_the_confirmation_returns_only_to_a_page_of_this_site(client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    done = confirm_its_you(client, DEMO_PASSWORD, next_url="https://elsewhere.example/steal")
    assert done.status_code == 303 and done.location == "/account"
    assert client.get("/account/confirm").headers["Cache-Control"] == "no-store"


def test_the_confirmation_needs_a_sign_in(client):
    assert client.get("/account/confirm").status_code == 302


def readable_cookies(client) -> str:
    """Everything a person who sees this browser's cookies can read: the raw values and, for a
    Flask session cookie, its decoded (signed, not encrypted) contents."""
    seen = []
    for name in ("helpdesk_session", "helpdesk_device"):
        cookie = client.get_cookie(name)
        if cookie is None:
            continue
        seen.append(cookie.value)
        payload = cookie.value.lstrip(".").split(".")[0]
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if cookie.value.startswith("."):
            data = zlib.decompress(data)
        seen.append(data.decode("utf-8", "replace"))
    return "\n".join(seen)


def test_the_reset_links_token_is_not_readable_in_the_cookie(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    url = link_in(outbox(outbox_dir)[-1], "/password/reset/")
    token = url.rsplit("/", 1)[1]
    page = open_link(client, url)
    assert page.status_code == 200 and 'name="new_password"' in page.get_data(as_text=True)
    assert "reset_token" in readable_cookies(client)  # it is there, sealed
    assert token not in readable_cookies(client)


def test_the_authenticator_key_being_set_up_is_not_readable_in_the_cookie(client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    key = key_on(client.get("/account/two-factor").get_data(as_text=True))
    assert "enrol_secret" in readable_cookies(client)
    assert key not in readable_cookies(client)


def test_the_recovery_links_token_is_not_readable_in_the_cookie(client):
    token = "Zq8VwYt3LmN0pRsT5uVwXyZa1b2C3d4E"
    assert client.get(f"/recovery/complete/{token}").status_code == 303
    assert "recovery_token" in readable_cookies(client) and token not in readable_cookies(client)


def test_the_unlock_button_posts_the_token_in_the_body_not_the_address(app, client, account, outbox_dir):
    fail(client, 5)
    url = link_in(outbox(outbox_dir)[-1], "/unlock/")
    token = url.rsplit("/", 1)[1]
    page = client.get(url)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    assert action == "/unlock/confirm" and token not in action  # what an access log would see
    assert client.post(url, data={"csrf_token": csrf_from(html)}).status_code == 405
    done = client.post(action, data={"csrf_token": csrf_from(html), "token": token})
    assert done.status_code == 200 and done.headers["Referrer-Policy"] == "no-referrer"
    assert "Your account is unlocked" in done.get_data(as_text=True)
    wrong = client.post(action, data={"csrf_token": csrf_from(html), "token": "nonsense"})
    assert wrong.status_code == 404
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    assert "Account unlocked" in client.get("/account").get_data(as_text=True)


def test_the_account_page_shows_security_events_in_plain_words(app, client, account):
    other = app.test_client()
    sign_in(other, "pat@example.org", DEMO_PASSWORD)
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    client.post("/account/sign-out-everywhere", data={"csrf_token": token_of(client)})
    page = client.get("/account").get_data(as_text=True)
    assert "<td>Signed out everywhere else</td>" in page and "signed-out-everywhere" not in page
    assert "Recent sign-ins and security changes" in page


def test_signing_out_everywhere_else_needs_a_fresh_confirmation(app, account):
    phone = app.test_client()
    laptop = app.test_client()
    with time_machine.travel(T0, tick=False) as clock:
        assert sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA}).status_code == 303
        assert sign_in(laptop, "pat@example.org", DEMO_PASSWORD).status_code == 303
        clock.shift(LATER)
        stale = laptop.post("/account/sign-out-everywhere", data={"csrf_token": token_of(laptop)})
        assert stale.status_code == 303 and stale.location.startswith("/account/confirm?next=")
        assert phone.get("/account").status_code == 200  # nobody was signed out
        assert confirm_its_you(laptop, DEMO_PASSWORD).status_code == 303
        done = laptop.post("/account/sign-out-everywhere", data={"csrf_token": token_of(laptop)})
        assert done.status_code == 303
        assert phone.get("/account").status_code == 302 and laptop.get("/account").status_code == 200
