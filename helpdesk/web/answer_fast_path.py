"""A plain answer to a diagnosis step (POST, then a redirect), given before Flask's request work.

Most POSTs to /diagnose/<flow>/<step> are a person ticking an answer on a question page: the form
carries its CSRF token and the answer, the diagnosis moves on, and the answer is a 303 to the next
step. Flask spends most of that request on itself (the request context, the session opened and
saved, Flask-WTF's CSRF check building a serializer, the rate limiter's context, the hooks);
`PlainAnswers`, called by web/fast_paths.py, does the same work without it, with the same pieces:

- the browser: not signed in (no sign-in or remember cookie), its diagnosis cookie valid and not due
  to be signed again (`sessions.SignInApart`), no message waiting, a form
  `application/x-www-form-urlencoded` of at most `MAX_BODY` bytes;
- the CSRF check Flask-WTF makes (`csrf_tokens.accepted`: the token of the session's secret, and
  under https the Referer of this host, WTF_CSRF_SSL_STRICT);
- the diagnosis read (`cases.diagnoses.read_diagnosis`), the step on its path a question or an info
  step, the answer one it takes (`answer_to`), the move allowed, and no hand-over to another flow;
- the view's rate limit (`diagnose.submit`'s, shared with the API: `120 per hour`, scope
  `diagnosis-answer`), hit in Flask-Limiter's storage under the key and scope its decorator uses,
  its `X-RateLimit-*` and `Retry-After` headers as Flask-Limiter sends them;
- `move_on`, as the view calls it (the same UPDATE, transcript lines and metrics);
- the view's answer: a 303 to the next step under the script root (a language prefix kept), the
  body Werkzeug's `redirect` gives, no cookie, the headers Flask adds (security headers,
  `no-store`, `Vary`, a request id), its latency under `diagnose.submit` and its access line.

Anything else, and any doubt, goes on to Flask, which answers as always: a form's body once read
is handed on intact (`wsgi.input` replaced by the bytes read, CONTENT_LENGTH kept). The limit is
hit only once all that may send the request on to Flask has been checked; the few ways on to Flask
after it (a refusal by the limit: Flask counts and refuses it again; a database error or a race
lost while moving on) are marked in the environ, and Flask-Limiter does not count those again
(web/fast_limits.py).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from flask_wtf.csrf import same_origin
from werkzeug.http import parse_cookie
from werkzeug.sansio.utils import get_host
from werkzeug.utils import redirect

from ..cases.diagnoses import answer_to, flow_of, last_visit, move_on, read_diagnosis
from ..content.live import LIVE_KEY
from ..extensions import db
from ..models import DiagnosisStatus
from . import diagnose
from .csrf_tokens import FIELD as CSRF_FIELD
from .csrf_tokens import accepted
from .fast_limits import ViewLimits
from .language import vary_of
from .observe import HEADER, Observed, request_id_from
from .sessions import SignInApart

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from flask import Flask
    from sqlalchemy import Connection

ENDPOINT = "diagnose.submit"  # the Flask view answering the same (its name in the metrics)
STEP_ENDPOINT = "diagnose.step"  # where the redirect leads
STATUS = "303 SEE OTHER"  # as Werkzeug names it
FORM = "application/x-www-form-urlencoded"
MAX_BODY = 4096  # an answer's form is a token and an answer: ~150 bytes
ANSWERING = ("question", "info")  # the steps a plain answer moves on (answer_to's)
LOCATIONS_KEPT = 4096


class PlainAnswers:
    """The plain answers of web/fast_paths.py (`answer`), or None: Flask answers."""

    def __init__(self, app: Flask, common: list[tuple[str, str]], observed: Observed) -> None:
        self.app = app
        self.common = common
        self.observed = observed
        settings = app.extensions["helpdesk.settings"]
        self.trusted = settings.trusted_proxies > 0
        self.reloads = settings.reload_seconds >= 0
        self.ours = (app.config["SESSION_COOKIE_NAME"], app.config["SIGN_IN_COOKIE_NAME"])
        self.remember = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")  # Flask-Login's
        self.locations: dict[tuple[str, str, str], tuple[str, bytes]] = {}
        # the limits the view's decorator counts (diagnose.submit: one, shared with the API's)
        self.limits = ViewLimits(app, diagnose.submit, ENDPOINT, "POST")

    def answer(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes] | None:
        started = time.perf_counter()
        flow_id, _, step_id = path[len("/diagnose/") :].partition("/")
        script_name: str = environ.get("SCRIPT_NAME", "")
        if not (flow_id and step_id) or "/" in step_id or not (path.isascii() and script_name.isascii()):
            return None
        content_type: str = environ.get("CONTENT_TYPE", "")
        length: str = environ.get("CONTENT_LENGTH", "")
        if content_type.partition(";")[0].strip().lower() != FORM or not length.isdigit():
            return None
        if not 0 < int(length) <= MAX_BODY:
            return None
        header = environ.get("HTTP_COOKIE")
        cookies = parse_cookie(header) if header else {}
        raw = cookies.get(self.ours[0])
        interface = self.app.session_interface
        if not raw or self.ours[1] in cookies or self.remember in cookies:
            return None  # no diagnosis, or perhaps a sign-in
        if not isinstance(interface, SignInApart):
            return None
        app = self.app
        data, signed_at = interface.read_main_cookie(app, raw, to_change=False)
        if (
            signed_at is None
            or "_flashes" in data
            or interface.due_again(app, bool(data.get("_permanent")), signed_at)
        ):
            return None  # a message waiting, or a cookie to sign and send again: Flask's work
        remembered = data.get(diagnose.SESSION_KEY)
        diagnosis_id = remembered.get(flow_id) if isinstance(remembered, dict) else None
        secret = data.get(CSRF_FIELD)
        if not isinstance(diagnosis_id, int) or not isinstance(secret, str):
            return None
        form = _form(environ, int(length))
        if form is None or not self._csrf_passes(environ, secret, form.get(CSRF_FIELD, "")):
            return None  # Flask refuses it (or reads what this layer does not)
        if self.reloads:
            app.extensions[LIVE_KEY].refresh(app)  # the look Flask's before_request takes
        try:
            # not the ORM's session: one read, one move (the same statements, on one connection)
            with app.app_context(), db.engine.connect() as connection:
                moved = self._move(environ, connection, diagnosis_id, flow_id, step_id, form)
        except Exception:  # the database, say: Flask answers, with its error page and its log line
            return None
        if moved is None:
            return None
        step, limit_headers = moved
        location, body = self._redirect(script_name, flow_id, step)
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"), trusted=self.trusted)
        start_response(
            STATUS,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Location", location),
                ("Vary", vary_of(environ)),
                *self.common,
                ("Cache-Control", "no-store"),
                *limit_headers,
                (HEADER, request_id),
            ],
        )
        self.observed(environ, "POST", ENDPOINT, path, 303, started, request_id)
        return [body]

    def _csrf_passes(self, environ: WSGIEnvironment, secret: str, token: str) -> bool:
        """Flask-WTF's CSRFProtect.protect, for a token sent in the form's field."""
        config = self.app.config
        if not (config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True)):
            return False  # not checked at all: an unusual set-up, Flask's
        if not token or not accepted(self.app, secret, token):
            return False
        if environ.get("wsgi.url_scheme") == "https" and config.get("WTF_CSRF_SSL_STRICT", True):
            referrer = environ.get("HTTP_REFERER")
            host_header = environ.get("HTTP_HOST")
            if not (referrer and host_header) or config.get("TRUSTED_HOSTS"):
                return False
            host = get_host("https", host_header)
            return same_origin(referrer, f"https://{host}/")
        return True

    def _move(
        self,
        environ: WSGIEnvironment,
        connection: Connection,
        diagnosis_id: int,
        flow_id: str,
        step_id: str,
        form: dict[str, str],
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """Move the diagnosis on as diagnose.submit does (in an app context): the step the answer
        leads to and the rate limit's headers, or None (nothing done, nothing counted)."""
        diagnosis = read_diagnosis(diagnosis_id, connection)
        if (
            diagnosis is None
            or diagnosis.flow_id != flow_id
            or diagnosis.sandbox
            or diagnosis.status == DiagnosisStatus.ABANDONED  # move_on refuses: "out of date"
            or step_id not in diagnosis.path  # "out of date": a message for Flask to show
        ):
            return None
        compiled = flow_of(diagnosis)
        if compiled is None:  # the version it began on is gone: Flask's page says so
            return None
        current = compiled.step(step_id)
        if current.kind not in ANSWERING:
            return None
        chosen = form.get("answer") if current.kind == "question" else None
        try:
            trigger = answer_to(diagnosis, current, chosen)
            target = compiled.move(step_id, trigger)
        except Exception:  # not one of its answers (Flask's 400 page), or a move the flow lacks
            return None
        index = last_visit(diagnosis.path, step_id)
        if index < len(diagnosis.path) - 1 and diagnosis.answers[index] == trigger:
            target = diagnosis.path[index + 1]  # the same answer again: where it went then
        landing = compiled.step(target)
        if landing.kind == "end" and landing.outcome == "flow":
            return None  # a hand-over to another flow: Flask remembers it in the cookie
        counted = self.limits.count(environ)
        if counted is None:
            return None  # over the limit: Flask counts it and answers its 429 page
        moved = move_on(diagnosis, compiled, step_id, trigger, kind="answered", connection=connection)
        if moved.handed_over:
            return None
        return moved.step, counted

    def _redirect(self, script_name: str, flow_id: str, step: str) -> tuple[str, bytes]:
        """The step's address (the view's `url_for`) and Werkzeug's redirect body, kept: flow and
        step ids come from the content, script roots from the server and the language prefixes."""
        key = (script_name, flow_id, step)
        found = self.locations.get(key)
        if found is None:
            adapter = self.app.url_map.bind("localhost", script_name=script_name or "/")
            location = adapter.build(STEP_ENDPOINT, {"flow_id": flow_id, "step_id": step})
            found = (location, redirect(location, 303).get_data())
            if len(self.locations) >= LOCATIONS_KEPT:
                self.locations.clear()
            self.locations[key] = found
        return found


def _form(environ: WSGIEnvironment, length: int) -> dict[str, str] | None:
    """The form's fields (the first value of each, as `request.form.get` gives), read from the
    body, which is put back for Flask; None if it is not plain ASCII."""
    try:
        body: bytes = environ["wsgi.input"].read(length)
    except Exception:  # the client went away: Flask finds the body short, as it would have
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)  # whatever happens next, Flask reads it all again
    if len(body) != length or not body.isascii():
        return None
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="werkzeug.url_quote"):
        fields.setdefault(name, value)
    return fields


__all__ = ["PlainAnswers"]
