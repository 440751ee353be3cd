"""The guided diagnosis: one step per page, plain forms, POST-redirect-GET."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import reauth
from ..accounts.directory import org_directory, valid_email
from ..accounts.org_directory import Capability
from ..accounts.roles import Role
from ..actions import Action, ActionContext, Outcome, Viewer, get_action, missing_capability
from ..cases.diagnoses import (
    Answered,
    AtAnEnd,
    DiagnosisError,
    DiagnosisRecord,
    FlowChanged,
    InvalidMove,
    NotAnAnswer,
    RunsAsFix,
    answer_to,
    as_row,
    claim_step,
    flow_of,
    live_flow,
    move_on,
    position,
    read_diagnosis,
    release_step,
    restart,
    start_diagnosis,
    step_after,
)
from ..config import settings
from ..content.live import catalog
from ..content.render import render_inline
from ..content.translations import InLanguage, article_in, flow_in
from ..extensions import db, limiter
from ..flows.engine import CompiledFlow
from ..flows.spec import Flow, Step
from ..keys import Purpose, keyring
from ..models import Diagnosis, DiagnosisStatus
from ..staff import links as staff_links
from . import csrf_tokens, sealed, sessions
from .fixed_urls import fixed_url
from .language import chosen_language, url_in
from .marked_pages import MarkedPage
from .recovery import SESSION_KEY as VERIFICATION_KEY
from .sessions import RETURN_KEY

bp = Blueprint("diagnose", __name__, url_prefix="/diagnose")
# the same pages for editors trying flows: drafts too, actions simulated, recorded as sandbox
sandbox_bp = Blueprint("sandbox", __name__, url_prefix="/editor/sandbox")
SESSION_KEY = "diagnoses"
SANDBOX_KEY = "sandbox_diagnoses"
AnyDiagnosis = Diagnosis | DiagnosisRecord


def in_sandbox() -> bool:
    return request.blueprint == "sandbox"


def _live_flow(flow_id: str) -> CompiledFlow | None:
    # editors may try drafts and flows with problems in the sandbox, as far as they work
    return live_flow(flow_id, sandbox=in_sandbox())


def _remembered(flow_id: str) -> DiagnosisRecord | None:
    """This browser's diagnosis of *flow_id*, if it has one (sandbox and real ones apart)."""
    diagnosis_id = session.get(SANDBOX_KEY if in_sandbox() else SESSION_KEY, {}).get(flow_id)
    if not isinstance(diagnosis_id, int):
        return None
    diagnosis = read_diagnosis(diagnosis_id)
    if diagnosis is None or diagnosis.flow_id != flow_id or diagnosis.sandbox != in_sandbox():
        return None
    return diagnosis


def _remember(diagnosis: AnyDiagnosis) -> None:
    session.setdefault(SANDBOX_KEY if diagnosis.sandbox else SESSION_KEY, {})[diagnosis.flow_id] = (
        diagnosis.id
    )
    session.permanent = True  # outlives closing the browser, so the diagnosis can be resumed
    session.modified = True


def diagnosis_url(flow_id: str) -> str:
    """The way back into *flow_id* for a page outside the diagnosis, offered when this browser
    holds a diagnosis (of any flow, as before the layers were reshaped), else ""."""
    if not session.get(SESSION_KEY):
        return ""
    return url_for("diagnose.start", flow_id=flow_id)


def latest_diagnosis_url() -> str:
    """The way back into the diagnosis this browser began last and has not finished, or "":
    what a page outside the diagnosis (a password reset from its mail) offers to go on with."""
    remembered = session.get(SESSION_KEY) or {}
    for diagnosis_id in sorted(remembered.values(), reverse=True):
        diagnosis = db.session.get(Diagnosis, diagnosis_id)
        if diagnosis is not None and not diagnosis.sandbox and diagnosis.status == DiagnosisStatus.ACTIVE:
            return url_for("diagnose.start", flow_id=diagnosis.flow_id)
    return ""


def _step_url(diagnosis: AnyDiagnosis, step: str | None = None) -> str:
    # a flow's and its step's ids, from the content: the addresses kept stay bounded
    endpoint = f"{request.blueprint}.step"
    return fixed_url(endpoint, flow_id=diagnosis.flow_id, step_id=step or diagnosis.step)


