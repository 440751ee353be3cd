"""Identity-verified recovery, the person's side: request, prove the contact address, send
evidence, check the status; the owner's cancel link; setting the new password after the hold."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from .. import audit
from ..accounts.directory import valid_email
from ..accounts.recovery import ResetRefused
from ..cases.evidence import KINDS, EvidenceInfected, EvidenceRefused, read_upload, store
from ..cases.verification import asking, completion, hold
from ..cases.verification.asking import ContactCodeCheck
from ..cases.verification.completion import CompletionState
from ..cases.virus_scan import ScannerUnavailable
from ..config import settings
from ..extensions import db, limiter
from ..mail import MailError
from ..models import VerificationRequest, VerificationStatus
from . import sealed
from .language import chosen_language
from .sessions import client_ip

bp = Blueprint("recovery", __name__, url_prefix="/recovery")
SESSION_KEY = "verification_request"  # the request this browser is filling in
TOKEN_KEY = "recovery_token"  # noqa: S105  (the session key of the completion link's token)
# two files of at most 10 MB each, and the form's fields: larger bodies are refused unread
UPLOAD_LIMIT = 21 * 1024 * 1024
UPLOAD_ENDPOINT = "recovery.evidence"


@bp.context_processor
def _states() -> dict[str, object]:
    """The recovery pages compare with the enums, not with bare strings."""
    return {"RequestStatus": VerificationStatus, "LinkState": CompletionState}


def _current() -> VerificationRequest | None:
    request_id = session.get(SESSION_KEY)
    return db.session.get(VerificationRequest, request_id) if request_id else None


def _no_referrer(response: BaseResponse) -> BaseResponse:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/request", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def start() -> BaseResponse | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("recovery/start.html", form={})
    form = {k: request.form.get(k, "").strip()[:320] for k in ("account_email", "contact_email")}
    for name, error in (
        ("account_email", _("Enter your account's email address, like name@example.org.")),
        ("contact_email", _("Enter an email address you can read now, like name@example.org.")),
    ):
        if not valid_email(form[name]):
            g.error_field, g.error_message = name, error  # linked from the summary, shown beside it
            return render_template("recovery/start.html", form=form, error=error), 400
    try:
        created = asking.start(
            form["account_email"],
            form["contact_email"],
            ip=client_ip(),
            language=chosen_language(),
            time_zone=request.form.get("time_zone"),
        )
    except MailError:
        error = _("We could not send the code just now. Please try again in a few minutes.")
        return render_template("recovery/start.html", form=form, error=error), 503
    session[SESSION_KEY] = created.id
    return redirect(url_for(".contact"), 303)


@bp.route("/request/contact", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def contact() -> BaseResponse | str | tuple[str, int]:
    current = _current()
    if current is None:
        return redirect(url_for(".start"), 303)
    if current.contact_verified_at is not None:
        return redirect(url_for(".evidence"), 303)
    if request.method == "GET":
        return render_template("recovery/contact.html", r=current)
    asking.remember_time_zone(current, request.form.get("time_zone"))
    if request.form.get("resend"):
        try:
            asking.send_contact_code(current)
        except MailError:
            return render_template(
                "recovery/contact.html", r=current, error=_("We could not send the code.")
            ), 503
        flash(_("We sent a new code."))
        return redirect(url_for(".contact"), 303)
    result = asking.confirm_contact(current, request.form.get("code", "")[:20], ip=client_ip())
    if result is ContactCodeCheck.OK:
        return redirect(url_for(".evidence"), 303)
    messages = {
        ContactCodeCheck.WRONG: _("That code isn't right. Check the email and try again."),
        ContactCodeCheck.EXPIRED: _("That code has expired (codes work for 10 minutes). Ask for a new one."),
        ContactCodeCheck.TOO_MANY: _("Too many wrong codes. Ask for a new one."),
    }
    return render_template("recovery/contact.html", r=current, error=messages[result]), 400


@bp.route("/request/evidence", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def evidence() -> BaseResponse | str | tuple[str, int]:
    current = _current()
    if current is None or current.contact_verified_at is None:
        return redirect(url_for(".start"), 303)
    if current.status != VerificationStatus.COLLECTING:
        return redirect(url_for(".submitted"), 303)
    if request.method == "GET":
        return _evidence_page(current, {})
    asking.remember_time_zone(current, request.form.get("time_zone"))
    form = asking.answers_from_form(request.form)
    if request.form.get("consent") != "yes":  # ASVS 8.3.3: ID photos only with the person's say-so
        error = _("Tick the box to agree to how your photos are used and kept, or we can't take them.")
        return _evidence_page(current, form, error, consent_error=True), 400
    form["consent"] = "yes"
    try:
        files = [
            (kind, *read_upload(request.files.get(kind), what, photo_only=kind == "selfie"))
            for kind, what in KINDS.items()
        ]
    except EvidenceInfected as infected:
        audit.record(
            "recovery.upload-infected",
            actor="anonymous",
            target=current.reference,
            ip=client_ip(),
            signature=infected.signature,
        )
        return _evidence_page(current, form, str(infected)), 400
    except EvidenceRefused as refused:
        return _evidence_page(current, form, str(refused)), 400
    except ScannerUnavailable:
        current_app.logger.error("evidence upload refused: the virus scanner could not be asked")
        error = _(
            "We can't check uploads for viruses right now, so nothing was sent. Your answers are kept: "
            "choose the two files again and send them in a few minutes."
        )
        return _evidence_page(current, form, error), 503
    for kind, data, content_type in files:
        store(current.id, kind, data, content_type)
    asking.submit(current, form, ip=client_ip())
    return redirect(url_for(".submitted"), 303)


def _evidence_page(
    current: VerificationRequest, form: dict[str, str], error: str = "", consent_error: bool = False
) -> str:
    return render_template(
        "recovery/evidence.html",
        r=current,
        form=form,
        error=error,
        consent_error=consent_error,
        pdf_ok=bool(settings().clamd),  # a PDF can't be cleaned like a photo: only past a scanner
        evidence_days=settings().evidence_days,
    )


@bp.get("/request/done")
def submitted() -> str:
    current = _current()
    if current is None:
        abort(404)
    return render_template("recovery/submitted.html", r=current)


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def status() -> str | tuple[str, int]:
    if request.method == "GET":
        return render_template("recovery/status.html", r=None, form={})
    form = {k: request.form.get(k, "")[:320] for k in ("reference", "contact_email")}
    found = asking.find(form["reference"], form["contact_email"])
    if found is None:
        error = _("No request matches that reference and contact address.")
        return render_template("recovery/status.html", r=None, form=form, error=error), 404
    return render_template("recovery/status.html", r=found, form=form)


@bp.route("/cancel/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def cancel(token: str) -> BaseResponse:
    """GET shows a button (mail scanners open links); POST cancels."""
    if request.method == "GET":
        return _no_referrer(Response(render_template("recovery/cancel.html", token=token)))
    cancelled = hold.cancel_with_token(token[:100], ip=client_ip())
    if cancelled is None:
        abort(404)
    return _no_referrer(Response(render_template("recovery/cancelled.html", r=cancelled)))


@bp.post("/cancel-pending/<int(max=2147483647):request_id>")
@login_required
def cancel_pending(request_id: int) -> BaseResponse:
    if hold.cancel_for_owner(current_user.account, request_id, ip=client_ip()) is None:
        abort(404)
    flash(_("The recovery of your account was cancelled. Nothing was changed."))
    return redirect(url_for("account.overview"), 303)


# how long the browser keeps the link's token, sealed: the link's own expiry is checked on every
# request, and for one more lifetime the page can still say the link expired (not "unknown")
TOKEN_SECONDS = int((2 * completion.RESET_LINK_LIFETIME).total_seconds())


def _completion_token() -> str:
    token = sealed.unseal(TOKEN_KEY, max_age=TOKEN_SECONDS)
    return token if isinstance(token, str) else ""


@bp.get("/complete/<token>")
def complete_link(token: str) -> BaseResponse:
    """The token leaves the address bar at once, sealed into the session (unreadable in the cookie)."""
    sealed.seal(TOKEN_KEY, token[:100])
    return _no_referrer(redirect(url_for(".complete"), 303))


@bp.route("/complete", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def complete() -> BaseResponse:
    token = _completion_token()
    found, state = completion.check_completion(token)
    if state is not CompletionState.READY:
        page = render_template("recovery/complete_problem.html", state=state, r=found)
        return _no_referrer(Response(page, 404 if state is CompletionState.UNKNOWN else 409))
    if request.method == "GET":
        return _no_referrer(Response(render_template("recovery/complete.html")))
    try:
        result = completion.complete(token, request.form.get("new_password", "")[:1024], ip=client_ip())
    except ResetRefused as refused:
        return _no_referrer(Response(render_template("recovery/complete.html", error=refused.problem), 400))
    if result is not CompletionState.DONE:
        return _no_referrer(Response(render_template("recovery/complete_problem.html", state=result), 409))
    session.pop(TOKEN_KEY, None)
    flash(_("Your new password is set. Sign in, then set up two-step verification again."))
    return _no_referrer(redirect(url_for("account.login"), 303))
