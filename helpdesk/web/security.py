"""Signed-in security settings: two-factor enrolment, recovery codes, devices, sign out everywhere,
and reviewing failed sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from .. import audit
from ..accounts import reauth
from ..accounts.checkup import (
    FAILURE_DAYS,
    FAILURES_SHOWN,
    failures_in_words,
    failures_to_review,
    mark_failures_reviewed,
    recent_window_start,
)
from ..accounts.directory import AccountRecord, HistoryResult, directory
from ..accounts.history import record_event
from ..accounts.notices import tell_owner_of_change
from ..accounts.sign_out import sign_out_everywhere_else
from ..accounts.totp import provisioning_uri
from ..accounts.two_factor import (
    begin_enrolment,
    confirm_enrolment,
    few_codes_left,
    regenerate_recovery_codes,
)
from ..cases.my_data import export as export_my_data
from ..config import settings
from ..extensions import limiter
from . import sealed
from .account import SIGN_IN_RESULTS, _safe_next
from .sessions import client_device, client_ip

bp = Blueprint("security", __name__, url_prefix="/account")
ENROL_KEY = "enrol_secret"  # the authenticator key being set up, sealed, with its session's id
# setting up an authenticator that began while the proof was fresh may take this much longer
# (scanning the code, finding the app); the key itself is kept no longer than that either
ENROL_SLACK = timedelta(minutes=10)
CONFIRM_FIRST = lazy_gettext("For your security, confirm it's you first.")


def _no_store(page: str, status: int = 200) -> BaseResponse:
    response = Response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code (segno writes only paths and rects)."""
    # omitsize: a viewBox instead of a fixed size, so CSS can scale it without cropping
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff", omitsize=True)
    return Markup(svg)  # noqa: S704 (segno's own SVG, made from our URI, no user markup)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _proof_is_fresh(slack: timedelta = timedelta(0)) -> bool:
    return reauth.is_fresh(current_user.session_id, slack=slack)


def _confirm_first(then: str) -> BaseResponse:
    """To "Confirm it's you", then back to *then* (a page on this site)."""
    return redirect(url_for(".confirm_identity", next=then), 303)


@bp.get("/my-data")
@login_required
@limiter.limit("10 per hour")
def my_data() -> BaseResponse:
    """Everything kept about the account, as a JSON file (ASVS 8.3.2). It says where the person
    has been and from where: "Confirm it's you" first, like a factor change."""
    if not _proof_is_fresh():
        return _confirm_first(url_for(".my_data"))
    account = directory().get(current_user.account.id)
    assert account is not None  # the signed-in owner's own account
    response = jsonify(export_my_data(account))
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    audit.record("account.data-exported", actor="owner", target=account.email, ip=client_ip())
    return response


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute;30 per hour", methods=["POST"])
def confirm_identity() -> BaseResponse:
    """ "Confirm it's you": the password again and, with two-step verification on, a code, before
    a change to how the account signs in. Then back where the person was going."""
    account = directory().get(current_user.account.id)
    assert account is not None
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return _no_store(_confirm_page(account.two_factor, next_url))
    proof = reauth.confirm_identity(
        account.id,
        current_user.session_id,
        request.form.get("password", "")[:1024],
        request.form.get("code", "")[:64],
        ip=client_ip(),
        device=client_device(),
    )
    if not proof.ok:
        return _no_store(_confirm_page(account.two_factor, next_url, proof.problem), 400)
    return redirect(next_url, 303)


def _confirm_page(two_factor: bool, next_url: str, error: str = "") -> str:
    return render_template(
        "account/confirm.html",
        two_factor=two_factor,
        next=next_url,
        error=error,
        minutes=settings().reauth_minutes,
    )


