"""The help center's own account store, and the two accessors every module acts on accounts by.

The organisation's part of an account (its address, password, lock) lives in the organisation's
directory (`org_directory()`, an `OrgDirectory`: the embedded SQL directory, LDAP, or an
organisation's own adapter). Everything else the help center keeps itself, in its store
(`directory()`, an `AccountStore`), keyed by the directory's opaque account id: sessions, devices,
sign-in history, TOTP secrets and recovery codes, roles, "Confirm it's you", and the help
center's own lock escalation where the directory is the embedded one (`keeps_locks`).

With the embedded directory (`accounts/sql.py` `SqlAccountDirectory`) both are one object over
one table. With any other, the store keeps a shadow row per directory account, made on first
sight (`SqlAccountStore`): the address as last seen, role, TOTP, recovery codes, ...
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from flask import current_app

from ..config import Settings
from ..errors import DomainError
from .org_directory import DirectoryAccount, OrgDirectory
from .roles import Role, may


@dataclass(frozen=True)
class AccountRecord(DirectoryAccount):
    """What the help center may know about an account (never the password hash): the directory's
    id and address, and what the help center's store keeps about it (on a shadow row, the lock
    fields stay empty: the directory's `lock_state` says whether it is locked)."""

    failed_count: int
    locked_until: datetime | None
    password_changed_at: datetime
    totp_enabled_at: datetime | None = None
    totp_offset: int = 0  # the phone's measured clock offset, in 30-second steps
    role: str | None = None  # a Role (staff, editor, admin), or None for an ordinary account
    must_enrol_2fa: bool = False  # after a staff-approved recovery
    password_weak: bool = False  # found weak when last seen in plain text (sign-in or set)
    password_from_recovery: bool = False  # set through a staff-approved recovery
    failures_reviewed_at: datetime | None = None  # the owner reviewed failed sign-ins up to here
    lock_level: int = 0  # locks in a row so far (kept across unlocks; time forgives, see lockout)
    last_locked_at: datetime | None = None

    @property
    def two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def may(self, *allowed: Role) -> bool:
        """Whether this account's staff role opens what *allowed* roles may (see roles.may)."""
        return may(self.role, *allowed)


@dataclass(frozen=True)
class SignInRecord:
    at: datetime
    ip: str
    device: str
    result: str  # a HistoryResult


class HistoryResult(StrEnum):
    """What a line of an account's sign-in history records."""

    OK = "ok"
    OK_RECOVERY_CODE = "ok-recovery-code"
    WRONG_PASSWORD = "wrong-password"  # noqa: S105  (a result, not a password)
    WRONG_CODE = "wrong-code"
    LOCKED = "locked"  # refused: the account was locked
    RESYNC = "resync"  # the authenticator's clock was measured and allowed for
    RESYNC_FAILED = "resync-failed"  # no two consecutive codes of this key in the window
    RESYNC_CODES_USED = "resync-codes-used"  # the codes were this key's, but accepted already
    # the owner's security events (helpdesk.accounts.history.record_event), shown with the sign-ins
    REAUTHENTICATED = "reauthenticated"  # "Confirm it's you" passed
    PASSWORD_CHANGED = "password-changed"  # noqa: S105  (by the signed-in owner)
    PASSWORD_RESET = "password-reset"  # noqa: S105  (with an emailed link)
    PASSWORD_RECOVERED = "password-recovered"  # noqa: S105  (set through an identity-verified recovery)
    UNLOCKED = "unlocked"
    AUTHENTICATOR_ENROLLED = "authenticator-enrolled"
    AUTHENTICATOR_REPLACED = "authenticator-replaced"
    RECOVERY_CODES_NEW = "recovery-codes-new"
    DEVICE_CONFIRMED = "device-confirmed"
    DEVICE_REMOVED = "device-removed"
    SIGNED_OUT = "signed-out"
    SIGNED_OUT_EVERYWHERE = "signed-out-everywhere"
    SIGNED_OUT_IDLE = "signed-out-idle"  # after time without activity
    SIGNED_OUT_EXPIRED = "signed-out-expired"  # the session reached its longest life
    CSV_EXPORTED = "csv-exported"  # an editor downloaded an export
    # passkeys (helpdesk.accounts.passkey_ceremony)
    OK_PASSKEY = "ok-passkey"  # signed in with a passkey
    PASSKEY_REFUSED = "passkey-refused"  # a passkey's answer failed verification
    PASSKEY_CLONED = "passkey-cloned"  # its sign count went backwards: possibly a cloned authenticator
    PASSKEY_ADDED = "passkey-added"
    PASSKEY_REMOVED = "passkey-removed"
    PASSKEYS_REMOVED = "passkeys-removed"  # every passkey, by a reset or a recovery


