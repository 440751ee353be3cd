"""Sign-in, sign-out, password reset and unlock links, and the signed-in account page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..accounts import sessions
from ..accounts.directory import directory
from ..accounts.recovery import ask_for_link, request_reset, request_unlock, reset_password, unlock_account
from ..accounts.signin import attempt_sign_in
from ..accounts.tokens import check_token
from ..extensions import limiter

bp = Blueprint("account", __name__)

SIGN_IN_REFUSED = (
    "That email and password don't match an account we can sign you in to right now. "
    "Check them and try again. After several tries an account is locked for a while: "
    "the help center can unlock it or reset your password."
)
TOKEN_PROBLEMS = {
    "used": "This link was already used. Each link works only once.",
    "expired": "This link has expired: links work for 30 minutes.",
    "superseded": "A newer link was sent after this one, so this one no longer works. Use the newest email.",
    "unknown": "This link is not valid. It may have been copied incompletely.",
}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("account.overview")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute;300 per hour", methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    if request.method == "GET":
        return render_template("account/login.html", email="", next=request.args.get("next", ""))
    email = request.form.get("email", "")[:320]
    password = request.form.get("password", "")[:1024]
    attempt = attempt_sign_in(email, password, sessions.client_ip(), sessions.client_device())
    if not attempt.ok or attempt.account is None:
        return render_template(
            "account/login.html", email=email, error=SIGN_IN_REFUSED, next=request.form.get("next", "")
        ), 400
    sessions.start(attempt.account)
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        sessions.end(current_user)
    flash("You are signed out.")
    return redirect(url_for("public.home"), 303)


@bp.get("/account")
@login_required
def overview() -> str:
    accounts = directory()
    return render_template(
        "account/overview.html",
        account=current_user.account,
        history=accounts.sign_ins(current_user.account.id, 20),
        sessions=accounts.sessions(current_user.account.id),
        this_session=current_user.session_id,
    )


def _ask_for_link(template: str, send: Callable[[str, str], None]) -> Response | str | tuple[str, int]:
    """The forgot-password and unlock request pages: one address in, the same answer for all."""
    if request.method == "GET":
        return render_template(template, email=request.args.get("email", "")[:320])
    email = request.form.get("email", "")[:320]
    asked = ask_for_link(send, email, sessions.client_ip())
    if not asked.ok:
        return render_template(template, email=email, error=asked.message), asked.http_status
    flash(asked.message)
    return redirect(url_for("account.link_sent"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
def forgot_password() -> Response | str | tuple[str, int]:
    return _ask_for_link("account/forgot.html", request_reset)


@bp.route("/unlock", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
def unlock_request() -> Response | str | tuple[str, int]:
    return _ask_for_link("account/unlock_request.html", request_unlock)


@bp.get("/password/forgot/sent")
def link_sent() -> str:
    return render_template("account/sent.html")


def _no_referrer(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/password/reset/<token>")
def reset_link(token: str) -> Response:
    """Keep the token out of the address bar and of Referer headers: into the session, then on."""
    session["reset_token"] = token[:100]
    return _no_referrer(redirect(url_for("account.reset_form"), 303))


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_form() -> Response:
    token = session.get("reset_token", "")
    checked = check_token(token, "reset")
    if checked.status != "valid":
        return _link_problem(checked.status, "reset link", url_for("account.forgot_password"))
    if request.method == "GET":
        return _no_referrer(Response(render_template("account/reset.html")))
    result = reset_password(token, request.form.get("new_password", "")[:1024])
    if result.status == "refused":
        return _no_referrer(Response(render_template("account/reset.html", error=result.problem), 400))
    if result.status != "valid":
        return _link_problem(str(result.status), "reset link", url_for("account.forgot_password"))
    session.pop("reset_token", None)
    flash("Your password was changed and every other device was signed out. Sign in with the new password.")
    return _no_referrer(redirect(url_for("account.login"), 303))


@bp.route("/unlock/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def unlock(token: str) -> Response:
    """GET only shows a button: mail scanners that open links must not use them up."""
    if request.method == "GET":
        checked = check_token(token, "unlock")
        if checked.status != "valid":
            return _link_problem(checked.status, "unlock link", url_for("account.unlock_request"))
        return _no_referrer(Response(render_template("account/unlock.html", token=token)))
    result = unlock_account(token)
    if result.status != "valid":
        return _link_problem(result.status, "unlock link", url_for("account.unlock_request"))
    return _no_referrer(
        Response(
            render_template(
                "account/unlocked.html",
                was_locked=result.was_locked,
                remaining=_duration(result.would_have_lasted),
            )
        )
    )


def _link_problem(status: str, what: str, again: str) -> Response:
    page = render_template(
        "account/link_problem.html", problem=TOKEN_PROBLEMS[status], again=again, what=what
    )
    return _no_referrer(Response(page, 404 if status == "unknown" else 410))


def _duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    seconds = max(int(value.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if not hours and (seconds or not parts):
        parts.append(f"{seconds} second{'s' if seconds != 1 else ''}")
    return " ".join(parts)
