"""The help center's own account store on its SQL tables (`SqlAccountStore`), and the embedded
directory (`SqlAccountDirectory`: the organisation's directory and the store on one table).

The only code that writes the account tables (tests/unit/test_boundary.py holds every other
module to that)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..config import settings
from ..extensions import db, rowcount
from ..keys import Purpose, keyring
from ..models import Account, AccountToken, Device, RecoveryCode, SignInEvent, SignInSession, utcnow
from .directory import (
    FAILED_SIGN_IN_RESULTS,
    AccountExists,
    AccountRecord,
    DeviceRecord,
    SessionLimits,
    SessionLookup,
    SessionRecord,
    SessionState,
    SignInRecord,
    normalise_email,
)
from .lockout import LockPolicy
from .org_directory import (
    Capability,
    DirectoryAccount,
    DirectoryUnavailable,
    LockState,
    OrgDirectory,
    PasswordRefused,
)
from .passwords import Pepper, hash_password, needs_rehash, verify_password
from .totp import SecretBox

# how stale last_seen_at may get before it is written: lookups (every request) seldom write, and
# an idle sign-out comes at most this much early
SESSION_TOUCH = timedelta(minutes=1)
SHADOW_FRESH = timedelta(minutes=5)  # how long a shadow row's address is trusted before asking again
SHADOW_RETRY = timedelta(seconds=30)  # after the directory failed to answer, ask again this soon
SHADOW_REMEMBERED = 10_000  # how many accounts' last questions a process keeps
log = logging.getLogger(__name__)


def _record(row: Account) -> AccountRecord:
    return AccountRecord(
        id=row.id,
        email=row.email,
        failed_count=row.failed_count,
        locked_until=row.locked_until,
        password_changed_at=row.password_changed_at,
        totp_enabled_at=row.totp_enabled_at,
        totp_offset=row.totp_offset,
        role=row.role,
        must_enrol_2fa=row.must_enrol_2fa,
        password_weak=row.password_weak,
        password_from_recovery=row.password_from_recovery,
        failures_reviewed_at=row.failures_reviewed_at,
        lock_level=row.lock_level,
        last_locked_at=row.last_locked_at,
    )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _device_hash(account_id: str, token: str) -> str:
    # one browser may be remembered by several accounts (the column is unique), and the table
    # doesn't tell which accounts share a browser
    return _hash_token(f"device:{account_id}:{token}")


class SqlAccountStore:
    """The help center's own store. With *org* (a directory other than the embedded one) an
    account is a shadow row keyed by the directory's id, made the first time it is seen."""

    def __init__(self, org: OrgDirectory | None = None) -> None:
        self._org = org
        self._asked: dict[str, datetime] = {}  # shadow row id -> when the directory was last asked

    @property
    def keeps_locks(self) -> bool:
        return self._org is None

    @property
    def _box(self) -> SecretBox:
        return SecretBox(keyring())  # the keyring as it is now: a rotation reaches running processes

    @staticmethod
    def _pepper() -> Pepper:
        ring = keyring()
        return Pepper(ring.current, ring.derive(Purpose.PASSWORDS))

    @staticmethod
    def _pepper_of(version: str) -> bytes | None:
        ring = keyring()
        return ring.derive(Purpose.PASSWORDS, version) if ring.has(version) else None

    def find(self, email: str) -> AccountRecord | None:
        if self._org is not None:
            found = self._org.find(email)
            return self._shadow(found) if found is not None else None
        row = db.session.scalar(select(Account).where(Account.email == normalise_email(email)))
        return _record(row) if row else None

    def get(self, account_id: str) -> AccountRecord | None:
        row = db.session.get(Account, account_id)
        if self._org is None:
            return _record(row) if row else None
        if row is not None and not self._ask_again(account_id):
            return _record(row)
        try:
            found = self._org.get(account_id)
        except DirectoryUnavailable:
            if row is None:
                raise
            # the address as last seen: a page or a notice still works while the directory is down
            log.warning("directory unreachable: account %s keeps its last-seen address", account_id)
            self._asked[account_id] = utcnow() - SHADOW_FRESH + SHADOW_RETRY  # not every call waits
            return _record(row)
        if found is None:  # gone from the directory: no account, however long the row stays
            self._asked.pop(account_id, None)
            return None
        self._asked[account_id] = utcnow()
        return self._shadow(found)

    def _ask_again(self, account_id: str) -> bool:
        """A shadow row's address is the directory's as of at most SHADOW_FRESH ago: an address
        changed in the directory reaches the security mail within minutes, not at the next sign-in."""
        asked = self._asked.get(account_id)
        if asked is not None and utcnow() - asked < SHADOW_FRESH:
            return False
        if len(self._asked) >= SHADOW_REMEMBERED:
            self._asked.clear()  # bounded: one more question to the directory for each, at worst
        return True

    def _shadow(self, found: DirectoryAccount) -> AccountRecord:
        """The shadow row of a directory account, made on first sight; its address kept as the
        directory has it now (an address that moved to another entry leaves the old row)."""
        email = normalise_email(found.email)
        row = db.session.get(Account, found.id)
        if row is not None and row.email == email:
            return _record(row)
        db.session.execute(  # the address moved: the row that had it keeps only a placeholder
            update(Account)
            .where(Account.email == email, Account.id != found.id)
            .values(email=f"{secrets.token_hex(8)}@moved.invalid")
        )
        if row is None:
            db.session.add(Account(id=found.id, email=email, password_hash=None))
        else:
            row.email = email
        try:
            db.session.commit()
        except IntegrityError:  # made meanwhile by another request
            db.session.rollback()
        row = db.session.get(Account, found.id)
        if row is None:
            raise LookupError(found.id)
        return _record(row)

    def create(self, email: str, password: str) -> AccountRecord:
        row = Account(email=normalise_email(email), password_hash=hash_password(password, self._pepper()))
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            raise AccountExists(email) from exc
        return _record(row)

    def record_failure(self, account_id: str) -> int:
        count = db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(failed_count=Account.failed_count + 1)
            .returning(Account.failed_count)
        ).scalar_one()
        db.session.commit()
        return count

    def lock(
        self,
        account_id: str,
        until: datetime | None,
        failures: int,
        level: int | None = None,
        seen_level: int | None = None,
    ) -> bool:
        # the count may have moved on (a parallel guess counted meanwhile): the lock still
        # stands, unless the count was cleared since or a later count's lock was written first
        query = update(Account).where(
            Account.id == account_id,
            Account.failed_count >= failures,
            or_(Account.lock_failures.is_(None), Account.lock_failures < failures),
        )
        values: dict[str, object] = {
            "locked_until": until,
            "lock_failures": failures,
            "last_locked_at": utcnow(),
        }
        if level is not None:
            values["lock_level"] = level
        if seen_level is not None:  # the level the length was worked out from is still the level
            query = query.where(Account.lock_level == seen_level)
        result = db.session.execute(query.values(**values))
        db.session.commit()
        return rowcount(result) == 1

    def clear_failures(self, account_id: str) -> None:
        db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(failed_count=0, locked_until=None, lock_failures=None)
        )
        db.session.commit()

    def record_sign_in(self, account_id: str, result: str, ip: str, device: str) -> None:
        db.session.add(SignInEvent(account_id=account_id, result=result, ip=ip, device=device))
        db.session.commit()

    def sign_ins(self, account_id: str, limit: int = 20) -> list[SignInRecord]:
        rows = db.session.scalars(
            select(SignInEvent)
            .where(SignInEvent.account_id == account_id)
            .order_by(SignInEvent.id.desc())
            .limit(limit)
        )
        return [SignInRecord(at=r.at, ip=r.ip, device=r.device, result=r.result) for r in rows]

    def failed_sign_ins(self, account_id: str, since: datetime, limit: int = 500) -> list[SignInRecord]:
        rows = db.session.scalars(
            select(SignInEvent)
            .where(
                SignInEvent.account_id == account_id,
                SignInEvent.at > since,
                SignInEvent.result.in_(FAILED_SIGN_IN_RESULTS),
            )
            .order_by(SignInEvent.id.desc())
            .limit(limit)  # a flood of guesses is summed up by its newest entries
        )
        return [SignInRecord(at=r.at, ip=r.ip, device=r.device, result=r.result) for r in rows]

    def mark_failures_reviewed(self, account_id: str, through: datetime) -> None:
        db.session.execute(
            update(Account)
            .where(
                Account.id == account_id,
                or_(Account.failures_reviewed_at.is_(None), Account.failures_reviewed_at < through),
            )
            .values(failures_reviewed_at=through)
        )
        db.session.commit()

    def note_password(self, account_id: str, *, weak: bool, from_recovery: bool | None = None) -> None:
        values = {"password_weak": weak}
        if from_recovery is not None:
            values["password_from_recovery"] = from_recovery
        db.session.execute(update(Account).where(Account.id == account_id).values(**values))
        db.session.commit()

    def start_session(self, account_id: str, ip: str, device: str, device_id: int | None = None) -> str:
        raw = secrets.token_urlsafe(32)
        db.session.add(
            SignInSession(
                account_id=account_id, token_hash=_hash_token(raw), ip=ip, device=device, device_id=device_id
            )
        )
        db.session.commit()
        return raw

    def session_account(self, token: str) -> tuple[AccountRecord, int] | None:
        found = self.look_up_session(token, SessionLimits.of(settings()))
        if not found.signed_in or found.account is None or found.session_id is None:
            return None
        return found.account, found.session_id

    def look_up_session(self, token: str, limits: SessionLimits) -> SessionLookup:
        found = db.session.execute(
            select(SignInSession, Account)
            .join(Account, Account.id == SignInSession.account_id)
            .where(SignInSession.token_hash == _hash_token(token), SignInSession.ended_at.is_(None))
        ).first()
        if found is None:
            return SessionLookup(SessionState.ENDED)
        session_row, account = found
        now = utcnow()
        state = limits.state(session_row.created_at, session_row.last_seen_at, account.role, now)
        if state is not SessionState.LIVE:
            # ended in the row, so every worker sees it; only one request wins the update
            ended = db.session.execute(
                update(SignInSession)
                .where(SignInSession.id == session_row.id, SignInSession.ended_at.is_(None))
                .values(ended_at=now)
            )
            db.session.commit()
            return SessionLookup(state, _record(account), session_row.id, ended_now=rowcount(ended) == 1)
        if now - session_row.last_seen_at > SESSION_TOUCH:
            session_row.last_seen_at = now
            db.session.commit()
        return SessionLookup(state, _record(account), session_row.id)

    def end_expired_sessions(self, account_id: str, limits: SessionLimits) -> list[SessionLookup]:
        now = utcnow()
        rows = db.session.execute(
            select(SignInSession, Account)
            .join(Account, Account.id == SignInSession.account_id)
            .where(SignInSession.account_id == account_id, SignInSession.ended_at.is_(None))
        ).all()
        expired: list[SessionLookup] = []
        for session_row, account in rows:
            state = limits.state(session_row.created_at, session_row.last_seen_at, account.role, now)
            if state is SessionState.LIVE:
                continue
            ended = db.session.execute(
                update(SignInSession)
                .where(SignInSession.id == session_row.id, SignInSession.ended_at.is_(None))
                .values(ended_at=now)
            )
            if rowcount(ended) == 1:
                expired.append(SessionLookup(state, _record(account), session_row.id, ended_now=True))
        db.session.commit()
        return expired

    def end_session(self, token: str) -> None:
        db.session.execute(
            update(SignInSession)
            .where(SignInSession.token_hash == _hash_token(token), SignInSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        db.session.commit()

    def end_sessions(self, account_id: str, keep_token: str | None = None) -> int:
        query = update(SignInSession).where(
            SignInSession.account_id == account_id, SignInSession.ended_at.is_(None)
        )
        if keep_token:
            query = query.where(SignInSession.token_hash != _hash_token(keep_token))
        result = db.session.execute(query.values(ended_at=utcnow()))
        db.session.commit()
        return rowcount(result)

    def mark_reauthenticated(self, session_id: int, at: datetime) -> None:
        db.session.execute(
            update(SignInSession).where(SignInSession.id == session_id).values(reauthenticated_at=at)
        )
        db.session.commit()

    def reauthenticated_at(self, session_id: int) -> datetime | None:
        return db.session.scalar(
            select(SignInSession.reauthenticated_at).where(
                SignInSession.id == session_id, SignInSession.ended_at.is_(None)
            )
        )

    def sessions(self, account_id: str) -> list[SessionRecord]:
        limits = SessionLimits.of(settings())
        role = db.session.scalar(select(Account.role).where(Account.id == account_id))
        now = utcnow()
        rows = [
            r
            for r in db.session.scalars(
                select(SignInSession)
                .where(SignInSession.account_id == account_id, SignInSession.ended_at.is_(None))
                .order_by(SignInSession.last_seen_at.desc())
            )
            # past a limit: no longer signed in, though not yet ended (a read writes nothing)
            if limits.state(r.created_at, r.last_seen_at, role, now) is SessionState.LIVE
        ]
        return [
            SessionRecord(
                id=r.id,
                device=r.device,
                ip=r.ip,
                created_at=r.created_at,
                last_seen_at=r.last_seen_at,
                device_id=r.device_id,
            )
            for r in rows
        ]

    # two-factor

    def totp_secret(self, account_id: str) -> str | None:
        sealed = db.session.scalar(select(Account.totp_secret).where(Account.id == account_id))
        return self._box.open(sealed) if sealed else None

    def enable_totp(self, account_id: str, secret: str, accepted_step: int) -> None:
        db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(
                totp_secret=self._box.seal(secret),
                totp_enabled_at=utcnow(),
                totp_offset=0,
                totp_last_step=accepted_step,
                must_enrol_2fa=False,
            )
        )
        db.session.commit()

    def disable_totp(self, account_id: str) -> None:
        db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(totp_secret=None, totp_enabled_at=None, totp_offset=0, totp_last_step=None)
        )
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
        db.session.commit()

    def accept_totp_step(self, account_id: str, step: int, offset: int | None = None) -> bool:
        values: dict[str, int] = {"totp_last_step": step}
        later = Account.totp_last_step < step
        if offset is not None:
            values["totp_offset"] = offset
            # a new offset: compare on the server's clock, each step with the offset it was taken
            # at (a phone measured slow shows steps "before" the last one, yet later in time)
            later = Account.totp_last_step - Account.totp_offset < step - offset
        result = db.session.execute(
            update(Account)
            .where(Account.id == account_id, or_(Account.totp_last_step.is_(None), later))
            .values(**values)
        )
        db.session.commit()
        return rowcount(result) == 1

    def replace_recovery_codes(self, account_id: str, code_hashes: list[str]) -> None:
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
        db.session.add_all(RecoveryCode(account_id=account_id, code_hash=h) for h in code_hashes)
        db.session.commit()

    def use_recovery_code(self, account_id: str, code_hash: str) -> bool:
        result = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.account_id == account_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        db.session.commit()
        return rowcount(result) == 1

    def unused_recovery_codes(self, account_id: str) -> list[str]:
        return list(
            db.session.scalars(
                select(RecoveryCode.code_hash)
                .where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
                .order_by(RecoveryCode.id)
            )
        )

    def reseal_totp_secrets(self) -> int:
        """Seal every authenticator key anew under the current key version; returns how many
        changed. A key changed meanwhile (re-enrolled, turned off) is left to its new value."""
        box, resealed = self._box, 0
        for account_id, sealed in db.session.execute(
            select(Account.id, Account.totp_secret).where(Account.totp_secret.is_not(None))
        ).all():
            if box.is_current(sealed):
                continue
            secret = box.open(sealed)
            if secret is None:
                continue  # sealed under a key the keyring no longer has: nothing to do but leave it
            result = db.session.execute(
                update(Account)
                .where(Account.id == account_id, Account.totp_secret == sealed)
                .values(totp_secret=box.seal(secret))
            )
            resealed += rowcount(result)
        db.session.commit()
        return resealed

    def recovery_codes_left(self, account_id: str) -> int:
        return (
            db.session.scalar(
                select(func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
            )
            or 0
        )

    def forget_account(self, account_id: str) -> None:
        for table in (SignInEvent, SignInSession, AccountToken, RecoveryCode, Device):
            db.session.execute(delete(table).where(table.account_id == account_id))
        db.session.execute(delete(Account).where(Account.id == account_id))
        db.session.commit()

    def has_password(self, account_id: str) -> bool:
        if self._org is not None:
            return True  # an account of the organisation's directory: its password lives there
        stored = db.session.scalar(select(Account.password_hash).where(Account.id == account_id))
        return bool(stored)

    def require_two_factor(self, account_id: str) -> None:
        db.session.execute(update(Account).where(Account.id == account_id).values(must_enrol_2fa=True))
        db.session.commit()

    # staff

    def set_role(self, account_id: str, role: str | None) -> None:
        db.session.execute(update(Account).where(Account.id == account_id).values(role=role))
        db.session.commit()

    # devices

    def remember_device(self, account_id: str, token: str, summary: str) -> tuple[int, bool]:
        token_hash = _device_hash(account_id, token)
        row = self._live_device(account_id, token_hash)
        if row is None:  # remembered before keys were kept per account? re-key it where it is
            db.session.execute(
                update(Device)
                .where(Device.account_id == account_id, Device.token_hash == _hash_token(token))
                .values(token_hash=token_hash)
            )
            row = self._live_device(account_id, token_hash)
        if row is not None:
            row.last_seen_at = utcnow()
            row.summary = summary
            db.session.commit()
            return row.id, False
        # removed or forgotten, then back with the same cookie: a device not seen before (its
        # token stays unique, so the old row comes back; the database decides between two tries)
        now = utcnow()
        revived = db.session.execute(
            update(Device)
            .where(
                Device.account_id == account_id,
                Device.token_hash == token_hash,
                Device.removed_at.is_not(None),
            )
            .values(removed_at=None, confirmed_at=None, first_seen_at=now, last_seen_at=now, summary=summary)
            .returning(Device.id)
        ).scalar_one_or_none()
        db.session.commit()
        if revived is not None:
            return revived, True
        row = Device(account_id=account_id, token_hash=token_hash, summary=summary)
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            live = self._live_device(account_id, token_hash)
            if live is None:
                raise
            return live.id, False  # a concurrent sign-in of this browser remembered it first
        return row.id, True

    def _live_device(self, account_id: str, token_hash: str) -> Device | None:
        return db.session.scalar(
            select(Device).where(
                Device.account_id == account_id, Device.token_hash == token_hash, Device.removed_at.is_(None)
            )
        )

    def devices(self, account_id: str) -> list[DeviceRecord]:
        rows = db.session.scalars(
            select(Device)
            .where(Device.account_id == account_id, Device.removed_at.is_(None))
            .order_by(Device.last_seen_at.desc())
        )
        return [
            DeviceRecord(
                id=r.id,
                summary=r.summary,
                first_seen_at=r.first_seen_at,
                last_seen_at=r.last_seen_at,
                confirmed_at=r.confirmed_at,
            )
            for r in rows
        ]

    def remove_device(self, account_id: str, device_id: int) -> bool:
        now = utcnow()
        result = db.session.execute(
            update(Device)
            .where(Device.id == device_id, Device.account_id == account_id, Device.removed_at.is_(None))
            .values(removed_at=now)
        )
        removed = rowcount(result) == 1
        if removed:  # only the caller's own device, and only that account's sessions on it
            db.session.execute(
                update(SignInSession)
                .where(
                    SignInSession.device_id == device_id,
                    SignInSession.account_id == account_id,
                    SignInSession.ended_at.is_(None),
                )
                .values(ended_at=now)
            )
        db.session.commit()
        return removed

    def confirm_device(self, account_id: str, device_id: int) -> bool:
        result = db.session.execute(
            update(Device)
            .where(Device.id == device_id, Device.account_id == account_id, Device.removed_at.is_(None))
            .values(confirmed_at=utcnow())
        )
        db.session.commit()
        return rowcount(result) == 1

    def forget_unconfirmed_devices(self, account_id: str, keep_device_id: int | None = None) -> int:
        query = update(Device).where(
            Device.account_id == account_id, Device.removed_at.is_(None), Device.confirmed_at.is_(None)
        )
        if keep_device_id is not None:
            query = query.where(Device.id != keep_device_id)
        result = db.session.execute(query.values(removed_at=utcnow()))
        db.session.commit()
        return rowcount(result)

    def confirmed_device(self, account_id: str, token: str) -> int | None:
        if not token:
            return None
        return db.session.scalar(
            select(Device.id).where(
                Device.account_id == account_id,
                Device.token_hash.in_((_device_hash(account_id, token), _hash_token(token))),
                Device.removed_at.is_(None),
                Device.confirmed_at.is_not(None),
            )
        )

    def forget_device_confirmations(self, account_id: str) -> None:
        db.session.execute(
            update(Device)
            .where(Device.account_id == account_id, Device.confirmed_at.is_not(None))
            .values(confirmed_at=None)
        )
        db.session.commit()

    def forget_before(self, cutoff: datetime) -> dict[str, int]:
        history = db.session.execute(delete(SignInEvent).where(SignInEvent.at < cutoff))
        ended = db.session.execute(
            delete(SignInSession).where(SignInSession.ended_at.is_not(None), SignInSession.ended_at < cutoff)
        )
        # a removed device's sessions ended with it; none still points at a row older than this
        still_used = select(SignInSession.device_id).where(SignInSession.device_id.is_not(None))
        removed = db.session.execute(
            delete(Device).where(
                Device.removed_at.is_not(None), Device.removed_at < cutoff, Device.id.not_in(still_used)
            )
        )
        db.session.commit()
        return {
            "sign-in history": rowcount(history),
            "ended sign-ins": rowcount(ended),
            "removed devices": rowcount(removed),
        }


class SqlAccountDirectory(SqlAccountStore):
    """The embedded directory: the organisation's part of an account (address, password, lock)
    on the same row as what the help center keeps; the lock is the help center's own escalation
    (`accounts/signin.py`), read back here as the directory's lock state."""

    capabilities: frozenset[Capability] = frozenset(Capability)

    def __init__(self) -> None:
        super().__init__(None)

    def check_password(self, account_id: str, password: str) -> bool:
        stored = db.session.scalar(select(Account.password_hash).where(Account.id == account_id))
        if stored is None or not verify_password(stored, password, self._pepper_of):
            return False
        pepper = self._pepper()
        if needs_rehash(stored, pepper.version):  # parameters or pepper changed: upgrade transparently
            db.session.execute(
                update(Account)
                .where(Account.id == account_id, Account.password_hash == stored)
                .values(password_hash=hash_password(password, pepper))
            )
            db.session.commit()
        return True

    def set_password(self, account_id: str, password: str) -> None:
        """Also clears any lock and failure count, and ends every session."""
        changed = db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(
                password_hash=hash_password(password, self._pepper()),
                password_changed_at=utcnow(),
                failed_count=0,
                locked_until=None,
                lock_failures=None,
            )
        )
        if not rowcount(changed):  # nothing was changed: the caller's transaction ends as it will
            raise PasswordRefused(
                lazy_gettext("This account no longer exists, so its password cannot be set.")
            )
        db.session.commit()
        self.end_sessions(account_id)

    def lock_state(self, account_id: str) -> LockState:
        row = db.session.get(Account, account_id)
        if row is None:
            return LockState(False)
        lock_policy = LockPolicy.from_settings(settings())
        if not lock_policy.is_locked(row.failed_count, row.locked_until, utcnow()):
            return LockState(False, failures=row.failed_count)
        until = None if lock_policy.needs_unlock(row.failed_count) else row.locked_until
        return LockState(True, until=until, failures=row.failed_count)

    def unlock(self, account_id: str) -> None:
        self.clear_failures(account_id)

    def ping(self) -> None:
        try:  # the accounts table answers (a plain SELECT 1 is the database's own health check)
            db.session.execute(select(Account.id).limit(1))
        except SQLAlchemyError as exc:
            db.session.rollback()
            raise DirectoryUnavailable(type(exc).__name__) from exc


def store_for(org: OrgDirectory) -> SqlAccountStore:
    """The help center's store for the directory *org*: the embedded directory is its own store;
    any other gets shadow rows."""
    return org if isinstance(org, SqlAccountStore) else SqlAccountStore(org)
