"""The organisation's LDAP directory (OpenLDAP with ppolicy, or Active Directory) as an `OrgDirectory`.

The help center binds as a service account (HELPDESK_LDAP_BIND_DN) to find people and to act on
their entries; it checks a password by binding as the person, so a wrong one counts in the
directory exactly as at any other sign-in. What differs between servers (ids, locks, how a
password is set) is `accounts/ldap_flavours.py`'s.

- TLS: StartTLS on ldap://, ldaps:// as is, certificates checked (the system's CAs, or
  HELPDESK_LDAP_CA_FILE); plain ldap:// only with HELPDESK_LDAP_INSECURE (tests).
- Several URLs: a pool tried in order. The service account's connections are kept and reused,
  one thread at a time each (gunicorn's gthread workers).
- A directory that is down, slow (HELPDESK_LDAP_TIMEOUT_SECONDS) or refuses the service account
  raises `DirectoryUnavailable`: the detail goes to the log, never to the page.
- Every value put into a filter is escaped (RFC 4515); DNs come only from the directory's answers.
"""

from __future__ import annotations

import logging
import queue
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Literal, TypeVar

from flask_babel import lazy_gettext
from ldap3 import (
    BASE,
    FIRST,
    NONE,
    SUBTREE,
    Connection,
    Server,
    ServerPool,
    Tls,
)
from ldap3.core.exceptions import LDAPCommunicationError, LDAPException
from ldap3.utils.conv import escape_filter_chars

from ..config import Settings
from .ldap_flavours import ActiveDirectory, Flavour, OpenLdap, Raw, result_of
from .org_directory import Capability, DirectoryAccount, DirectoryUnavailable, LockState, PasswordRefused

log = logging.getLogger(__name__)
T = TypeVar("T")

INVALID_CREDENTIALS = 49
POOL_SIZE = 8  # idle service connections kept (a worker's threads rarely need more at once)
IDLE_SECONDS = 60  # an idle connection older than this is closed rather than reused


class _ServiceConnections:
    """The service account's bound connections: each taken by one thread at a time, put back
    after a request that went well, dropped after one that failed or when idle too long."""

    def __init__(self, open_one: Any, size: int = POOL_SIZE) -> None:
        self._open_one = open_one
        self._idle: queue.LifoQueue[tuple[float, Connection]] = queue.LifoQueue(maxsize=size)

    @contextmanager
    def held(self) -> Iterator[tuple[Connection, bool]]:
        """A bound connection for this thread alone, and whether it was kept from before."""
        connection, reused = self._take()
        try:
            yield connection, reused
        except BaseException:
            _close(connection)
            raise
        try:
            self._idle.put_nowait((time.monotonic(), connection))
        except queue.Full:
            _close(connection)

    def _take(self) -> tuple[Connection, bool]:
        while True:
            try:
                since, connection = self._idle.get_nowait()
            except queue.Empty:
                return self._open_one(), False
            if time.monotonic() - since < IDLE_SECONDS and not connection.closed:
                return connection, True
            _close(connection)

    def close_all(self) -> None:
        while True:
            try:
                _close(self._idle.get_nowait()[1])
            except queue.Empty:
                return


def _close(connection: Connection) -> None:
    with suppress(LDAPException, OSError):
        connection.unbind()