# the results of refused sign-ins by someone who knew the address (the owner, or someone guessing)
SIGNED_IN_RESULTS = (HistoryResult.OK, HistoryResult.OK_RECOVERY_CODE, HistoryResult.OK_PASSKEY)
FAILED_SIGN_IN_RESULTS = (
    HistoryResult.WRONG_PASSWORD,
    HistoryResult.WRONG_CODE,
    HistoryResult.LOCKED,
    HistoryResult.PASSKEY_REFUSED,
    HistoryResult.PASSKEY_CLONED,
)


@dataclass(frozen=True)
class SessionRecord:
    id: int
    device: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    device_id: int | None = None


class SessionState(StrEnum):
    """What a session lookup found behind a browser's session token."""

    LIVE = "live"
    IDLE = "idle"  # not seen for longer than the idle limit: ended now
    TIMED_OUT = "timed-out"  # began longer ago than the absolute limit: ended now
    ENDED = "ended"  # signed out, ended elsewhere, or never existed


@dataclass(frozen=True)
class SessionLimits:
    """How long a sign-in lasts: *idle* without activity (staff: the stricter of *idle* and
    *staff_idle*), *absolute* in all however active."""

    idle: timedelta
    absolute: timedelta
    staff_idle: timedelta | None = None

    @classmethod
    def of(cls, settings: Settings) -> SessionLimits:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_hours),
            staff_idle=timedelta(minutes=settings.staff_idle_minutes),
        )

    def idle_for(self, role: str | None) -> timedelta:
        if role and self.staff_idle is not None:
            return min(self.idle, self.staff_idle)
        return self.idle

    def state(
        self, created_at: datetime, last_seen_at: datetime, role: str | None, now: datetime
    ) -> SessionState:
        """Whether a session with these timestamps still signs anyone in at *now*."""
        if now - created_at > self.absolute:
            return SessionState.TIMED_OUT
        if now - last_seen_at > self.idle_for(role):
            return SessionState.IDLE
        return SessionState.LIVE


@dataclass(frozen=True)
class SessionLookup:
    """A session lookup: *account* and *session_id* are known unless the state is ENDED;
    *ended_now* says this lookup ended an expired session (the one request to audit it)."""

    state: SessionState
    account: AccountRecord | None = None
    session_id: int | None = None
    ended_now: bool = False

    @property
    def signed_in(self) -> bool:
        return self.state is SessionState.LIVE


@dataclass(frozen=True)
class DeviceRecord:
    id: int
    summary: str
    first_seen_at: datetime
    last_seen_at: datetime
    confirmed_at: datetime | None = None  # the owner said "this is mine"


class AccountExists(DomainError, ValueError):
    pass