def _new(compiled: CompiledFlow, parent: Diagnosis | None = None) -> Diagnosis:
    diagnosis = start_diagnosis(compiled, parent=parent, sandbox=in_sandbox())
    _remember(diagnosis)
    return diagnosis


@bp.get("/<flow_id>")
@limiter.shared_limit("60 per hour", scope="diagnosis-start", methods=["GET"])  # with the API's
def start(flow_id: str) -> BaseResponse:
    """Resume this browser's diagnosis of the flow, or begin a new one."""
    compiled = _live_flow(flow_id)
    if compiled is None:
        abort(404)
    token = request.args.get("link")
    if token and not in_sandbox():
        return _open_link(compiled, token[:500])
    diagnosis = _remembered(flow_id)
    if diagnosis is not None and diagnosis.status == DiagnosisStatus.ACTIVE:
        if diagnosis.path != [diagnosis.step] or diagnosis.answers:
            flash(_("Welcome back: you are where you left off. Choose “Start over” to begin again."))
        return redirect(_step_url(diagnosis), 303)
    diagnosis = _new(compiled)
    return redirect(_step_url(diagnosis), 303)


def _open_link(compiled: CompiledFlow, token: str) -> BaseResponse:
    """A link from support: checked, then a diagnosis opened where they chose, or told why not."""
    opened = staff_links.check_token(token, compiled.id, keyring().signing_keys(Purpose.STAFF_LINKS))
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
def start_over(flow_id: str) -> BaseResponse:
    compiled = _live_flow(flow_id)
    if compiled is None:
        abort(404)
    diagnosis = _remembered(flow_id)
    if diagnosis is not None:
        restart(as_row(diagnosis))
    diagnosis = _new(compiled)
    return redirect(_step_url(diagnosis), 303)


def _load(flow_id: str) -> tuple[AnyDiagnosis, CompiledFlow] | BaseResponse:
    diagnosis = _remembered(flow_id)
    if diagnosis is None:
        # no diagnosis in this browser (new browser, expired session): begin at the start
        if _live_flow(flow_id) is None:
            abort(404)
        return redirect(url_for(".start", flow_id=flow_id), 303)
    compiled = flow_of(diagnosis)
    if compiled is None:
        return Response(render_template("diagnose/changed.html", diagnosis=diagnosis, flow_id=flow_id), 409)
    return diagnosis, compiled


@bp.get("/<flow_id>/<step_id>")
def step(flow_id: str, step_id: str) -> BaseResponse | str:
    loaded = _load(flow_id)
    if isinstance(loaded, BaseResponse):
        return loaded
    diagnosis, compiled = loaded
    if step_id not in diagnosis.path:
        return redirect(_step_url(diagnosis), 303)
    current = compiled.step(step_id)
    if step_id == diagnosis.step and current.kind in ("action", "check") and current.action:
        lacking = missing_capability(current.action, org_directory().capabilities)
        if lacking is not None:
            return _not_offered(diagnosis, compiled, current, lacking)
    return _render_step(diagnosis, compiled, step_id)


def _not_offered(
    diagnosis: AnyDiagnosis, compiled: CompiledFlow, current: Step, lacking: Capability
) -> BaseResponse:
    """A fix the account system can't do is never offered: the diagnosis takes the step's
    failure branch (in the flow's own words: usually "contact support")."""
    try:
        moved = move_on(
            diagnosis,
            compiled,
            current.id,
            "failure",
            kind="action",
            action=current.action,
            not_offered=lacking,
        )
    except FlowChanged as changed:
        return _go_on_in(changed.diagnosis, changed.diagnosis.step, _note(compiled, changed))
    except (DiagnosisError, InvalidMove):  # moved on meanwhile (another tab): show where it is now
        return redirect(_step_url(read_diagnosis(diagnosis.id) or diagnosis), 303)
    return _after_move(moved, compiled)


