"""The organisation's directory: where accounts really live (the embedded SQL store, LDAP, AD).

A directory adapter owns only what the organisation keeps: finding an account by address,
checking and setting its password, its lock, and unlocking it. Everything else the help center
needs (sessions, devices, sign-in history, TOTP secrets and recovery codes the directory lacks,
diagnoses, cases, tokens) is kept by the help center itself, keyed by the directory's opaque
account id (an LDAP entryUUID, an AD objectGUID, a database id, always as a string).

Each adapter declares its `capabilities`; a fix whose capability the configured directory
lacks is never offered. Every adapter passes the one contract suite
(tests/contract/test_org_directory_contract.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from flask_babel import lazy_gettext

from ..errors import DomainError


class Capability(StrEnum):
    """What a directory can do (the names flows, `content check` and the diagram use)."""

    RESET_PASSWORD = "reset-password"  # noqa: S105  (a capability, not a password)
    UNLOCK = "unlock"
    LOCK_STATUS = "lock-status"
    TOTP = "totp"  # the directory keeps authenticator secrets itself
    RECOVERY_CODES = "recovery-codes"
    SESSIONS = "sessions"
    PASSKEYS = "passkeys"


@dataclass(frozen=True)
class DirectoryAccount:
    """An account as the directory knows it: an opaque id and the address it answers to."""

    id: str
    email: str


@dataclass(frozen=True)
class LockState:
    """What the directory says about an account's lock.

    *locked* with *until* None is a lock only an unlock (or, where the directory does so, a
    password reset) ends; *failures* counts the failed sign-ins the directory holds against
    it now (0 where it keeps none)."""

    locked: bool
    until: datetime | None = None
    failures: int = 0

    @property
    def permanent(self) -> bool:
        return self.locked and self.until is None


class DirectoryUnavailable(DomainError):
    """The account system cannot be reached (or did not answer in time): try again later.

    Nothing is lost: the diagnosis that needed it can be resumed."""

    http_status = 503

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            lazy_gettext("We can't reach the account system right now. Please try again in a few minutes.")
        )
        self.detail = detail  # for the log, never shown


class PasswordRefused(DomainError):
    """The directory refused the new password under its own policy; *reason* says why, in words."""

    http_status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OrgDirectory(Protocol):
    """The interface every directory adapter provides (see the module's docstring)."""

    capabilities: frozenset[Capability]

    def find(self, email: str) -> DirectoryAccount | None:
        """The account with this address (compared case-insensitively), or None. Any address,
        however odd (`*`, `(`, `\\`, NUL), finds at most that exact account, never another."""

    def get(self, account_id: str) -> DirectoryAccount | None: ...

    def check_password(self, account_id: str, password: str) -> bool:
        """Whether *password* is the account's. A wrong one counts as a failed sign-in where the
        directory counts them (an LDAP bind as the user). False for a locked account."""

    def set_password(self, account_id: str, password: str) -> None:
        """Set a new password as the owner's (the directory hashes it and applies its policy).
        Raises PasswordRefused with the directory's reason, in words."""

    def lock_state(self, account_id: str) -> LockState: ...

    def unlock(self, account_id: str) -> None:
        """End the account's lock and forget its failed sign-ins (nothing if it was not locked)."""

    def ping(self) -> None:
        """Raise DirectoryUnavailable unless the directory answers now (/healthz)."""
