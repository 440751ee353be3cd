"""The answers that need nothing of a page's request work: the static files.

A first visit fetches four static files; none needs a session, a sign-in, CSRF, rate limits or
a template. This WSGI layer in front of Flask answers them from memory with the headers every
answer carries (`web/errors.security_header_values`) and hands everything else, unknown static
names included (404 pages, odd paths), to Flask. The Flask route `static` stays: `url_for` builds
its addresses, and it answers the same way. They are not in the request metrics or access log
(web/observe.py): in production the reverse proxy serves them anyway (deploy/).
/healthz goes through Flask (its request id and latency are observed); it is cheap there
because it asks the database at most every HELPDESK_HEALTH_SECONDS (web/public.health_report).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.http import http_date, is_resource_modified

from .errors import security_header_values
from .static_files import StaticFiles, cache_control_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

STATUS = {200: "200 OK", 304: "304 Not Modified"}


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


def _content_type(mimetype: str) -> str:
    return f"{mimetype}; charset=utf-8" if mimetype.startswith("text/") else mimetype


def install(app: Flask, files: StaticFiles) -> None:
    # wrapping wsgi_app is the documented way to add middleware; mypy sees a method reassigned
    app.wsgi_app = FastPaths(app, files, app.wsgi_app)  # type: ignore[method-assign]
