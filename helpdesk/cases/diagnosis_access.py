"""Who may read and move a diagnosis without a browser session: whoever holds its bearer token.

The token is random (256 bits), handed out once when the diagnosis starts and stored only as
its hash. A diagnosis handed over to another flow passes the same token on to the new one, so a
client keeps one token for the whole conversation.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from ..accounts.tokens import token_hash
from ..extensions import db
from ..models import Diagnosis, utcnow
from .diagnoses import DiagnosisError
from .reference import normalise_reference

# a diagnosis lasts this long after its last answer, as long as a browser remembers it
LIFETIME = timedelta(days=30)
UNKNOWN = "0" * 64  # no token hashes to this: what an unknown reference is compared with


class TokenRefused(DiagnosisError):
    """No diagnosis with that reference opens with that token. An unknown reference and a known
    one with another token are refused alike, so references can't be probed."""


class DiagnosisExpired(DiagnosisError):
    """The diagnosis opened, but nothing was answered in it for longer than LIFETIME."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


def issue_token(diagnosis: Diagnosis) -> str:
    """A new token for *diagnosis* (it replaces any earlier one); only its hash is kept."""
    raw = secrets.token_urlsafe(32)
    diagnosis.api_token_hash = token_hash(raw)
    db.session.commit()
    return raw


def expires_at(diagnosis: Diagnosis) -> datetime:
    return diagnosis.updated_at + LIFETIME


def open_with_token(reference: str, raw_token: str) -> Diagnosis:
    """The diagnosis *reference* names, if *raw_token* is its token (TokenRefused, DiagnosisExpired)."""
    normalised = normalise_reference(reference)
    diagnosis = (
        db.session.scalar(select(Diagnosis).where(Diagnosis.reference == normalised)) if normalised else None
    )
    stored = diagnosis.api_token_hash if diagnosis is not None and not diagnosis.sandbox else None
    # compared either way, so a wrong reference takes as long as a wrong token
    fits = hmac.compare_digest(stored or UNKNOWN, token_hash(raw_token)) and stored is not None
    if diagnosis is None or not fits:
        raise TokenRefused(reference)
    if expires_at(diagnosis) <= utcnow():
        raise DiagnosisExpired(diagnosis.reference)
    return diagnosis
