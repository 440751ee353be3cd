"""Forgotten password: the same answer for everyone, single-use links, and what a reset changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from helpdesk.accounts.recovery import reset_password
from helpdesk.extensions import db
from helpdesk.models import Account, AccountToken
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_sign_in import sign_in, without_tokens
from tests.mailbox import link_in, outbox, text_of
from tests.support import at_once, csrf_from

NEW_PASSWORD = "emerald-canyon-drift-55"


def ask_for_link(client, email: str, base_url: str = "http://localhost"):
    page = client.get("/password/forgot", base_url=base_url).get_data(as_text=True)
    return client.post(
        "/password/forgot", data={"csrf_token": csrf_from(page), "email": email}, base_url=base_url
    )


def open_link(client, url: str):
    """Follow a reset link as a browser would; returns the form page."""
    opened = client.get(url)
    assert opened.status_code == 303 and opened.location == "/password/reset"
    return client.get("/password/reset")


def choose(client, page, password: str):
    return client.post(
        "/password/reset",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "new_password": password},
    )


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app, account, outbox_dir):
    answers = []
    for email in ("pat@example.org", "nobody@example.org"):
        client = app.test_client()
        sent = ask_for_link(client, email)
        assert sent.status_code == 303 and sent.location == "/password/forgot/sent"
        page = client.get(sent.location).get_data(as_text=True)
        answers.append(without_tokens(page).replace(email, "EMAIL"))
    assert answers[0] == answers[1]
    assert "If an account uses EMAIL, we sent it a link" in answers[0]
    mails = {m["To"]: m for m in outbox(outbox_dir)}
    assert link_in(mails["pat@example.org"], "/password/reset/")
    assert "/password/reset/" not in text_of(mails["nobody@example.org"])


def test_a_reset_sets_the_password_signs_out_elsewhere_and_mails_a_notice(app, account, outbox_dir):
    elsewhere = app.test_client()
    assert sign_in(elsewhere, "pat@example.org", DEMO_PASSWORD).status_code == 303
    client = app.test_client()
    ask_for_link(client, "pat@example.org")
    page = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    done = choose(client, page, NEW_PASSWORD)
    assert done.status_code == 303 and done.location == "/login"  # not signed in automatically
    assert client.get("/account").status_code == 302
    assert elsewhere.get("/account").status_code == 302  # the other session ended
    assert outbox(outbox_dir)[-1]["Subject"] == "Your password was changed"
    assert sign_in(app.test_client(), "pat@example.org", DEMO_PASSWORD).status_code == 400
    assert sign_in(app.test_client(), "pat@example.org", NEW_PASSWORD).status_code == 303


def test_a_refused_password_says_why_and_keeps_the_link(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    page = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    refused = choose(client, page, "password1234")
    assert refused.status_code == 400
    assert "list of common passwords" in refused.get_data(as_text=True)
    assert choose(client, page, NEW_PASSWORD).location == "/login"


def test_a_used_link_says_it_was_used(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    url = link_in(outbox(outbox_dir)[-1], "/password/reset/")
    choose(client, open_link(client, url), NEW_PASSWORD)
    client.get(url)
    again = client.get("/password/reset")
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "This link was already used" in text and 'href="/password/forgot"' in text


def test_a_link_expires_after_30_minutes(app, client, account, outbox_dir):
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False) as clock:
        ask_for_link(client, "pat@example.org")
        url = link_in(outbox(outbox_dir)[-1], "/password/reset/")
        clock.shift(timedelta(minutes=29))
        assert open_link(client, url).status_code == 200
        clock.shift(timedelta(minutes=2))
        expired = client.get("/password/reset")
        assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)


def test_a_newer_request_supersedes_the_older_link(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    ask_for_link(client, "pat@example.org")
    first, second = (m for m in outbox(outbox_dir))
    client.get(link_in(first, "/password/reset/"))
    old = client.get("/password/reset")
    assert old.status_code == 410 and "A newer link was sent" in old.get_data(as_text=True)
    assert open_link(client, link_in(second, "/password/reset/")).status_code == 200


def test_any_password_change_invalidates_open_links(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    url = link_in(outbox(outbox_dir)[-1], "/password/reset/")
    with app.test_request_context():
        from helpdesk.accounts.recovery import change_password

        change_password(account, NEW_PASSWORD)
    client.get(url)
    assert client.get("/password/reset").status_code == 410


def test_tokens_are_stored_only_as_hashes(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    raw = link_in(outbox(outbox_dir)[-1], "/password/reset/").rsplit("/", 1)[1]
    assert len(raw) >= 43  # 256 bits, url-safe base64
    with app.app_context():
        stored = db.session.scalars(select(AccountToken.token_hash)).all()
    assert raw not in stored and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)


def test_the_link_comes_from_the_configured_site_url_not_the_host_header(app, client, account, outbox_dir):
    assert ask_for_link(client, "pat@example.org", base_url="http://evil.test").status_code == 303
    body = text_of(outbox(outbox_dir)[-1])
    assert "http://localhost/password/reset/" in body and "evil.test" not in body


def test_asking_too_often_for_one_address_is_limited(app, client, account):
    for _ in range(5):
        assert ask_for_link(client, "Pat@example.org").status_code == 303
    limited = ask_for_link(app.test_client(), "pat@example.org")
    assert limited.status_code == 429
    assert "several links in a short time" in limited.get_data(as_text=True)


def test_a_reset_clears_the_lock(app, client, account, outbox_dir):
    for _ in range(5):
        sign_in(app.test_client(), "pat@example.org", "not-the-password-at-all")
    ask_for_link(client, "pat@example.org")
    choose(client, open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/")), NEW_PASSWORD)
    assert sign_in(app.test_client(), "pat@example.org", NEW_PASSWORD).status_code == 303


def test_two_concurrent_resets_with_one_link_let_exactly_one_through(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    raw = link_in(outbox(outbox_dir)[-1], "/password/reset/").rsplit("/", 1)[1]
    attempt = iter(range(6))

    def submit() -> str:
        with app.test_request_context("/password/reset", method="POST"):
            result = str(reset_password(raw, f"{NEW_PASSWORD}-{next(attempt)}").status)
            db.session.remove()
            return result

    results = at_once(6, submit)
    assert sorted(results) == ["used"] * 5 + ["valid"]
    with app.app_context():
        assert db.session.get(Account, account.id).failed_count == 0


def test_an_email_that_is_not_an_address_gets_a_clear_message(client):
    refused = ask_for_link(client, "not an address")
    assert refused.status_code == 400
    assert "Enter the email address your account uses." in refused.get_data(as_text=True)
