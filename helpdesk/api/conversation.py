"""A diagnosis driven through the API, on the same domain functions as the web pages: the same
flow versions (a diagnosis finishes on the version it began), the same rewinding answers, the
same handovers to another flow. Real fixes are never run here: they stay on the web pages."""

from __future__ import annotations

from dataclasses import dataclass

from ..cases.diagnoses import (
    InvalidMove,
    StaleStep,
    answer,
    flow_for,
    hand_over,
    start_diagnosis,
)
from ..content.live import catalog
from ..flows.engine import CompiledFlow
from ..flows.spec import Step
from ..models import Diagnosis
from .access import issue_token
from .handoff import page_url
from .problems import ApiProblem


def live_flow(flow_id: str) -> CompiledFlow | None:
    """A published flow (drafts are for the editors' sandbox only)."""
    compiled = catalog().flows.get(flow_id)
    if compiled is None or compiled.flow.draft:
        return None
    return compiled


def start(flow_id: str) -> tuple[Diagnosis, CompiledFlow, str]:
    """A new diagnosis of *flow_id*, and its bearer token (shown this once)."""
    compiled = live_flow(flow_id)
    if compiled is None:
        raise ApiProblem(404, f"There is no flow {flow_id[:100]!r}. GET /api/v1/flows lists them.")
    diagnosis = start_diagnosis(compiled)
    return diagnosis, compiled, issue_token(diagnosis)


def flow_of(diagnosis: Diagnosis) -> CompiledFlow:
    """The flow version the diagnosis began on, or 409 when it cannot be found any more."""
    compiled = flow_for(diagnosis, catalog().flows.get(diagnosis.flow_id))
    if compiled is None:
        raise ApiProblem(
            409,
            "This guide has changed since you started, and your place in it can't be found any more. "
            "Start a new diagnosis.",
            kind="guide-changed",
            title="This guide has changed since you started",
            reference=diagnosis.reference,
        )
    return compiled


@dataclass(frozen=True)
class Answered:
    """Where an answer led: the diagnosis to show (a new one after a handover) and its step."""

    diagnosis: Diagnosis
    compiled: CompiledFlow
    step: str


def give_answer(
    diagnosis: Diagnosis, compiled: CompiledFlow, step_id: str, choice: str | None, revision: int | None
) -> Answered:
    """Answer *step_id* (the current step, or an earlier one: a different answer there rewinds)."""
    if diagnosis.status == "abandoned":
        raise ApiProblem(
            410, "This diagnosis was given up (started over). Start a new one.", kind="abandoned"
        )
    if revision is not None and revision != diagnosis.revision:
        raise ApiProblem(
            409,
            f"The diagnosis changed since you read it (you sent revision {revision}, it is now at "
            f"{diagnosis.revision}). GET it again, then answer.",
            kind="stale-revision",
            revision=diagnosis.revision,
        )
    if step_id not in compiled.flow.steps:
        raise ApiProblem(422, f"This flow has no step {step_id[:100]!r}.", kind="unknown-step")
    if step_id not in diagnosis.path:
        raise ApiProblem(
            409,
            f"This diagnosis has not reached {step_id!r}; it is at {diagnosis.step!r}. Answer that step.",
            kind="stale-step",
            current_step=diagnosis.step,
        )
    trigger = _trigger(diagnosis, compiled.step(step_id), choice)
    try:
        moved = answer(diagnosis, compiled, step_id, trigger)
    except (StaleStep, InvalidMove) as problem:
        raise ApiProblem(
            409,
            "The diagnosis changed while you answered, so nothing was changed. GET it again.",
            kind="stale-step",
            current_step=diagnosis.step,
        ) from problem
    target = compiled.step(moved.step)
    if target.kind == "end" and target.outcome == "flow":
        handed = continue_in(diagnosis, target.flow)
        if handed is not None:
            return handed
    return Answered(diagnosis, compiled, moved.step)


def _trigger(diagnosis: Diagnosis, step: Step, choice: str | None) -> str:
    """What moves the diagnosis on from *step*: the chosen answer; a fix or an end take none here."""
    if step.kind == "question":
        choices = [c.id for c in step.choices]
        if choice is None:
            raise ApiProblem(
                422, 'Send the id of the chosen answer as "answer".', kind="answer-required", choices=choices
            )
        if choice not in choices:
            raise ApiProblem(
                422,
                f"{choice[:100]!r} is not an answer to this question. Choose one of: {', '.join(choices)}.",
                kind="unknown-choice",
                choices=choices,
            )
        return choice
    if step.kind == "info":
        if choice not in (None, "continue"):
            raise ApiProblem(
                422,
                'This step only tells something: answer "continue".',
                kind="unknown-choice",
                choices=["continue"],
            )
        return "continue"
    if step.kind in ("action", "check"):
        current = step.id == diagnosis.step
        raise ApiProblem(
            409,
            "This step is a real fix: it runs on the web page, which asks for what it needs. "
            + ('Open the link in "page" in a browser.' if current else "It has been done already."),
            kind="fix-in-browser",
            title="This step runs in a browser",
            page=page_url(diagnosis) if current else None,
        )
    raise ApiProblem(
        409,
        "This is an end of the diagnosis: there is nothing to answer here. "
        "To change an earlier answer, answer that step again.",
        kind="at-an-end",
    )


def continue_in(parent: Diagnosis, flow_id: str) -> Answered | None:
    """An end that hands over to another flow: its diagnosis (the one already going on from this
    one, whichever way it began, or a new one linked to it), holding the same token. None when
    that flow is not published any more."""
    compiled = live_flow(flow_id)
    if compiled is None:
        return None
    child = hand_over(parent, compiled)
    child_flow = flow_of(child)
    return Answered(child, child_flow, child.step)