@bp.post("/<flow_id>/<step_id>")
@limiter.shared_limit("120 per hour", scope="diagnosis-answer")  # with the API's
def submit(flow_id: str, step_id: str) -> BaseResponse | tuple[str, int]:
    loaded = _load(flow_id)
    if isinstance(loaded, BaseResponse):
        return loaded
    diagnosis, compiled = loaded
    if step_id not in diagnosis.path:
        flash(_("That page was out of date, so nothing was changed. Here is where you are."))
        return redirect(_step_url(diagnosis), 303)
    current = compiled.step(step_id)
    detail: dict[str, Any] = {}
    kind = "answered"
    try:
        chosen = request.form.get("answer") if current.kind == "question" else None
        trigger = answer_to(diagnosis, current, chosen)
    except NotAnAnswer:
        return _render_step(diagnosis, compiled, step_id, error=_("Please choose one of the answers.")), 400
    except RunsAsFix:
        diagnosis = as_row(diagnosis)  # a fix claims its step, runs, and may hand over: the ORM row
        if step_id != diagnosis.step or not claim_step(diagnosis, step_id):
            # the action already ran, or is running, for this page (double submit, back, two
            # tabs at once): the database lets one submission through, never two
            return redirect(_step_url(diagnosis, step_after(diagnosis, step_id)), 303)
        ran = _run_fix(diagnosis, compiled, current)
        if isinstance(ran, tuple):
            return ran
        _remember_email(diagnosis)
        trigger = ran.status
        kind = "checked" if current.kind == "check" else "action"
        detail = {"action": current.action, "message": ran.message, **ran.detail}
        # a check that worked leads to the flow's own words for it ("You're signed in: the fix
        # worked"): saying it twice pushes the next step down a phone's screen. Its message stays
        # in the transcript; a fix's message (what was measured, what was sent) is shown.
        if ran.message and not (current.kind == "check" and ran.status == "success"):
            flash(ran.message)
    except AtAnEnd:  # nothing to answer there
        return redirect(_step_url(diagnosis), 303)
    try:
        moved = move_on(diagnosis, compiled, step_id, trigger, kind=kind, **detail)
    except FlowChanged as changed:  # handed over to a diagnosis whose guide has changed: it says so
        return _go_on_in(changed.diagnosis, changed.diagnosis.step, _note(compiled, changed))
    except (DiagnosisError, InvalidMove) as problem:
        if current.kind in ("action", "check"):
            release_step(diagnosis)
        if in_sandbox() and isinstance(problem, InvalidMove):
            flash(
                _("Sandbox: this way out leads to a step that does not exist yet. See the flow's problems.")
            )
            return redirect(_step_url(diagnosis, step_id), 303)
        flash(_("That page was out of date, so nothing was changed. Here is where you are."))
        return redirect(_step_url(diagnosis), 303)
    return _after_move(moved, compiled)


def _run_fix(diagnosis: Diagnosis, compiled: CompiledFlow, current: Step) -> Outcome | tuple[str, int]:
    """Run the step's fix (claimed already); a `retry` outcome shows the page again."""
    action = get_action(current.action)
    if action is None:
        release_step(diagnosis)
        abort(503)
    ctx = _action_context(diagnosis, compiled, current.id)
    try:
        outcome = _simulated(current) if in_sandbox() else action.submit(ctx, request.form)
        if outcome.status != "retry":
            _apply(outcome)
    except Exception:
        release_step(diagnosis)
        raise
    if outcome.status == "retry":
        release_step(diagnosis)
        if outcome.field:  # the summary links to the field, which shows the message beside it
            g.error_field, g.error_message = outcome.field, outcome.message
        return _render_step(diagnosis, compiled, current.id, error=outcome.message), outcome.http_status
    return outcome


def _after_move(moved: Answered, compiled: CompiledFlow) -> BaseResponse:
    if moved.handed_over:  # an end that continues in another flow: this browser holds it now
        return _go_on_in(moved.diagnosis, moved.step, _note(compiled, moved))
    return redirect(_step_url(moved.diagnosis, moved.step), 303)


def _note(compiled: CompiledFlow, handover: Answered | FlowChanged) -> str:
    """What the end of *compiled* that handed over says on the way, in the reader's language."""
    if not handover.ended_at:
        return handover.note
    return in_language(compiled, chosen_language()).content.steps[handover.ended_at].text or handover.note


def _go_on_in(child: AnyDiagnosis, step: str, note: str) -> BaseResponse:
    _remember(child)
    if note:
        flash(note)
    return redirect(_step_url(child, step), 303)


def _action_context(diagnosis: AnyDiagnosis, compiled: CompiledFlow, step_id: str) -> ActionContext:
    """What the fix may know of this browser, read here so the action never reads the request."""
    viewer = None
    if current_user.is_authenticated:
        viewer = Viewer(current_user.account.id, current_user.session_id, current_user.token)
    return ActionContext(
        flow_id=compiled.id,
        step_id=step_id,
        reference=diagnosis.reference,
        params=compiled.step(step_id).params,
        remote_addr=sessions.client_ip(),
        device=sessions.client_device(),
        sandbox=diagnosis.sandbox,
        viewer=viewer,
        verification_request_id=session.get(VERIFICATION_KEY),
        start_url=url_for(".start", flow_id=compiled.id),
        known_email=_known_email(diagnosis),
    )


