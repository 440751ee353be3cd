"""Passkey pages: the owner's list (/account/passkeys: add, rename, remove) and signing in with a
passkey from /login. The ceremonies' JSON endpoints are page endpoints (the browser's cookie
session and CSRF token, `static/passkeys.js`), not part of the cookie-less /api/v1."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import passkeys
from ..accounts.directory import directory
from ..accounts.passkey_ceremony import (
    PasskeyCeremonyBusy,
    PasskeyRefused,
    PasskeyRemoved,
    PasskeysNotOffered,
    RemovalRefused,
    add_passkey,
    passkeys_offered,
    registration_options,
    remove_passkey,
    sign_in_options,
    sign_in_with_passkey,
)
from ..accounts.passkeys import PasskeyAlreadyAdded
from ..accounts.signin import Attempt
from ..extensions import limiter
from ..links import WellKnownFlow
from .account import PENDING_KEY, PENDING_SECONDS, _safe_next, _signed_in
from .security import CONFIRM_FIRST, ENROL_SLACK, _no_store, _proof_is_fresh
from .sessions import DEVICE_COOKIE, client_device, client_ip

bp = Blueprint("passkeys", __name__)
BODY_LIMIT = 32 * 1024


@bp.app_context_processor
def _offered() -> dict[str, Any]:
    """`passkeys_offered()` in every template: the login and account pages show passkeys only
    where the configured directory declares them."""
    return {"passkeys_offered": passkeys_offered}


@bp.before_request
def _only_where_offered() -> None:
    if not passkeys_offered():
        raise PasskeysNotOffered()


def _json(body: dict[str, Any], status: int = 200) -> BaseResponse:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _body() -> dict[str, Any]:
    request.max_content_length = BODY_LIMIT
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _credential(body: dict[str, Any]) -> dict[str, Any] | str:
    """The browser's answer (`PublicKeyCredential.toJSON()`); "" when the body has none."""
    credential = body.get("credential")
    return credential if isinstance(credential, dict) else ""


def _confirm_first() -> BaseResponse:
    """To "Confirm it's you", then back to the passkeys page."""
    return redirect(url_for("security.confirm_identity", next=url_for(".overview")), 303)


def _diagnosis_url() -> str:
    return url_for("diagnose.start", flow_id=WellKnownFlow.PASSKEY_TROUBLE)


@bp.get("/account/passkeys")
@login_required
def overview() -> BaseResponse:
    owner = current_user.account
    return _no_store(
        render_template(
            "account/passkeys.html",
            passkeys=passkeys.passkeys_of(str(owner.id)),
            diagnosis_url=_diagnosis_url(),
        )
    )


@bp.post("/account/passkeys/add")
@login_required
@limiter.limit("30 per hour")
def add_without_script() -> BaseResponse:
    """The "Add a passkey" form, sent without JavaScript: confirm it's you first if needed; adding a
    passkey itself needs the browser's JavaScript (the page says so)."""
    if not _proof_is_fresh():
        flash(f"{CONFIRM_FIRST} {_('Then choose “Add a passkey” again.')}")
        return _confirm_first()
    flash(
        _(
            "Adding a passkey needs JavaScript, which is off or blocked in this browser. "
            "Turn it on and try again; your password keeps working meanwhile."
        )
    )
    return redirect(url_for(".overview"), 303)


@bp.post("/account/passkeys/options")
@login_required
@limiter.limit("30 per hour")
def add_options() -> BaseResponse:
    """Options for `navigator.credentials.create()`, once the proof is fresh (else where to give it)."""
    if not _proof_is_fresh():
        flash(f"{CONFIRM_FIRST} {_('Then choose “Add a passkey” again.')}")
        confirm = url_for("security.confirm_identity", next=url_for(".overview"))
        return _json({"error": CONFIRM_FIRST, "redirect": confirm}, 403)
    options = registration_options(current_user.account)
    return Response(options, mimetype="application/json", headers={"Cache-Control": "no-store"})


