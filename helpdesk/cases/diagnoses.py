"""The diagnosis engine, for the pages and the API alike: starting a diagnosis, what an answer
or a fix's outcome moves it to, where a step sits on its path, the hand-over at an end that
continues in another flow, and its transcript."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import driver_statements, metrics
from ..driver_statements import DriverRead, DriverWrite
from ..errors import DomainError
from ..extensions import db, rowcount
from ..flows.engine import CompiledFlow, InvalidMove
from ..flows.progress import NO_PROMISE, Outlook, progress_text
from ..flows.spec import Step
from ..models import Diagnosis, DiagnosisEvent, DiagnosisStatus, utcnow
from .flow_versions import flow_for, flow_of, live_flow, remember_flow_version
from .reference import new_reference

STATUS_BY_OUTCOME = {
    "resolved": DiagnosisStatus.RESOLVED,
    "escalate": DiagnosisStatus.ESCALATED,
    "flow": DiagnosisStatus.LINKED,
}
CONTINUE = "continue"  # the one way on from an info step


class DiagnosisError(DomainError):
    """An answer that can't be taken as given; subclasses carry what the caller shows."""

    http_status = 409  # mostly a page or a client that is behind the diagnosis


class StaleStep(DiagnosisError):
    """The step is not (or no longer) where the diagnosis can be answered: an old or forged
    page, or another request moved it meanwhile."""

    def __init__(self, step: str, current_step: str = "") -> None:
        super().__init__(step)
        self.step = step
        self.current_step = current_step


class NotReached(StaleStep):
    """The diagnosis has not been at that step (yet): answer the one it is at."""


class StaleRevision(DiagnosisError):
    """The caller read an older revision of the diagnosis than the one it is at now."""

    def __init__(self, given: int, revision: int) -> None:
        super().__init__(given)
        self.given = given
        self.revision = revision


class UnknownStep(DiagnosisError):
    """The flow has no step of that id."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


class Abandoned(DiagnosisError):
    """The diagnosis was given up (started over): nothing more is answered in it."""


class NotAnAnswer(DiagnosisError):
    """Not one of the step's answers (or none was given); *choices* are the ones it takes."""

    def __init__(self, given: str | None, choices: list[str]) -> None:
        super().__init__(given)
        self.given = given
        self.choices = choices


class RunsAsFix(DiagnosisError):
    """The step is a real fix (an action or a check): it runs on its web page, with the form
    that asks for what it needs, never from a bare answer. *current* says whether it is the
    step the diagnosis is at (else it was done already)."""

    def __init__(self, step: str, current: bool) -> None:
        super().__init__(step)
        self.step = step
        self.current = current


class AtAnEnd(DiagnosisError):
    """An end of the diagnosis: there is nothing to answer there."""


class FlowChanged(DiagnosisError):
    """The version of the flow *diagnosis* began on can't be found any more: the person must
    start it again."""

    def __init__(self, diagnosis: Diagnosis, note: str = "", ended_at: str = "") -> None:
        super().__init__(diagnosis.reference)
        self.diagnosis = diagnosis
        self.note = note  # what the end that handed over says on the way (the source's words)
        self.ended_at = ended_at  # that end's step id: a page says its note in the reader's language


@dataclass(slots=True)
class DiagnosisRecord:
    """A diagnosis as its pages read it on every request: the columns they need, read in one
    plain query (`read_diagnosis`), without the ORM's identity map, loader and expiry, which cost
    three times the query. `answer` moves one on like a `Diagnosis`; what changes more than an
    answer (a fix's claim, a handover, a restart) works on the `Diagnosis` (`as_row`)."""

    id: int
    reference: str
    flow_id: str
    flow_digest: str
    step: str
    path: list[str]
    answers: list[str]
    status: str
    revision: int
    parent_id: int | None
    sandbox: bool


# The statements a page runs on every request, built (and their cache keys computed) once: building
# a statement costs SQLAlchemy more than SQLite takes to run it.
_DIAGNOSES = Diagnosis.__table__
_READ = DriverRead(
    select(*(_DIAGNOSES.c[f.name] for f in fields(DiagnosisRecord))).where(
        _DIAGNOSES.c.id == bindparam("b_id")
    )
)
_MOVE = DriverWrite(
    update(_DIAGNOSES)
    .where(_DIAGNOSES.c.id == bindparam("b_id"), _DIAGNOSES.c.revision == bindparam("b_revision"))
    .values(
        path=bindparam("b_path"),
        answers=bindparam("b_answers"),
        step=bindparam("b_step"),
        status=bindparam("b_status"),
        revision=_DIAGNOSES.c.revision + 1,
        updated_at=bindparam("b_now"),
        running_step=None,
        running_since=None,
    )
)
_EVENTS = DiagnosisEvent.__table__
_ADD_EVENTS = DriverWrite(
    insert(_EVENTS).values(
        {name: bindparam(name) for name in ("diagnosis_id", "at", "kind", "step", "detail")}
    )
)