KNOWN_EMAIL_KEY = "fix_email"
KNOWN_EMAIL_SECONDS = 3600


def _remember_email(diagnosis: AnyDiagnosis) -> None:
    """A fix went through with an address typed in: the next fix of this diagnosis need not ask
    for it again (kept encrypted in the cookie, for an hour, for this diagnosis only)."""
    email = request.form.get("email", "").strip()[:320]
    if email and valid_email(email) and not diagnosis.sandbox:
        sealed.seal(KNOWN_EMAIL_KEY, {"reference": diagnosis.reference, "email": email})


def _known_email(diagnosis: AnyDiagnosis) -> str:
    held = sealed.unseal(KNOWN_EMAIL_KEY, max_age=KNOWN_EMAIL_SECONDS)
    if isinstance(held, dict) and held.get("reference") == diagnosis.reference:
        email = held.get("email")
        return email if isinstance(email, str) else ""
    return ""


def _apply(outcome: Outcome) -> None:
    """Do on this browser what the fix asked for."""
    account = outcome.sign_in
    if account is not None and not (current_user.is_authenticated and current_user.account.id == account.id):
        person = sessions.start(account)
        reauth.record_proof(person.session_id)  # a fix signs in only after password and code
    if outcome.checkup_done:
        session.pop(RETURN_KEY, None)


END_HEADINGS = {"resolved": _l("You're all set"), "escalate": _l("Let's get you to a person")}
TITLE_LENGTH = 80


