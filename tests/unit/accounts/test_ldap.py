"""The LDAP adapter's own promises beyond the contract suite (tests/contract): TLS that is checked,
locks read with their end, connections shared safely and replaced when the server dropped them,
several servers, and a refused service account. Against the throwaway slapd and Samba AD DC."""

from __future__ import annotations

import logging
import secrets
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from ldap3 import MODIFY_ADD, MODIFY_REPLACE, Connection, Server

from helpdesk.accounts.ldap import LdapDirectory
from helpdesk.accounts.org_directory import Capability, DirectoryUnavailable
from tests import samba as throwaway_ad
from tests import slapd as throwaway
from tests.contract.conftest import Subject, closed_port, ldap_active_directory, ldap_openldap
from tests.support import at_once

pytestmark = pytest.mark.slow  # real directory servers, started once per session


@pytest.fixture
def openldap(request) -> Subject:
    made = ldap_openldap(request)
    yield next(made)
    next(made, None)


@pytest.fixture
def active_directory(request) -> Subject:
    made = ldap_active_directory(request)
    yield next(made)
    next(made, None)


def admin(slapd) -> Connection:
    return Connection(Server(slapd.url), throwaway.ADMIN_DN, slapd.admin_password, auto_bind=True)


def dn_of(slapd, email: str) -> str:
    with admin(slapd) as connection:
        connection.search(slapd.base_dn, f"(mail={email})", attributes=["1.1"])
        return str(connection.response[0]["dn"])


# -- TLS -------------------------------------------------------------------------------------------


def test_without_tls_nothing_is_sent_in_plain_text(openldap, slapd):
    """This slapd has no certificate: StartTLS fails, and the adapter never falls back to plain."""
    strict = LdapDirectory(replace(openldap.directory.settings, ldap_insecure=False))
    with pytest.raises(DirectoryUnavailable):
        strict.ping()
    with pytest.raises(DirectoryUnavailable):
        strict.find("pat@example.org")


@pytest.mark.xdist_group("ldap-active-directory")  # the contract suite's Samba, not a second one
def test_a_certificate_no_trusted_ca_signed_is_refused(active_directory, tmp_path):
    settings = active_directory.directory.settings
    assert LdapDirectory(settings).ping() is None  # the test CA: trusted
    other_ca, _, _ = throwaway_ad.certificates(tmp_path, "127.0.0.1")
    for ca_file in (str(other_ca), ""):  # another CA; the system's CAs
        with pytest.raises(DirectoryUnavailable):
            LdapDirectory(replace(settings, ldap_ca_file=ca_file)).ping()


def test_active_directory_without_tls_offers_no_password_reset():
    settings = replace(
        throwaway_settings(),
        ldap_flavour="active-directory",
        ldap_insecure=True,
        ldap_url="ldap://127.0.0.1:1",
    )
    directory = LdapDirectory(settings)
    assert Capability.RESET_PASSWORD not in directory.capabilities
    assert {Capability.UNLOCK, Capability.LOCK_STATUS} <= directory.capabilities
    with pytest.raises(DirectoryUnavailable):
        directory.set_password("cc963515-06ff-48a5-9fb9-648bf6447475", "Another-password-2")
    assert Capability.RESET_PASSWORD in LdapDirectory(replace(settings, ldap_insecure=False)).capabilities


def throwaway_settings():
    from helpdesk.config import Settings

    return Settings(
        directory="ldap", ldap_bind_dn="cn=x", ldap_bind_password="x", ldap_base_dn="dc=example,dc=org"
    )


# -- locks -----------------------------------------------------------------------------------------


