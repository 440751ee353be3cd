"""Sign-in, sign-out, password reset and unlock links, and the signed-in account page."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from ..accounts import reauth
from ..accounts.checkup import run_checkup
from ..accounts.directory import AccountRecord, HistoryResult, directory
from ..accounts.recovery import (
    ResetRefused,
    ask_for_link,
    change_own_password,
    own_change_needs_code,
    request_reset,
    request_unlock,
    reset_needs_code,
    reset_password,
    unlock_account,
)
from ..accounts.signin import Attempt, SignInAttempt, attempt_sign_in, complete_sign_in
from ..accounts.tokens import TokenStatus, check_token
from ..accounts.two_factor import few_codes_left
from ..cases.verification.hold import pending_for
from ..config import settings
from ..extensions import limiter, login_manager
from ..links import WellKnownFlow
from . import sealed, sessions
from .diagnose import diagnosis_url, latest_diagnosis_url
from .sessions import RETURN_KEY

bp = Blueprint("account", __name__)

SIGN_IN_REFUSED = _l(
    "That email and password don't match an account we can sign you in to right now. "
    "Check them and try again. After several tries an account is locked for a while: "
    "the help center can unlock it or reset your password."
)
# every line of the owner's history, in plain words (a test holds every HistoryResult to one)
SIGN_IN_RESULTS = {
    HistoryResult.OK: _l("Signed in"),
    HistoryResult.OK_RECOVERY_CODE: _l("Signed in with a recovery code"),
    HistoryResult.WRONG_PASSWORD: _l("Wrong password"),
    HistoryResult.WRONG_CODE: _l("Wrong code"),
    HistoryResult.LOCKED: _l("Refused: locked"),
    HistoryResult.RESYNC: _l("Authenticator clock adjusted"),
    HistoryResult.RESYNC_FAILED: _l("Authenticator clock check failed"),
    HistoryResult.RESYNC_CODES_USED: _l("Authenticator clock check refused: codes used already"),
    HistoryResult.REAUTHENTICATED: _l("Confirmed it was you"),
    HistoryResult.PASSWORD_CHANGED: _l("Password changed"),
    HistoryResult.PASSWORD_RESET: _l("Password reset with an emailed link"),
    HistoryResult.PASSWORD_RECOVERED: _l("Password set after a recovery by support"),
    HistoryResult.UNLOCKED: _l("Account unlocked"),
    HistoryResult.AUTHENTICATOR_ENROLLED: _l("Two-step verification turned on"),
    HistoryResult.AUTHENTICATOR_REPLACED: _l("Authenticator replaced"),
    HistoryResult.RECOVERY_CODES_NEW: _l("New recovery codes"),
    HistoryResult.DEVICE_CONFIRMED: _l("Device marked as yours"),
    HistoryResult.DEVICE_REMOVED: _l("Device removed"),
    HistoryResult.SIGNED_OUT: _l("Signed out"),
    HistoryResult.SIGNED_OUT_EVERYWHERE: _l("Signed out everywhere else"),
    HistoryResult.SIGNED_OUT_IDLE: _l("Signed out after inactivity"),
    HistoryResult.SIGNED_OUT_EXPIRED: _l("Signed out: the session reached its time limit"),
    HistoryResult.CSV_EXPORTED: _l("Downloaded a CSV export"),
    HistoryResult.OK_PASSKEY: _l("Signed in with a passkey"),
    HistoryResult.PASSKEY_REFUSED: _l("Passkey refused"),
    HistoryResult.PASSKEY_CLONED: _l("Passkey refused: possibly a copied (cloned) passkey"),
    HistoryResult.PASSKEY_ADDED: _l("Passkey added"),
    HistoryResult.PASSKEY_REMOVED: _l("Passkey removed"),
    HistoryResult.PASSKEYS_REMOVED: _l("Every passkey removed by the recovery"),
}
HISTORY_SHOWN = 30
TOKEN_PROBLEMS = {
    TokenStatus.USED: _l("This link was already used. Each link works only once."),
    TokenStatus.EXPIRED: _l("This link has expired: links work for 30 minutes."),
    TokenStatus.SUPERSEDED: (
        _l("A newer link was sent after this one, so this one no longer works. Use the newest email.")
    ),
    TokenStatus.UNKNOWN: _l("This link is not valid. It may have been copied incompletely."),
    TokenStatus.SPENT: (
        _l(
            "Too many wrong codes were typed with this link, so it no longer works. "
            "Ask for a new one; if you can't get a code, the help center can guide you."
        )
    ),
}


def _safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, nothing a browser would read as one."""
    fallback = url_for("account.overview")
    if not target or len(target) > 500 or not target.startswith("/"):
        return fallback
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return fallback  # browsers drop tabs and newlines, so "/\t/evil.test" would mean "//evil.test"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return fallback
    return target