def _heading(step: Step, text_html: str, action: Action | None, flow_title: str) -> str:
    """What the page is about, in words: its tab title says it (so a person with five tabs, or a
    screen reader, can tell the steps apart) and for an end or a fix its heading too."""
    if step.kind == "end":
        return str(END_HEADINGS.get(step.outcome, _l("Let's continue")))
    if step.kind in ("action", "check"):
        return action.title if action else flow_title
    words = " ".join(Markup(text_html).striptags().split())  # noqa: S704 (only read, never shown as markup)
    if len(words) > TITLE_LENGTH:
        words = words[: TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return words or flow_title


@dataclass(frozen=True)
class StepParts:
    """What a step's page shows that depends on nothing but the flow version (and which pages,
    the real ones or the sandbox, show it): worked out once, kept on the compiled flow."""

    text_html: str
    help_html: str
    heading: str
    action: Action | None
    submit_url: str
    start_over_url: str
    article_url: str


def in_language(compiled: CompiledFlow, language: str) -> InLanguage[Flow]:
    """The flow's texts in *language* (ids, next and actions the source's), worked out once per
    flow version and language from the live snapshot's translations."""
    key = ("in language", language)
    found: InLanguage[Flow] | None = compiled.memo.get(key)
    if found is None:
        found = compiled.memo[key] = flow_in(language, compiled.flow, catalog().translations)
    return found


def _parts(compiled: CompiledFlow, step_id: str) -> StepParts:
    language = chosen_language()
    key = ("step page", request.blueprint, request.script_root, language, step_id)
    found: StepParts | None = compiled.memo.get(key)
    if found is None:
        shown = in_language(compiled, language).content
        current = shown.steps[step_id]
        text_html = render_inline(current.text) if current.text else ""
        action = get_action(current.action) if current.action else None
        slug = current.article.partition("#")[0] if current.article else ""
        found = StepParts(
            text_html=text_html,
            help_html=render_inline(current.help) if current.help else "",
            heading=_heading(current, text_html, action, shown.title),
            action=action,
            submit_url=url_for(".submit", flow_id=compiled.id, step_id=step_id),
            start_over_url=url_for(".start_over", flow_id=compiled.id),
            article_url=url_for("public.article", slug=slug) if slug else "",
        )
        compiled.memo[key] = found
    return found


# The pages most asked for, a question or an info step shown to someone not signed in with no
# message waiting, differ from one diagnosis to the next only in a few values: they are rendered
# once per flow version, step, article version and page shape (a Back link or not, the current
# step or an earlier one, which answer is ticked) with markers where those values go, and served
# by filling the markers in (about a twentieth of rendering the templates each time).
PLAIN_KINDS = ("question", "info")
PROGRESS_KEPT = 64  # step numbers whose progress hint a flow version keeps, per language
MARK = "\x00helpdesk-step:{}\x00"  # no template or content text holds a NUL character
FILLED = ("reference", "progress", "back_url", "csrf")
_MARKS = re.compile("\x00helpdesk-step:(" + "|".join(FILLED) + ")\x00")


@dataclass(frozen=True)
class Shape:
    """What, besides the filled-in values, one plain step page differs by."""

    has_back: bool
    is_current: bool
    chosen: str


class PlainPage(MarkedPage):
    """A plain step page rendered with markers (`MARK`); `fill` gives the page, each value escaped
    as the template would have."""

    def fill(self, values: Mapping[str, str]) -> str:
        return super().fill({slot: escape(value) for slot, value in values.items()})


def _plain_pages(
    compiled: CompiledFlow,
    step_id: str,
    article_version: str,
    blueprint: str | None,
    script_root: str,
    language: str,
) -> dict[Shape, PlainPage]:
    """The plain pages of *step_id* kept for the article beside it as it is now (a newer article
    version replaces them: what is kept stays bounded by the flow's steps and shapes)."""
    key = ("plain step pages", step_id, blueprint, script_root, language)
    kept: tuple[str, dict[Shape, PlainPage]] | None = compiled.memo.get(key)
    if kept is None or kept[0] != article_version:
        kept = compiled.memo[key] = (article_version, {})
    return kept[1]


def kept_step_page(
    diagnosis: DiagnosisRecord, compiled: CompiledFlow, step_id: str, script_root: str, language: str
) -> tuple[PlainPage, dict[str, str]] | None:
    """For web/fast_paths.py (in an app context, no request): the plain page of *step_id* (on the
    diagnosis's path) as the step view would show it to a browser not signed in with no message
    waiting, and the values to fill in but the CSRF token; None unless that page was kept already
    (the view keeps it the first time) or the step is not a plain one."""
    current = compiled.step(step_id)
    if current.kind not in PLAIN_KINDS:
        return None
    at = position(diagnosis, compiled, step_id)
    back_url = ""
    if at.previous is not None:  # the view's url_for('.step'): the same address as that step's form
        before: StepParts | None = None
        if at.previous.flow_id == compiled.id:
            before = compiled.memo.get(("step page", bp.name, script_root, language, at.previous.step))
        if before is None:
            return None
        back_url = before.submit_url
    article, _ = _article_beside(current.article, language)
    pages = _plain_pages(
        compiled, step_id, article.content.digest if article else "", bp.name, script_root, language
    )
    page = pages.get(Shape(bool(back_url), step_id == diagnosis.step, at.chosen or ""))
    if page is None:
        return None
    # the hint's words depend on the step's number and outlook alone: kept with the flow version
    # (up to PROGRESS_KEPT steps into a path: a path going round a loop may grow without end)
    progress_key = ("progress", language, at.number, at.outlook)
    progress: str | None = compiled.memo.get(progress_key)
    if progress is None:
        with force_locale(language):  # no request here: the words in the address's language
            progress = at.progress
        if at.number <= PROGRESS_KEPT:
            compiled.memo[progress_key] = progress
    return page, {"reference": diagnosis.reference, "progress": progress, "back_url": back_url}


def _is_plain(current: Step, error: str) -> bool:
    """The page is one of the plain ones: nothing on it but the diagnosis's own values."""
    return (
        current.kind in PLAIN_KINDS
        and not error
        and sessions.surely_anonymous()
        and "_flashes" not in session
    )


def _article_beside(reference: str, language: str) -> tuple[InLanguage[Any] | None, str]:
    """The article (in *language* if translated) and the HTML of the section a step shows."""
    if not reference:
        return None, ""
    slug, _, section = reference.partition("#")
    current = catalog()
    found = article_in(language, slug, current.articles, current.translations)
    if found is None:
        return None, ""
    return found, found.content.section(section) if section else found.content.html


def _render_step(diagnosis: AnyDiagnosis, compiled: CompiledFlow, step_id: str, error: str = "") -> str:
    language = chosen_language()
    shown = in_language(compiled, language)
    current = shown.content.steps[step_id]
    parts = _parts(compiled, step_id)
    at = position(diagnosis, compiled, step_id)
    back_url = ""
    if at.previous is not None:
        back_url = url_for(".step", flow_id=at.previous.flow_id, step_id=at.previous.step)
    # looked up each time: an article may change while the flow does not
    article, section = _article_beside(current.article, language)
    if _is_plain(current, error):
        pages = _plain_pages(
            compiled,
            step_id,
            article.content.digest if article else "",
            request.blueprint,
            request.script_root,
            language,
        )
        shape = Shape(bool(back_url), step_id == diagnosis.step, at.chosen or "")
        page = pages.get(shape)
        if page is None:
            marked = _ProxiedReference(MARK.format("reference"))
            page = pages[shape] = PlainPage.split(
                _render_template(
                    marked,
                    compiled,
                    current,
                    parts,
                    chosen=shape.chosen,
                    back_url=MARK.format("back_url") if back_url else "",
                    progress=MARK.format("progress"),
                    article=article,
                    section=section,
                    is_current=shape.is_current,
                    csrf_token=lambda: MARK.format("csrf"),
                ),
                _MARKS,
            )
        values = {"reference": diagnosis.reference, "progress": at.progress, "back_url": back_url}
        values["csrf"] = csrf_tokens.csrf_token()
        return page.fill(values)
    action_form = None
    if current.kind in ("action", "check") and step_id == diagnosis.step and parts.action is not None:
        action_form = parts.action.render_form(_action_context(diagnosis, compiled, step_id))
    linked_flow = None
    if current.kind == "end" and current.outcome == "flow":
        linked = catalog().flows.get(current.flow)
        linked_flow = in_language(linked, language).content if linked else None
    return _render_template(
        diagnosis,
        compiled,
        current,
        parts,
        chosen=at.chosen or "",
        back_url=back_url,
        progress=at.progress,
        article=article,
        section=section,
        is_current=step_id == diagnosis.step,
        action_form=action_form,
        linked_flow=linked_flow,
        error=error,
    )


@dataclass(frozen=True)
class _ProxiedReference:
    """What a plain page's template reads of the diagnosis: its reference (a marker there)."""

    reference: str


def _render_template(
    diagnosis: AnyDiagnosis | _ProxiedReference,
    compiled: CompiledFlow,
    current: Step,
    parts: StepParts,
    *,
    chosen: str,
    back_url: str,
    progress: str,
    article: Any,
    section: str,
    is_current: bool,
    action_form: Markup | None = None,
    linked_flow: Any = None,
    error: str = "",
    **context: Any,
) -> str:
    shown = in_language(compiled, chosen_language())
    return render_template(
        "diagnose/step.html",
        diagnosis=diagnosis,
        flow=shown.content,
        flow_shown=shown,
        english_url=url_in("en", request.path),
        step=current,
        heading=parts.heading,
        text_html=parts.text_html,
        help_html=parts.help_html,
        submit_url=parts.submit_url,
        start_over_url=parts.start_over_url,
        article_url=parts.article_url,
        chosen=chosen,
        back_url=back_url,
        progress=progress,
        article=article.content if article else None,
        article_shown=article,
        section_html=section,
        action_form=action_form,
        action=parts.action,
        linked_flow=linked_flow,
        is_current=is_current,
        error=error,
        support_email=settings().support_email,
        **context,
    )


def _simulated(current: Step) -> Outcome:
    """In the sandbox the editor picks the outcome: no mail is sent, no account changes."""
    chosen = request.form.get("simulate", "")
    if chosen not in {trigger for trigger, _ in current.transitions()}:
        return Outcome.retry(_("Choose the outcome to simulate."))
    return Outcome(chosen, f"Sandbox: simulated {chosen}.", {"simulated": True})  # type: ignore[arg-type]


@sandbox_bp.before_request
def editors_only() -> BaseResponse | None:
    from .staff import require_role

    refused = require_role(Role.EDITOR)
    return refused if isinstance(refused, BaseResponse) else None


for rule, view, methods in (
    ("/<flow_id>", start, ["GET"]),
    ("/<flow_id>/restart", start_over, ["POST"]),
    ("/<flow_id>/<step_id>", step, ["GET"]),
    ("/<flow_id>/<step_id>", submit, ["POST"]),
):
    sandbox_bp.add_url_rule(rule, view.__name__, view, methods=methods)
