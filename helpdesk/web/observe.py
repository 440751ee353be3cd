"""Every request observed: an id (X-Request-Id), its latency in the metrics, one access line.

- **The id.** Behind a trusted proxy (HELPDESK_TRUSTED_PROXIES > 0) the proxy's `X-Request-Id`
  is kept when it is a plain token (letters, digits, `._:+=/-`, 8 to 128 of them), so the
  proxy's log and ours name a request alike; otherwise (no trusted proxy: anyone could send the
  header, and choose ids that collide with others') a new one is drawn. It goes back on the
  response and on every log line written while the request is answered (web/logs.py).
- **The latency** goes to `helpdesk.metrics` by Flask endpoint name, never by path, so the
  series stay few whatever addresses are asked for. /metrics itself is not timed: a scrape every
  few seconds would only measure itself.
- **The access line** (HELPDESK_LOG_FORMAT=json only; in text the server's own access log is
  there): method, endpoint, path without the query string (where a support link's token may
  be) and with mail-link tokens redacted, status, duration in ms, client address, request id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request

from .. import metrics
from . import logs

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# what a layer in front of Flask calls to observe its own answer (web/fast_paths.py's `_observed`):
# environ, method, endpoint, path, status, the perf_counter it started at, the request id
Observed = Callable[["WSGIEnvironment", str, str, str, int, float, str], None]

HEADER = "X-Request-Id"
SANE_ID = re.compile(r"[A-Za-z0-9._:+=/-]{8,128}")
METRICS_ENDPOINT = "metrics_page.metrics_text"

access_log = logging.getLogger("helpdesk.access")


def request_id_from(header: str | None, *, trusted: bool) -> str:
    """The id of a request: the proxy's when it is trusted and the id is sane, else a new one."""
    if trusted and header and SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def register(app: Flask) -> None:
    settings = app.extensions["helpdesk.settings"]
    trusted = settings.trusted_proxies > 0
    json_lines = settings.log_format == "json"

    def begin() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(HEADER), trusted=trusted)

    # first of all: the rate limiter's and the CSRF check's own before_request may refuse the
    # request, and the functions after a refusal never run
    app.before_request_funcs.setdefault(None, []).insert(0, begin)

    @app.after_request
    def observed(response: Response) -> Response:
        request_id = g.get("request_id") or request_id_from(None, trusted=False)
        response.headers[HEADER] = request_id
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        scrape = request.endpoint == METRICS_ENDPOINT
        if not scrape:
            metrics.request_answered(request.endpoint, request.method, response.status_code, seconds)
        if json_lines and not (scrape and response.status_code == 200):
            log_access(request.method, request.endpoint, request.path, response.status_code, seconds,
                       request.remote_addr)
        return response


def log_access(
    method: str,
    endpoint: str | None,
    path: str,
    status: int,
    seconds: float,
    client: str | None,
    request_id: str | None = None,
) -> None:
    """The JSON access line of one request (*request_id*: when no Flask request is open, e.g. an
    answer of web/fast_paths; otherwise the log handler takes the request's own)."""
    path = logs.redact(path)
    extra: dict[str, object] = {
        "method": method,
        "endpoint": endpoint,
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "client": client,
    }
    if request_id is not None:
        extra["request_id"] = request_id
    access_log.info("%s %s %s", method, path, status, extra=extra)
