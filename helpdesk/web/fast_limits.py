"""A view's rate limits, counted by a layer in front of Flask (web/answer_fast_path.py,
web/search_fast_path.py) as the view's Flask-Limiter decorator counts them: in the limiter's
storage, under the same key (the client's address) and scope, with the same `X-RateLimit-*` and
`Retry-After` headers.

A request counted here and then handed on to Flask after all (a refusal, an error) is marked in
its environ (`COUNTED`), and Flask-Limiter does not count it again (`_counted_already`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import request
from flask_limiter.constants import ConfigVars, HeaderNames
from flask_limiter.util import get_qualified_name
from werkzeug.http import http_date

from ..extensions import limiter

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from flask import Flask
    from flask_limiter._limits import RuntimeLimit
    from limits import RateLimitItem

COUNTED = "helpdesk.answer_counted"  # environ: the rate limit was hit here; Flask must not again


@limiter.request_filter
def _counted_already() -> bool:
    """A request a fast layer counted against the limit, then handed to Flask, is not counted twice."""
    return request.environ.get(COUNTED) is True


class ViewLimits:
    """The limits *view*'s decorator counts for *method*, answered as *endpoint*."""

    def __init__(self, app: Flask, view: Callable[..., Any], endpoint: str, method: str) -> None:
        self.app = app
        self.limits = _countable(
            limiter.limit_manager.decorated_limits(get_qualified_name(view)), endpoint, method.lower()
        )

    def count(self, environ: WSGIEnvironment) -> list[tuple[str, str]] | None:
        """Hit the view's rate limits as its decorator does: their headers, or None when refused,
        counted in a way this layer does not know, or the limiter's storage failed (Flask then
        counts, or answers the failure with its error page and every header)."""
        if not (limiter.enabled and limiter.initialized):
            return []
        if self.limits is None:
            return None
        try:
            return self._hit(environ, self.limits)
        except Exception:  # the storage (Redis) down, say: Flask's error page, not a bare 500
            return None

    def _hit(
        self, environ: WSGIEnvironment, limits: list[tuple[RateLimitItem, str, int]]
    ) -> list[tuple[str, str]] | None:
        config = self.app.config
        key = environ.get("REMOTE_ADDR") or "127.0.0.1"  # extensions._client_address, as Flask reads it
        prefix = config.get(ConfigVars.KEY_PREFIX, "")
        shown: tuple[RateLimitItem, list[str]] | None = None
        for item, scope, cost in limits:
            args = [prefix, key, scope] if prefix else [key, scope]
            if not limiter.limiter.hit(item, *args, cost=cost):
                return None
            environ[COUNTED] = True
            shown = shown or (item, args)
        if shown is None or not config.get(ConfigVars.HEADERS_ENABLED, False):
            return []
        item, args = shown  # Flask-Limiter's header limit: the first (and only) one
        reset, remaining = limiter.limiter.get_window_stats(item, *args)
        reset_at = int(reset + 1)
        after = config.get(ConfigVars.HEADER_RETRY_AFTER_VALUE)
        return [
            (HeaderNames.LIMIT.value, str(item.amount)),
            (HeaderNames.REMAINING.value, str(remaining)),
            (HeaderNames.RESET.value, str(reset_at)),
            (
                HeaderNames.RETRY_AFTER.value,
                http_date(reset_at) if after == "http-date" else str(int(reset_at - time.time())),
            ),
        ]


def _countable(
    limits: list[RuntimeLimit], endpoint: str, method: str
) -> list[tuple[RateLimitItem, str, int]] | None:
    """The view's limits as (limit, scope, cost), sorted as Flask-Limiter checks them; None if one
    depends on the request in a way only Flask-Limiter works out (exemptions, deductions after the
    answer, per method, a scope or cost worked out per request, meta limits)."""
    found = []
    for lim in sorted(limits, key=lambda x: x.limit):
        if lim.methods is not None and method not in lim.methods:
            continue
        if (
            lim.exempt_when
            or lim.deduct_when
            or lim.per_method
            or lim.meta_limits
            or not isinstance(lim.scope, str)
            or not isinstance(lim.cost, int)
        ):
            return None
        found.append((lim.limit, lim.scope if lim.shared else f"{endpoint}:{lim.scope}", lim.cost))
    return found
