"""Passkeys over HTTP: the passkeys page (add, rename, remove), "Sign in with a passkey" on /login,
the code step after a passkey without user verification, refusals as clear 4xx answers, and a
reset that removes every passkey. The browser's part is played by a software authenticator that
signs for real (tests/passkey_authenticator.py); tests/browser/ drives Chromium's own."""

from __future__ import annotations

import pyotp
import time_machine
from sqlalchemy import update

from helpdesk.extensions import db
from helpdesk.models import Account
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_password_reset import ask_for_link, choose, open_link
from tests.integration.test_reauthentication import LATER, signed_in_with_code, subjects
from tests.integration.test_sign_in import PHONE_UA, sign_in
from tests.mailbox import link_in, outbox, text_of
from tests.passkey_authenticator import SoftAuthenticator
from tests.support import a_step_ahead, confirm_its_you, csrf_from

T0 = a_step_ahead()


def token_of(client, path: str = "/login") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def add_passkey(client, authenticator: SoftAuthenticator, name: str = ""):
    token = token_of(client, "/account/passkeys")
    options = client.post("/account/passkeys/options", headers={"X-CSRFToken": token})
    assert options.status_code == 200, options.get_data(as_text=True)
    answer = authenticator.register(options.get_data(as_text=True))
    return client.post(
        "/account/passkeys", json={"credential": answer, "name": name}, headers={"X-CSRFToken": token}
    )


def passkey_sign_in(client, authenticator: SoftAuthenticator, **answer_options):
    token = token_of(client)
    options = client.post("/login/passkey/options", headers={"X-CSRFToken": token})
    assert options.status_code == 200, options.get_data(as_text=True)
    answer = authenticator.sign_in(options.get_data(as_text=True), **answer_options)
    return client.post("/login/passkey", json={"credential": answer}, headers={"X-CSRFToken": token})


def with_a_passkey(app, account, **kinds) -> SoftAuthenticator:
    """pat@example.org signed in once in a browser of its own, and a passkey added there."""
    authenticator = SoftAuthenticator(**kinds)
    owner = app.test_client()
    sign_in(owner, account.email, DEMO_PASSWORD)
    assert add_passkey(owner, authenticator, "My phone").status_code == 201
    return authenticator


def test_the_login_page_offers_passkeys_and_says_they_need_javascript(client):
    page = client.get("/login").get_data(as_text=True)
    assert ">Sign in with a passkey</button>" in page
    assert 'autocomplete="username webauthn"' in page  # the browser's passkey autofill
    assert "passkey needs JavaScript" in page and "Sign in with your email and password above instead" in page
    assert '<script src="/static/passkeys.' in page


def test_a_passkey_is_added_listed_and_mailed(app, client, account, outbox_dir):
    sign_in(client, account.email, DEMO_PASSWORD)
    added = add_passkey(client, SoftAuthenticator(synced=True), "Work laptop")
    assert added.status_code == 201 and added.json == {"redirect": "/account/passkeys"}
    page = client.get("/account/passkeys").get_data(as_text=True)
    assert "Work laptop" in page and "Synced (backed up" in page
    assert "not used yet" in page and "added <time" in page
    assert ">Add a passkey</button>" in page
    assert subjects(outbox_dir)[-1] == "A passkey was added to your account"
    assert "Passkey added" in client.get("/account").get_data(as_text=True)


def test_adding_a_passkey_needs_a_fresh_confirmation(app, client, account):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, account.email, DEMO_PASSWORD)
        clock.shift(LATER)
        token = token_of(client, "/account/passkeys")
        asked = client.post("/account/passkeys/options", headers={"X-CSRFToken": token})
        assert asked.status_code == 403
        assert asked.json["redirect"].startswith("/account/confirm?next=/account/passkeys")
        without_script = client.post("/account/passkeys/add", data={"csrf_token": token})
        assert without_script.location.startswith("/account/confirm")
        confirm_its_you(client, DEMO_PASSWORD, next_url="/account/passkeys")
        assert add_passkey(client, SoftAuthenticator()).status_code == 201


def test_without_javascript_the_add_button_says_it_is_needed(client, account):
    sign_in(client, account.email, DEMO_PASSWORD)
    sent = client.post("/account/passkeys/add", data={"csrf_token": token_of(client, "/account/passkeys")})
    assert sent.status_code == 303
    assert "Adding a passkey needs JavaScript" in client.get(sent.location).get_data(as_text=True)


def test_signing_in_with_a_passkey_needs_no_address_and_is_in_the_history(app, client, account):
    authenticator = with_a_passkey(app, account)
    signed_in = passkey_sign_in(client, authenticator)
    assert signed_in.status_code == 200 and signed_in.json == {"redirect": "/account"}
    overview = client.get("/account")
    assert overview.status_code == 200 and "Signed in with a passkey" in overview.get_data(as_text=True)
    listed = client.get("/account/passkeys").get_data(as_text=True)
    assert "last used <time" in listed


def test_a_passkey_sign_in_from_a_new_device_mails_a_notice(app, account, outbox_dir):
    authenticator = with_a_passkey(app, account)
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    assert passkey_sign_in(phone, authenticator).status_code == 200
    notice = outbox(outbox_dir)[-1]
    assert notice["Subject"] == "New sign-in to your account" and "Chrome" in text_of(notice)


