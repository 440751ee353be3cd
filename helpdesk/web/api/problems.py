"""Errors of the API as RFC 9457 problem details (`application/problem+json`), never HTML."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:helpdesk:problem:"

# the problem type and title of every status the API answers with, when nothing more specific applies
BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "The request could not be read"),
    401: ("unauthorized", "A bearer token is needed"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "That changed meanwhile"),
    410: ("gone", "Gone"),
    413: ("too-large", "The body is too large"),
    415: ("unsupported-media-type", "The body must be JSON"),
    422: ("invalid", "The request has a mistake"),
    429: ("too-many-requests", "Too many requests"),
    500: ("server-error", "Something went wrong on our side"),
    503: ("unavailable", "Not available right now"),
}

DETAILS: dict[int, str] = {
    400: "Something in the request was not right.",
    404: "There is nothing at this address. The API is described at /api/openapi.json.",
    413: "What you sent is larger than the API accepts: a body may be at most 64 KB.",
    429: "You have made too many requests in a short time. Wait a little and try again.",
    500: "Nothing you did caused this. Please try again in a minute.",
    503: "Please try again in a minute.",
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
        super().__init__(description=detail)
        self.code = status
        default_kind, default_title = BY_STATUS.get(status, BY_STATUS[500 if status >= 500 else 400])
        self.kind = kind or default_kind
        self.title = title or default_title
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
        "title": title or default_title,
        "status": status,
        "detail": detail,
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
    detail = DETAILS.get(status, error.description or "")
    if status == 405:
        allowed = sorted(
            m for m in getattr(error, "valid_methods", None) or () if m not in ("HEAD", "OPTIONS")
        )
        detail = f"{request.method} is not allowed at this address" + (
            f"; use {' or '.join(allowed)}." if allowed else "."
        )
    elif status == 429:
        detail = (
            f"Too many requests from your address (at most {error.description}). Wait a little and try again."
        )
    return problem_response(status, detail, headers=headers)


def server_error() -> Response:
    return problem_response(500, DETAILS[500])
