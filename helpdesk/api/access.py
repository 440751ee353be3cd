"""Who may read and move a diagnosis through the API: whoever holds its bearer token.

The token is random (256 bits), handed out once when the diagnosis starts and stored only as
its hash. A diagnosis handed over to another flow passes the same token on to the new one, so a
client keeps one token for the whole conversation. Cookies play no part.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from flask import current_app, request
from sqlalchemy import select

from ..accounts.tokens import token_hash
from ..cases.reference import normalise_reference
from ..extensions import db
from ..models import Diagnosis, utcnow
from .problems import ApiProblem

REALM = 'Bearer realm="helpdesk"'
UNKNOWN = "0" * 64  # no token hashes to this: what an unknown reference is compared with


def issue_token(diagnosis: Diagnosis) -> str:
    """A new token for *diagnosis* (it replaces any earlier one); only its hash is kept."""
    raw = secrets.token_urlsafe(32)
    diagnosis.api_token_hash = token_hash(raw)
    db.session.commit()
    return raw


def expires_at(diagnosis: Diagnosis) -> datetime:
    """A diagnosis lasts as long after its last answer as a browser's session does."""
    return diagnosis.updated_at + current_app.permanent_session_lifetime


def _presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authorised(reference: str) -> Diagnosis:
    """The diagnosis *reference* names, if the request's bearer token is its token; else a problem.

    An unknown reference and a known one with another token get the same 401, so references
    can't be probed; only the token's holder learns more (410 when it expired)."""
    raw = _presented_token()
    if raw is None:
        raise ApiProblem(
            401,
            "This request has no bearer token. Send the token you got when the diagnosis started: "
            "Authorization: Bearer <token>.",
            kind="token-missing",
            title="A bearer token is needed",
            headers={"WWW-Authenticate": REALM},
        )
    normalised = normalise_reference(reference)
    diagnosis = (
        db.session.scalar(select(Diagnosis).where(Diagnosis.reference == normalised)) if normalised else None
    )
    stored = diagnosis.api_token_hash if diagnosis is not None and not diagnosis.sandbox else None
    # compared either way, so a wrong reference takes as long as a wrong token
    fits = hmac.compare_digest(stored or UNKNOWN, token_hash(raw)) and stored is not None
    if diagnosis is None or not fits:
        raise ApiProblem(
            401,
            "The token you sent does not open a diagnosis with this reference. Check both: the token "
            "is the one given when the diagnosis started (a handover keeps it).",
            kind="token-invalid",
            title="That token does not fit this diagnosis",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    if expires_at(diagnosis) <= utcnow():
        raise ApiProblem(
            410,
            "This diagnosis has expired: nothing was answered for a long time. Start a new one.",
            kind="expired",
            reference=diagnosis.reference,
        )
    return diagnosis