def test_a_passkey_without_user_verification_leads_to_the_code_step(app, client, account, with_2fa):
    secret, _ = with_2fa
    authenticator = SoftAuthenticator(user_verified=False)
    owner = app.test_client()
    with time_machine.travel(T0, tick=False) as clock:
        signed_in_with_code(owner, secret)
        assert add_passkey(owner, authenticator).status_code == 201
        clock.shift(30)  # the next code: each works once
        answered = passkey_sign_in(client, authenticator)
        assert answered.json == {"redirect": "/login/code"}
        assert client.get("/account").status_code == 302  # not signed in yet
        code_page = client.get("/login/code")
        assert code_page.status_code == 200 and "Enter your code" in code_page.get_data(as_text=True)
        token = csrf_from(code_page.get_data(as_text=True))
        done = client.post("/login", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
        assert done.status_code == 303 and client.get("/account").status_code == 200


def test_a_bad_signature_is_a_400_that_links_to_the_diagnosis(app, client, account):
    authenticator = with_a_passkey(app, account)
    refused = passkey_sign_in(client, authenticator, bogus_signature=True)
    assert refused.status_code == 400
    assert (
        "didn't sign you in" in refused.json["error"] and refused.json["help"] == "/diagnose/passkey-trouble"
    )
    assert client.get("/account").status_code == 302


def test_answers_that_are_not_passkey_answers_are_clear_400s(client):
    token = token_of(client)
    for body in ({}, {"credential": "x"}, {"credential": {"id": "AA", "response": {}}}, [1, 2]):
        answered = client.post("/login/passkey", json=body, headers={"X-CSRFToken": token})
        assert answered.status_code == 400 and "could not be read" in answered.json["error"]
    assert client.post("/login/passkey", json={}).status_code == 400  # no CSRF token


def test_a_removed_passkey_gets_a_page_that_links_to_the_diagnosis(app, client, account, outbox_dir):
    authenticator = with_a_passkey(app, account)
    owner = app.test_client()
    sign_in(owner, account.email, DEMO_PASSWORD)
    page = owner.get("/account/passkeys").get_data(as_text=True)
    remove_path = next(p for p in page.split('"') if p.endswith("/remove"))
    removed = owner.post(remove_path, data={"csrf_token": csrf_from(page)})
    assert removed.status_code == 303
    assert subjects(outbox_dir)[-1] == "A passkey was removed from your account"
    answered = passkey_sign_in(client, authenticator)
    assert answered.status_code == 410 and answered.json["redirect"] == "/login/passkey/removed"
    told = client.get("/login/passkey/removed")
    assert told.status_code == 410
    text = told.get_data(as_text=True)
    assert "This passkey was removed from your account" in text and "/diagnose/passkey-trouble" in text


def test_removing_a_passkey_needs_a_fresh_confirmation(app, client, account):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, account.email, DEMO_PASSWORD)
        add_passkey(client, SoftAuthenticator(), "Old tablet")
        clock.shift(LATER)
        page = client.get("/account/passkeys").get_data(as_text=True)
        remove_path = next(p for p in page.split('"') if p.endswith("/remove"))
        asked = client.post(remove_path, data={"csrf_token": csrf_from(page)})
        assert asked.location.startswith("/account/confirm")
        assert "Old tablet" in client.get("/account/passkeys").get_data(as_text=True)


def test_the_last_way_to_sign_in_is_not_removed_and_the_page_says_why(app, client, account):
    sign_in(client, account.email, DEMO_PASSWORD)
    add_passkey(client, SoftAuthenticator(), "Only key")
    with app.app_context():
        db.session.execute(update(Account).where(Account.id == account.id).values(password_hash=""))
        db.session.commit()
    page = client.get("/account/passkeys").get_data(as_text=True)
    remove_path = next(p for p in page.split('"') if p.endswith("/remove"))
    refused = client.post(remove_path, data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 409 and "last way to sign in" in refused.get_data(as_text=True)


def test_a_passkey_can_be_renamed(client, account):
    sign_in(client, account.email, DEMO_PASSWORD)
    add_passkey(client, SoftAuthenticator(), "Passkey")
    page = client.get("/account/passkeys").get_data(as_text=True)
    rename_path = next(p for p in page.split('"') if p.endswith("/rename"))
    client.post(rename_path, data={"csrf_token": csrf_from(page), "name": "  Kitchen\ttablet "})
    assert "<strong>Kitchen tablet</strong>" in client.get("/account/passkeys").get_data(as_text=True)


def test_a_reset_removes_every_passkey_and_the_mail_says_so(app, client, account, outbox_dir):
    authenticator = with_a_passkey(app, account)
    ask_for_link(client, account.email)
    form = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    assert choose(client, form, "fresh canyon drift 55").status_code == 303
    changed = outbox(outbox_dir)[-1]
    assert changed["Subject"] == "Your password was changed"
    assert "Every passkey of your account was removed as well (1 in all)" in text_of(changed)
    assert passkey_sign_in(app.test_client(), authenticator).status_code == 410


def test_the_owners_data_download_lists_their_passkeys_without_keys(client, account):
    sign_in(client, account.email, DEMO_PASSWORD)
    add_passkey(client, SoftAuthenticator(synced=True), "Work laptop")
    data = client.get("/account/my-data").json
    listed = [(p["name"], p["synced"], p["last_used_at"]) for p in data["passkeys"]]
    assert listed == [("Work laptop", True, None)]
    assert "public_key" not in client.get("/account/my-data").get_data(as_text=True)


def test_a_directory_without_passkeys_offers_none_and_refuses_every_ceremony(app, client, account):
    from helpdesk import use_directory
    from helpdesk.accounts.org_directory import Capability
    from tests.directories import Lacking

    use_directory(app, Lacking(Capability.PASSKEYS))
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with a passkey" not in page and "passkeys.js" not in page
    assert 'autocomplete="username"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    for path in ("/login/passkey/options", "/login/passkey"):
        refused = client.post(path, json={}, headers={"X-CSRFToken": token})
        assert refused.status_code == 404
    assert client.get("/account/passkeys").status_code == 404
