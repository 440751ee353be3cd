"""A diagnosis driven through the API: the domain's diagnosis engine (the same flow versions,
rewinding answers and handovers as the pages), its refusals said as problems. Real fixes never
run here: they stay on the web pages."""

from __future__ import annotations

from flask_babel import gettext

from ...cases.diagnoses import (
    Abandoned,
    Answered,
    AtAnEnd,
    DiagnosisError,
    FlowChanged,
    InvalidMove,
    NotAnAnswer,
    NotReached,
    RunsAsFix,
    StaleRevision,
    UnknownStep,
    answer_step,
    flow_of,
    live_flow,
    start_diagnosis,
)
from ...cases.diagnosis_access import issue_token
from ...flows.engine import CompiledFlow
from ...models import Diagnosis
from .handoff import page_url
from .problems import ApiProblem


def published_flow(flow_id: str) -> CompiledFlow:
    compiled = live_flow(flow_id)
    if compiled is None:
        raise ApiProblem(
            404, gettext("There is no flow %(flow)s. GET /api/v1/flows lists them.", flow=repr(flow_id[:100]))
        )
    return compiled


def start(flow_id: str) -> tuple[Diagnosis, CompiledFlow, str]:
    """A new diagnosis of *flow_id*, and its bearer token (shown this once)."""
    compiled = published_flow(flow_id)
    diagnosis = start_diagnosis(compiled)
    return diagnosis, compiled, issue_token(diagnosis)


def flow_version(diagnosis: Diagnosis) -> CompiledFlow:
    """The flow version the diagnosis began on, or 409 when it cannot be found any more."""
    compiled = flow_of(diagnosis)
    if compiled is None:
        raise ApiProblem(
            409,
            gettext(
                "This guide has changed since you started, and your place in it can't be found any more. "
                "Start a new diagnosis."
            ),
            kind="guide-changed",
            title=gettext("This guide has changed since you started"),
            reference=diagnosis.reference,
        )
    return compiled


def give_answer(
    diagnosis: Diagnosis, compiled: CompiledFlow, step_id: str, choice: str | None, revision: int | None
) -> Answered:
    """Answer *step_id* (the current step, or an earlier one: a different answer there rewinds)."""
    try:
        return answer_step(diagnosis, compiled, step_id, choice, revision=revision)
    except FlowChanged as changed:
        flow_version(changed.diagnosis)  # raises the 409 that names the diagnosis handed over to
        raise
    except DiagnosisError as refused:
        raise _problem(diagnosis, step_id, refused) from refused
    except InvalidMove as stale:
        raise _changed_meanwhile(diagnosis) from stale


def _problem(diagnosis: Diagnosis, step_id: str, refused: DiagnosisError) -> ApiProblem:
    if isinstance(refused, Abandoned):
        return ApiProblem(
            410, gettext("This diagnosis was given up (started over). Start a new one."), kind="abandoned"
        )
    if isinstance(refused, StaleRevision):
        return ApiProblem(
            409,
            gettext(
                "The diagnosis changed since you read it (you sent revision %(given)s, it is now at "
                "%(revision)s). GET it again, then answer.",
                given=refused.given,
                revision=refused.revision,
            ),
            kind="stale-revision",
            revision=refused.revision,
        )
    if isinstance(refused, UnknownStep):
        return ApiProblem(
            422, gettext("This flow has no step %(step)s.", step=repr(step_id[:100])), kind="unknown-step"
        )
    if isinstance(refused, NotAnAnswer):
        if refused.given is None:
            return ApiProblem(
                422,
                gettext('Send the id of the chosen answer as "answer".'),
                kind="answer-required",
                choices=refused.choices,
            )
        if refused.choices == ["continue"]:
            return ApiProblem(
                422,
                gettext('This step only tells something: answer "continue".'),
                kind="unknown-choice",
                choices=refused.choices,
            )
        return ApiProblem(
            422,
            gettext(
                "%(given)s is not an answer to this question. Choose one of: %(choices)s.",
                given=repr(refused.given[:100]),
                choices=", ".join(refused.choices),
            ),
            kind="unknown-choice",
            choices=refused.choices,
        )
    if isinstance(refused, RunsAsFix):
        return ApiProblem(
            409,
            gettext(
                "This step is a real fix: it runs on the web page, which asks for what it needs. "
                'Open the link in "page" in a browser.'
            )
            if refused.current
            else gettext(
                "This step is a real fix: it runs on the web page, which asks for what it needs. "
                "It has been done already."
            ),
            kind="fix-in-browser",
            title=gettext("This step runs in a browser"),
            page=page_url(diagnosis) if refused.current else None,
        )
    if isinstance(refused, AtAnEnd):
        return ApiProblem(
            409,
            gettext(
                "This is an end of the diagnosis: there is nothing to answer here. "
                "To change an earlier answer, answer that step again."
            ),
            kind="at-an-end",
        )
    if isinstance(refused, NotReached):
        return ApiProblem(
            409,
            gettext(
                "This diagnosis has not reached %(step)s; it is at %(current)s. Answer that step.",
                step=repr(step_id),
                current=repr(refused.current_step),
            ),
            kind="stale-step",
            current_step=refused.current_step,
        )
    return _changed_meanwhile(diagnosis)


def _changed_meanwhile(diagnosis: Diagnosis) -> ApiProblem:
    return ApiProblem(
        409,
        gettext("The diagnosis changed while you answered, so nothing was changed. GET it again."),
        kind="stale-step",
        current_step=diagnosis.step,
    )
