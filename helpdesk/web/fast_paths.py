"""The answers that need nothing of a page's request work: the static files and /healthz.

A first visit fetches four static files; none needs a session, a sign-in, CSRF, rate limits or
a template. This WSGI layer in front of Flask answers them from memory with the headers every
answer carries (`web/errors.security_header_values`) and hands everything else, unknown static
names included (404 pages, odd paths), to Flask. The Flask route `static` stays: `url_for` builds
its addresses, and it answers the same way. They are not in the request metrics or access log
(web/observe.py): in production the reverse proxy serves them anyway (deploy/).
/healthz, polled by load balancers every second or so on every worker, is answered here too,
from `web/public.health_report` (which asks the database at most every HELPDESK_HEALTH_SECONDS),
and observed as Flask's answers are (web/observe.py): a request id (a trusted proxy's kept), its
latency under the endpoint `public.healthz`, and its JSON access line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.http import http_date, is_resource_modified

from .. import metrics
from .errors import security_header_values
from .observe import HEADER, log_access, request_id_from
from .public import health_report
from .static_files import StaticFiles, cache_control_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

STATUS = {200: "200 OK", 304: "304 Not Modified", 503: "503 Service Unavailable"}
HEALTH_ENDPOINT = "public.healthz"  # the Flask route answering the same (its name in the metrics)


class FastPaths:
    def __init__(self, app: Flask, files: StaticFiles, inner: WSGIApplication) -> None:
        self.app = app
        self.files = files
        self.inner = inner
        settings = app.extensions["helpdesk.settings"]
        self.common = security_header_values(settings.site_url.startswith("https://"))
        self.trusted = settings.trusted_proxies > 0
        self.json_lines = settings.log_format == "json"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        if method in ("GET", "HEAD"):
            path: str = environ.get("PATH_INFO", "")
            if path.startswith("/static/"):
                found = self.files.by_hashed.get(path[8:]) or self.files.by_name.get(path[8:])
                if found is not None:
                    return self._static(environ, start_response, path[8:])
            elif path == "/healthz":
                return self._health(environ, start_response, method)
        return self.inner(environ, start_response)

    def _health(
        self, environ: WSGIEnvironment, start_response: StartResponse, method: str
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"), trusted=self.trusted)
        with self.app.app_context():
            report, status = health_report()
        body = (json.dumps(report, sort_keys=True, separators=(",", ":")) + "\n").encode()
        start_response(
            STATUS[status],
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                (HEADER, request_id),
                *self.common,
            ],
        )
        seconds = time.perf_counter() - started
        metrics.request_answered(HEALTH_ENDPOINT, method, status, seconds)
        if self.json_lines:
            client = environ.get("REMOTE_ADDR")  # (ProxyFix, inside, has not run: the hop's address)
            log_access(method, HEALTH_ENDPOINT, "/healthz", status, seconds, client, request_id)
        return [] if method == "HEAD" else [body]

    def _static(self, environ: WSGIEnvironment, start_response: StartResponse, name: str) -> Iterable[bytes]:
        found = self.files.by_hashed.get(name) or self.files.by_name[name]
        etag = found.digest[:32]
        headers = [
            ("Cache-Control", cache_control_for(self.files, name)),
            ("ETag", f'"{etag}"'),
            ("Last-Modified", http_date(found.modified)),
            *self.common,
        ]
        if not is_resource_modified(environ, etag=etag, last_modified=found.modified):
            start_response(STATUS[304], headers)
            return []
        headers += [("Content-Type", _content_type(found.mimetype)), ("Content-Length", str(len(found.body)))]
        start_response(STATUS[200], headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [found.body]


def _content_type(mimetype: str) -> str:
    return f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") else mimetype


def install(app: Flask, files: StaticFiles) -> None:
    # wrapping wsgi_app is the documented way to add middleware; mypy sees a method reassigned
    app.wsgi_app = FastPaths(app, files, app.wsgi_app)  # type: ignore[method-assign]
