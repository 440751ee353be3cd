"""The directories the contract suite runs over: one factory per adapter, named in `ADAPTERS`.

A factory gets pytest's request (for the fixtures it needs: a server, an app) and returns a
`Subject`: the adapter, a way to seed a person into the directory behind it, what its policy is
(how many wrong passwords lock, a password it refuses), and the same adapter pointed at a
directory that is down. Adding an adapter is one factory and one line in `ADAPTERS`; an
organisation with its own adapter does the same (README, "Use your LDAP directory").
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from ldap3 import Connection, Server, Tls

from helpdesk.accounts.org_directory import Capability, DirectoryAccount, OrgDirectory
from helpdesk.config import Settings


@dataclass
class Subject:
    """One adapter under test and what the suite needs to know about the directory behind it."""

    name: str
    directory: OrgDirectory
    add_person: Callable[[str, str], DirectoryAccount]  # (address, password) -> the new account
    max_failures: int | None  # wrong passwords in a row that lock an account (None: it never locks)
    refused_password: str | None  # a password the directory's own policy refuses (None: none known)
    # the same adapter, its directory unreachable (None: the directory is the help center's own
    # database, whose outage /healthz reports as the database's)
    down: Callable[[], OrgDirectory] | None
    password: str = "Right-password-1"  # one every directory's policy takes
    new_password: str = "Another-password-2"

    def needs(self, *capabilities: Capability) -> None:
        """Skip the test, saying why, when the adapter lacks one of *capabilities*."""
        missing = [c.value for c in capabilities if c not in self.directory.capabilities]
        if missing:
            pytest.skip(f"{self.name} lacks the capability {', '.join(missing)}")

    def person(self, password: str | None = None, address: str | None = None) -> DirectoryAccount:
        """A new person of this directory (a unique address unless *address* is given)."""
        address = address or f"p{secrets.token_hex(5)}@example.org"
        return self.add_person(address, password or self.password)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- LDAP: OpenLDAP with ppolicy (tests/slapd.py) ---------------------------------------------------


def ldap_openldap(request: pytest.FixtureRequest) -> Iterator[Subject]:
    from helpdesk.accounts.ldap import LdapDirectory
    from tests import slapd as throwaway

    server = request.getfixturevalue("slapd")
    settings = Settings(
        directory="ldap",
        ldap_url=server.url,
        ldap_insecure=True,
        ldap_bind_dn=server.service_dn,
        ldap_bind_password=server.service_password,
        ldap_base_dn=server.base_dn,
        ldap_flavour="openldap",
        ldap_timeout_seconds=3,
    )
    directory = LdapDirectory(settings)

    def add_person(address: str, password: str) -> DirectoryAccount:
        uid = "p" + secrets.token_hex(5)
        with Connection(
            Server(server.url), throwaway.ADMIN_DN, server.admin_password, auto_bind=True
        ) as admin:
            admin.add(
                server.dn(uid),
                ["inetOrgPerson"],
                {"cn": uid, "sn": uid, "mail": address, "userPassword": password},
            )
            assert admin.result["result"] == 0, admin.result
        found = directory.find(address)
        assert found is not None, f"the new person {address!r} is not found"
        return found

    yield Subject(
        name="ldap-openldap",
        directory=directory,
        add_person=add_person,
        max_failures=throwaway.MAX_FAILURES,
        refused_password="short",
        down=lambda: LdapDirectory(replace(settings, ldap_url=f"ldap://127.0.0.1:{closed_port()}")),
    )
    directory.close()


# -- LDAP: Active Directory (a Samba AD DC, tests/samba.py) -----------------------------------------


def ldap_active_directory(request: pytest.FixtureRequest) -> Iterator[Subject]:
    import ssl

    from ldap3 import MODIFY_REPLACE

    from helpdesk.accounts.ldap import LdapDirectory

    server = request.getfixturevalue("samba")
    settings = Settings(
        directory="ldap",
        ldap_url=server.url,  # ldap:// with StartTLS, the certificate checked against the test CA
        ldap_ca_file=str(server.ca_file),
        ldap_bind_dn=server.admin_dn,
        ldap_bind_password=server.admin_password,
        ldap_base_dn=server.base_dn,
        ldap_flavour="active-directory",
        ldap_timeout_seconds=5,
    )
    directory = LdapDirectory(settings)
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(server.ca_file))

    def add_person(address: str, password: str) -> DirectoryAccount:
        name = "p" + secrets.token_hex(5)
        with Connection(Server(server.url, tls=tls), server.admin_dn, server.admin_password) as admin:
            admin.start_tls()
            admin.bind()
            admin.add(
                server.dn(name),
                ["top", "person", "organizationalPerson", "user"],
                {"sAMAccountName": name, "mail": address, "userPrincipalName": f"{name}@helpdesk.test"},
            )
            assert admin.result["result"] == 0, admin.result
            quoted = f'"{password}"'.encode("utf-16-le")
            admin.modify(server.dn(name), {"unicodePwd": [(MODIFY_REPLACE, [quoted])]})
            assert admin.result["result"] == 0, admin.result
            admin.modify(server.dn(name), {"userAccountControl": [(MODIFY_REPLACE, ["512"])]})  # enabled
            assert admin.result["result"] == 0, admin.result
        found = directory.find(address)
        assert found is not None, f"the new person {address!r} is not found"
        return found

    yield Subject(
        name="ldap-active-directory",
        directory=directory,
        add_person=add_person,
        max_failures=3,
        refused_password="short",
        down=lambda: LdapDirectory(replace(settings, ldap_url=f"ldap://127.0.0.1:{closed_port()}")),
    )
    directory.close()


# -- the embedded SQL directory (the help center's own database) -----------------------------------


def sql(request: pytest.FixtureRequest) -> Iterator[Subject]:
    from helpdesk.accounts.directory import directory as the_store
    from helpdesk.accounts.sql import SqlAccountDirectory

    app = request.getfixturevalue("app")
    with app.app_context():
        directory = SqlAccountDirectory()

        def add_person(address: str, password: str) -> DirectoryAccount:
            return the_store().create(address, password)

        yield Subject(
            name="sql",
            directory=directory,
            add_person=add_person,
            max_failures=None,  # the help center counts failures and locks itself (accounts/signin.py)
            refused_password=None,  # its policy is checked before (accounts/passwords.py), not by it
            down=None,
        )


# The adapters the suite runs over: name -> factory (a generator: set up, yield, clean up).
ADAPTERS: dict[str, Callable[[pytest.FixtureRequest], Iterator[Subject]]] = {
    "sql": sql,
    "ldap-openldap": ldap_openldap,
    "ldap-active-directory": ldap_active_directory,
}


# each adapter's tests on one xdist worker (`--dist loadgroup`): one throwaway server per adapter
@pytest.fixture(params=[pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in ADAPTERS])
def org_directory(request: pytest.FixtureRequest) -> Iterator[Subject]:
    yield from ADAPTERS[request.param](request)
