"""Signed-in security settings: two-factor enrolment, recovery codes, devices, sign out everywhere,
and reviewing failed sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from .. import audit
from ..accounts.checkup import (
    FAILURE_DAYS,
    FAILURES_SHOWN,
    failures_in_words,
    failures_to_review,
    mark_failures_reviewed,
    recent_window_start,
)
from ..accounts.directory import directory
from ..accounts.sign_out import sign_out_everywhere_else
from ..accounts.totp import provisioning_uri
from ..accounts.two_factor import begin_enrolment, confirm_enrolment, few_codes_left, new_recovery_codes
from ..config import settings
from ..extensions import limiter
from .account import SIGN_IN_RESULTS
from .sessions import client_ip

bp = Blueprint("security", __name__, url_prefix="/account")
ENROL_KEY = "enrol_secret"


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
    enrolment = begin_enrolment(account)
    session[ENROL_KEY] = enrolment.secret
    return _no_store(_enrol_page(enrolment.secret, enrolment.uri))


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
    secret = session.get(ENROL_KEY)
    if not secret:
        flash("Let's start the set-up again.")
        return redirect(url_for(".two_factor"), 303)
    account = current_user.account
    codes = confirm_enrolment(account, secret, request.form.get("code", "")[:64])
    if codes is None:
        uri = provisioning_uri(secret, account.email, settings().site_name)
        error = "That code didn't match. Type the code the app shows now for this site."
        return _no_store(_enrol_page(secret, uri, error), 400)
    session.pop(ENROL_KEY, None)
    return _no_store(render_template("account/recovery_codes.html", codes=codes, first=True))


@bp.post("/recovery-codes")
@login_required
@limiter.limit("10 per hour")
def regenerate_codes() -> BaseResponse:
    account = current_user.account
    if not directory().check_password(account.id, request.form.get("password", "")[:1024]):
        flash("That password wasn't right, so your recovery codes were not changed.")
        return redirect(url_for(".two_factor"), 303)
    record = directory().get(account.id)
    assert record is not None  # the signed-in owner's own account
    if not record.two_factor:
        abort(400, description="Turn on two-step verification first.")
    codes = new_recovery_codes(account.id)
    return _no_store(render_template("account/recovery_codes.html", codes=codes, first=False))


def _back_to_account() -> BaseResponse:
    """To the part of the account page the button was on: the checkup or the device list."""
    anchor = "checkup" if request.form.get("then") == "checkup" else "devices"
    return redirect(url_for("account.overview") + "#" + anchor, 303)


@bp.post("/devices/<int(max=2147483647):device_id>/remove")
@login_required
@limiter.limit("30 per hour")
def remove_device(device_id: int) -> BaseResponse:
    if directory().remove_device(current_user.account.id, device_id):
        audit.record(
            "account.device-removed", actor="owner", target=current_user.account.email, ip=client_ip()
        )
        flash("The device was removed and signed out. If it signs in again, we'll email you.")
    return _back_to_account()


@bp.post("/devices/<int(max=2147483647):device_id>/confirm")
@login_required
def confirm_device(device_id: int) -> BaseResponse:
    if directory().confirm_device(current_user.account.id, device_id):
        flash("Marked as yours. If you ever lose it, remove it here.")
    else:
        flash("That device is no longer on your list: it was removed.")
    return _back_to_account()


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> BaseResponse:
    """Every other session ends, and devices the owner hasn't confirmed are forgotten."""
    done = sign_out_everywhere_else(current_user.account.id, current_user.token, current_user.session_id)
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
        abort(400, description="Open the list of failed sign-ins again and review it from there.")
    mark_failures_reviewed(current_user.account.id, through)
    flash("Thanks: these failed sign-ins are marked as reviewed. New ones will show up in the checkup.")
    return redirect(url_for("account.overview") + "#checkup", 303)


def _moment(text: str) -> datetime | None:
    """An ISO time with its zone, as the review page sends it; None for anything else."""
    try:
        moment = datetime.fromisoformat(text[:64])
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
