"""GET /metrics: the Prometheus text format, as HELPDESK_METRICS allows.

`off` (the default): a 404, as if there were no such page. `open`: anyone who reaches it (keep
it off the public side of the proxy: deploy/nginx.conf does). Anything else is the bearer token a
scraper must send (`Authorization: Bearer <token>`), compared in constant time; without it, a
401. Never rate limited (a scraper asks every few seconds), never cached, no cookie.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request

from .. import metrics
from ..config import settings
from ..extensions import limiter

bp = Blueprint("metrics_page", __name__)


def may_read(authorization: str | None, mode: str) -> bool:
    """Whether a request with this Authorization header may read the metrics under *mode*."""
    if mode == "open":
        return True
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), mode.encode())


@bp.get("/metrics")
@limiter.exempt
def metrics_text() -> Response:
    mode = settings().metrics
    if mode == "off":
        abort(404)
    if not may_read(request.headers.get("Authorization"), mode):
        return Response(
            "A bearer token is needed to read the metrics.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
            mimetype="text/plain",
        )
    body, content_type = metrics.exposition()
    return Response(body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"})
