"""Friendly error pages, security headers, and what every template can use."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import audit
from ..accounts.devices import in_words as device_name
from ..accounts.org_directory import DirectoryUnavailable
from ..errors import DomainError
from ..extensions import db
from . import logs, moments, numbers
from .api import problems as api_problems
from .api.problems import is_api_request
from .sessions import sign_in_cookie_name
from .table_names import tables_named

PAGES = {
    400: (
        _l("That didn't work"),
        _l("Something in the request was not right. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("You don't have access to this page.")),
    404: (_l("Page not found"), _l("We couldn't find that page. It may have moved.")),
    405: (_l("That didn't work"), _l("This page can't be used that way.")),
    409: (_l("That changed meanwhile"), _l("Please reload the page and try again.")),
    413: (
        _l("Too large"),
        _l("What you sent is larger than we accept. Photos and scans may be at most 10 MB each."),
    ),
    429: (
        _l("Too many tries"),
        _l("You have tried this too often in a short time. Please wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Please try again in a minute."),
    ),
    503: (_l("Not available right now"), _l("Please try again in a minute.")),
}

DETAILS_400 = "Something in the request was not right."  # the API's words: English
DIRECTORY_UNAVAILABLE = (
    _l("We can't reach the account system right now"),
    _l("Nothing you did is lost: where you were is kept. Please try again in a few minutes."),
)
HSTS = "max-age=31536000; includeSubDomains"
PRIVATE_PREFIXES = (
    "/diagnose/",
    "/account",
    "/staff",
    "/editor",
    "/recovery",
    "/login",
    "/logout",
    "/password",
    "/unlock",
)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def register(app: Flask) -> None:
    logs.install(app)  # what the handlers below log (paths included) can be trusted and leaks nothing

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if code == 403:
            _note_refused_access()
        elif code == 429:  # abnormal numbers of requests show in the log (ASVS 8.1.4)
            current_app.logger.warning(
                "rate limit reached on %s %s by %s (%s)",
                request.method,
                request.path,
                _who(),
                error.description,
            )
        if is_api_request():  # the API answers every error as problem+json
            return api_problems.from_http_error(error)
        return _error_page(code, getattr(error, "description", None) if code in (400, 429) else None)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Any, int]:
        current_app.logger.warning(
            "form refused (CSRF: %s) on %s by %s", error.description, request.path, _who()
        )
        return _error_page(
            400,
            _(
                "This form had expired or was sent from somewhere else, so nothing was changed. "
                "Please go back, reload the page and try again."
            ),
        )

    @app.errorhandler(DirectoryUnavailable)
    def directory_unavailable(error: DirectoryUnavailable) -> Any:
        """The account system did not answer: a 503 that says so, and a way back to the page the
        person was on (a diagnosis stays at its step: the fix was not run, and can be again)."""
        db.session.rollback()
        current_app.logger.warning(
            "directory unavailable on %s %s: %s", request.method, request.path, error.detail
        )
        if is_api_request():
            return api_problems.problem_response(503, str(DIRECTORY_UNAVAILABLE[1]))
        title, message = (str(text) for text in DIRECTORY_UNAVAILABLE)
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"status": 503, "title": title, "detail": message}), 503
        back = request.path if request.path.startswith(("/diagnose/", "/editor/sandbox/")) else None
        answer = render_template("error.html", title=title, message=message, back=back)
        return answer, 503, {"Retry-After": "60"}

    @app.errorhandler(DomainError)
    def refused(error: DomainError) -> Any:
        """A refusal a view did not turn into its own page: still the person's 4xx, never a 500."""
        db.session.rollback()
        current_app.logger.info("unhandled %s on %s %s", type(error).__name__, request.method, request.path)
        if is_api_request():
            return api_problems.problem_response(error.http_status, DETAILS_400)
        return _error_page(error.http_status)  # its words may name internals: the page's own

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Any, int]:
        if isinstance(error, HTTPException):
            return http_error(error)
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if is_api_request():
            return api_problems.server_error(), 500
        return _error_page(InternalServerError.code)

    moments.install(app)  # the time filters, and the time zone a form sent for its mails
    numbers.install(app)  # numbers in the language's way, in translated strings and `| number`
    app.add_template_filter(device_name, "device_name")  # "Firefox on Android" in the reader's language
    app.add_template_filter(tables_named)

    @app.context_processor
    def site() -> dict[str, Any]:
        settings = app.extensions["helpdesk.settings"]
        return {"site_name": settings.site_name, "support_email": settings.support_email}

    https = app.extensions["helpdesk.settings"].site_url.startswith("https://")

    def _private(path: str) -> bool:
        """A response no cache may keep: a form's answer, a diagnosis, anything about an account,
        staff or recovery, and anything shown to a signed-in person (the styles and scripts
        excepted: they hold nothing of anyone's)."""
        if request.method == "POST" or path.startswith(PRIVATE_PREFIXES):
            return True
        if sign_in_cookie_name(app) not in request.cookies and "_user_id" not in session:
            return False  # no sign-in came with the request, and none was made during it
        return request.endpoint != "static" and current_user.is_authenticated

    every_response = [(name.lower(), name, value) for name, value in security_header_values(https)]

    @app.after_request
    def security_headers(response: Response) -> Response:
        # each unless the view set its own: the names looked at once, not once per header
        present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118 (Headers)
        response.headers.extend([(name, value) for low, name, value in every_response if low not in present])
        if "cache-control" not in present and _private(request.path):
            response.headers["Cache-Control"] = "no-store"
        return response


def security_header_values(https: bool) -> list[tuple[str, str]]:
    """The headers every answer carries (web/fast_paths.py sends them with its own answers)."""
    values = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if https:  # browsers then refuse plain http for a year (ASVS 14.4.5)
        values.append(("Strict-Transport-Security", HSTS))
    return values


def _who() -> str:
    """Who sent the request, for a log line: the signed-in account's id, or the address."""
    if current_user.is_authenticated:
        return f"account {current_user.account.id} from {request.remote_addr}"
    return f"{request.remote_addr}"


def _note_refused_access() -> None:
    """A signed-in person turned away from a page they may not open is audited (ASVS 7.2.2,
    4.1.5); an anonymous one is only logged, so a crawler cannot fill the audit trail."""
    if current_user.is_authenticated:
        audit.record(
            "access.denied",
            actor=current_user.account.email,
            target=logs.redact(request.path),
            ip=request.remote_addr or "",
            method=request.method,
        )
    else:
        current_app.logger.info("access denied on %s %s to %s", request.method, request.path, _who())


def _error_page(code: int, detail: str | None = None) -> tuple[Any, int]:
    title, message = (str(text) for text in PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400]))
    if detail and not detail.startswith(("The browser (or proxy)", "The server")):
        message = detail
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"status": code, "title": title, "detail": message}), code
    return render_template("error.html", title=title, message=message), code
