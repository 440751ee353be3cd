"""Reset and unlock links: random tokens stored only as hashes, single-use and short-lived."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update

from ..extensions import db
from ..models import AccountToken, utcnow

Purpose = Literal["reset", "unlock"]
Status = Literal["valid", "used", "expired", "superseded", "unknown"]


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenCheck:
    status: Status
    account_id: int | None = None
    created_at: datetime | None = None


def issue_token(account_id: int, purpose: Purpose, lifetime: timedelta) -> str:
    """A new link token (256 bits); older unused ones of the same purpose stop working."""
    supersede_tokens(account_id, purpose)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        AccountToken(
            account_id=account_id,
            purpose=purpose,
            token_hash=token_hash(raw),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.commit()
    return raw


def supersede_tokens(account_id: int, purpose: Purpose | None = None) -> None:
    query = update(AccountToken).where(
        AccountToken.account_id == account_id,
        AccountToken.used_at.is_(None),
        AccountToken.superseded_at.is_(None),
    )
    if purpose is not None:
        query = query.where(AccountToken.purpose == purpose)
    db.session.execute(query.values(superseded_at=utcnow()))
    db.session.commit()


def check_token(raw: str, purpose: Purpose) -> TokenCheck:
    """What a token is now, without using it."""
    row = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(raw or ""), AccountToken.purpose == purpose
        )
    )
    if row is None:
        return TokenCheck("unknown")
    if row.used_at is not None:
        status: Status = "used"
    elif row.superseded_at is not None:
        status = "superseded"
    elif row.expires_at <= utcnow():
        status = "expired"
    else:
        status = "valid"
    return TokenCheck(status, row.account_id, row.created_at)


def use_token(raw: str, purpose: Purpose) -> TokenCheck:
    """Use a token once: of two concurrent uses, the database lets exactly one through."""
    now = utcnow()
    result = db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == token_hash(raw or ""),
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.superseded_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
    )
    db.session.commit()
    if result.rowcount == 1:
        checked = check_token(raw, purpose)
        return TokenCheck("valid", checked.account_id, checked.created_at)
    return check_token(raw, purpose)
