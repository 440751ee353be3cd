"""The results page of a search (GET /search) for a browser without our cookies, given before
Flask's request work.

A search nobody asked lately is worked out and rendered afresh, and Flask's own work around the
view (its hooks, the session saved, the rate limiter's context, the response's finishing) costs
about as much again. `AnonymousSearches`, called by web/fast_paths.py, gives the same page with
the same pieces and none of that:

- the browser: none of our cookies (no session, sign-in or remember cookie): the page is the one
  everybody gets (`caching.same_for_everyone`);
- the view's rate limit (`search.results`'s `120 per minute`, scope `search`, shared with the
  API's search), counted in Flask-Limiter's storage with its headers (web/fast_limits.py);
- the live-reload look Flask's before_request takes;
- the view's own work, `search_page.everyones_results`, in a request context (the language, the
  templates' translations, the addresses), which records a search that found nothing as the view
  does, and keeps and answers pages as the view does (`caching.cached_answer`: ETag, 304), sent
  without a Response object around them;
- the headers Flask adds: the security headers, a request id, the limit's, `Vary` (as the view
  sets it); its latency under `search.results` and its access line.

A refusal by the limit, an error, a session the view changed or work it left for after the request
(`after_this_request`) goes on to Flask, which answers as always (the limit then not counted
again).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import g
from flask.ctx import RequestContext
from werkzeug.http import HTTP_STATUS_CODES, parse_cookie, remove_entity_headers

from ..content.live import LIVE_KEY
from . import search_page
from .fast_limits import ViewLimits
from .observe import HEADER, Observed, request_id_from
from .sessions import SignInApart

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from flask import Flask

_STATUS = {code: f"{code} {HTTP_STATUS_CODES[code].upper()}" for code in (200, 304)}  # as Werkzeug's
ENDPOINT = "search.results"  # the Flask view answering the same (its name in the metrics)
PATH = "/search"


class AnonymousSearches:
    """The results pages of web/fast_paths.py (`answer`), or None: Flask answers."""

    def __init__(self, app: Flask, common: list[tuple[str, str]], observed: Observed) -> None:
        self.app = app
        self.common = common
        self.observed = observed
        settings = app.extensions["helpdesk.settings"]
        self.trusted = settings.trusted_proxies > 0
        self.reloads = settings.reload_seconds >= 0  # as content/live.load_into registers its look
        self.ours = (
            app.config["SESSION_COOKIE_NAME"],
            app.config["SIGN_IN_COOKIE_NAME"],
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),  # Flask-Login's
        )
        self.limits = ViewLimits(app, search_page.results, ENDPOINT, "GET")

    def answer(
        self, environ: WSGIEnvironment, start_response: StartResponse, method: str
    ) -> Iterable[bytes] | None:
        started = time.perf_counter()
        if not environ.get("SCRIPT_NAME", "").isascii():
            return None  # (Flask decodes it; this layer does not try)
        header = environ.get("HTTP_COOKIE")
        if header and any(name in parse_cookie(header) for name in self.ours):
            return None  # perhaps signed in, or a message waiting: Flask's page
        counted = self.limits.count(environ)
        if counted is None:
            return None  # over the limit: Flask counts it and answers its 429 page
        app = self.app
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"), trusted=self.trusted)
        try:
            if self.reloads:
                app.extensions[LIVE_KEY].refresh(app)  # the look Flask's before_request takes
            # the session Flask would open for a browser without our cookies, handed to it
            interface = app.session_interface
            session = interface.without_cookies() if isinstance(interface, SignInApart) else None
            with RequestContext(app, environ, session=session) as context:
                g.request_id, g.request_started = request_id, started  # as web/observe.py's hook
                status, headers, body = search_page.everyones_results()
                if context.session.modified or context._after_request_functions:
                    return None  # a cookie to send, a header to add: Flask's work (not seen here)
        except Exception:  # the database, say: Flask answers, with its error page and its log line
            return None
        if status == 200:  # what Werkzeug's Response adds: the length
            headers = [*headers, ("Content-Length", str(len(body)))]
        else:  # and what it takes from a 304: the entity's headers (Last-Modified)
            remove_entity_headers(headers)
        present = {name.lower() for name, _ in headers}
        headers += [(name, value) for name, value in self.common if name.lower() not in present]
        start_response(_STATUS[status], [*headers, *counted, (HEADER, request_id)])
        self.observed(environ, method, ENDPOINT, PATH, status, started, request_id)
        return [] if method == "HEAD" or status == 304 else [body]
