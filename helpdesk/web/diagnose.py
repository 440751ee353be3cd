"""The guided diagnosis: one step per page, plain forms, POST-redirect-GET."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for

from ..actions import ActionContext, Outcome, get_action
from ..cases.diagnoses import (
    InvalidMove,
    StaleStep,
    answer,
    claim_step,
    flow_for,
    hand_over,
    release_step,
    restart,
    start_diagnosis,
)
from ..config import settings
from ..content.live import catalog, flow_for_editors
from ..content.render import render_inline
from ..extensions import db, limiter
from ..flows.engine import CompiledFlow
from ..flows.spec import Step
from ..models import Diagnosis
from ..staff import links as staff_links

bp = Blueprint("diagnose", __name__, url_prefix="/diagnose")
# the same pages for editors trying flows: drafts too, actions simulated, recorded as sandbox
sandbox_bp = Blueprint("sandbox", __name__, url_prefix="/editor/sandbox")
SESSION_KEY = "diagnoses"
SANDBOX_KEY = "sandbox_diagnoses"


def in_sandbox() -> bool:
    return request.blueprint == "sandbox"


def _live_flow(flow_id: str) -> CompiledFlow | None:
    if in_sandbox():  # editors may try drafts and flows with problems, as far as they work
        return flow_for_editors(flow_id)[0]
    compiled = catalog().flows.get(flow_id)
    if compiled is None or (compiled.flow.draft and not in_sandbox()):
        return None
    return compiled


def _remembered(flow_id: str) -> Diagnosis | None:
    """This browser's diagnosis of *flow_id*, if it has one (sandbox and real ones apart)."""
    diagnosis_id = session.get(SANDBOX_KEY if in_sandbox() else SESSION_KEY, {}).get(flow_id)
    if diagnosis_id is None:
        return None
    diagnosis = db.session.get(Diagnosis, diagnosis_id)
    if diagnosis is None or diagnosis.flow_id != flow_id or diagnosis.sandbox != in_sandbox():
        return None
    return diagnosis


def _remember(diagnosis: Diagnosis) -> None:
    session.setdefault(SANDBOX_KEY if diagnosis.sandbox else SESSION_KEY, {})[diagnosis.flow_id] = (
        diagnosis.id
    )
    session.permanent = True  # outlives closing the browser, so the diagnosis can be resumed
    session.modified = True


def _step_url(diagnosis: Diagnosis, step: str | None = None) -> str:
    return url_for(".step", flow_id=diagnosis.flow_id, step_id=step or diagnosis.step)


def _new(compiled: CompiledFlow, parent: Diagnosis | None = None) -> Diagnosis:
    diagnosis = start_diagnosis(compiled, parent=parent, sandbox=in_sandbox())
    _remember(diagnosis)
    return diagnosis


@bp.get("/<flow_id>")
@limiter.shared_limit("60 per hour", scope="diagnosis-start", methods=["GET"])  # with the API's
def start(flow_id: str) -> Response:
    """Resume this browser's diagnosis of the flow, or begin a new one."""
    compiled = _live_flow(flow_id)
    if compiled is None:
        abort(404)
    token = request.args.get("link")
    if token and not in_sandbox():
        return _open_link(compiled, token[:500])
    diagnosis = _remembered(flow_id)
    if diagnosis is not None and diagnosis.status == "active":
        if diagnosis.path != [diagnosis.step] or diagnosis.answers:
            flash("Welcome back: you are where you left off. Choose “Start over” to begin again.")
        return redirect(_step_url(diagnosis), 303)
    diagnosis = _new(compiled)
    return redirect(_step_url(diagnosis), 303)


def _open_link(compiled: CompiledFlow, token: str) -> Response:
    """A link from support: checked, then a diagnosis opened where they chose, or told why not."""
    opened = staff_links.check_token(token, compiled.id, settings().secret_key)
    if opened.link is None:
        return Response(
            render_template("diagnose/link_problem.html", flow=compiled.flow, problem=opened.problem), 410
        )
    try:
        diagnosis = staff_links.start_from_link(opened.link, compiled)
    except staff_links.LinkProblem:  # the flow changed since the link was made
        return Response(
            render_template("diagnose/link_problem.html", flow=compiled.flow, problem="changed"), 409
        )
    _remember(diagnosis)
    return redirect(_step_url(diagnosis), 303)


