"""What differs between directory servers: OpenLDAP (with the ppolicy overlay) and Active Directory.

Each flavour knows its account id attribute (entryUUID, objectGUID), how its lock is read and
ended, how a password is set so the server hashes it and applies its own policy, and how to put
the server's refusal of a password into words for the person choosing it. The connection work
(finding the entry, binding, errors) is `accounts/ldap.py`'s.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask_babel import lazy_gettext
from ldap3 import BASE, MODIFY_DELETE, MODIFY_REPLACE, SUBTREE, Connection
from ldap3.extend.standard.modifyPassword import ModifyPassword
from ldap3.utils.conv import escape_bytes, escape_filter_chars

from .org_directory import DirectoryUnavailable, LockState, PasswordRefused

log = logging.getLogger(__name__)

Raw = Mapping[str, Sequence[bytes]]  # an entry's attributes as the server sent them

CONSTRAINT_VIOLATION = 19
UNWILLING_TO_PERFORM = 53
NO_SUCH_ATTRIBUTE = 16

GENERIC_REFUSAL = lazy_gettext(
    "Your organisation's account system did not accept this password. Please choose a different, longer one."
)


def first(raw: Raw, name: str) -> bytes | None:
    values = raw.get(name) or ()
    return values[0] if values else None


def text(raw: Raw, name: str) -> str | None:
    value = first(raw, name)
    return value.decode("utf-8", "replace") if value is not None else None


def generalized_time(value: str) -> datetime | None:
    """An LDAP GeneralizedTime (`20261204150102Z`, `20261204150102.123456Z`) in UTC, or None."""
    match = re.fullmatch(r"(\d{14})(?:[.,](\d{1,6}))?Z", value.strip())
    if match is None:
        return None
    try:
        moment = datetime.strptime(match[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment + timedelta(microseconds=int((match[2] or "0").ljust(6, "0")))


def result_of(connection: Connection) -> tuple[int, str]:
    result = connection.result or {}
    return int(result.get("result", -1)), str(result.get("message", "") or result.get("description", ""))


def refuse_unexpected(connection: Connection, doing: str) -> None:
    """Anything but success from the service account's own request: the directory can't do it now
    (misconfigured rights, busy, down); the detail is logged by the caller, never shown."""
    code, message = result_of(connection)
    if code != 0:
        raise DirectoryUnavailable(f"{doing}: result {code} {message}")


class Flavour(Protocol):
    id_attribute: str
    default_user_filter: str
    needs_tls_for_passwords: bool

    def account_id(self, raw: Raw) -> str | None: ...

    def id_filter(self, account_id: str) -> str | None: ...

    def lock_attributes(self) -> list[str]: ...

    def lock_state(self, connection: Connection, raw: Raw) -> LockState: ...

    def unlock(self, connection: Connection, dn: str, raw: Raw) -> None: ...

    def set_password(self, connection: Connection, dn: str, password: str) -> None: ...


def _uuid(account_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(account_id)
    except (ValueError, TypeError, AttributeError):
        return None


# -- OpenLDAP with the ppolicy overlay ------------------------------------------------------------

RELAX_RULES = "1.3.6.1.4.1.4203.666.5.12"  # OpenLDAP's control to change an operational attribute
PERMANENT_LOCK = "000001010000Z"  # ppolicy: locked until an administrator unlocks

# slapd's ppolicy messages (servers/slapd/overlays/ppolicy.c), in words for the person choosing
PPOLICY_WORDS = (
    (
        "too short",
        lazy_gettext("This password is too short for your organisation's rules. Please choose a longer one."),
    ),
    (
        "quality",
        lazy_gettext(
            "This password doesn't meet your organisation's password rules: it is too short or too "
            "simple. Please choose a longer one."
        ),
    ),
    ("history", lazy_gettext("You have used this password before. Please choose one you haven't used.")),
    (
        "too young",
        lazy_gettext(
            "This password was changed very recently. Please wait a while before changing it again."
        ),
    ),
    ("not being changed", lazy_gettext("That is the current password. Please choose a new one.")),
)


def ppolicy_words(message: str) -> str:
    lowered = message.lower()
    for clue, words in PPOLICY_WORDS:
        if clue in lowered:
            return words
    return GENERIC_REFUSAL


@dataclass(frozen=True)
class _Policy:
    lockout_seconds: int | None  # None: unknown; 0: until an administrator unlocks
    failure_interval_seconds: int = 0


class OpenLdap:
    """OpenLDAP: ids are entryUUIDs; locks and failures are ppolicy's operational attributes."""

    id_attribute = "entryUUID"
    default_user_filter = "(objectClass=inetOrgPerson)"
    needs_tls_for_passwords = False

    def __init__(self, base_dn: str) -> None:
        self.base_dn = base_dn

    def account_id(self, raw: Raw) -> str | None:
        value = text(raw, "entryUUID")
        found = _uuid(value) if value else None
        return str(found) if found else None

    def id_filter(self, account_id: str) -> str | None:
        found = _uuid(account_id)
        return f"(entryUUID={escape_filter_chars(str(found))})" if found else None

    def lock_attributes(self) -> list[str]:
        return ["pwdAccountLockedTime", "pwdFailureTime", "pwdPolicySubentry"]

    def lock_state(self, connection: Connection, raw: Raw) -> LockState:
        now = datetime.now(UTC)
        policy = self._policy(connection, text(raw, "pwdPolicySubentry"))
        failures = [generalized_time(v.decode()) for v in raw.get("pwdFailureTime") or ()]
        if policy.failure_interval_seconds:
            since = now - timedelta(seconds=policy.failure_interval_seconds)
            failures = [f for f in failures if f is None or f > since]
        locked_at = text(raw, "pwdAccountLockedTime")
        if locked_at is None:
            return LockState(locked=False, failures=len(failures))
        moment = generalized_time(locked_at)
        if locked_at.strip() == PERMANENT_LOCK or moment is None or not policy.lockout_seconds:
            return LockState(locked=True, until=None, failures=len(failures))
        until = moment + timedelta(seconds=policy.lockout_seconds)
        if until <= now:  # the lock has run out (ppolicy forgets it at the next bind)
            return LockState(locked=False, failures=len(failures))
        return LockState(locked=True, until=until, failures=len(failures))

    def _policy(self, connection: Connection, subentry: str | None) -> _Policy:
        """The entry's own policy (pwdPolicySubentry), else the one pwdPolicy entry under the base
        (the default policy is named in cn=config, which the service account cannot read)."""
        wanted = ["pwdLockoutDuration", "pwdFailureCountInterval"]
        if subentry:
            connection.search(subentry, "(objectClass=pwdPolicy)", BASE, attributes=wanted)
        else:
            connection.search(
                self.base_dn, "(objectClass=pwdPolicy)", SUBTREE, attributes=wanted, size_limit=2
            )
        entries = [r for r in connection.response or [] if r.get("type") == "searchResEntry"]
        if len(entries) != 1:
            return _Policy(lockout_seconds=None)
        raw = entries[0]["raw_attributes"]

        def number(name: str) -> int:
            value = text(raw, name)
            return int(value) if value and value.strip().isdigit() else 0

        return _Policy(number("pwdLockoutDuration"), number("pwdFailureCountInterval"))

    def unlock(self, connection: Connection, dn: str, raw: Raw) -> None:
        """Deleting pwdAccountLockedTime ends the lock, and ppolicy then forgets the failures too;
        failures without a lock are deleted under the Relax Rules control (they are the server's
        own attribute: the service account's `manage` right allows it)."""
        if raw.get("pwdAccountLockedTime"):
            connection.modify(dn, {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]})
        elif raw.get("pwdFailureTime"):
            connection.modify(
                dn, {"pwdFailureTime": [(MODIFY_DELETE, [])]}, controls=[(RELAX_RULES, True, None)]
            )
            code, message = result_of(connection)
            if code not in (0, NO_SUCH_ATTRIBUTE):  # no Relax Rules here: the failures stay
                log.warning("LDAP: could not forget failed sign-ins (result %s %s)", code, message)
            return
        else:
            return
        if result_of(connection)[0] == NO_SUCH_ATTRIBUTE:  # ended meanwhile (it ran out, a reset)
            return
        refuse_unexpected(connection, "unlock")

    def set_password(self, connection: Connection, dn: str, password: str) -> None:
        """RFC 3062 password modify, as the service account: slapd hashes it and applies ppolicy."""
        ModifyPassword(connection, dn, new_password=password).send()
        code, message = result_of(connection)
        if code == CONSTRAINT_VIOLATION:
            raise PasswordRefused(ppolicy_words(message))
        refuse_unexpected(connection, "password modify")