@bp.post("/account/passkeys")
@login_required
@limiter.limit("30 per hour")
def add() -> BaseResponse:
    """The authenticator's answer: verified, kept, mailed; the page is shown again."""
    if not _proof_is_fresh(slack=ENROL_SLACK):
        confirm = url_for("security.confirm_identity", next=url_for(".overview"))
        return _json({"error": CONFIRM_FIRST, "redirect": confirm}, 403)
    body = _body()
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    try:
        added = add_passkey(
            current_user.account,
            _credential(body),
            name or _device_name(),
            ip=client_ip(),
            device=client_device(),
        )
    except (PasskeyRefused, PasskeyAlreadyAdded) as refused:
        return _json({"error": str(refused)}, refused.http_status)
    flash(_("Passkey “%(name)s” added. You can now sign in with it, without your password.", name=added.name))
    return _json({"redirect": url_for(".overview")}, 201)


def _device_name() -> str:
    return _("Passkey on %(device)s", device=client_device()) if client_device() else ""


@bp.post("/account/passkeys/<int(max=2147483647):passkey_id>/rename")
@login_required
@limiter.limit("60 per hour")
def rename(passkey_id: int) -> BaseResponse:
    name = request.form.get("name", "")[:200]
    if not passkeys.clean_name(name):
        flash(_("Give the passkey a name, so you can tell it apart from the others."))
    elif passkeys.rename(str(current_user.account.id), passkey_id, name):
        flash(_("The passkey was renamed."))
    else:
        flash(_("That passkey is no longer on your account."))
    return redirect(url_for(".overview"), 303)


@bp.post("/account/passkeys/<int(max=2147483647):passkey_id>/remove")
@login_required
@limiter.limit("30 per hour")
def remove(passkey_id: int) -> BaseResponse:
    if not _proof_is_fresh():
        flash(f"{CONFIRM_FIRST} {_('Then choose “Remove” again.')}")
        return _confirm_first()
    account = directory().get(current_user.account.id)
    assert account is not None  # the signed-in owner's own account
    try:
        removed = remove_passkey(account, passkey_id, ip=client_ip(), device=client_device())
    except RemovalRefused as refused:
        page = render_template(
            "account/passkeys.html",
            passkeys=passkeys.passkeys_of(str(account.id)),
            diagnosis_url=_diagnosis_url(),
            error=str(refused),
        )
        return _no_store(page, refused.http_status)
    if removed is None:
        flash(_("That passkey is no longer on your account."))
    else:
        flash(_("Passkey “%(name)s” removed: it can no longer sign in to your account.", name=removed.name))
    return redirect(url_for(".overview"), 303)


# signing in


@bp.post("/login/passkey/options")
@limiter.limit("30 per minute;300 per hour")
def sign_in_start() -> BaseResponse:
    email = _body().get("email")
    try:
        options = sign_in_options(client_ip(), email[:320] if isinstance(email, str) else "")
    except PasskeyCeremonyBusy as busy:
        return _json({"error": str(busy)}, busy.http_status)
    return Response(options, mimetype="application/json", headers={"Cache-Control": "no-store"})


@bp.post("/login/passkey")
@limiter.limit("30 per minute;300 per hour")
def sign_in() -> BaseResponse:
    """The passkey's answer: signed in (where to go next), the code step, or why not, as JSON."""
    if current_user.is_authenticated:
        return _json({"redirect": url_for("account.overview")})
    body = _body()
    next_url = body.get("next") if isinstance(body.get("next"), str) else ""
    try:
        attempt = sign_in_with_passkey(
            _credential(body),
            ip=client_ip(),
            device=client_device(),
            device_token=request.cookies.get(DEVICE_COOKIE),
        )
    except PasskeyRemoved as removed:
        return _json({"error": str(removed), "redirect": url_for(".removed")}, removed.http_status)
    except (PasskeyRefused, PasskeyCeremonyBusy) as refused:
        return _json({"error": str(refused), "help": _diagnosis_url()}, refused.http_status)
    if attempt.result is Attempt.NEEDS_CODE and attempt.account is not None:
        session[PENDING_KEY] = {"account": attempt.account.id, "at": time.time(), "next": next_url}
        return _json({"redirect": url_for(".code")})
    signed_in = _signed_in(attempt, _safe_next(next_url) if next_url else "")
    return _json({"redirect": signed_in.headers["Location"]})


@bp.get("/login/code")
def code() -> BaseResponse:
    """The second step after a passkey without user verification (the form posts to /login)."""
    pending = session.get(PENDING_KEY) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return redirect(url_for("account.login"), 303)
    return _no_store(render_template("account/login_code.html"))


@bp.get("/login/passkey/removed")
def removed() -> BaseResponse:
    page = render_template("account/passkey_removed.html", diagnosis_url=_diagnosis_url())
    return _no_store(page, 410)
