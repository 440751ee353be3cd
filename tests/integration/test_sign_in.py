"""Signing in: sessions, history, and answers that tell nobody whether an account exists."""

from __future__ import annotations

import re

from sqlalchemy import select

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from helpdesk.models import Account, SignInSession
from tests.conftest import DEMO_PASSWORD, build_app
from tests.support import at_once, csrf_from, same_browser

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def sign_in(client, email: str, password: str, **headers):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"csrf_token": csrf_from(page), "email": email, "password": password}, headers=headers
    )


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_signing_in_opens_the_account_page(client, account):
    signed = sign_in(client, "Pat@Example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    assert signed.status_code == 303 and signed.location == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "pat@example.org" in page and "Chrome" in page and "Android" in page


def test_the_account_page_needs_a_sign_in(client):
    assert client.get("/account").location.startswith("/login")


def test_every_attempt_goes_into_the_history(app, client, account):
    sign_in(client, "pat@example.org", "wrong password here", **{"User-Agent": PHONE_UA})
    sign_in(client, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    with app.app_context():
        history = directory().sign_ins(account.id)
    assert [(h.result, h.device, h.ip) for h in history] == [
        ("ok", "Chrome on Android", "127.0.0.1"),
        ("wrong-password", "Chrome on Android", "127.0.0.1"),
    ]


def test_unknown_email_wrong_password_and_locked_get_byte_identical_pages(app, account):
    with app.app_context():
        locked = directory().create("locked@example.org", DEMO_PASSWORD)
        db.session.execute(db.update(Account).where(Account.id == locked.id).values(failed_count=100))
        db.session.commit()
    pages = []
    for email, password in [
        ("nobody@example.org", DEMO_PASSWORD),
        ("pat@example.org", "not the password at all"),
        ("locked@example.org", DEMO_PASSWORD),
    ]:
        client = app.test_client()
        answer = sign_in(client, email, password)
        assert answer.status_code == 400
        pages.append(without_tokens(answer.get_data(as_text=True)).replace(email, "EMAIL"))
    assert pages[0] == pages[1] == pages[2]
    assert "don&#39;t match an account we can sign you in to right now" in pages[0]


def test_a_wrong_password_does_not_sign_in(client, account):
    assert sign_in(client, "pat@example.org", "violet-harbor-lantern-43").status_code == 400
    assert client.get("/account").status_code == 302


def test_sign_out_ends_the_server_side_session(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    replay = app.test_client()
    same_browser(client, replay)  # an old copy of the cookies no longer works
    page = client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert replay.get("/account").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SignInSession.ended_at)) is not None


def test_signing_out_leaves_nothing_of_the_sign_in_in_the_browser_but_the_diagnoses(client, account):
    assert client.get("/diagnose/locked-out").status_code == 303  # a diagnosis this browser is in
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account?back=/diagnose/locked-out/was-it-you").get_data(as_text=True)
    with client.session_transaction() as before:
        assert "checkup_return" in before and "diagnoses" in before
    signed_out = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert signed_out.headers["Clear-Site-Data"] == '"cache"'
    with client.session_transaction() as after:
        assert set(after) - {"_permanent", "_flashes"} == {"diagnoses"}


def test_ending_a_session_signs_that_browser_out_in_every_worker(tmp_path, account, app):
    client = app.test_client()
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    other_worker = build_app(tmp_path)  # a second process on the same database
    other = other_worker.test_client()
    same_browser(client, other)
    assert other.get("/account").status_code == 200
    with app.app_context():
        directory().end_sessions(account.id)
    assert other.get("/account").status_code == 302
    assert client.get("/account").status_code == 302


def test_the_session_cookie_is_renewed_at_sign_in(client, account):
    client.get("/diagnose/cant-sign-in")
    client.get("/login")
    before = client.get_cookie("helpdesk_session").value  # with the CSRF token of before
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    assert client.get_cookie("helpdesk_session").value != before
    assert client.get_cookie("helpdesk_signin") is not None  # the sign-in is a cookie of its own
    # the diagnosis in progress is kept across the sign-in
    assert client.get("/diagnose/cant-sign-in").location == "/diagnose/cant-sign-in/what-happens"


def test_a_changed_hash_parameter_is_upgraded_at_sign_in(app, client, account, owasp_argon2):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(DEMO_PASSWORD)
    with app.app_context():
        db.session.execute(db.update(Account).values(password_hash=weak))
        db.session.commit()
    assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303
    with app.app_context():
        upgraded = db.session.scalar(select(Account.password_hash))
    assert upgraded.startswith("peppered-v1$$argon2id$v=19$m=19456,t=2,p=1$")


def test_fifty_concurrent_wrong_passwords_count_exactly_fifty(tmp_path):
    app = build_app(tmp_path, lock_threshold=1000, rate_limits=False)
    with app.app_context():
        account = directory().create("pat@example.org", DEMO_PASSWORD)
    from helpdesk.accounts.signin import attempt_sign_in

    def wrong() -> bool:
        with app.test_request_context("/login", method="POST"):
            attempt = attempt_sign_in("pat@example.org", "a wrong password!", "127.0.0.1", "test")
            db.session.remove()
            return attempt.ok

    assert at_once(50, wrong) == [False] * 50
    with app.app_context():
        assert db.session.get(Account, account.id).failed_count == 50
