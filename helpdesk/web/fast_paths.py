"""The two answers that need nothing of a page's request work: the static files and /healthz.

A load balancer asks /healthz of every worker every few seconds, and a first visit fetches four
static files; neither needs a session, a sign-in, CSRF, rate limits or a template. This WSGI
layer in front of Flask answers them from memory with the headers every answer carries
(`web/errors.security_header_values`) and hands everything else, unknown static names included
(404 pages, odd paths), to Flask. The Flask routes (`static`, `public.healthz`) stay: `url_for`
builds their addresses, and they answer the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.http import http_date, is_resource_modified

from .errors import security_header_values
from .static_files import StaticFiles, cache_control_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

STATUS = {200: "200 OK", 304: "304 Not Modified", 503: "503 Service Unavailable"}


class FastPaths:
    def __init__(self, app: Flask, files: StaticFiles, inner: WSGIApplication) -> None:
        self.app = app
        self.files = files
        self.inner = inner
        https = app.extensions["helpdesk.settings"].site_url.startswith("https://")
        self.common = security_header_values(https)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        if method in ("GET", "HEAD"):
            path: str = environ.get("PATH_INFO", "")
            if path.startswith("/static/"):
                found = self.files.by_hashed.get(path[8:]) or self.files.by_name.get(path[8:])
                if found is not None:
                    return self._static(environ, start_response, path[8:])
            elif path == "/healthz":
                return self._health(environ, start_response)
        return self.inner(environ, start_response)

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

    def _health(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        from .public import health_report

        with self.app.app_context():
            body, status = health_report()
        data = json.dumps(body).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            *self.common,
        ]
        start_response(STATUS[status], headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [data]


def _content_type(mimetype: str) -> str:
    return f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") else mimetype


def install(app: Flask, files: StaticFiles) -> None:
    # wrapping wsgi_app is the documented way to add middleware; mypy sees a method reassigned
    app.wsgi_app = FastPaths(app, files, app.wsgi_app)  # type: ignore[method-assign]