@bp.get("/two-factor")
@login_required
def two_factor() -> BaseResponse:
    account = directory().get(current_user.account.id)
    assert account is not None
    if account.two_factor and request.args.get("new") != "1":
        left = directory().recovery_codes_left(account.id)
        return _no_store(
            render_template(
                "account/two_factor_on.html",
                account=account,
                codes_left=left,
                few_codes=few_codes_left(left),
            )
        )
    if not _proof_is_fresh():  # enrolling or replacing the authenticator changes a sign-in factor
        return _confirm_first(url_for(".two_factor", new=1) if account.two_factor else url_for(".two_factor"))
    enrolment = begin_enrolment(account)
    sealed.seal(ENROL_KEY, {"secret": enrolment.secret, "session": current_user.session_id})
    return _no_store(_enrol_page(enrolment.secret, enrolment.uri))


def _enrolment_secret() -> str | None:
    """The key this session began to set up, within ENROL_SLACK, and only in the session that began it."""
    held = sealed.unseal(ENROL_KEY, max_age=int(ENROL_SLACK.total_seconds()))
    if not isinstance(held, dict) or held.get("session") != current_user.session_id:
        return None
    secret = held.get("secret")
    return secret if isinstance(secret, str) else None


def _enrol_page(secret: str, uri: str, error: str = "") -> str:
    return render_template(
        "account/two_factor_enrol.html",
        qr=qr_svg(uri),
        key=_grouped(secret),
        uri=uri,
        error=error,
        replacing=current_user.account.two_factor,
    )


@bp.post("/two-factor")
@login_required
@limiter.limit("20 per hour")
def confirm_two_factor() -> BaseResponse:
    secret = _enrolment_secret()
    if not secret or not _proof_is_fresh(slack=ENROL_SLACK):
        session.pop(ENROL_KEY, None)
        flash(gettext("Let's start the set-up again."))
        return redirect(
            url_for(".two_factor", new=1) if current_user.account.two_factor else url_for(".two_factor"), 303
        )
    account = current_user.account
    codes = confirm_enrolment(
        account, secret, request.form.get("code", "")[:64], ip=client_ip(), device=client_device()
    )
    if codes is None:
        uri = provisioning_uri(secret, account.email, settings().site_name)
        error = gettext("That code didn't match. Type the code the app shows now for this site.")
        return _no_store(_enrol_page(secret, uri, error), 400)
    session.pop(ENROL_KEY, None)
    return _no_store(render_template("account/recovery_codes.html", codes=codes, first=True))


@bp.post("/recovery-codes")
@login_required
@limiter.limit("10 per hour")
def regenerate_codes() -> BaseResponse:
    record = directory().get(current_user.account.id)
    assert record is not None  # the signed-in owner's own account
    if not record.two_factor:
        abort(400, description=gettext("Turn on two-step verification first."))
    if not _proof_is_fresh():
        flash(
            gettext(
                "For your security, confirm it's you first. "
                "Then choose \u201cMake new recovery codes\u201d again."
            )
        )
        return _confirm_first(url_for(".two_factor") + "#recovery-codes")
    codes = regenerate_recovery_codes(record, ip=client_ip(), device=client_device())
    return _no_store(render_template("account/recovery_codes.html", codes=codes, first=False))


def _account_part() -> str:
    """The part of the account page the button was on: the checkup or the device list."""
    anchor = "checkup" if request.form.get("then") == "checkup" else "devices"
    return url_for("account.overview") + "#" + anchor


def _back_to_account() -> BaseResponse:
    return redirect(_account_part(), 303)


def _device_summary(device_id: int) -> str:
    found = next((d for d in directory().devices(current_user.account.id) if d.id == device_id), None)
    return found.summary if found is not None else ""


@bp.post("/devices/<int(max=2147483647):device_id>/remove")
@login_required
@limiter.limit("30 per hour")
def remove_device(device_id: int) -> BaseResponse:
    """Forgetting a device changes which devices the account trusts: confirm it's you first."""
    if not _proof_is_fresh():
        flash(gettext("For your security, confirm it's you first. Then choose \u201cRemove\u201d again."))
        return _confirm_first(_account_part())
    account = current_user.account
    summary = _device_summary(device_id)
    if directory().remove_device(account.id, device_id):
        _device_changed(account, "account.device-removed", HistoryResult.DEVICE_REMOVED, summary)
        flash(gettext("The device was removed and signed out. If it signs in again, we'll email you."))
    return _back_to_account()


