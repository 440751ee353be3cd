"""The staff console: look up a diagnosis, read its transcript, add notes, send links, read the audit."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from .. import audit
from ..accounts.directory import AccountRecord, directory
from ..accounts.roles import Role, role_name
from ..cases import evidence
from ..cases.verification import review
from ..cases.verification.review import Decision, DecisionOutcome
from ..config import settings
from ..content.live import catalog
from ..content.translations import flow_in
from ..extensions import db
from ..keys import Purpose, keyring
from ..models import (
    AuditEntry,
    Diagnosis,
    Evidence,
    StaffLink,
    VerificationRequest,
    VerificationStatus,
    utcnow,
)
from ..staff import links, transcripts
from . import sessions
from .language import chosen_language

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.add_app_template_global(transcripts.in_words, "event_words")  # statuses and events in words
bp.add_app_template_global(role_name)
ACTIVE_KEY = sessions.STAFF_ACTIVE_KEY


def require_role(*roles: Role) -> AccountRecord | BaseResponse:
    """The signed-in staff member, or the response that turns the request away.

    Signed in, with a staff role (admin may do everything), two-step on, and active lately.
    """
    if not current_user.is_authenticated:
        return sessions.sign_in_again()  # says why, when an idle or absolute limit just ended it
    account = directory().get(current_user.account.id)
    if account is None or not account.may(*roles):
        abort(403)  # the same 403 whatever the page holds
    idle = settings().staff_idle_minutes * 60
    if time.time() - session.get(ACTIVE_KEY, 0) > idle:  # never recorded counts as idle
        sessions.end(current_user, reason="idle")
        flash(
            ngettext(
                "You were signed out after %(num)d minute without activity.",
                "You were signed out after %(num)d minutes without activity.",
                settings().staff_idle_minutes,
            )
        )
        return redirect(url_for("account.login", next=request.path))
    if not account.two_factor:
        flash(gettext("Staff accounts need two-step verification. Set it up to open the staff console."))
        return redirect(url_for("security.two_factor"))
    session[ACTIVE_KEY] = time.time()
    return account


def staff_only(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view for staff with one of *roles*; it gets the staff member's account first."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            account = require_role(*roles)
            if isinstance(account, BaseResponse):
                return account
            return view(account, *args, **kwargs)

        return guarded

    return decorate


def _audit(account: AccountRecord, action: str, target: str = "", **detail: Any) -> None:
    audit.record(action, actor=account.email, target=target, ip=sessions.client_ip(), **detail)


@bp.get("/")
@staff_only(Role.STAFF)
def console(account: AccountRecord) -> str:
    mine = db.session.scalars(
        select(StaffLink).where(StaffLink.created_by == account.email).order_by(StaffLink.id.desc()).limit(20)
    ).all()
    opened = {
        d.link_id: d
        for d in db.session.scalars(select(Diagnosis).where(Diagnosis.link_id.in_([m.id for m in mine])))
    }
    return render_template(
        "staff/console.html",
        account=account,
        links=mine,
        opened=opened,
        queue=review.queue(),
        paused=review.paused(),
        now=utcnow(),
        decision_words=review.DECISION_WORDS,
    )


@bp.get("/diagnoses")
@staff_only(Role.STAFF)
def lookup(account: AccountRecord) -> BaseResponse | tuple[str, int]:
    reference = request.args.get("reference", "")[:40]
    diagnosis = transcripts.find(reference)
    if diagnosis is None:
        _audit(account, "transcript.lookup-missed", reference)
        return render_template(
            "staff/console.html",
            account=account,
            links=[],
            opened={},
            lookup_error=gettext("No diagnosis has the reference %(reference)s.", reference=repr(reference)),
        ), 404
    return redirect(url_for(".transcript", reference=diagnosis.reference), 303)


@bp.get("/diagnoses/<reference>")
@staff_only(Role.STAFF)
def transcript(account: AccountRecord, reference: str) -> str:
    diagnosis = transcripts.find(reference)
    if diagnosis is None:
        abort(404)
    _audit(account, "transcript.view", diagnosis.reference)
    current = catalog().flows.get(diagnosis.flow_id)
    return render_template("staff/transcript.html", account=account, t=transcripts.read(diagnosis, current))


@bp.post("/diagnoses/<reference>/notes")
@staff_only(Role.STAFF)
def add_note(account: AccountRecord, reference: str) -> BaseResponse | tuple[str, int]:
    diagnosis = transcripts.find(reference)
    if diagnosis is None:
        abort(404)
    try:
        transcripts.add_note(diagnosis, account.email, request.form.get("note", "")[:10_000])
    except ValueError as problem:
        current = catalog().flows.get(diagnosis.flow_id)
        page = render_template(
            "staff/transcript.html",
            account=account,
            t=transcripts.read(diagnosis, current),
            note_error=str(problem),
            note=request.form.get("note", "")[:10_000],
        )
        return page, 400
    _audit(account, "transcript.note", diagnosis.reference)
    return redirect(url_for(".transcript", reference=diagnosis.reference) + "#notes", 303)


@bp.route("/links/new", methods=["GET", "POST"])
@staff_only(Role.STAFF)
def new_link(account: AccountRecord) -> str | tuple[str, int]:
    current, language = catalog(), chosen_language()
    # the flows' titles in the staff member's language (the ids are the same in every language)
    shown = (flow_in(language, c.flow, current.translations).content for c in current.flows.values())
    flows = sorted(shown, key=lambda f: f.title)
    if request.method == "GET":
        return render_template("staff/new_link.html", flows=flows, form={}, days=settings().staff_link_days)
    fields = ("flow", "step", "answers", "days", "note")
    form = {k: review.clean_text(request.form.get(k, ""))[:5000] for k in fields}
    compiled = catalog().flows.get(form["flow"])
    try:
        if compiled is None:
            raise links.LinkProblem(gettext("Choose a flow."))
        days = int(form["days"] or settings().staff_link_days)
        link, token = links.create_link(
            compiled,
            created_by=account.email,
            step=form["step"].strip(),
            answers=links.parse_answers(form["answers"]),
            days=days,
            note=form["note"],
            secret_key=keyring().signing_keys(Purpose.STAFF_LINKS),
        )
    except (links.LinkProblem, ValueError) as problem:
        message = (
            str(problem)
            if isinstance(problem, links.LinkProblem)
            else gettext("Days must be a whole number.")
        )
        return render_template(
            "staff/new_link.html", flows=flows, form=form, error=message, days=settings().staff_link_days
        ), 400
    _audit(account, "link.create", f"link {link.id}", flow=link.flow_id, step=link.step, days=days)
    url = settings().site_url.rstrip("/") + url_for("diagnose.start", flow_id=link.flow_id, link=token)
    return render_template("staff/link_made.html", link=link, url=url)


@bp.get("/audit")
@staff_only(Role.ADMIN)
def audit_trail(account: AccountRecord) -> str:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    actor, action = request.args.get("actor", "")[:320], request.args.get("action", "")[:60]
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    entries = db.session.scalars(query.limit(200)).all()
    _audit(account, "audit.view", "", filter_actor=actor, filter_action=action)
    return render_template(
        "staff/audit.html", entries=entries, actor=actor, action=action, broken=audit.verify()
    )


@bp.get("/requests/<int(max=2147483647):request_id>")
@staff_only(Role.STAFF)
def verification_request(account: AccountRecord, request_id: int) -> str:
    found = db.session.get(VerificationRequest, request_id)
    if found is None:
        abort(404)
    owner, comparison = review.compare_with_history(found)
    files = db.session.scalars(select(Evidence).where(Evidence.request_id == found.id)).all()
    _audit(account, "recovery.view", found.reference)
    return render_template(
        "staff/request.html",
        account=account,
        r=found,
        owner=owner,
        comparison=comparison,
        files=files,
        two_person=settings().two_person_rule,
        decision_words=review.DECISION_WORDS,
        status_words=review.STATUS_WORDS,
        evidence_words=evidence.KINDS,
        RequestStatus=VerificationStatus,
        Decision=Decision,
    )


@bp.post("/requests/<int(max=2147483647):request_id>/decision")
@staff_only(Role.STAFF)
def decide(account: AccountRecord, request_id: int) -> BaseResponse | tuple[str, int]:
    found = db.session.get(VerificationRequest, request_id)
    if found is None:
        abort(404)
    try:
        outcome = review.decide(
            found,
            account.email,
            request.form.get("decision", ""),
            request.form.get("reason", "")[:5000],
            ip=sessions.client_ip(),
            reviewed_account=request.form.get("account_id", "")[:64] or None,
        )
    except review.DecisionRefused as refused:
        flash(str(refused))
        return redirect(url_for(".verification_request", request_id=request_id), 303)
    flash(
        {
            DecisionOutcome.APPROVED: gettext(
                "Approved: the account's owner was told, and the hold has started."
            ),
            DecisionOutcome.DENIED: gettext("Denied."),
            DecisionOutcome.NEEDS_SECOND: gettext(
                "Your decision is recorded. A second staff member must make the same one."
            ),
        }[outcome]
    )
    return redirect(url_for(".console"), 303)


@bp.get("/evidence/<int(max=2147483647):evidence_id>")
@staff_only(Role.STAFF)
def evidence_file(account: AccountRecord, evidence_id: int) -> BaseResponse:
    item = db.session.get(Evidence, evidence_id)
    if item is None:
        abort(404)
    data = evidence.read(item)
    if data is None:
        abort(410, description=gettext("This evidence was deleted after the decision."))
    _audit(account, "recovery.evidence-view", f"evidence {item.id}", kind=item.kind)
    # never rendered as a page: a download (an <img> on the review page still shows a photo), in a
    # sandbox with nothing allowed, of exactly the type it was checked to be
    response = Response(data, mimetype=item.content_type)
    response.headers["Cache-Control"] = "no-store"
    extension = evidence.EXTENSIONS.get(item.content_type, "bin")
    response.headers["Content-Disposition"] = f'attachment; filename="evidence-{item.id}.{extension}"'
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
