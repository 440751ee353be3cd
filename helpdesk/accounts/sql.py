"""The embedded account directory, on the project's own SQL tables."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Account, SignInEvent, SignInSession, utcnow
from .directory import AccountExists, AccountRecord, SessionRecord, SignInRecord, normalise_email
from .passwords import hash_password, needs_rehash, verify_password

SESSION_TOUCH = timedelta(minutes=5)  # how stale last_seen_at may get before it is written


def _record(row: Account) -> AccountRecord:
    return AccountRecord(
        id=row.id,
        email=row.email,
        failed_count=row.failed_count,
        locked_until=row.locked_until,
        password_changed_at=row.password_changed_at,
    )


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class SqlAccountDirectory:
    def find(self, email: str) -> AccountRecord | None:
        row = db.session.scalar(select(Account).where(Account.email == normalise_email(email)))
        return _record(row) if row else None

    def get(self, account_id: int) -> AccountRecord | None:
        row = db.session.get(Account, account_id)
        return _record(row) if row else None

    def create(self, email: str, password: str) -> AccountRecord:
        row = Account(email=normalise_email(email), password_hash=hash_password(password))
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            raise AccountExists(email) from exc
        return _record(row)

    def check_password(self, account_id: int, password: str) -> bool:
        stored = db.session.scalar(select(Account.password_hash).where(Account.id == account_id))
        if stored is None or not verify_password(stored, password):
            return False
        if needs_rehash(stored):  # parameters changed since: upgrade the hash transparently
            db.session.execute(
                update(Account)
                .where(Account.id == account_id, Account.password_hash == stored)
                .values(password_hash=hash_password(password))
            )
            db.session.commit()
        return True

    def set_password(self, account_id: int, password: str) -> None:
        db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(
                password_hash=hash_password(password),
                password_changed_at=utcnow(),
                failed_count=0,
                locked_until=None,
            )
        )
        db.session.commit()
        self.end_sessions(account_id)

    def record_failure(self, account_id: int) -> int:
        count = db.session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(failed_count=Account.failed_count + 1)
            .returning(Account.failed_count)
        ).scalar_one()
        db.session.commit()
        return count

    def lock(self, account_id: int, until: datetime | None, failures: int) -> bool:
        result = db.session.execute(
            update(Account)
            .where(Account.id == account_id, Account.failed_count == failures)
            .values(locked_until=until)
        )
        db.session.commit()
        return result.rowcount == 1

    def clear_failures(self, account_id: int) -> None:
        db.session.execute(
            update(Account).where(Account.id == account_id).values(failed_count=0, locked_until=None)
        )
        db.session.commit()

    def record_sign_in(self, account_id: int, result: str, ip: str, device: str) -> None:
        db.session.add(SignInEvent(account_id=account_id, result=result, ip=ip, device=device))
        db.session.commit()

    def sign_ins(self, account_id: int, limit: int = 20) -> list[SignInRecord]:
        rows = db.session.scalars(
            select(SignInEvent)
            .where(SignInEvent.account_id == account_id)
            .order_by(SignInEvent.id.desc())
            .limit(limit)
        )
        return [SignInRecord(at=r.at, ip=r.ip, device=r.device, result=r.result) for r in rows]

    def start_session(self, account_id: int, ip: str, device: str) -> str:
        raw = secrets.token_urlsafe(32)
        db.session.add(
            SignInSession(account_id=account_id, token_hash=_hash_token(raw), ip=ip, device=device)
        )
        db.session.commit()
        return raw

    def session_account(self, token: str) -> tuple[AccountRecord, int] | None:
        found = db.session.execute(
            select(SignInSession, Account)
            .join(Account, Account.id == SignInSession.account_id)
            .where(SignInSession.token_hash == _hash_token(token), SignInSession.ended_at.is_(None))
        ).first()
        if found is None:
            return None
        session_row, account = found
        now = utcnow()
        if now - session_row.last_seen_at > SESSION_TOUCH:
            session_row.last_seen_at = now
            db.session.commit()
        return _record(account), session_row.id

    def end_session(self, token: str) -> None:
        db.session.execute(
            update(SignInSession)
            .where(SignInSession.token_hash == _hash_token(token), SignInSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        db.session.commit()

    def end_sessions(self, account_id: int, keep_token: str | None = None) -> int:
        query = update(SignInSession).where(
            SignInSession.account_id == account_id, SignInSession.ended_at.is_(None)
        )
        if keep_token:
            query = query.where(SignInSession.token_hash != _hash_token(keep_token))
        result = db.session.execute(query.values(ended_at=utcnow()))
        db.session.commit()
        return result.rowcount

    def sessions(self, account_id: int) -> list[SessionRecord]:
        rows = db.session.scalars(
            select(SignInSession)
            .where(SignInSession.account_id == account_id, SignInSession.ended_at.is_(None))
            .order_by(SignInSession.last_seen_at.desc())
        )
        return [
            SessionRecord(
                id=r.id, device=r.device, ip=r.ip, created_at=r.created_at, last_seen_at=r.last_seen_at
            )
            for r in rows
        ]
