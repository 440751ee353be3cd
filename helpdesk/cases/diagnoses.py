"""Starting a diagnosis, moving it on by answers and outcomes, and its transcript."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..flows.engine import CompiledFlow, InvalidMove, compile_flow
from ..flows.loader import load_flow
from ..models import Diagnosis, DiagnosisEvent, FlowVersion, utcnow
from .reference import new_reference

STATUS_BY_OUTCOME = {"resolved": "resolved", "escalate": "escalated", "flow": "linked"}


class StaleStep(Exception):
    """The submitted step is not part of this diagnosis's path (an old or forged page)."""


@dataclass(frozen=True)
class Moved:
    """Where a submitted answer took the diagnosis."""

    step: str
    changed: bool  # False when it repeated an answer already recorded (double submit, back)


def remember_flow_version(compiled: CompiledFlow) -> None:
    """Store the flow's source once, so diagnoses on it can finish after the file changes."""
    flow = compiled.flow
    exists = db.session.scalar(
        select(FlowVersion.id).where(FlowVersion.flow_id == flow.id, FlowVersion.digest == flow.digest)
    )
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                FlowVersion(flow_id=flow.id, digest=flow.digest, path=flow.path, source=flow.source)
            )
    except IntegrityError:
        pass  # another request stored it first


def start_diagnosis(
    compiled: CompiledFlow, *, parent: Diagnosis | None = None, sandbox: bool = False
) -> Diagnosis:
    """A new diagnosis at the flow's start, with a unique reference code. One that goes on from
    *parent* (a handover, on a page or through the API) holds the parent's API token too."""
    remember_flow_version(compiled)
    for _ in range(10):
        diagnosis = Diagnosis(
            reference=new_reference(),
            flow_id=compiled.id,
            flow_digest=compiled.digest,
            step=compiled.flow.start,
            path=[compiled.flow.start],
            answers=[],
            status=_status_at(compiled, compiled.flow.start),
            parent_id=parent.id if parent else None,
            sandbox=sandbox,
            api_token_hash=parent.api_token_hash if parent else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(diagnosis)
        except IntegrityError:
            continue  # reference already taken: draw again
        detail: dict[str, Any] = {"flow_version": compiled.flow.version}
        if parent is not None:
            detail["continued_from"] = parent.reference
        record_event(diagnosis, "started", compiled.flow.start, **detail)
        db.session.commit()
        return diagnosis
    raise RuntimeError("could not draw a free reference code")


def latest_child(parent: Diagnosis, flow_id: str, *, active: bool = False) -> Diagnosis | None:
    """The diagnosis *parent* handed over to *flow_id* most recently (still going on, if
    *active*), if any."""
    query = select(Diagnosis).where(Diagnosis.parent_id == parent.id, Diagnosis.flow_id == flow_id)
    if active:
        query = query.where(Diagnosis.status == "active")
    return db.session.scalar(query.order_by(Diagnosis.id.desc()).limit(1))


HANDOVER_WAIT = 2.0  # seconds a request waits for another one that is handing over right now


def hand_over(parent: Diagnosis, compiled: CompiledFlow, *, sandbox: bool = False) -> Diagnosis:
    """The diagnosis *parent* goes on with in *compiled*'s flow (an end that hands over): the one
    already going on from it, whichever way it began (page or API), or a new one linked to it,
    holding the parent's API token. Two requests at once get the same one: the database lets
    one of them claim the parent's end step to start it, the other waits for it."""
    deadline = time.monotonic() + HANDOVER_WAIT
    while True:
        child = latest_child(parent, compiled.id, active=True)
        if child is not None:
            return child
        if claim_step(parent, parent.step):
            break
        if time.monotonic() > deadline:
            break  # a claim left by a crashed request: go on rather than keep the person waiting
        time.sleep(0.05)
    try:
        child = latest_child(parent, compiled.id, active=True)
        if child is None:
            child = start_diagnosis(compiled, parent=parent, sandbox=sandbox)
            record_event(parent, "continued", parent.step, flow=compiled.id, reference=child.reference)
            db.session.commit()
    finally:
        release_step(parent)
    db.session.refresh(child)
    return child


def record_event(diagnosis: Diagnosis, kind: str, step: str, **detail: Any) -> DiagnosisEvent:
    event = DiagnosisEvent(diagnosis_id=diagnosis.id, kind=kind, step=step, detail=detail)
    db.session.add(event)
    return event


def answer(
    diagnosis: Diagnosis,
    compiled: CompiledFlow,
    at_step: str,
    trigger: str,
    *,
    kind: str = "answered",
    **detail: Any,
) -> Moved:
    """Apply an answer (or an action's outcome) given on the page of *at_step*.

    The page may be an earlier one (browser back, the Back link): the same answer again
    changes nothing; a different answer rewinds the path to that step first. Two
    concurrent submissions are settled by the database: only one update of a given
    revision succeeds, the other is re-read and then finds its answer already applied.
    """
    for _ in range(3):
        path = list(diagnosis.path)
        answers = list(diagnosis.answers)
        if at_step not in path:
            raise StaleStep(at_step)
        index = len(path) - 1 - path[::-1].index(at_step)
        target = compiled.move(at_step, trigger)  # raises InvalidMove
        if index < len(path) - 1 and answers[index] == trigger:
            return Moved(step=path[index + 1], changed=False)
        rewound = index < len(path) - 1
        new_path = [*path[: index + 1], target]
        new_answers = [*answers[:index], trigger]
        status = _status_at(compiled, target)
        result = db.session.execute(
            update(Diagnosis)
            .where(Diagnosis.id == diagnosis.id, Diagnosis.revision == diagnosis.revision)
            .values(
                path=new_path,
                answers=new_answers,
                step=target,
                status=status,
                revision=Diagnosis.revision + 1,
                updated_at=utcnow(),
                running_step=None,
                running_since=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            if rewound:
                record_event(diagnosis, "went_back", at_step, undone=len(path) - 1 - index)
            record_event(diagnosis, kind, at_step, answer=trigger, next=target, **detail)
            if status != "active":
                record_event(diagnosis, status, target)
            db.session.commit()
            db.session.refresh(diagnosis)
            return Moved(step=target, changed=True)
        db.session.rollback()
        db.session.refresh(diagnosis)
    raise StaleStep(at_step)


RUN_TIMEOUT = timedelta(minutes=2)  # a claim older than this was left by a crashed request


def claim_step(diagnosis: Diagnosis, step_id: str) -> bool:
    """Take the right to run this step's action: of concurrent submissions exactly one wins,
    and nobody else runs it until `release_step` or an answer moves the diagnosis on."""
    now = utcnow()
    result = db.session.execute(
        update(Diagnosis)
        .where(
            Diagnosis.id == diagnosis.id,
            Diagnosis.step == step_id,
            or_(Diagnosis.running_step.is_(None), Diagnosis.running_since < now - RUN_TIMEOUT),
        )
        .values(running_step=step_id, running_since=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(diagnosis)
    return result.rowcount == 1


def release_step(diagnosis: Diagnosis) -> None:
    """The action did not move the diagnosis on (bad input, an error): let it be tried again."""
    db.session.rollback()
    db.session.execute(
        update(Diagnosis)
        .where(Diagnosis.id == diagnosis.id)
        .values(running_step=None, running_since=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def restart(diagnosis: Diagnosis) -> None:
    """Mark a diagnosis as given up so the person can begin again."""
    if diagnosis.status == "active":
        diagnosis.status = "abandoned"
        record_event(diagnosis, "restarted", diagnosis.step)
        db.session.commit()


def _status_at(compiled: CompiledFlow, step_id: str) -> str:
    step = compiled.step(step_id)
    if step.kind != "end":
        return "active"
    return STATUS_BY_OUTCOME[step.outcome]


__all__ = [
    "InvalidMove",
    "Moved",
    "StaleStep",
    "answer",
    "flow_for",
    "record_event",
    "start_diagnosis",
]


_old_versions: dict[tuple[str, str], CompiledFlow] = {}


def flow_for(diagnosis: Diagnosis, current: CompiledFlow | None) -> CompiledFlow | None:
    """The flow version this diagnosis began on: the live one, or its stored source.

    None when that version cannot be found or read any more (the person must start again).
    """
    if current is not None and current.digest == diagnosis.flow_digest:
        return current
    key = (diagnosis.flow_id, diagnosis.flow_digest)
    if key in _old_versions:
        return _old_versions[key]
    stored = db.session.scalar(
        select(FlowVersion).where(
            FlowVersion.flow_id == diagnosis.flow_id, FlowVersion.digest == diagnosis.flow_digest
        )
    )
    if stored is None:
        return None
    flow, problems = load_flow(stored.path, source=stored.source)
    if flow is None or problems or any(s not in flow.steps for s in diagnosis.path):
        return None
    try:
        compiled = compile_flow(flow)
    except ValueError:  # a version that never validated (a sandbox run of a broken draft)
        return None
    if len(_old_versions) >= 256:
        _old_versions.pop(next(iter(_old_versions)))
    _old_versions[key] = compiled
    return compiled
