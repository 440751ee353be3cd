"""Errors of the API as RFC 9457 problem details (`application/problem+json`), never HTML."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:helpdesk:problem:"

# the problem type and title of every status the API answers with, when nothing more specific applies
# (titles and details are said in the reader's language; the problem types never change)
BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad-request", lazy_gettext("The request could not be read")),
    401: ("unauthorized", lazy_gettext("A bearer token is needed")),
    403: ("forbidden", lazy_gettext("Not allowed")),
    404: ("not-found", lazy_gettext("Not found")),
    405: ("method-not-allowed", lazy_gettext("Method not allowed")),
    409: ("conflict", lazy_gettext("That changed meanwhile")),
    410: ("gone", lazy_gettext("Gone")),
    413: ("too-large", lazy_gettext("The body is too large")),
    415: ("unsupported-media-type", lazy_gettext("The body must be JSON")),
    422: ("invalid", lazy_gettext("The request has a mistake")),
    429: ("too-many-requests", lazy_gettext("Too many requests")),
    500: ("server-error", lazy_gettext("Something went wrong on our side")),
    503: ("unavailable", lazy_gettext("Not available right now")),
}

DETAILS: dict[int, str] = {
    400: lazy_gettext("Something in the request was not right."),
    404: lazy_gettext("There is nothing at this address. The API is described at /api/openapi.json."),
    413: lazy_gettext("What you sent is larger than the API accepts: a body may be at most 64 KB."),
    429: lazy_gettext("You have made too many requests in a short time. Wait a little and try again."),
    500: lazy_gettext("Nothing you did caused this. Please try again in a minute."),
    503: lazy_gettext("Please try again in a minute."),
}


class ApiProblem(HTTPException):
    """Raised anywhere in an API view; the app's error handler turns it into problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str = "",
        title: str = "",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(description=str(detail))
        self.code = status
        default_kind, default_title = BY_STATUS.get(status, BY_STATUS[500 if status >= 500 else 400])
        self.kind = kind or default_kind
        self.title = str(title or default_title)
        self.extra_headers = headers or {}
        self.extra = extra


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str = "",
    title: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    default_kind, default_title = BY_STATUS.get(status, BY_STATUS[500 if status >= 500 else 400])
    body = {
        "type": TYPE_PREFIX + (kind or default_kind),
        "title": str(title or default_title),
        "status": status,
        "detail": str(detail),
        "instance": request.path,
        **extra,
    }
    # ASCII with \u escapes: whatever a request put into a problem (a lone surrogate, say) encodes
    response = Response(json.dumps(body, ensure_ascii=True), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_error(error: HTTPException) -> Response:
    """Any HTTP error raised while serving the API (ours, routing's, the rate limiter's) as a problem."""
    if isinstance(error, ApiProblem):
        return problem_response(
            error.code or 400,
            error.description or "",
            kind=error.kind,
            title=error.title,
            headers=error.extra_headers,
            **error.extra,
        )
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() == "allow"}
    detail = str(DETAILS.get(status, error.description or ""))
    if status == 405:
        allowed = sorted(
            m for m in getattr(error, "valid_methods", None) or () if m not in ("HEAD", "OPTIONS")
        )
        if allowed:
            detail = gettext(
                "%(method)s is not allowed at this address; use %(allowed)s.",
                method=request.method,
                allowed=" or ".join(allowed),
            )
        else:
            detail = gettext("%(method)s is not allowed at this address.", method=request.method)
    elif status == 429:
        detail = gettext(
            "Too many requests from your address (at most %(limit)s). Wait a little and try again.",
            limit=error.description,
        )
    return problem_response(status, detail, headers=headers)


def server_error() -> Response:
    return problem_response(500, str(DETAILS[500]))
