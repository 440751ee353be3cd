"""'Continue in a browser': a signed, short-lived, single-use link that opens an API diagnosis
on the web pages, where the real fixes run (they need CSRF-protected forms and the account's
own proofs, which the API never takes).

The link carries the diagnosis's reference (never its sequential row id) and how many such
links it has used so far. Opening the link (GET or HEAD) only reads it, so a mail scanner or a
link preview can't use it up; the person's POST from that page (CSRF-protected) uses it, bumping
the count with a conditional UPDATE, so a link works once and older unused links stop working
too. Making a link writes nothing, so every API read can offer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from ..cases.diagnoses import record_event
from ..config import settings
from ..extensions import db
from ..models import Diagnosis, utcnow
from .access import expires_at

LIFETIME_SECONDS = 15 * 60
# altered: not a link we made; expired: older than LIFETIME_SECONDS; used: opened already (or a
# newer link was); abandoned: the diagnosis was started over; gone: the diagnosis itself expired
Problem = Literal["", "altered", "expired", "used", "abandoned", "gone"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="helpdesk api browser handoff")


def site_url(path: str) -> str:
    """An absolute URL on the configured site address (never taken from the request's Host)."""
    return settings().site_url.rstrip("/") + path


def page_url(diagnosis: Diagnosis) -> str:
    """The absolute URL that opens *diagnosis* at its current step in a browser."""
    ticket = _serializer().dumps({"r": diagnosis.reference, "n": diagnosis.browser_handoffs})
    return site_url(url_for("handoff.open_in_browser", flow_id=diagnosis.flow_id, ticket=ticket))


@dataclass(frozen=True)
class Opened:
    diagnosis: Diagnosis | None
    problem: Problem = ""


def read_ticket(flow_id: str, ticket: str) -> Opened:
    """The diagnosis a link would open, or why it can't; reading it changes nothing."""
    try:
        payload = _serializer().loads(ticket, max_age=LIFETIME_SECONDS)
    except SignatureExpired:
        return Opened(None, "expired")
    except BadSignature:
        return Opened(None, "altered")
    if not isinstance(payload, dict):
        return Opened(None, "altered")
    reference, used = payload.get("r"), payload.get("n")
    if not isinstance(reference, str) or not isinstance(used, int) or isinstance(used, bool):
        return Opened(None, "altered")
    diagnosis = db.session.scalar(select(Diagnosis).where(Diagnosis.reference == reference))
    if diagnosis is None or diagnosis.flow_id != flow_id or diagnosis.sandbox:
        return Opened(None, "altered")
    if diagnosis.browser_handoffs != used:
        return Opened(None, "used")
    if diagnosis.status == "abandoned":
        return Opened(None, "abandoned")
    if expires_at(diagnosis) <= utcnow():
        return Opened(None, "gone")
    return Opened(diagnosis)


def open_ticket(flow_id: str, ticket: str) -> Opened:
    """Use a link once: the diagnosis it opens, or why it cannot."""
    read = read_ticket(flow_id, ticket)
    diagnosis = read.diagnosis
    if diagnosis is None:
        return read
    used = diagnosis.browser_handoffs
    result = db.session.execute(
        update(Diagnosis)
        .where(Diagnosis.id == diagnosis.id, Diagnosis.browser_handoffs == used)
        .values(browser_handoffs=used + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # another request used it in between
        db.session.rollback()
        return Opened(None, "used")
    record_event(diagnosis, "opened_in_browser", diagnosis.step)
    db.session.commit()
    db.session.refresh(diagnosis)
    return Opened(diagnosis)
