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

An article asked for by a browser with no cookie of ours (a first visit, a crawler, a shared
cache) gets the page the view put in the page cache (web/caching.py), once it is there, with all
the view and Flask's hooks would have done for it: the live-reload look at the files, the view
counted (readership), the same caching headers, 304s and gzip (`caching.answer`), no cookie,
the security headers, a request id, its latency under `public.article` and its access line. A page
not yet cached, a draft, an unknown slug, or any cookie of ours goes on to Flask.
A diagnosis step (GET) asked for by a browser that is not signed in, with its diagnosis cookie
and no message waiting, is a question or info page whose only parts of its own are a few values:
the page the step view kept (`web/diagnose.kept_step_page`, filled as the view fills it) is served
with those values, the CSRF token Flask-WTF would put there (`web/csrf_tokens`), and the headers
Flask sends it (no-store, Vary: Cookie, the security headers, no cookie), observed under
`diagnose.step`. Anything else (a cookie due to be signed again, a sign-in, a step not kept yet, an
action step, a diagnosis not found, any error) goes on to Flask, which answers as always.
A plain answer to such a step (POST), from such a browser, is given by web/answer_fast_path.py
(`PlainAnswers`): the same CSRF check, rate limit, move and redirect as `diagnose.submit`'s.
A search's results page for a browser without our cookies is given by web/search_fast_path.py
(`AnonymousSearches`): the view's own work and rate limit, without Flask's around it.
Behind a trusted proxy this layer sits inside ProxyFix: the client address it logs is the real one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.http import http_date, is_resource_modified, parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import metrics, readership
from ..cases.diagnoses import flow_of, read_diagnosis
from ..content.live import KEY as CATALOG_KEY
from ..content.live import LIVE_KEY
from ..extensions import db
from .answer_fast_path import PlainAnswers
from .caching import CACHE_KEY, PageCache, answer
from .csrf_tokens import FIELD as CSRF_FIELD
from .csrf_tokens import signed
from .diagnose import SESSION_KEY as DIAGNOSES_KEY
from .diagnose import kept_step_page
from .errors import security_header_values
from .language import language_of, vary_of
from .observe import HEADER, log_access, request_id_from
from .public import ARTICLE_PAGE, health_report
from .search_fast_path import PATH as SEARCH
from .search_fast_path import AnonymousSearches
from .sessions import SignInApart
from .static_files import StaticFiles, cache_control_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

STATUS = {200: "200 OK", 304: "304 Not Modified", 503: "503 Service Unavailable"}
HEALTH_ENDPOINT = "public.healthz"  # the Flask route answering the same (its name in the metrics)
ARTICLE_ENDPOINT = "public.article"
ARTICLES = "/articles/"
HTML = ("Content-Type", "text/html; charset=utf-8")
DIAGNOSE = "/diagnose/"
STEP_ENDPOINT = "diagnose.step"