def read_diagnosis(diagnosis_id: int, connection: Connection | None = None) -> DiagnosisRecord | None:
    """The diagnosis *diagnosis_id*, as a plain record (None if there is none); through the
    request's session, or *connection* (a page answered without one: web/fast_paths.py)."""
    # the session's own connection: a plain SELECT needs none of the ORM's statement handling,
    # and one row by its key none of SQLAlchemy's execution either (driver_statements)
    row = _READ.first(connection or db.session.connection(), b_id=diagnosis_id)
    return None if row is None else DiagnosisRecord(*row)


def as_row(diagnosis: Diagnosis | DiagnosisRecord) -> Diagnosis:
    """The ORM object of *diagnosis* (loaded, if it is a record)."""
    if isinstance(diagnosis, Diagnosis):
        return diagnosis
    found = db.session.get(Diagnosis, diagnosis.id)
    if found is None:
        raise Abandoned(diagnosis.reference)  # deleted meanwhile (records forgotten)
    return found


def _read_again(diagnosis: Diagnosis | DiagnosisRecord, connection: Connection | None = None) -> None:
    if isinstance(diagnosis, Diagnosis):
        db.session.refresh(diagnosis)
        return
    fresh = read_diagnosis(diagnosis.id, connection)
    if fresh is None:
        raise Abandoned(diagnosis.reference)
    for f in fields(DiagnosisRecord):
        setattr(diagnosis, f.name, getattr(fresh, f.name))


@dataclass(frozen=True)
class Moved:
    """Where a submitted answer took the diagnosis."""

    step: str
    changed: bool  # False when it repeated an answer already recorded (double submit, back)


@dataclass(frozen=True)
class PreviousStep:
    """Where a Back link leads: a step of this diagnosis, or of the one it was handed over from."""

    reference: str
    flow_id: str
    step: str


@dataclass(frozen=True)
class Position:
    """Where a step sits on a diagnosis's path, as a page or the API shows it."""

    step: str
    index: int  # its last visit on the path (a path may loop)
    chosen: str | None  # the answer given there, if the diagnosis went on from it
    previous: PreviousStep | None  # where the Back link leads, if anywhere
    remaining: int  # fewest pages still to go from here to an end (a handover's pages too)
    is_current: bool
    outlook: Outlook = NO_PROMISE  # what the progress hint may promise

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def progress(self) -> str:
        """The progress hint its page shows ("Step 2 · up to 3 steps to go")."""
        return progress_text(self.number, self.outlook)


def last_visit(path: list[str], step_id: str) -> int:
    """The index of *step_id*'s last visit on *path* (a path may loop); ValueError if absent."""
    return len(path) - 1 - path[::-1].index(step_id)


def position(diagnosis: Diagnosis | DiagnosisRecord, compiled: CompiledFlow, step_id: str) -> Position:
    """Where *step_id* (a step on the diagnosis's path) sits: its number, the answer given there,
    where Back leads (the step before, or for a handed-over diagnosis the parent's step before
    its end) and how many pages are left."""
    path = diagnosis.path
    index = last_visit(path, step_id)
    previous: PreviousStep | None = None
    if index > 0:
        previous = PreviousStep(diagnosis.reference, diagnosis.flow_id, path[index - 1])
    elif diagnosis.parent_id is not None:
        parent = read_diagnosis(diagnosis.parent_id)
        if parent is not None and len(parent.path) > 1:
            previous = PreviousStep(parent.reference, parent.flow_id, parent.path[-2])
    return Position(
        step=step_id,
        index=index,
        chosen=diagnosis.answers[index] if index < len(diagnosis.answers) else None,
        previous=previous,
        remaining=compiled.remaining.get(step_id, 0),
        is_current=step_id == diagnosis.step,
        outlook=compiled.outlook.get(step_id, NO_PROMISE),
    )


def step_after(diagnosis: Diagnosis | DiagnosisRecord, step_id: str) -> str:
    """The step the diagnosis went on to from *step_id*'s last visit (itself if it is current)."""
    index = last_visit(diagnosis.path, step_id)
    return diagnosis.path[min(index + 1, len(diagnosis.path) - 1)]