PENDING_KEY = "sign_in_pending"  # the account whose password was right, waiting for its code
PENDING_SECONDS = 300
CODE_REFUSED = _l(
    "That code didn't work. Codes change every 30 seconds: type the newest one, or a recovery code."
)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute;300 per hour", methods=["POST"])
def login() -> BaseResponse | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    if request.method == "GET":
        session.pop(PENDING_KEY, None)
        return render_template("account/login.html", email="", next=request.args.get("next", ""))
    if "code" in request.form and PENDING_KEY in session:
        return _login_code()
    email = request.form.get("email", "")[:320]
    password = request.form.get("password", "")[:1024]
    next_url = request.form.get("next", "")
    attempt = attempt_sign_in(
        email,
        password,
        sessions.client_ip(),
        sessions.client_device(),
        device_token=request.cookies.get(sessions.DEVICE_COOKIE),
    )
    if attempt.result is Attempt.NEEDS_CODE and attempt.account is not None:
        session[PENDING_KEY] = {"account": attempt.account.id, "at": time.time(), "next": next_url}
        return render_template("account/login_code.html")
    if not attempt.ok or attempt.account is None:
        return render_template(
            "account/login.html", email=email, error=str(SIGN_IN_REFUSED), next=next_url
        ), 400
    return _signed_in(attempt)


def _login_code() -> BaseResponse | str | tuple[str, int]:
    pending = session.get(PENDING_KEY) or {}
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        flash(_("That took a while, so please start again: sign-in codes must follow the password quickly."))
        return redirect(url_for("account.login"), 303)
    code = request.form.get("code", "")[:64]
    attempt = complete_sign_in(
        str(pending["account"]),  # a number in cookies set before account ids were strings
        code,
        sessions.client_ip(),
        sessions.client_device(),
        device_token=request.cookies.get(sessions.DEVICE_COOKIE),
    )
    if not attempt.ok:
        if attempt.result is Attempt.LOCKED:
            session.pop(PENDING_KEY, None)
            return render_template("account/login.html", email="", error=str(SIGN_IN_REFUSED), next=""), 400
        return render_template("account/login_code.html", error=str(CODE_REFUSED)), 400
    session.pop(PENDING_KEY, None)
    return _signed_in(attempt, pending.get("next", ""))


def start_proved(account: AccountRecord) -> None:
    """Sign this browser in after the person proved it was them (password, and code): that proof
    counts as a fresh "Confirm it's you", so a factor change right after needs no second one."""
    person = sessions.start(account)
    reauth.record_proof(person.session_id)


def _signed_in(attempt: SignInAttempt, next_url: str | None = None) -> BaseResponse:
    assert attempt.account is not None
    start_proved(attempt.account)
    if attempt.account.must_enrol_2fa:
        flash(_("Your account was recovered with support's help: set up two-step verification again now."))
        return redirect(url_for("security.two_factor"), 303)
    if attempt.result is Attempt.RECOVERY_CODE:
        flash(
            _(
                "You signed in with a recovery code, which now no longer works. "
                "Set up your authenticator app again and make new recovery codes."
            )
        )
        return redirect(url_for("security.two_factor"), 303)
    return redirect(_safe_next(next_url if next_url is not None else request.form.get("next")), 303)


@bp.post("/logout")
@limiter.limit("60 per hour")
def logout() -> BaseResponse:
    if current_user.is_authenticated:
        sessions.end(current_user)
    flash(_("You are signed out."))
    return redirect(url_for("public.home"), 303)


def _remember_return(target: str | None) -> None:
    """`/account?back=/diagnose/…`: a diagnosis sent the person here; offer the way back, even
    after signing in (the key survives it) and after the fix pages in between."""
    if not target:
        return
    safe = _safe_next(target)
    if safe == target and safe.startswith(("/diagnose/", "/editor/sandbox/")):
        session[RETURN_KEY] = safe