class LdapDirectory:
    """OrgDirectory over LDAP (see the module's docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.flavour: Flavour = (
            ActiveDirectory(settings.ldap_base_dn)
            if settings.ldap_flavour == "active-directory"
            else OpenLdap(settings.ldap_base_dn)
        )
        self.user_filter = settings.ldap_user_filter.strip() or self.flavour.default_user_filter
        if not self.user_filter.startswith("("):
            self.user_filter = f"({self.user_filter})"
        urls = settings.ldap_url.split()
        self.tls_everywhere = all(url.startswith("ldaps://") for url in urls) or not settings.ldap_insecure
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ldap_ca_file or None)
        timeout = settings.ldap_timeout_seconds
        servers = [Server(url, tls=tls, get_info=NONE, connect_timeout=timeout) for url in urls]
        # several servers: tried in order, each once per connection (never cycling forever)
        self.server: Server | ServerPool = (
            servers[0] if len(servers) == 1 else ServerPool(servers, FIRST, active=1, exhaust=False)  # type: ignore[arg-type]  # an int: cycles
        )
        self.capabilities = frozenset({Capability.RESET_PASSWORD, Capability.UNLOCK, Capability.LOCK_STATUS})
        if self.flavour.needs_tls_for_passwords and not self.tls_everywhere:
            # Active Directory takes a new password only over TLS: no resets offered without it
            self.capabilities -= {Capability.RESET_PASSWORD}
            log.warning("HELPDESK_LDAP_INSECURE with Active Directory: password resets are not offered")
        self._service = _ServiceConnections(self._open_service)

    # -- connections ------------------------------------------------------------------------------

    def _connection(self, user: str | None, password: str | None) -> Connection:
        """A connection to the directory, TLS started where it must be, not yet bound."""
        connection = Connection(
            self.server,
            user=user,
            password=password,
            receive_timeout=self.settings.ldap_timeout_seconds,
            raise_exceptions=False,
            read_only=False,
        )
        connection.open()
        if not self.settings.ldap_insecure and not connection.server.ssl:
            connection.start_tls()
        return connection

    def _open_service(self) -> Connection:
        connection = self._connection(self.settings.ldap_bind_dn, self.settings.ldap_bind_password)
        if not connection.bind():
            code, message = result_of(connection)
            _close(connection)
            raise DirectoryUnavailable(f"the service account's bind was refused: result {code} {message}")
        return connection

    @contextmanager
    def _reaching(self, doing: str) -> Iterator[None]:
        """Any failure to talk to the directory becomes DirectoryUnavailable (detail logged)."""
        try:
            yield
        except DirectoryUnavailable as unavailable:
            log.error("LDAP directory unavailable (%s): %s", doing, unavailable.detail)
            raise
        except (LDAPException, OSError) as error:
            log.error("LDAP directory unavailable (%s): %r", doing, error)
            raise DirectoryUnavailable(f"{doing}: {error!r}") from error

    def _as_service(self, doing: str, work: Callable[[Connection], T], retry: bool = True) -> T:
        """*work* on a service connection. A kept connection the server has meanwhile dropped
        (restarted, idle timeout) fails on its first request: then once more on a new one,
        unless *retry* is off (a change that must not be sent twice)."""
        with self._reaching(doing):
            while True:
                reused = False
                try:
                    with self._service.held() as (connection, reused):
                        return work(connection)
                except LDAPCommunicationError:
                    if not (retry and reused):
                        raise
                    retry = False

    def _search(
        self,
        connection: Connection,
        base: str,
        query: str,
        scope: Literal["BASE", "LEVEL", "SUBTREE"],
        attributes: list[str],
    ) -> list[Raw]:
        connection.search(base, query, scope, attributes=attributes, size_limit=2)
        code, message = result_of(connection)
        if code not in (0, 4, 32):  # success, sizeLimitExceeded (more than one), noSuchObject
            raise DirectoryUnavailable(f"search: result {code} {message}")
        return [r["raw_attributes"] for r in connection.response or [] if r.get("type") == "searchResEntry"]

    def _entry(
        self, connection: Connection, account_id: str, attributes: list[str]
    ) -> tuple[str, Raw] | None:
        """The person's DN and the asked attributes, found by id among the people (user filter)."""
        by_id = self.flavour.id_filter(account_id)
        if by_id is None:
            return None
        connection.search(
            self.settings.ldap_base_dn,
            f"(&{self.user_filter}{by_id})",
            SUBTREE,
            attributes=attributes,
            size_limit=2,
        )
        code, message = result_of(connection)
        if code not in (0, 4, 32):
            raise DirectoryUnavailable(f"search by id: result {code} {message}")
        entries = [r for r in connection.response or [] if r.get("type") == "searchResEntry"]
        if len(entries) != 1:
            return None
        return str(entries[0]["dn"]), entries[0]["raw_attributes"]

    def _account(self, raw: Raw, email: str | None = None) -> DirectoryAccount | None:
        account_id = self.flavour.account_id(raw)
        addresses = [v.decode("utf-8", "replace") for v in raw.get(self.settings.ldap_mail_attribute) or ()]
        if account_id is None or not addresses:
            return None
        if email is None:
            return DirectoryAccount(account_id, addresses[0])
        wanted = email.casefold()
        if not any(address.casefold() == wanted for address in addresses):
            return None
        # the entry's first address, found by any of them: `get` gives the same, so the shadow
        # row's address does not flip with whichever alias was typed last
        return DirectoryAccount(account_id, addresses[0])

    # -- OrgDirectory -----------------------------------------------------------------------------

    def find(self, email: str) -> DirectoryAccount | None:
        email = email.strip()
        if not email:
            return None
        mail = self.settings.ldap_mail_attribute
        query = f"(&{self.user_filter}({mail}={escape_filter_chars(email)}))"
        attributes = [self.flavour.id_attribute, mail]
        found = self._as_service(
            "find", lambda c: self._search(c, self.settings.ldap_base_dn, query, SUBTREE, attributes)
        )
        if len(found) != 1:  # nobody, or an address several entries share: no one account
            if len(found) > 1:
                log.warning("LDAP: several entries answer to one address; none is used")
            return None
        return self._account(found[0], email)

    def get(self, account_id: str) -> DirectoryAccount | None:
        attributes = [self.flavour.id_attribute, self.settings.ldap_mail_attribute]
        entry = self._as_service("get", lambda c: self._entry(c, account_id, attributes))
        return self._account(entry[1]) if entry else None

    def check_password(self, account_id: str, password: str) -> bool:
        if not password:  # an empty simple bind is an anonymous one: never a proof
            return False
        entry = self._as_service(
            "find by id", lambda c: self._entry(c, account_id, [self.flavour.id_attribute])
        )
        if entry is None:
            return False
        with self._reaching("bind as the person"):
            connection = self._connection(entry[0], password)
            try:
                if connection.bind():
                    return True
                code, message = result_of(connection)
            finally:
                _close(connection)
        if code == INVALID_CREDENTIALS:  # wrong, locked (ppolicy; AD's "data 775"), expired
            return False
        log.error("LDAP bind as a person: result %s %s", code, message)
        raise DirectoryUnavailable(f"bind as the person: result {code} {message}")

    def set_password(self, account_id: str, password: str) -> None:
        if Capability.RESET_PASSWORD not in self.capabilities:
            raise DirectoryUnavailable("Active Directory takes new passwords only over TLS")

        def work(connection: Connection) -> None:
            entry = self._entry(connection, account_id, [self.flavour.id_attribute])
            if entry is None:
                raise PasswordRefused(
                    lazy_gettext("This account is no longer in your organisation's directory.")
                )
            self.flavour.set_password(connection, entry[0], password)

        self._as_service("set password", work, retry=False)  # a password sent twice may be "in history"

    def lock_state(self, account_id: str) -> LockState:
        def work(connection: Connection) -> LockState:
            entry = self._entry(connection, account_id, self.flavour.lock_attributes())
            return self.flavour.lock_state(connection, entry[1]) if entry else LockState(locked=False)

        return self._as_service("lock state", work)

    def unlock(self, account_id: str) -> None:
        def work(connection: Connection) -> None:
            entry = self._entry(connection, account_id, self.flavour.lock_attributes())
            if entry is not None:
                self.flavour.unlock(connection, *entry)

        self._as_service("unlock", work)

    def ping(self) -> None:
        def work(connection: Connection) -> None:
            connection.search(self.settings.ldap_base_dn, "(objectClass=*)", BASE, attributes=["1.1"])
            code, message = result_of(connection)
            if code != 0:
                raise DirectoryUnavailable(f"ping: result {code} {message}")

        self._as_service("ping", work)

    def close(self) -> None:
        """Close the kept service connections (at exit, or in tests)."""
        self._service.close_all()


__all__ = ["LdapDirectory", "PasswordRefused"]
