"""Reset and unlock links: random tokens stored only as hashes, single-use and short-lived."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from sqlalchemy import delete, select, update

from ..extensions import db, rowcount
from ..models import AccountToken, utcnow

Purpose = Literal["reset", "unlock"]


class TokenStatus(StrEnum):
    """What a link token is now (or, after `use_token`, whether this use went through)."""

    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a newer link of the same purpose was sent, or the password changed
    SPENT = "spent"  # too many wrong codes were typed with it
    UNKNOWN = "unknown"  # no such token: mistyped, cut short, or never ours


WRONG_CODES_PER_LINK = 5  # then the link is dead: guessing codes needs a new mail each time


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenCheck:
    status: TokenStatus
    account_id: str | None = None
    created_at: datetime | None = None


def issue_token(account_id: str, purpose: Purpose, lifetime: timedelta) -> str:
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


def supersede_tokens(account_id: str, purpose: Purpose | None = None) -> None:
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
        return TokenCheck(TokenStatus.UNKNOWN)
    if row.used_at is not None:
        status = TokenStatus.USED
    elif row.wrong_codes >= WRONG_CODES_PER_LINK:
        status = TokenStatus.SPENT
    elif row.superseded_at is not None:
        status = TokenStatus.SUPERSEDED
    elif row.expires_at <= utcnow():
        status = TokenStatus.EXPIRED
    else:
        status = TokenStatus.VALID
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
            AccountToken.wrong_codes < WRONG_CODES_PER_LINK,
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
    )
    db.session.commit()
    if rowcount(result) == 1:
        checked = check_token(raw, purpose)
        return TokenCheck(TokenStatus.VALID, checked.account_id, checked.created_at)
    return check_token(raw, purpose)


def count_wrong_code(raw: str, purpose: Purpose) -> bool:
    """One more wrong code typed with this link; True when that spent it (the cap was reached)."""
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.token_hash == token_hash(raw or ""), AccountToken.purpose == purpose)
        .values(wrong_codes=AccountToken.wrong_codes + 1)
    )
    db.session.commit()
    return check_token(raw, purpose).status is TokenStatus.SPENT


def forget_before(cutoff: datetime) -> int:
    """Delete links that expired before *cutoff* (used, superseded or never used alike): a dead
    link's row only says someone asked for one (the records retention)."""
    result = db.session.execute(delete(AccountToken).where(AccountToken.expires_at < cutoff))
    db.session.commit()
    return rowcount(result)