def test_a_permanent_ppolicy_lock_reads_as_permanent_until_unlocked(openldap, slapd):
    account = openldap.person()
    with admin(slapd) as connection:
        connection.modify(
            dn_of(slapd, account.email), {"pwdAccountLockedTime": [(MODIFY_REPLACE, ["000001010000Z"])]}
        )
        assert connection.result["result"] == 0, connection.result
    state = openldap.directory.lock_state(account.id)
    assert state.locked and state.permanent
    assert openldap.directory.check_password(account.id, openldap.password) is False
    openldap.directory.unlock(account.id)
    assert not openldap.directory.lock_state(account.id).locked
    assert openldap.directory.check_password(account.id, openldap.password) is True


def test_a_ppolicy_lock_with_a_duration_says_when_it_ends(openldap, slapd):
    """A person whose own policy (pwdPolicySubentry) locks for 10 minutes."""
    account = openldap.person()
    policy = f"cn=ten-minutes-{secrets.token_hex(3)},ou=policies,{slapd.base_dn}"
    with admin(slapd) as connection:
        connection.add(
            policy,
            ["pwdPolicy", "device"],
            {
                "pwdAttribute": "userPassword",
                "pwdMaxFailure": "3",
                "pwdLockout": "TRUE",
                "pwdLockoutDuration": "600",
            },
        )
        assert connection.result["result"] == 0, connection.result
        connection.modify(dn_of(slapd, account.email), {"pwdPolicySubentry": [(MODIFY_ADD, [policy])]})
        assert connection.result["result"] == 0, connection.result
    try:
        before = datetime.now(UTC).replace(microsecond=0)
        for _ in range(3):
            openldap.directory.check_password(account.id, "Wrong-password-9")
        state = openldap.directory.lock_state(account.id)
        assert state.locked and not state.permanent and state.failures == 3
        assert state.until is not None
        assert before + timedelta(seconds=600) <= state.until <= datetime.now(UTC) + timedelta(seconds=601)
    finally:
        with admin(slapd) as connection:
            connection.modify(dn_of(slapd, account.email), {"pwdPolicySubentry": [(MODIFY_REPLACE, [])]})
            connection.delete(policy)


@pytest.mark.xdist_group("ldap-active-directory")  # the contract suite's Samba, not a second one
def test_an_active_directory_lock_lasts_the_domains_lockout_duration(active_directory):
    account = active_directory.person()
    before = datetime.now(UTC) - timedelta(seconds=2)
    for _ in range(throwaway_ad.MAX_FAILURES):
        active_directory.directory.check_password(account.id, "Wrong-password-9")
    state = active_directory.directory.lock_state(account.id)
    assert state.locked and state.failures == throwaway_ad.MAX_FAILURES
    assert state.until is not None
    lasts = timedelta(minutes=throwaway_ad.LOCKOUT_MINUTES)
    assert before + lasts <= state.until <= datetime.now(UTC) + lasts + timedelta(seconds=2)


# -- connections -----------------------------------------------------------------------------------


def test_threads_share_the_service_connections_safely(openldap):
    people = [openldap.person() for _ in range(6)]
    openldap.directory.ping()

    def everyone() -> list[bool]:
        return [openldap.directory.find(p.email) == p and openldap.directory.get(p.id) == p for p in people]

    assert all(all(found) for found in at_once(8, everyone))


def test_a_kept_connection_the_server_dropped_is_replaced_without_an_error(openldap):
    account = openldap.person()
    openldap.directory.ping()  # leaves a bound service connection kept for reuse
    kept = list(openldap.directory._service._idle.queue)
    assert kept
    for _, connection in kept:  # as a directory restart or an idle timeout would
        connection.socket.shutdown(socket.SHUT_RDWR)
    assert openldap.directory.find(account.email) == account


def test_several_urls_are_tried_in_order(openldap, slapd):
    settings = openldap.directory.settings
    pool = LdapDirectory(replace(settings, ldap_url=f"ldap://127.0.0.1:{closed_port()} {slapd.url}"))
    account = openldap.person()
    assert pool.find(account.email) == account
    assert pool.check_password(account.id, openldap.password) is True