@bp.get("/account")
def overview() -> BaseResponse | str:
    _remember_return(request.args.get("back"))
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    accounts = directory()
    account_id = current_user.account.id
    account = accounts.get(account_id)
    assert account is not None  # signed in: the session was found joined to this account
    if account.must_enrol_2fa:
        return redirect(url_for("security.two_factor"), 303)
    checkup = run_checkup(account_id, current_user.session_id)
    return render_template(
        "account/overview.html",
        account=account,
        checkup=checkup,
        checkup_return=session.get(RETURN_KEY, ""),
        history=accounts.sign_ins(account_id, HISTORY_SHOWN),
        sessions=accounts.sessions(account_id),
        devices=accounts.devices(account_id),
        this_device=checkup.this_device,
        codes_left=checkup.codes_left,
        few_codes=few_codes_left(checkup.codes_left),
        results=SIGN_IN_RESULTS,
        pending_recoveries=pending_for(current_user.account),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def change_password() -> BaseResponse | str | tuple[str, int]:
    """The signed-in owner's password change: the current password (and, with two-step
    verification on, a code unless this session just gave one), then a new one."""
    account = current_user.account
    needs_code = own_change_needs_code(account, current_user.session_id)
    if request.method == "GET":
        return render_template("account/password.html", needs_code=needs_code)
    refused = change_own_password(
        account,
        request.form.get("password", "")[:1024],
        request.form.get("new_password", "")[:1024],
        session_id=current_user.session_id,
        code=request.form.get("code", "")[:64],
        ip=sessions.client_ip(),
        device=sessions.client_device(),
    )
    if refused:
        needs_code = own_change_needs_code(account, current_user.session_id)
        return render_template("account/password.html", error=refused, needs_code=needs_code), 400
    changed = directory().get(account.id)
    assert changed is not None  # the signed-in owner's own account
    start_proved(changed)  # the change ended every session, this one too
    flash(_("Your password was changed. Every other device was signed out."))
    return redirect(url_for("account.overview") + "#checkup", 303)


def _ask_for_link(template: str, send: Callable[[str, str], None]) -> BaseResponse | str | tuple[str, int]:
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
def forgot_password() -> BaseResponse | str | tuple[str, int]:
    return _ask_for_link("account/forgot.html", request_reset)


@bp.route("/unlock", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
def unlock_request() -> BaseResponse | str | tuple[str, int]:
    return _ask_for_link("account/unlock_request.html", request_unlock)


@bp.get("/password/forgot/sent")
def link_sent() -> str:
    return render_template("account/sent.html")


def _no_referrer(response: BaseResponse) -> BaseResponse:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


RESET_KEY = "reset_token"


def _reset_token() -> str:
    token = sealed.unseal(RESET_KEY, max_age=settings().token_minutes * 60)
    return token if isinstance(token, str) else ""


@bp.get("/password/reset/<token>")
def reset_link(token: str) -> BaseResponse:
    """Keep the token out of the address bar and of Referer headers: sealed into the session
    (unreadable in the cookie), then on."""
    sealed.seal(RESET_KEY, token[:100])
    return _no_referrer(redirect(url_for("account.reset_form"), 303))


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_form() -> BaseResponse:
    token = _reset_token()
    checked = check_token(token, "reset")
    if checked.status is not TokenStatus.VALID:
        return _link_problem(
            checked.status, _("This reset link doesn't work"), url_for("account.forgot_password")
        )
    needs_code = reset_needs_code(token)
    if request.method == "GET":
        return _no_referrer(Response(render_template("account/reset.html", needs_code=needs_code)))
    try:
        result = reset_password(
            token,
            request.form.get("new_password", "")[:1024],
            request.form.get("code", "")[:64],
            ip=sessions.client_ip(),
            device=sessions.client_device(),
            device_token=request.cookies.get(sessions.DEVICE_COOKIE),
        )
    except ResetRefused as refused:
        g.error_field, g.error_message = refused.field, refused.problem  # linked, shown beside it
        page = render_template("account/reset.html", error=refused.problem, needs_code=needs_code)
        return _no_referrer(Response(page, 400))
    if result.status is not TokenStatus.VALID:
        return _link_problem(
            result.status, _("This reset link doesn't work"), url_for("account.forgot_password")
        )
    session.pop(RESET_KEY, None)
    back = latest_diagnosis_url()
    if back:  # reset from a diagnosis's mail: carry on there (its next step checks the sign-in)
        return _no_referrer(Response(render_template("account/reset_done.html", diagnosis_url=back)))
    flash(
        _("Your password was changed and every other device was signed out. Sign in with the new password.")
    )
    return _no_referrer(redirect(url_for("account.login"), 303))


@bp.get("/unlock/<token>")
def unlock(token: str) -> BaseResponse:
    """The mailed link only shows a button: mail scanners that open links must not use them up.
    The button posts the token in the form's body to `unlock_confirm`, so the only address that
    carries it (and reaches access logs) is the mail's own."""
    checked = check_token(token, "unlock")
    if checked.status is not TokenStatus.VALID:
        return _link_problem(
            checked.status, _("This unlock link doesn't work"), url_for("account.unlock_request")
        )
    return _no_referrer(Response(render_template("account/unlock.html", token=token)))


@bp.post("/unlock/confirm")
@limiter.limit("20 per hour")
def unlock_confirm() -> BaseResponse:
    token = request.form.get("token", "")[:100]
    result = unlock_account(token, ip=sessions.client_ip(), device=sessions.client_device())
    if result.status is not TokenStatus.VALID:
        return _link_problem(
            result.status, _("This unlock link doesn't work"), url_for("account.unlock_request")
        )
    return _no_referrer(
        Response(
            render_template(
                "account/unlocked.html",
                was_locked=result.was_locked,
                remaining=_duration(result.would_have_lasted),
                diagnosis_url=diagnosis_url(WellKnownFlow.LOCKED_OUT),
            )
        )
    )


def _link_problem(status: TokenStatus, heading: str, again: str) -> BaseResponse:
    page = render_template(
        "account/link_problem.html", problem=str(TOKEN_PROBLEMS[status]), again=again, heading=heading
    )
    return _no_referrer(Response(page, 404 if status is TokenStatus.UNKNOWN else 410))


def _duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    seconds = max(int(value.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if not hours and (seconds or not parts):
        parts.append(ngettext("%(num)d second", "%(num)d seconds", seconds))
    return " ".join(parts)
