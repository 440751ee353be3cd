"""Small real directory adapters for tests of the boundary (each implements OrgDirectory).

- `Lacking`: the embedded SQL directory minus some capabilities (an organisation's directory
  that cannot, say, unlock);
- `Switchable`: the embedded SQL directory behind a switch: while `down`, every call to the
  organisation's part raises DirectoryUnavailable, as an LDAP server that does not answer would;
- `InMemory`: a directory of its own (not the help center's tables), with ids like an LDAP
  entryUUID and its own lock, so the help center keeps shadow rows for its accounts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from helpdesk.accounts.org_directory import (
    Capability,
    DirectoryAccount,
    DirectoryUnavailable,
    LockState,
    PasswordRefused,
)
from helpdesk.accounts.sql import SqlAccountDirectory


class Lacking(SqlAccountDirectory):
    def __init__(self, *missing: Capability) -> None:
        super().__init__()
        self.capabilities = SqlAccountDirectory.capabilities - set(missing)


class Switchable(SqlAccountDirectory):
    down = False

    def _answer(self) -> None:
        if self.down:
            raise DirectoryUnavailable("switched off by the test")

    def find(self, email: str):  # type: ignore[no-untyped-def]
        self._answer()
        return super().find(email)

    def check_password(self, account_id: str, password: str) -> bool:
        self._answer()
        return super().check_password(account_id, password)

    def set_password(self, account_id: str, password: str) -> None:
        self._answer()
        super().set_password(account_id, password)

    def lock_state(self, account_id: str) -> LockState:
        self._answer()
        return super().lock_state(account_id)

    def unlock(self, account_id: str) -> None:
        self._answer()
        super().unlock(account_id)

    def ping(self) -> None:
        self._answer()
        super().ping()


@dataclass
class _Entry:
    id: str
    email: str
    password: str
    locked: bool = False
    failures: int = 0
    aliases: tuple[str, ...] = ()  # further addresses of the entry (LDAP: more `mail` values)


@dataclass
class InMemory:
    """A directory that keeps its accounts itself and locks after *max_failures* wrong passwords
    (like OpenLDAP's ppolicy); a password shorter than 12 characters is refused by its policy."""

    max_failures: int = 3
    capabilities: frozenset[Capability] = frozenset(
        {Capability.RESET_PASSWORD, Capability.UNLOCK, Capability.LOCK_STATUS}
    )
    entries: dict[str, _Entry] = field(default_factory=dict)
    down: bool = False  # a test switches it off: every question then fails as a dead server's would

    def add(self, email: str, password: str, *aliases: str) -> str:
        entry = _Entry(str(uuid.uuid4()), email, password, aliases=aliases)
        self.entries[entry.id] = entry
        return entry.id

    def _answer(self) -> None:
        if self.down:
            raise DirectoryUnavailable("switched off by the test")

    def find(self, email: str) -> DirectoryAccount | None:
        self._answer()
        wanted = email.strip().casefold()
        for entry in self.entries.values():
            if wanted in (entry.email.casefold(), *(a.casefold() for a in entry.aliases)):
                return DirectoryAccount(entry.id, entry.email)
        return None

    def get(self, account_id: str) -> DirectoryAccount | None:
        self._answer()
        entry = self.entries.get(account_id)
        return DirectoryAccount(entry.id, entry.email) if entry else None

    def check_password(self, account_id: str, password: str) -> bool:
        entry = self.entries.get(account_id)
        if entry is None or entry.locked:
            return False
        if entry.password != password:
            entry.failures += 1
            entry.locked = entry.failures >= self.max_failures
            return False
        entry.failures = 0
        return True

    def set_password(self, account_id: str, password: str) -> None:
        if len(password) < 12:
            raise PasswordRefused("The directory wants at least 12 characters.")
        entry = self.entries[account_id]
        entry.password, entry.locked, entry.failures = password, False, 0

    def lock_state(self, account_id: str) -> LockState:
        entry = self.entries.get(account_id)
        if entry is None:
            return LockState(False)
        return LockState(entry.locked, None, entry.failures)

    def unlock(self, account_id: str) -> None:
        entry = self.entries[account_id]
        entry.locked, entry.failures = False, 0

    def ping(self) -> None:
        return None