def test_a_refused_service_account_is_unavailable_and_logged_never_shown(openldap, caplog):
    wrong = LdapDirectory(replace(openldap.directory.settings, ldap_bind_password="not-the-password"))
    with (
        caplog.at_level(logging.ERROR, logger="helpdesk.accounts.ldap"),
        pytest.raises(DirectoryUnavailable) as raised,
    ):
        wrong.find("pat@example.org")
    assert "service account" in caplog.text and "49" in caplog.text
    assert "49" not in str(raised.value) and "bind" not in str(raised.value)


def test_only_entries_the_user_filter_matches_are_people(openldap, slapd):
    account = openldap.person()
    settings = openldap.directory.settings
    for user_filter in ("(employeeType=active)", "employeeType=active"):
        active_only = LdapDirectory(replace(settings, ldap_user_filter=user_filter))
        assert active_only.find(account.email) is None
        assert active_only.get(account.id) is None
        with admin(slapd) as connection:
            connection.modify(dn_of(slapd, account.email), {"employeeType": [(MODIFY_REPLACE, ["active"])]})
        assert active_only.find(account.email) == account
        with admin(slapd) as connection:
            connection.modify(dn_of(slapd, account.email), {"employeeType": [(MODIFY_REPLACE, [])]})


def test_an_entry_with_several_addresses_is_found_by_each_and_named_by_its_first(openldap, slapd):
    account = openldap.person()
    alias = "alias-" + account.email
    with admin(slapd) as connection:
        connection.modify(dn_of(slapd, account.email), {"mail": [(MODIFY_ADD, [alias])]})
    directory = openldap.directory
    assert directory.find(alias) == account  # the first address, whichever one was typed
    assert directory.find(account.email.upper()) == account
    assert directory.get(account.id) == account


def test_ppolicy_history_refusals_are_told_in_words(openldap):
    from helpdesk.accounts.org_directory import PasswordRefused

    account = openldap.person()
    with pytest.raises(PasswordRefused, match="current password"):
        openldap.directory.set_password(account.id, openldap.password)
    openldap.directory.set_password(account.id, openldap.new_password)
    with pytest.raises(PasswordRefused, match="used this password before"):
        openldap.directory.set_password(account.id, openldap.password)
    assert openldap.directory.check_password(account.id, openldap.new_password) is True


def test_a_directory_that_never_answers_is_unavailable_after_the_timeout(openldap):
    """A server that takes the connection and then says nothing (hung, overloaded): the wait ends
    at HELPDESK_LDAP_TIMEOUT_SECONDS, not at the worker's timeout."""
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are taken by the kernel, never answered
        hung = LdapDirectory(
            replace(
                openldap.directory.settings,
                ldap_url=f"ldap://127.0.0.1:{silent.getsockname()[1]}",
                ldap_timeout_seconds=1,
            )
        )
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            hung.ping()
        assert time.monotonic() - started < 4


@pytest.mark.xdist_group("ldap-active-directory")  # the contract suite's Samba, not a second one
def test_a_disabled_active_directory_account_is_locked_until_an_administrator_enables_it(
    active_directory, samba
):
    import ssl

    from ldap3 import MODIFY_REPLACE, Tls

    account = active_directory.person()
    assert active_directory.directory.lock_state(account.id).locked is False
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(samba.ca_file))
    with Connection(Server(samba.url, tls=tls), samba.admin_dn, samba.admin_password) as connection:
        connection.start_tls()
        connection.bind()
        connection.search(samba.base_dn, f"(mail={account.email})", attributes=["1.1"])
        dn = connection.response[0]["dn"]
        connection.modify(dn, {"userAccountControl": [(MODIFY_REPLACE, ["514"])]})  # 512 | disabled
        assert connection.result["result"] == 0, connection.result
    state = active_directory.directory.lock_state(account.id)
    assert state.locked and state.until is None
    assert active_directory.directory.check_password(account.id, active_directory.password) is False