# -- Active Directory ----------------------------------------------------------------------------

UF_LOCKOUT = 0x10
UF_ACCOUNTDISABLE = 0x2  # userAccountControl: the account is disabled (only an administrator enables it)
NEVER = -0x8000000000000000  # lockoutDuration "until an administrator unlocks"
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

# AD's system error codes in its diagnostic messages (`0000052D: Constraint violation - ...`)
AD_WORDS = (
    (
        "too short",
        lazy_gettext("This password is too short for your organisation's rules. Please choose a longer one."),
    ),
    (
        "complexity",
        lazy_gettext(
            "This password isn't complex enough for your organisation's rules: mix upper and lower "
            "case letters, digits and symbols, and avoid your name."
        ),
    ),
    ("history", lazy_gettext("You have used this password before. Please choose one you haven't used.")),
    (
        "too young",
        lazy_gettext(
            "This password was changed very recently. Please wait a while before changing it again."
        ),
    ),
)
AD_RESTRICTION = lazy_gettext(
    "This password doesn't meet your organisation's password rules: it may be too short, not "
    "complex enough, or one you have used before. Please choose a different, longer one."
)


def ad_words(message: str) -> str | None:
    """Words for AD's refusal of a password, or None when the message is not a password refusal."""
    lowered = message.lower()
    if "0000052d" not in lowered and "password" not in lowered:
        return None
    for clue, words in AD_WORDS:
        if clue in lowered:
            return words
    return AD_RESTRICTION if "0000052d" in lowered else None