@bp.post("/<flow_id>/restart")
@limiter.limit("30 per hour")
def start_over(flow_id: str) -> Response:
    compiled = _live_flow(flow_id)
    if compiled is None:
        abort(404)
    diagnosis = _remembered(flow_id)
    if diagnosis is not None:
        restart(diagnosis)
    diagnosis = _new(compiled)
    return redirect(_step_url(diagnosis), 303)


def _load(flow_id: str) -> tuple[Diagnosis, CompiledFlow] | Response:
    diagnosis = _remembered(flow_id)
    if diagnosis is None:
        # no diagnosis in this browser (new browser, expired session): begin at the start
        if _live_flow(flow_id) is None:
            abort(404)
        return redirect(url_for(".start", flow_id=flow_id), 303)
    compiled = flow_for(diagnosis, _live_flow(flow_id) if in_sandbox() else catalog().flows.get(flow_id))
    if compiled is None:
        return Response(render_template("diagnose/changed.html", diagnosis=diagnosis, flow_id=flow_id), 409)
    return diagnosis, compiled


@bp.get("/<flow_id>/<step_id>")
def step(flow_id: str, step_id: str) -> Response | str:
    loaded = _load(flow_id)
    if isinstance(loaded, Response):
        return loaded
    diagnosis, compiled = loaded
    if step_id not in diagnosis.path:
        return redirect(_step_url(diagnosis), 303)
    return _render_step(diagnosis, compiled, step_id)


@bp.post("/<flow_id>/<step_id>")
@limiter.shared_limit("120 per hour", scope="diagnosis-answer")  # with the API's
def submit(flow_id: str, step_id: str) -> Response | tuple[str, int]:
    loaded = _load(flow_id)
    if isinstance(loaded, Response):
        return loaded
    diagnosis, compiled = loaded
    if step_id not in diagnosis.path:
        flash("That page was out of date, so nothing was changed. Here is where you are.")
        return redirect(_step_url(diagnosis), 303)
    current = compiled.step(step_id)
    detail: dict[str, Any] = {}
    kind = "answered"
    if current.kind == "question":
        trigger = request.form.get("answer", "")
        if trigger not in {c.id for c in current.choices}:
            return _render_step(diagnosis, compiled, step_id, error="Please choose one of the answers."), 400
    elif current.kind == "info":
        trigger = "continue"
    elif current.kind in ("action", "check"):
        if step_id != diagnosis.step or not claim_step(diagnosis, step_id):
            # the action already ran, or is running, for this page (double submit, back, two
            # tabs at once): the database lets one submission through, never two
            return redirect(_step_url(diagnosis, _after(diagnosis, step_id)), 303)
        action = get_action(current.action)
        if action is None:
            abort(503)
        ctx = _action_context(diagnosis, compiled, step_id)
        try:
            outcome = _simulated(current) if in_sandbox() else action.submit(ctx, request.form)
        except Exception:
            release_step(diagnosis)
            raise
        if outcome.status == "retry":
            release_step(diagnosis)
            return _render_step(diagnosis, compiled, step_id, error=outcome.message), outcome.http_status
        trigger = outcome.status
        kind = "checked" if current.kind == "check" else "action"
        detail = {"action": current.action, "message": outcome.message, **outcome.detail}
        if outcome.message:
            flash(outcome.message)
    else:
        return redirect(_step_url(diagnosis), 303)
    try:
        moved = answer(diagnosis, compiled, step_id, trigger, kind=kind, **detail)
    except (StaleStep, InvalidMove) as problem:
        if current.kind in ("action", "check"):
            release_step(diagnosis)
        if in_sandbox() and isinstance(problem, InvalidMove):
            flash("Sandbox: this way out leads to a step that does not exist yet. See the flow's problems.")
            return redirect(_step_url(diagnosis, step_id), 303)
        flash("That page was out of date, so nothing was changed. Here is where you are.")
        return redirect(_step_url(diagnosis), 303)
    target = compiled.step(moved.step)
    if target.kind == "end" and target.outcome == "flow":
        return _continue_in(diagnosis, target.flow, target.text)
    return redirect(_step_url(diagnosis, moved.step), 303)