def answer_to(diagnosis: Diagnosis | DiagnosisRecord, step: Step, choice: str | None) -> str:
    """The trigger that moves the diagnosis on from a question or info *step* by *choice*;
    a fix or an end takes no answer (RunsAsFix, AtAnEnd)."""
    if step.kind == "question":
        choices = [c.id for c in step.choices]
        if choice not in choices:
            raise NotAnAnswer(choice, choices)
        return choice
    if step.kind == "info":
        if choice not in (None, CONTINUE):
            raise NotAnAnswer(choice, [CONTINUE])
        return CONTINUE
    if step.kind in ("action", "check"):
        raise RunsAsFix(step.id, current=step.id == diagnosis.step)
    raise AtAnEnd(step.id)


def answer_step(
    diagnosis: Diagnosis,
    compiled: CompiledFlow,
    step_id: str,
    choice: str | None,
    *,
    revision: int | None = None,
) -> Answered[Diagnosis]:
    """Answer the question or info step *step_id* by *choice* (see `answer_to`, `move_on`); when
    *revision* is given, only if the diagnosis is still at that revision."""
    if diagnosis.status == DiagnosisStatus.ABANDONED:
        raise Abandoned(diagnosis.reference)
    if revision is not None and revision != diagnosis.revision:
        raise StaleRevision(revision, diagnosis.revision)
    if step_id not in compiled.flow.steps:
        raise UnknownStep(step_id)
    if step_id not in diagnosis.path:
        raise NotReached(step_id, diagnosis.step)
    return move_on(diagnosis, compiled, step_id, answer_to(diagnosis, compiled.step(step_id), choice))


# what a page or the API hands in: a Diagnosis row, or the record a page reads (DiagnosisRecord)
D = TypeVar("D", Diagnosis, DiagnosisRecord)


@dataclass(frozen=True)
class Answered(Generic[D]):
    """Where an answer led: the diagnosis to show next (a new one after a handover) and its step."""

    diagnosis: D | Diagnosis  # a handover's is the new diagnosis's row
    compiled: CompiledFlow
    step: str
    handed_over: bool = False
    note: str = ""  # what the end that handed over says on the way (the source's words)
    ended_at: str = ""  # that end's step id, in the flow answered: its note in another language


def move_on(
    diagnosis: D,
    compiled: CompiledFlow,
    at_step: str,
    trigger: str,
    *,
    kind: str = "answered",
    connection: Connection | None = None,
    **detail: Any,
) -> Answered[D]:
    """Apply *trigger* at *at_step* (see `answer`, and its *connection*), and when that reaches an
    end that continues in another flow, hand over to that flow's diagnosis. Raises Abandoned,
    UnknownStep, StaleStep, InvalidMove, or FlowChanged (with the diagnosis handed over to)."""
    if diagnosis.status == DiagnosisStatus.ABANDONED:
        raise Abandoned(diagnosis.reference)
    if at_step not in compiled.flow.steps:
        raise UnknownStep(at_step)
    moved = answer(diagnosis, compiled, at_step, trigger, kind=kind, connection=connection, **detail)
    target = compiled.step(moved.step)
    if target.kind == "end" and target.outcome == "flow":
        following = live_flow(target.flow, sandbox=diagnosis.sandbox)
        if following is not None:
            child = hand_over(as_row(diagnosis), following, sandbox=diagnosis.sandbox)
            child_flow = flow_of(child)
            if child_flow is None:  # the one already going on began on a version that is gone
                raise FlowChanged(child, note=target.text, ended_at=target.id)
            return Answered(
                child, child_flow, child.step, handed_over=True, note=target.text, ended_at=target.id
            )
    return Answered(diagnosis, compiled, moved.step)


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
        query = query.where(Diagnosis.status == DiagnosisStatus.ACTIVE)
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


def record_event(
    diagnosis: Diagnosis | DiagnosisRecord, kind: str, step: str, **detail: Any
) -> DiagnosisEvent:
    event = DiagnosisEvent(diagnosis_id=diagnosis.id, kind=kind, step=step, detail=detail)
    db.session.add(event)
    metrics.diagnosis_event(diagnosis, kind, detail)  # starts, ends, fix outcomes (operators' /metrics)
    return event