def filetime(value: int) -> datetime:
    return FILETIME_EPOCH + timedelta(microseconds=value // 10)


class ActiveDirectory:
    """Active Directory (and Samba AD): ids are objectGUIDs in their string form; the lock is
    lockoutTime with the domain's lockoutDuration; passwords are set through unicodePwd."""

    id_attribute = "objectGUID"
    default_user_filter = "(objectClass=user)"
    needs_tls_for_passwords = True

    def __init__(self, base_dn: str) -> None:
        self.base_dn = base_dn

    def account_id(self, raw: Raw) -> str | None:
        value = first(raw, "objectGUID")
        if value is None or len(value) != 16:
            return None
        return str(uuid.UUID(bytes_le=bytes(value)))

    def id_filter(self, account_id: str) -> str | None:
        found = _uuid(account_id)
        return f"(objectGUID={escape_bytes(found.bytes_le)})" if found else None

    def lock_attributes(self) -> list[str]:
        return ["msDS-User-Account-Control-Computed", "userAccountControl", "lockoutTime", "badPwdCount"]

    def lock_state(self, connection: Connection, raw: Raw) -> LockState:
        def number(name: str) -> int:
            value = text(raw, name)
            try:
                return int(value) if value else 0
            except ValueError:
                return 0

        failures = number("badPwdCount")
        if number("userAccountControl") & UF_ACCOUNTDISABLE:
            return LockState(locked=True, until=None, failures=failures)  # disabled: no unlock ends it
        if not number("msDS-User-Account-Control-Computed") & UF_LOCKOUT:
            return LockState(locked=False, failures=failures)
        duration = self._lockout_duration(connection)
        locked_at = number("lockoutTime")
        if duration is None or not locked_at:
            return LockState(locked=True, until=None, failures=failures)
        return LockState(locked=True, until=filetime(locked_at) + duration, failures=failures)

    def _lockout_duration(self, connection: Connection) -> timedelta | None:
        """The domain's lockoutDuration (a negative count of 100 ns), None for "until unlocked"."""
        connection.search("", "(objectClass=*)", BASE, attributes=["defaultNamingContext"])
        entries = [r for r in connection.response or [] if r.get("type") == "searchResEntry"]
        domain = (
            text(entries[0]["raw_attributes"], "defaultNamingContext") if entries else None
        ) or self.base_dn
        connection.search(domain, "(objectClass=*)", BASE, attributes=["lockoutDuration"])
        entries = [r for r in connection.response or [] if r.get("type") == "searchResEntry"]
        value = text(entries[0]["raw_attributes"], "lockoutDuration") if entries else None
        try:
            duration = int(value) if value else 0
        except ValueError:
            return None
        if duration in (0, NEVER):
            return None
        return timedelta(microseconds=abs(duration) // 10)

    def unlock(self, connection: Connection, dn: str, raw: Raw) -> None:
        """lockoutTime 0 ends the lock and, in AD, resets badPwdCount."""
        connection.modify(dn, {"lockoutTime": [(MODIFY_REPLACE, ["0"])]})
        refuse_unexpected(connection, "unlock")

    def set_password(self, connection: Connection, dn: str, password: str) -> None:
        """An administrator's reset: unicodePwd is the password in double quotes, UTF-16LE (AD
        accepts it only over TLS); AD applies the domain's password policy."""
        encoded = f'"{password}"'.encode("utf-16-le")
        connection.modify(dn, {"unicodePwd": [(MODIFY_REPLACE, [encoded])]})
        code, message = result_of(connection)
        if code in (CONSTRAINT_VIOLATION, UNWILLING_TO_PERFORM):
            words = ad_words(message)
            if words is not None:
                raise PasswordRefused(words)
        refuse_unexpected(connection, "unicodePwd modify")
