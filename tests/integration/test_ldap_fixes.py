"""The fixes reach the organisation's LDAP directory: end to end through the pages, with
HELPDESK_DIRECTORY=ldap pointing at the throwaway slapd (tests/slapd.py).

What it proves, each against the real directory (read back with ldap3 / ldapwhoami, never through
the adapter under test):
- a locked-out LDAP person follows the `locked-out` diagnosis, gets the unlock mail, follows it,
  and the entry has no pwdAccountLockedTime any more;
- a forgotten-password person resets by mail, then `ldapwhoami` with the new password succeeds and
  with the old one fails;
- a password the server's policy refuses (ppolicy pwdInHistory: the current one, one used before)
  is refused on the page with the server's reason in words, and the link still works;
- an address with `*` (or `(`, `)`, `\\`) answers exactly like an unknown address, and no mail is
  sent to anyone.
"""

from __future__ import annotations

import secrets
import subprocess

import pytest
from ldap3 import BASE, Connection, Server

from helpdesk.accounts.directory import valid_email
from tests import slapd as throwaway
from tests.conftest import build_app
from tests.integration.test_diagnosis_journey import begin
from tests.integration.test_fixes_in_flows import answer
from tests.integration.test_lockout_and_unlock import press_unlock
from tests.integration.test_password_reset import NEW_PASSWORD, ask_for_link, choose, open_link
from tests.integration.test_sign_in import without_tokens
from tests.mailbox import link_in, outbox, text_of

pytestmark = pytest.mark.slow

OLD_PASSWORD = "violet-harbor-lantern-42"


@pytest.fixture
def ldap_app(tmp_path, slapd):
    app = build_app(
        tmp_path,
        directory="ldap",
        ldap_url=slapd.url,
        ldap_insecure=True,  # the throwaway slapd has no certificate; loopback only
        ldap_bind_dn=slapd.service_dn,
        ldap_bind_password=slapd.service_password,
        ldap_base_dn=slapd.base_dn,
        ldap_flavour="openldap",
        ldap_timeout_seconds=3,
    )
    yield app


@pytest.fixture
def outbox_of(ldap_app):
    return ldap_app.extensions["helpdesk.settings"].outbox_dir


def person(slapd, password: str = OLD_PASSWORD) -> tuple[str, str]:
    """A new person in the directory: (uid, address)."""
    uid = "e" + secrets.token_hex(4)
    address = f"{uid}@example.org"
    with Connection(Server(slapd.url), throwaway.ADMIN_DN, slapd.admin_password, auto_bind=True) as admin:
        admin.add(
            slapd.dn(uid),
            ["inetOrgPerson"],
            {"cn": uid, "sn": uid, "mail": address, "userPassword": password},
        )
        assert admin.result["result"] == 0, admin.result
    return uid, address


def whoami(slapd, uid: str, password: str) -> bool:
    """`ldapwhoami` (ldap-utils) binds as the person: True when the directory takes the password."""
    done = subprocess.run(
        ["ldapwhoami", "-x", "-H", slapd.url, "-D", slapd.dn(uid), "-w", password],
        capture_output=True,
        text=True,
        timeout=10,
    )
    return done.returncode == 0 and f"dn:{slapd.dn(uid)}" in done.stdout


def lock_of(slapd, uid: str) -> list[str]:
    with Connection(Server(slapd.url), slapd.service_dn, slapd.service_password, auto_bind=True) as service:
        service.search(slapd.dn(uid), "(objectClass=*)", BASE, attributes=["pwdAccountLockedTime"])
        return [str(v) for v in service.entries[0].pwdAccountLockedTime.values]


