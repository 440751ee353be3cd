"""The throwaway LDAP directory the LDAP adapter's tests run against (tests/slapd.py) behaves as an
organisation's OpenLDAP with the ppolicy overlay does: the lock after failed binds, the server's
own password policy, and password resets by the help center's service account (RFC 3062)."""

from __future__ import annotations

import secrets

import pytest
from ldap3 import BASE, MODIFY_DELETE, Connection, Server
from ldap3.core.exceptions import LDAPException
from ldap3.extend.standard.modifyPassword import ModifyPassword

from tests import slapd as throwaway


def person(slapd, password: str) -> str:
    """A new person in ou=people (each test its own): their uid."""
    uid = "p" + secrets.token_hex(4)
    with Connection(Server(slapd.url), throwaway.ADMIN_DN, slapd.admin_password, auto_bind=True) as admin:
        admin.add(
            slapd.dn(uid),
            ["inetOrgPerson"],
            {"cn": uid, "sn": uid, "mail": f"{uid}@example.org", "userPassword": password},
        )
        assert admin.result["result"] == 0, admin.result
    return uid


def binds(slapd, uid: str, password: str) -> bool:
    connection = Connection(Server(slapd.url), slapd.dn(uid), password)
    try:
        return bool(connection.bind())
    except LDAPException:
        return False
    finally:
        connection.unbind()


def service(slapd) -> Connection:
    return Connection(Server(slapd.url), slapd.service_dn, slapd.service_password, auto_bind=True)


def lock_of(slapd, uid: str) -> list[str]:
    with service(slapd) as connection:
        wanted = ["pwdAccountLockedTime", "entryUUID"]
        connection.search(slapd.dn(uid), "(objectClass=*)", BASE, attributes=wanted)
        entry = connection.entries[0]
        assert str(entry.entryUUID.value)  # the stable id the help center keys its records by
        return list(entry.pwdAccountLockedTime.values)


@pytest.mark.slow
def test_three_wrong_passwords_lock_the_entry_and_the_service_can_unlock_it(slapd):
    uid = person(slapd, "right-password-1")
    for _ in range(throwaway.MAX_FAILURES):
        assert not binds(slapd, uid, "wrong-password")
    assert lock_of(slapd, uid)  # pwdAccountLockedTime written by ppolicy
    assert not binds(slapd, uid, "right-password-1")  # locked: even the right password fails
    with service(slapd) as connection:
        connection.modify(slapd.dn(uid), {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]})
        assert connection.result["result"] == 0, connection.result
    assert lock_of(slapd, uid) == []
    assert binds(slapd, uid, "right-password-1")


@pytest.mark.slow
def test_a_reset_through_password_modify_obeys_the_servers_policy(slapd):
    uid = person(slapd, "right-password-1")
    with service(slapd) as connection:
        ModifyPassword(connection, slapd.dn(uid), new_password="short").send()
        assert connection.result["result"] == 19  # constraintViolation: the server's own policy
        assert "quality" in connection.result["message"]
        ModifyPassword(connection, slapd.dn(uid), new_password="a-new-long-password-2").send()
        assert connection.result["result"] == 0, connection.result
    assert binds(slapd, uid, "a-new-long-password-2")
    assert not binds(slapd, uid, "right-password-1")