def answer(
    diagnosis: Diagnosis | DiagnosisRecord,
    compiled: CompiledFlow,
    at_step: str,
    trigger: str,
    *,
    kind: str = "answered",
    connection: Connection | None = None,
    **detail: Any,
) -> Moved:
    """Apply an answer (or an action's outcome) given on the page of *at_step*.

    The page may be an earlier one (browser back, the Back link): the same answer again
    changes nothing; a different answer rewinds the path to that step first. Two
    concurrent submissions are settled by the database: only one update of a given
    revision succeeds, the other is re-read and then finds its answer already applied.

    Written in the request's session, or on *connection* (a record moved with nothing else to
    write, web/answer_fast_path.py: the same statements, committed on it, without the ORM's
    session around them).
    """
    if connection is not None and not isinstance(diagnosis, DiagnosisRecord):
        raise TypeError("a Diagnosis row is written in the session it was loaded in")
    for _ in range(3):
        path = list(diagnosis.path)
        answers = list(diagnosis.answers)
        if at_step not in path:
            raise StaleStep(at_step, diagnosis.step)
        index = last_visit(path, at_step)
        target = compiled.move(at_step, trigger)  # raises InvalidMove
        if index < len(path) - 1 and answers[index] == trigger:
            return Moved(step=path[index + 1], changed=False)
        rewound = index < len(path) - 1
        new_path = [*path[: index + 1], target]
        new_answers = [*answers[:index], trigger]
        status = _status_at(compiled, target)
        now = utcnow()
        if connection is None:
            db.session.flush()  # what the request added before (a fix's records) keeps its order
        # the session's transaction, without the ORM's handling (or the caller's own connection),
        # and on its driver's cursor, without SQLAlchemy's execution (driver_statements)
        writing = connection or db.session.connection()
        moved = _MOVE.run(
            writing,
            [
                {
                    "b_id": diagnosis.id,
                    "b_revision": diagnosis.revision,
                    "b_path": new_path,
                    "b_answers": new_answers,
                    "b_step": target,
                    "b_status": status,
                    "b_now": now,
                }
            ],
        )
        if moved == 1:
            events: list[dict[str, Any]] = [
                dict(kind=kind, step=at_step, detail={"answer": trigger, "next": target, **detail})
            ]
            if rewound:
                events.insert(
                    0, dict(kind="went_back", step=at_step, detail={"undone": len(path) - 1 - index})
                )
            if status != DiagnosisStatus.ACTIVE:
                events.append(dict(kind=status, step=target, detail={}))
            # one plain INSERT of its lines, in order, rather than the ORM's unit of work
            _ADD_EVENTS.run(writing, [{"diagnosis_id": diagnosis.id, "at": now, **event} for event in events])
            written = {
                "path": new_path,
                "answers": new_answers,
                "step": target,
                "status": status,
                "revision": diagnosis.revision + 1,
            }
            _end(connection, commit=True)
            _hold(diagnosis, written)
            for event in events:  # fix outcomes and endings, once written, for operators' /metrics
                metrics.diagnosis_event(diagnosis, event["kind"], event["detail"])
            return Moved(step=target, changed=True)
        _end(connection, commit=False)
        _read_again(diagnosis, connection)
    raise StaleStep(at_step, diagnosis.step)


def _end(connection: Connection | None, *, commit: bool) -> None:
    """End the transaction of an answer's writes: the request's session's, or *connection*'s (its
    driver's own, which SQLAlchemy's `Connection` did not begin)."""
    if connection is None:
        db.session.commit() if commit else db.session.rollback()
    else:
        driver_statements.end(connection, commit=commit)


def _hold(diagnosis: Diagnosis | DiagnosisRecord, written: dict[str, Any]) -> None:
    """*diagnosis* as it was just written: a record takes the values, without reading the row
    back; a row, expired by the commit, is read again (the API shows all of it)."""
    if isinstance(diagnosis, DiagnosisRecord):
        for name, value in written.items():
            setattr(diagnosis, name, value)
        return
    db.session.refresh(diagnosis)


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
    return rowcount(result) == 1


def release_step(diagnosis: Diagnosis | DiagnosisRecord) -> None:
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
    if diagnosis.status == DiagnosisStatus.ACTIVE:
        diagnosis.status = DiagnosisStatus.ABANDONED
        record_event(diagnosis, "restarted", diagnosis.step)
        db.session.commit()


def _status_at(compiled: CompiledFlow, step_id: str) -> DiagnosisStatus:
    step = compiled.step(step_id)
    if step.kind != "end":
        return DiagnosisStatus.ACTIVE
    return STATUS_BY_OUTCOME[step.outcome]


__all__ = [
    "Abandoned",
    "AtAnEnd",
    "DiagnosisError",
    "DiagnosisRecord",
    "FlowChanged",
    "InvalidMove",
    "Moved",
    "NotAnAnswer",
    "NotReached",
    "RunsAsFix",
    "StaleRevision",
    "StaleStep",
    "UnknownStep",
    "answer",
    "answer_step",
    "as_row",
    "flow_for",
    "flow_of",
    "live_flow",
    "move_on",
    "read_diagnosis",
    "record_event",
    "start_diagnosis",
]