def test_a_locked_out_ldap_person_unlocks_through_the_diagnosis(ldap_app, outbox_of, slapd):
    uid, address = person(slapd)
    for _ in range(throwaway.MAX_FAILURES):  # wrong passwords somewhere else: the directory locks
        assert not whoami(slapd, uid, "not-the-password-at-all")
    assert lock_of(slapd, uid)
    assert not whoami(slapd, uid, OLD_PASSWORD)

    client = ldap_app.test_client()
    begin(client, "locked-out")
    answer(client, "locked-out", "was-it-you", answer="yes")
    assert answer(client, "locked-out", "wait-or-unlock", answer="unlock-now").location.endswith(
        "/unlock-by-email"
    )
    assert answer(client, "locked-out", "unlock-by-email", email=address).location.endswith(
        "/check-unlock-email"
    )
    mail = outbox(outbox_of)[-1]
    assert mail["To"] == address
    page = client.get(link_in(mail, "/unlock/")).get_data(as_text=True)
    unlocked = press_unlock(client, page)
    assert unlocked.status_code == 200
    assert 'href="/diagnose/locked-out"' in unlocked.get_data(as_text=True)  # back into the diagnosis

    assert lock_of(slapd, uid) == []  # the lock is gone in the directory itself
    assert whoami(slapd, uid, OLD_PASSWORD)
    answer(client, "locked-out", "check-unlock-email")
    done = answer(client, "locked-out", "confirm-sign-in", email=address, password=OLD_PASSWORD)
    assert done.location.endswith("/signed-in-after-fix")


def test_a_forgotten_ldap_password_is_reset_in_the_directory(ldap_app, outbox_of, slapd):
    uid, address = person(slapd)
    client = ldap_app.test_client()
    begin(client, "wrong-password")
    answer(client, "wrong-password", "show-password", answer="forgotten")
    answer(client, "wrong-password", "email-access", answer="yes")
    sent = answer(client, "wrong-password", "send-reset-link", email=address)
    assert sent.location.endswith("/check-your-email")
    choose(client, open_link(client, link_in(outbox(outbox_of)[-1], "/password/reset/")), NEW_PASSWORD)

    assert whoami(slapd, uid, NEW_PASSWORD)  # ldapwhoami: the directory has the new password
    assert not whoami(slapd, uid, OLD_PASSWORD)  # and no longer the old one
    assert answer(client, "wrong-password", "check-your-email").location.endswith("/confirm-sign-in")
    done = answer(client, "wrong-password", "confirm-sign-in", email=address, password=NEW_PASSWORD)
    assert done.location.endswith("/signed-in-after-fix")


def test_a_password_the_directorys_policy_refuses_shows_its_reason(ldap_app, outbox_of, slapd):
    """The throwaway slapd keeps 3 passwords of history (pwdInHistory): the current one is refused
    by the server, though the help center's own checks (length, common passwords) take it."""
    uid, address = person(slapd)
    client = ldap_app.test_client()
    ask_for_link(client, address)
    page = open_link(client, link_in(outbox(outbox_of)[-1], "/password/reset/"))
    refused = choose(client, page, OLD_PASSWORD)
    assert refused.status_code == 400  # PasswordRefused: a 4xx with the reason, never a 500
    said = refused.get_data(as_text=True)
    assert "current password" in said or "used this password before" in said
    assert whoami(slapd, uid, OLD_PASSWORD)  # nothing changed
    assert choose(client, page, NEW_PASSWORD).location == "/login"  # the link still works
    assert whoami(slapd, uid, NEW_PASSWORD)


@pytest.mark.parametrize("crafted", ["*", "*@example.org", "{uid}*@example.org", "{uid}@example.org)(mail=*"])
def test_an_address_with_filter_characters_answers_like_an_unknown_one(ldap_app, outbox_of, slapd, crafted):
    uid, address = person(slapd)
    crafted = crafted.format(uid=uid)
    # compared with an unknown address, or, where the crafted one is not even an address, with
    # another that is not (the form's own refusal, the same whoever exists)
    other = f"nobody-{secrets.token_hex(4)}@example.org" if valid_email(crafted) else "nobody-at-all"
    pages = []
    for typed in (crafted, other):
        client = ldap_app.test_client()
        sent = ask_for_link(client, typed)
        page = (
            client.get(sent.location).get_data(as_text=True)
            if sent.status_code == 303
            else sent.get_data(as_text=True)
        )
        pages.append((sent.status_code, without_tokens(page).replace(typed, "EMAIL")))
    assert pages[0] == pages[1]  # the same answer (or, for a malformed address, the malformed one)
    assert all(message["To"] != address for message in outbox(outbox_of))
    assert all("/password/reset/" not in text_of(message) for message in outbox(outbox_of))
