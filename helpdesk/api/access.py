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
    """The diagnosis *reference* names, if the request's bearer token is its token; else a problem."""
    raw = _presented_token()
    if raw is None:
        raise ApiProblem(
            401,
            "Send the token you got when the diagnosis started: Authorization: Bearer <token>.",
            kind="token-missing",
            headers={"WWW-Authenticate": REALM},
        )
    normalised = normalise_reference(reference)
    diagnosis = (
        db.session.scalar(select(Diagnosis).where(Diagnosis.reference == normalised)) if normalised else None
    )
    if diagnosis is None or diagnosis.sandbox:
        raise ApiProblem(404, f"There is no diagnosis with the reference {reference[:40]!r}.")
    stored = diagnosis.api_token_hash or ""
    if not stored or not hmac.compare_digest(stored, token_hash(raw)):
        raise ApiProblem(
            401,
            "That token does not belong to this diagnosis.",
            kind="token-invalid",
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