class FastPaths:
    def __init__(self, app: Flask, files: StaticFiles, inner: WSGIApplication) -> None:
        self.app = app
        self.files = files
        self.inner = inner
        settings = app.extensions["helpdesk.settings"]
        self.common = security_header_values(settings.site_url.startswith("https://"))
        self.trusted = settings.trusted_proxies > 0
        self.json_lines = settings.log_format == "json"
        self.settings = settings
        self.ours = (app.config["SESSION_COOKIE_NAME"], app.config["SIGN_IN_COOKIE_NAME"])
        self.reloads = settings.reload_seconds >= 0  # as content/live.load_into registers its look
        self.remember = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")  # Flask-Login's
        self.answers = PlainAnswers(app, self.common, self._observed)
        self.searches = AnonymousSearches(app, self.common, self._observed)

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
            elif path.startswith(ARTICLES):
                answered = self._article(environ, start_response, method, path)
                if answered is not None:
                    return answered
            elif path.startswith(DIAGNOSE) and method == "GET":
                answered = self._step(environ, start_response, path)
                if answered is not None:
                    return answered
            elif path == SEARCH:
                answered = self.searches.answer(environ, start_response, method)
                if answered is not None:
                    return answered
        elif method == "POST":
            path = environ.get("PATH_INFO", "")
            if path.startswith(DIAGNOSE):
                answered = self.answers.answer(environ, start_response, path)
                if answered is not None:
                    return answered
        return self.inner(environ, start_response)

    def _step(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes] | None:
        """A plain diagnosis step page for a browser not signed in, or None: Flask answers."""
        started = time.perf_counter()
        flow_id, _, step_id = path[len(DIAGNOSE) :].partition("/")
        script_root = environ.get("SCRIPT_NAME", "")
        if not (flow_id and step_id) or "/" in step_id or not (path.isascii() and script_root.isascii()):
            return None
        header = environ.get("HTTP_COOKIE")
        cookies = parse_cookie(header) if header else {}
        raw = cookies.get(self.ours[0])
        interface = self.app.session_interface
        if (
            not raw
            or self.ours[1] in cookies
            or self.remember in cookies
            or not isinstance(interface, SignInApart)
        ):
            return None  # no diagnosis cookie, or perhaps a sign-in: the page shows who it is
        app = self.app
        data, signed_at = interface.read_main_cookie(app, raw, to_change=False)
        if (
            signed_at is None
            or "_flashes" in data
            or interface.due_again(app, bool(data.get("_permanent")), signed_at)
        ):
            return None  # a message to show, or a cookie to sign and send again: Flask's work
        remembered = data.get(DIAGNOSES_KEY)
        diagnosis_id = remembered.get(flow_id) if isinstance(remembered, dict) else None
        secret = data.get(CSRF_FIELD)
        if not isinstance(diagnosis_id, int) or not isinstance(secret, str):
            return None
        if self.reloads:
            app.extensions[LIVE_KEY].refresh(app)
        language = language_of(environ, self.settings)
        try:
            with app.app_context(), db.engine.connect() as connection:  # not the ORM's session: one read
                diagnosis = read_diagnosis(diagnosis_id, connection)
                if diagnosis is None or diagnosis.flow_id != flow_id or diagnosis.sandbox:
                    return None
                compiled = flow_of(diagnosis) if step_id in diagnosis.path else None
                kept = (
                    kept_step_page(diagnosis, compiled, step_id, script_root.rstrip("/"), language)
                    if compiled
                    else None
                )
        except Exception:  # the database, say: Flask answers, with its error page and its log line
            return None
        if kept is None:
            return None
        page, values = kept
        values["csrf"] = signed(app, secret)
        body = page.fill(values).encode()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"), trusted=self.trusted)
        start_response(
            STATUS[200],
            [
                HTML,
                ("Content-Length", str(len(body))),
                ("Vary", vary_of(environ)),
                *self.common,
                ("Cache-Control", "no-store"),
                (HEADER, request_id),
            ],
        )
        self._observed(environ, "GET", STEP_ENDPOINT, path, 200, started, request_id)
        return [body]

    def _article(
        self, environ: WSGIEnvironment, start_response: StartResponse, method: str, path: str
    ) -> Iterable[bytes] | None:
        """A cached article page for a browser without our cookies, or None: Flask answers."""
        started = time.perf_counter()
        slug = path[len(ARTICLES) :]
        script_root = environ.get("SCRIPT_NAME", "")
        if not (slug and path.isascii() and script_root.isascii()) or self._has_our_cookie(environ):
            return None  # (a path beyond ASCII: Flask decodes it; this layer does not try)
        app = self.app
        if self.reloads:
            app.extensions[LIVE_KEY].refresh(app)  # the look Flask's before_request takes
        current = app.extensions[CATALOG_KEY]
        article = current.articles.get(slug)
        if article is None or article.draft:
            return None
        cache: PageCache = app.extensions[CACHE_KEY]
        # the key web/public.article gives web/caching.cached: script root, path, language, page
        language = language_of(environ, self.settings)
        page = cache.kept(current, (script_root.rstrip("/"), path, language, ARTICLE_PAGE), self.settings)
        if page is None:
            return None  # rendered by the view the first time
        readership.record_view(slug, app)
        status, headers, body = answer(page, environ, self.settings, shared=True)
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"), trusted=self.trusted)
        if status == 200:
            headers = [HTML, ("Content-Length", str(len(body))), *headers]
        else:  # as Werkzeug sends Flask's 304: without the entity's Last-Modified
            headers = [h for h in headers if h[0] != "Last-Modified"]
        start_response(STATUS[status], [*headers, *self.common, (HEADER, request_id)])
        self._observed(environ, method, ARTICLE_ENDPOINT, path, status, started, request_id)
        return [] if method == "HEAD" or status == 304 else [body]

    def _has_our_cookie(self, environ: WSGIEnvironment) -> bool:
        header = environ.get("HTTP_COOKIE")
        if not header:
            return False
        cookies = parse_cookie(header)
        return any(name in cookies for name in self.ours)

    def _observed(
        self,
        environ: WSGIEnvironment,
        method: str,
        endpoint: str,
        path: str,
        status: int,
        started: float,
        request_id: str,
    ) -> None:
        """What web/observe.py does for Flask's answers: the latency, and the access line."""
        seconds = time.perf_counter() - started
        metrics.request_answered(endpoint, method, status, seconds)
        if self.json_lines:
            log_access(method, endpoint, path, status, seconds, environ.get("REMOTE_ADDR"), request_id)

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
        self._observed(environ, method, HEALTH_ENDPOINT, "/healthz", status, started, request_id)
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
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):  # inside it: the client's address and scheme already set
        outer.app = FastPaths(app, files, outer.app)
        return
    # wrapping wsgi_app is the documented way to add middleware; mypy sees a method reassigned
    app.wsgi_app = FastPaths(app, files, outer)  # type: ignore[method-assign]
