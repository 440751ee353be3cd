"""Signed, expiring links that open a diagnosis at a chosen step with answers prefilled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from ..cases.diagnoses import record_event, start_diagnosis
from ..errors import DomainError
from ..extensions import db
from ..flows.engine import CompiledFlow, InvalidMove
from ..models import Diagnosis, StaffLink, utcnow


class LinkProblem(DomainError, ValueError):
    """Why a link cannot be made, in words for the staff member."""


# one secret, or the keyring's staff-link keys oldest first (`keys.keyring().signing_keys(
# Purpose.STAFF_LINKS)`): the last signs, each is accepted
SigningKeys = str | bytes | Sequence[bytes]


def _serializer(secret_key: SigningKeys) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="helpdesk staff link")


def replay(compiled: CompiledFlow, answers: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The path and answers that *answers* (step, choice) give from the flow's start."""
    path, given = [compiled.flow.start], []
    for step, choice in answers:
        if step != path[-1]:
            raise LinkProblem(
                gettext(
                    "'%(step)s' is not where the answers so far lead (that is '%(leads_to)s')",
                    step=step,
                    leads_to=path[-1],
                )
            )
        try:
            path.append(compiled.move(step, choice))
        except InvalidMove as exc:
            raise LinkProblem(
                gettext("'%(choice)s' is not an answer of step '%(step)s'", choice=choice, step=step)
            ) from exc
        given.append(choice)
    return path, given


def parse_answers(text: str) -> list[tuple[str, str]]:
    """`step=choice`, one a line (what the staff form takes)."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        step, sep, choice = line.partition("=")
        if not sep or not step.strip() or not choice.strip():
            raise LinkProblem(gettext("line %(number)d: write each answer as step=choice", number=number))
        pairs.append((step.strip(), choice.strip()))
    return pairs


def create_link(
    compiled: CompiledFlow,
    *,
    created_by: str,
    step: str,
    answers: list[tuple[str, str]],
    days: int,
    note: str,
    secret_key: SigningKeys,
) -> tuple[StaffLink, str]:
    """Check the link opens somewhere real, store it, and return it with its signed token."""
    if not 1 <= days <= 90:
        raise LinkProblem(gettext("a link can last from 1 to 90 days"))
    replay(compiled, answers)  # the answers must be a real way through the flow
    if step and step not in compiled.flow.steps:
        raise LinkProblem(gettext("the flow has no step '%(step)s'", step=step))
    if step and compiled.step(step).kind == "end":
        raise LinkProblem(gettext("a link cannot open at an end step"))
    link = StaffLink(
        created_by=created_by,
        flow_id=compiled.id,
        step=step or "",
        answers=[list(a) for a in answers],
        note=note[:200],
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(link)
    db.session.commit()
    token = _serializer(secret_key).dumps({"link": link.id, "flow": compiled.id})
    return link, token


@dataclass(frozen=True)
class Opened:
    link: StaffLink | None
    problem: str = ""  # "altered" or "expired"


def check_token(token: str, flow_id: str, secret_key: SigningKeys) -> Opened:
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature:
        return Opened(None, "altered")
    if not isinstance(payload, dict) or payload.get("flow") != flow_id:
        return Opened(None, "altered")
    link = db.session.get(StaffLink, payload.get("link"))
    if link is None:
        return Opened(None, "altered")
    if link.expires_at <= utcnow():
        return Opened(None, "expired")
    return Opened(link)


def start_from_link(link: StaffLink, compiled: CompiledFlow) -> Diagnosis:
    """A new diagnosis at the link's step, its answers given, tied to the staff member's link."""
    path, given = replay(compiled, [tuple(a) for a in link.answers])  # type: ignore[misc]
    if link.step and link.step != path[-1]:
        path.append(link.step)
        given.append("(link)")  # opened here by the link: no answer of the person's led here
    diagnosis = start_diagnosis(compiled)
    diagnosis.path, diagnosis.answers, diagnosis.step = path, given, path[-1]
    diagnosis.link_id = link.id
    record_event(
        diagnosis, "opened_from_link", path[-1], link=link.id, by=link.created_by, prefilled=len(given)
    )
    db.session.execute(
        update(StaffLink)
        .where(StaffLink.id == link.id, StaffLink.opened_at.is_(None))
        .values(opened_at=utcnow())
    )
    db.session.commit()
    return diagnosis