def _device_changed(account: AccountRecord, action: str, event: HistoryResult, summary: str) -> None:
    """A change to which devices the account trusts: audited, in the owner's history, and mailed."""
    audit.record(action, actor="owner", target=account.email, ip=client_ip())
    record_event(account.id, event, ip=client_ip(), device=client_device())
    tell_owner_of_change(account, event, ip=client_ip(), device=client_device(), subject_device=summary)


@bp.post("/devices/<int(max=2147483647):device_id>/confirm")
@login_required
@limiter.limit("30 per hour")
def confirm_device(device_id: int) -> BaseResponse:
    """ "This is mine": the device becomes trusted (the checkup stops asking about it), so confirm
    it's you first; a stolen session must not vouch for its own browser."""
    if not _proof_is_fresh():
        flash(
            gettext("For your security, confirm it's you first. Then choose \u201cThis is mine\u201d again.")
        )
        return _confirm_first(_account_part())
    account = current_user.account
    if directory().confirm_device(account.id, device_id):
        _device_changed(
            account, "account.device-confirmed", HistoryResult.DEVICE_CONFIRMED, _device_summary(device_id)
        )
        flash(gettext("Marked as yours. If you ever lose it, remove it here."))
    else:
        flash(gettext("That device is no longer on your list: it was removed."))
    return _back_to_account()


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> BaseResponse:
    """Every other session ends, and devices the owner hasn't confirmed are forgotten.

    Only after "Confirm it's you" (ASVS 3.3.4): whoever holds a stolen cookie must not be able to
    sign the owner out everywhere. An owner without their phone can use a recovery code there, or
    reset the password by email, which signs every device out as well."""
    if not _proof_is_fresh():
        flash(
            gettext(
                "For your security, confirm it's you first. "
                "Then choose \u201cSign out everywhere else\u201d again."
            )
        )
        return _confirm_first(_account_part())
    done = sign_out_everywhere_else(
        current_user.account.id,
        current_user.token,
        current_user.session_id,
        ip=client_ip(),
        device=client_device(),
    )
    flash(done.message)
    return _back_to_account()


@bp.get("/failed-sign-ins")
@login_required
def failed_sign_ins() -> BaseResponse:
    """The owner's own failed sign-ins of the last days: when, from where, with what, and why."""
    account = directory().get(current_user.account.id)
    assert account is not None
    unreviewed = failures_to_review(account)
    failures = directory().failed_sign_ins(account.id, recent_window_start(), limit=FAILURES_SHOWN + 1)
    return _no_store(
        render_template(
            "account/failed_sign_ins.html",
            failures=failures[:FAILURES_SHOWN],
            more=len(failures) > FAILURES_SHOWN,
            unreviewed=unreviewed[:FAILURES_SHOWN],
            unreviewed_count=failures_in_words(unreviewed),
            shown=FAILURES_SHOWN,
            days=FAILURE_DAYS,
            results=SIGN_IN_RESULTS,
            two_factor=account.two_factor,
        )
    )


@bp.post("/failed-sign-ins")
@login_required
def review_failed_sign_ins() -> BaseResponse:
    """ "I've reviewed these", up to the newest failure the page showed."""
    through = _moment(request.form.get("through", ""))
    if through is None:
        abort(400, description=gettext("Open the list of failed sign-ins again and review it from there."))
    mark_failures_reviewed(current_user.account.id, through)
    flash(
        gettext("Thanks: these failed sign-ins are marked as reviewed. New ones will show up in the checkup.")
    )
    return redirect(url_for("account.overview") + "#checkup", 303)


def _moment(text: str) -> datetime | None:
    """An ISO time with its zone, as the review page sends it; None for anything else."""
    try:
        moment = datetime.fromisoformat(text[:64])
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