def _after(diagnosis: Diagnosis, step_id: str) -> str:
    index = len(diagnosis.path) - 1 - diagnosis.path[::-1].index(step_id)
    return diagnosis.path[min(index + 1, len(diagnosis.path) - 1)]


def _continue_in(parent: Diagnosis, flow_id: str, note: str) -> Response:
    """An end that hands over to another flow: start (or resume) it, linked to this one."""
    compiled = _live_flow(flow_id)
    if compiled is None:
        return redirect(_step_url(parent), 303)
    child = hand_over(parent, compiled, sandbox=in_sandbox())
    _remember(child)
    if note:
        flash(note)
    return redirect(_step_url(child), 303)


def _action_context(diagnosis: Diagnosis, compiled: CompiledFlow, step_id: str) -> ActionContext:
    return ActionContext(
        flow_id=compiled.id,
        step_id=step_id,
        reference=diagnosis.reference,
        params=compiled.step(step_id).params,
        remote_addr=request.remote_addr or "",
        sandbox=diagnosis.sandbox,
    )


def _render_step(diagnosis: Diagnosis, compiled: CompiledFlow, step_id: str, error: str = "") -> str:
    current = compiled.step(step_id)
    path = diagnosis.path
    index = len(path) - 1 - path[::-1].index(step_id)
    chosen = diagnosis.answers[index] if index < len(diagnosis.answers) else ""
    back_url = ""
    if index > 0:
        back_url = _step_url(diagnosis, path[index - 1])
    elif diagnosis.parent_id is not None:
        parent = db.session.get(Diagnosis, diagnosis.parent_id)
        if parent is not None and len(parent.path) > 1:
            back_url = url_for(".step", flow_id=parent.flow_id, step_id=parent.path[-2])
    article, section = (None, "")
    if current.article:
        article, section = catalog().section_html(current.article)
    action_form = None
    if current.kind in ("action", "check") and step_id == diagnosis.step:
        action = get_action(current.action)
        if action is not None:
            action_form = action.render_form(_action_context(diagnosis, compiled, step_id))
    linked_flow = None
    if current.kind == "end" and current.outcome == "flow":
        linked = catalog().flows.get(current.flow)
        linked_flow = linked.flow if linked else None
    return render_template(
        "diagnose/step.html",
        diagnosis=diagnosis,
        flow=compiled.flow,
        step=current,
        text_html=render_inline(current.text) if current.text else "",
        help_html=render_inline(current.help) if current.help else "",
        chosen=chosen,
        back_url=back_url,
        remaining=compiled.remaining.get(step_id, 0),
        step_number=index + 1,
        article=article,
        section_html=section,
        action_form=action_form,
        action=get_action(current.action) if current.action else None,
        linked_flow=linked_flow,
        is_current=step_id == diagnosis.step,
        error=error,
        support_email=settings().support_email,
    )


def _simulated(current: Step) -> Outcome:
    """In the sandbox the editor picks the outcome: no mail is sent, no account changes."""
    chosen = request.form.get("simulate", "")
    if chosen not in {trigger for trigger, _ in current.transitions()}:
        return Outcome.retry("Choose the outcome to simulate.")
    return Outcome(chosen, f"Sandbox: simulated {chosen}.", {"simulated": True})  # type: ignore[arg-type]


@sandbox_bp.before_request
def editors_only() -> Response | None:
    from .staff import require_role

    refused = require_role("editor")
    return refused if isinstance(refused, Response) else None


for rule, view, methods in (
    ("/<flow_id>", start, ["GET"]),
    ("/<flow_id>/restart", start_over, ["POST"]),
    ("/<flow_id>/<step_id>", step, ["GET"]),
    ("/<flow_id>/<step_id>", submit, ["POST"]),
):
    sandbox_bp.add_url_rule(rule, view.__name__, view, methods=methods)