class AccountStore(Protocol):
    """The help center's own store, keyed by the directory's account id (see the module)."""

    @property
    def keeps_locks(self) -> bool:
        """Whether the help center counts failures and locks accounts itself (the embedded
        directory); otherwise the directory does, and `lock_state` is read from it."""

    def find(self, email: str) -> AccountRecord | None:
        """The account the directory has at this address (its shadow row made on first sight)."""

    def get(self, account_id: str) -> AccountRecord | None: ...
    def create(self, email: str, password: str) -> AccountRecord:
        """An account of the embedded directory (AccountExists if the address is taken)."""

    # the help center's own lock escalation (only where `keeps_locks`)
    def record_failure(self, account_id: str) -> int:
        """Count one failed sign-in atomically; return the new consecutive count."""

    def lock(
        self,
        account_id: str,
        until: datetime | None,
        failures: int,
        level: int | None = None,
        seen_level: int | None = None,
    ) -> bool:
        """Lock until *until* for the *failures*-th failure (one request per lock): unless the
        count was cleared since, or a lock for a later count was written first. With *level*,
        the lock level becomes that, only if it is still *seen_level* (what it was worked out from)."""

    def clear_failures(self, account_id: str) -> None: ...
    def record_sign_in(self, account_id: str, result: str, ip: str, device: str) -> None: ...
    def sign_ins(self, account_id: str, limit: int = 20) -> list[SignInRecord]: ...
    def failed_sign_ins(self, account_id: str, since: datetime, limit: int = 500) -> list[SignInRecord]:
        """Refused sign-ins (wrong password or code, locked) after *since*, newest first,
        at most *limit* of them."""

    def mark_failures_reviewed(self, account_id: str, through: datetime) -> None:
        """The owner looked at failed sign-ins up to *through* (never moves back)."""

    def note_password(self, account_id: str, *, weak: bool, from_recovery: bool | None = None) -> None:
        """What was found about the current password when it was seen in plain text;
        `from_recovery=None` leaves that flag as it is."""

    def start_session(self, account_id: str, ip: str, device: str, device_id: int | None = None) -> str: ...
    def session_account(self, token: str) -> tuple[AccountRecord, int] | None:
        """The live session's account and id (`look_up_session` under the configured limits)."""

    def look_up_session(self, token: str, limits: SessionLimits) -> SessionLookup:
        """The session behind *token*, from its row's timestamps: live (its last activity
        written at most once a minute), or why not; one found past a limit is ended here."""

    def end_expired_sessions(self, account_id: str, limits: SessionLimits) -> list[SessionLookup]:
        """End the account's sessions that are past a limit but were never looked up since."""

    def end_session(self, token: str) -> None: ...
    def end_sessions(self, account_id: str, keep_token: str | None = None) -> int: ...
    def sessions(self, account_id: str) -> list[SessionRecord]:
        """The signed-in sessions, most recently active first."""

    def mark_reauthenticated(self, session_id: int, at: datetime) -> None:
        """The person in this session proved it was them (password, and code) at *at*."""

    def reauthenticated_at(self, session_id: int) -> datetime | None:
        """When the person in this (open) session last proved it was them; None if never."""

    # two-factor
    def totp_secret(self, account_id: str) -> str | None: ...
    def enable_totp(self, account_id: str, secret: str, accepted_step: int) -> None: ...
    def disable_totp(self, account_id: str) -> None: ...
    def accept_totp_step(self, account_id: str, step: int, offset: int | None = None) -> bool:
        """Record *step* as used (and a new clock offset) unless it, or a later one, was used."""

    def replace_recovery_codes(self, account_id: str, code_hashes: list[str]) -> None: ...
    def use_recovery_code(self, account_id: str, code_hash: str) -> bool: ...
    def unused_recovery_codes(self, account_id: str) -> list[str]:
        """The stored hashes of the account's unused recovery codes (each with its salt)."""

    def recovery_codes_left(self, account_id: str) -> int: ...

    def forget_account(self, account_id: str) -> None:
        """Delete the account's row and everything kept about it (the demo's fresh start)."""

    def has_password(self, account_id: str) -> bool:
        """Whether the account can also sign in with a password (the embedded directory: one was
        set; any other directory keeps its own)."""

    def require_two_factor(self, account_id: str) -> None:
        """Two-step verification must be set up at the next sign-in (after a recovery)."""

    # staff
    def set_role(self, account_id: str, role: str | None) -> None: ...

    # devices
    def remember_device(self, account_id: str, token: str, summary: str) -> tuple[int, bool]:
        """The device's id, and whether the account had not seen it before."""

    def devices(self, account_id: str) -> list[DeviceRecord]: ...
    def remove_device(self, account_id: str, device_id: int) -> bool:
        """Forget the device and end its sessions."""

    def confirm_device(self, account_id: str, device_id: int) -> bool:
        """The owner says the device is theirs."""

    def forget_unconfirmed_devices(self, account_id: str, keep_device_id: int | None = None) -> int:
        """Forget every device the owner has not confirmed, but *keep_device_id*; how many were.
        A forgotten device's next sign-in is a new device's (and mailed)."""

    def confirmed_device(self, account_id: str, token: str) -> int | None:
        """The id of the device with this browser token, if the owner confirmed it as theirs."""

    def forget_device_confirmations(self, account_id: str) -> None:
        """After a reset or recovery: whoever was in the account may have confirmed their own device."""

    def forget_before(self, cutoff: datetime) -> dict[str, int]:
        """Delete sign-in history, ended sign-ins and removed devices older than *cutoff* (the
        records retention); how many of each, by a name for people."""


# one address, nothing else: no display name, no list, no spaces or control characters
# (a mail header built from anything more could send mail to other people)
_EMAIL = re.compile(
    r"^[^@\s\x00-\x1f\x7f,;:<>()\[\]\\\"]{1,64}"  # the local part
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_][\w-]*$"  # dotted labels, a non-numeric top level
)


def valid_email(email: str) -> bool:
    """Whether *email* is exactly one plain address (what we accept and ever mail to)."""
    email = (email or "").strip()
    return len(email) <= 254 and bool(_EMAIL.fullmatch(email))


def normalise_email(email: str) -> str:
    """The comparable form of an address: trimmed and case-folded (unique case-insensitively)."""
    return (email or "").strip().casefold()


AccountDirectory = AccountStore  # the name before the organisation's part moved to OrgDirectory


def directory() -> AccountStore:
    """The help center's own account store (sessions, devices, history, factors, roles)."""
    return current_app.extensions["helpdesk.directory"]


def org_directory() -> OrgDirectory:
    """The organisation's directory: find, passwords, locks, unlock (HELPDESK_DIRECTORY)."""
    return current_app.extensions["helpdesk.org_directory"]


def org_directory_for(settings: Settings) -> OrgDirectory:
    """The organisation's directory HELPDESK_DIRECTORY names. The LDAP adapter (and ldap3) is
    imported only when it is "ldap"."""
    if settings.directory == "ldap":
        ldap = importlib.import_module("helpdesk.accounts.ldap")
        found: OrgDirectory = ldap.LdapDirectory(settings)
        return found
    from .sql import SqlAccountDirectory  # it builds on this module

    return SqlAccountDirectory()
