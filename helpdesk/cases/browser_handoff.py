"""'Continue in a browser': a signed, short-lived, single-use ticket that opens a diagnosis
driven through the API on the web pages, where the real fixes run (they need CSRF-protected
forms and the account's own proofs, which the API never takes).

The ticket carries the diagnosis's reference (never its sequential row id) and how many such
tickets it has used so far. Reading a ticket changes nothing, so a mail scanner or a link
preview can't use it up; using it bumps the count with a conditional UPDATE, so a ticket works
once and older unused ones stop working too. Making a ticket writes nothing, so every API read
can offer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from ..extensions import db, rowcount
from ..keys import Purpose, keyring
from ..models import Diagnosis, DiagnosisStatus, utcnow
from .diagnoses import record_event
from .diagnosis_access import expires_at

LIFETIME_SECONDS = 15 * 60


class TicketProblem(StrEnum):
    """Why a ticket opens nothing."""

    ALTERED = "altered"  # not a ticket we made (or not for this flow)
    EXPIRED = "expired"  # older than LIFETIME_SECONDS
    USED = "used"  # used already (or a newer ticket was)
    ABANDONED = "abandoned"  # the diagnosis was started over
    GONE = "gone"  # the diagnosis itself expired


def _serializer() -> URLSafeTimedSerializer:
    keys = keyring().signing_keys(Purpose.BROWSER_HANDOFF)
    return URLSafeTimedSerializer(keys, salt="helpdesk api browser handoff")


def ticket_for(diagnosis: Diagnosis) -> str:
    """A ticket that opens *diagnosis* at its current step in a browser."""
    return str(_serializer().dumps({"r": diagnosis.reference, "n": diagnosis.browser_handoffs}))


@dataclass(frozen=True)
class Opened:
    diagnosis: Diagnosis | None
    problem: TicketProblem | None = None


def read_ticket(flow_id: str, ticket: str) -> Opened:
    """The diagnosis a ticket would open, or why it can't; reading it changes nothing."""
    try:
        payload = _serializer().loads(ticket, max_age=LIFETIME_SECONDS)
    except SignatureExpired:
        return Opened(None, TicketProblem.EXPIRED)
    except BadSignature:
        return Opened(None, TicketProblem.ALTERED)
    if not isinstance(payload, dict):
        return Opened(None, TicketProblem.ALTERED)
    reference, used = payload.get("r"), payload.get("n")
    if not isinstance(reference, str) or not isinstance(used, int) or isinstance(used, bool):
        return Opened(None, TicketProblem.ALTERED)
    diagnosis = db.session.scalar(select(Diagnosis).where(Diagnosis.reference == reference))
    if diagnosis is None or diagnosis.flow_id != flow_id or diagnosis.sandbox:
        return Opened(None, TicketProblem.ALTERED)
    if diagnosis.browser_handoffs != used:
        return Opened(None, TicketProblem.USED)
    if diagnosis.status == DiagnosisStatus.ABANDONED:
        return Opened(None, TicketProblem.ABANDONED)
    if expires_at(diagnosis) <= utcnow():
        return Opened(None, TicketProblem.GONE)
    return Opened(diagnosis)


def open_ticket(flow_id: str, ticket: str) -> Opened:
    """Use a ticket once: the diagnosis it opens, or why it cannot."""
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
    if rowcount(result) != 1:  # another request used it in between
        db.session.rollback()
        return Opened(None, TicketProblem.USED)
    record_event(diagnosis, "opened_in_browser", diagnosis.step)
    db.session.commit()
    db.session.refresh(diagnosis)
    return Opened(diagnosis)
