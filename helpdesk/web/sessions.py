"""Signed-in browsers: server-side sessions behind Flask-Login, so they can be ended anywhere,
and end by themselves after the idle and absolute limits (`accounts.session_expiry`)."""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Flask,
    Request,
    Response,
    after_this_request,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_login import login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from .. import audit
from ..accounts import session_expiry
from ..accounts.devices import describe_device
from ..accounts.directory import AccountRecord, HistoryResult, SessionLookup, SessionState, directory
from ..accounts.history import record_event
from ..accounts.notices import send_new_device
from ..cases.verification.hold import owner_signed_in
from ..mail import MailError


@dataclass
class SignedIn:
    """The current person: Flask-Login's user, identified by their session token, not account id."""

    account: AccountRecord
    session_id: int
    token: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return self.token

    @property
    def email(self) -> str:
        return self.account.email


def client_ip() -> str:
    return request.remote_addr or ""


def client_device() -> str:
    return describe_device(request.headers.get("User-Agent", ""))


DEVICE_COOKIE = "helpdesk_device"
RETURN_KEY = "checkup_return"  # the diagnosis that sent the person to their security checkup
STAFF_ACTIVE_KEY = "staff_active_at"  # when a staff member last did something
DEVICE_COOKIE_DAYS = 400
# what a browser keeps of its own after signing out: the diagnoses it is in, the feedback it gave
DIAGNOSIS_KEYS = ("diagnoses", "feedback")
SIGN_IN_COOKIE = "helpdesk_signin"  # under https: __Host-helpdesk_signin (create_app names it)
# the keys of the one Flask session that belong to the sign-in: they travel in the sign-in cookie,
# which ends with the browser, never in the long-lived one that remembers diagnoses
SIGN_IN_KEYS = frozenset({"_user_id", "_fresh", "_id", "_remember", "_remember_seconds", STAFF_ACTIVE_KEY})


def start(account: AccountRecord) -> SignedIn:
    """Sign this browser in: a new session row, a fresh cookie session (no fixation), and the
    device remembered; a device the account has not seen before gets a notice mailed."""
    accounts = directory()
    token_from_cookie = request.cookies.get(DEVICE_COOKIE, "")
    device_token = token_from_cookie if 20 <= len(token_from_cookie) <= 100 else secrets.token_urlsafe(32)
    had_devices = bool(accounts.devices(account.id))
    device_id, new_device = accounts.remember_device(account.id, device_token, client_device())
    if new_device and had_devices:
        try:
            send_new_device(account, client_device(), client_ip())
        except MailError:
            current_app.logger.warning("new-device notice for account %s not sent", account.id)
    if device_token != token_from_cookie:
        _set_device_cookie(device_token)
    session_expiry.end_expired(account.id, ip=client_ip())
    token = accounts.start_session(account.id, client_ip(), client_device(), device_id)
    found = accounts.session_account(token)
    assert found is not None
    keep = {k: session[k] for k in ("diagnoses", "feedback", RETURN_KEY) if k in session}
    remembered = session.permanent  # a diagnosis keeps its 30 days through the sign-in
    session.clear()
    session.update(keep)
    session.permanent = remembered
    person = SignedIn(found[0], found[1], token)
    login_user(person)
    owner_signed_in(account, ip=client_ip())  # a recovery on hold waits for staff again
    if account.role:
        session[STAFF_ACTIVE_KEY] = time.time()
        audit.record(
            "staff.sign-in", actor=account.email, ip=client_ip(), device=client_device(), role=account.role
        )
    return person


def _clear_browser_cache() -> None:
    """Ask the browser to drop what it cached of this site (account pages are no-store anyway)."""

    @after_this_request
    def clear(response: Response) -> Response:
        response.headers["Clear-Site-Data"] = '"cache"'
        return response


def _set_device_cookie(token: str) -> None:
    secure = current_app.config["SESSION_COOKIE_SECURE"]

    @after_this_request
    def remember(response: Response) -> Response:
        response.set_cookie(
            DEVICE_COOKIE,
            token,
            max_age=DEVICE_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
        return response


def end(person: SignedIn, *, reason: str = "signed out") -> None:
    """Sign this browser out; a staff member's sign-out (or idle time-out) is audited."""
    account = person.account  # read first: *person* may be current_user, anonymous once signed out
    directory().end_session(person.token)
    logout_user()
    # nothing of the sign-in stays in the browser (ASVS 8.2.3): only the diagnoses it is in
    kept = {k: session[k] for k in DIAGNOSIS_KEYS if k in session}
    remembered = session.permanent
    session.clear()
    session.update(kept)
    session.permanent = remembered
    _clear_browser_cache()
    record_event(account.id, HistoryResult.SIGNED_OUT, ip=client_ip(), device=client_device())
    if account.role:
        audit.record("staff.sign-out", actor=account.email, ip=client_ip(), reason=reason)


def load(token: str) -> SignedIn | None:
    """Flask-Login's user loader: the live session behind the sign-in cookie's token, or no one.
    A sign-in found past its idle or absolute limit is ended (and audited) and leaves the cookie."""
    found = session_expiry.look_up(token, ip=client_ip(), device=client_device())
    if found.state is SessionState.LIVE and found.account is not None and found.session_id is not None:
        return SignedIn(found.account, found.session_id, token)
    for key in SIGN_IN_KEYS:  # not logout_user(): it would ask this loader for the user again
        session.pop(key, None)
    if found.state is not SessionState.ENDED:
        g.signed_out = found  # a page that needs a sign-in says why it asks again
    return None  # ended elsewhere ("sign out everywhere", a password reset), or past a limit


def surely_anonymous() -> bool:
    """Nobody is signed in on this request, known without asking Flask-Login for its user (a
    lookup of the sign-in): the sign-in keys come only from a valid sign-in cookie or a sign-in
    made now, and Flask-Login's remember cookie (never issued here) did not come either."""
    if "_user_id" in session:
        return False
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return remember not in request.cookies


def signed_out_notice() -> str:
    """Why this request found its sign-in ended by a limit, in a sentence, or ""."""
    found: SessionLookup | None = g.get("signed_out")
    if found is None or found.account is None:
        return ""
    limits = session_expiry.limits()
    if found.state is SessionState.TIMED_OUT:
        hours = int(limits.absolute.total_seconds() // 3600)
        return (
            f"You were signed out because a sign-in lasts at most {hours} hours. "
            "Sign in again to carry on where you were."
        )
    minutes = int(limits.idle_for(found.account.role).total_seconds() // 60)
    return (
        f"You were signed out after {minutes} minutes without activity. "
        "Sign in again to carry on where you were."
    )


def sign_in_again() -> BaseResponse:
    """A page that needs a sign-in: to /login and back here, saying why if a limit just ended it."""
    from ..extensions import login_manager

    flash(signed_out_notice() or str(login_manager.login_message))
    here = request.path + ("?" + request.query_string.decode("latin-1") if request.query_string else "")
    return redirect(url_for(str(login_manager.login_view), next=here))


class _SignersKept(SecureCookieSessionInterface):
    """Flask builds a new signing serializer (key derivation included) for every request: keep
    one per secret key (and fallbacks) instead; a new key makes a new one."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self.__dict__.get("_kept")
        if kept is None or kept[0] != key:
            kept = (key, super().get_signing_serializer(app))
            self.__dict__["_kept"] = kept
        return kept[1]


COOKIES_KEPT = 2048  # valid main cookies kept by value, per worker (~0.5 MB at most)
_COOKIES_LOCK = threading.Lock()


class _SignInPart(_SignersKept):
    salt = "helpdesk-sign-in"  # a main cookie's value is never accepted as a sign-in cookie


# A remembered diagnosis lasts PERMANENT_SESSION_LIFETIME from the browser's last visit. Signing and
# sending its cookie again on every request bought nothing but work: it is sent again when the
# session changed, or on the first request an hour after it was last signed (so it ends at most an
# hour earlier than it would have).
REFRESH_AFTER = timedelta(hours=1)


class BrowserSession(SecureCookieSession):
    """The cookie session, knowing when its cookie was signed (None: no valid cookie came)."""

    signed_at: datetime | None = None

    def __setitem__(self, key: str, value: Any) -> None:
        if key in SIGN_IN_KEYS and key != "_user_id" and "_user_id" not in self:
            # a sign-in key while nobody is signed in is never saved (SignInApart keeps it in
            # neither cookie), so it changes nothing worth sending: Flask-Login's session
            # protection writes "_fresh" into every session without a sign-in, on every request
            dict.__setitem__(self, key, value)
            self.accessed = True
            return
        super().__setitem__(key, value)


class SignInApart(_SignersKept):
    """One Flask session, two cookies: the sign-in's keys (SIGN_IN_KEYS) travel in a
    browser-session cookie of their own, without Max-Age, refused once signed longer ago than the
    absolute limit; everything else (diagnoses, the CSRF token) in the usual cookie, which a
    diagnosis makes last 30 days. So the sign-in never lasts as long as the memory of a diagnosis;
    the server's session row still decides (`accounts.session_expiry`). A request that changes
    nothing sends neither cookie back (`should_set_cookie`)."""

    _part = _SignInPart()
    session_class = BrowserSession

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        data: dict[str, Any] = {}
        signed_at = None
        raw = request.cookies.get(self.get_cookie_name(app))
        if raw:
            data, signed_at = self.read_main_cookie(app, raw)
        data.update(self._open_sign_in(app, request))
        opened = self.session_class(data)
        opened.signed_at = signed_at
        return opened

    def without_cookies(self) -> BrowserSession:
        """The session `open_session` opens for a request that carries none of our cookies (an
        empty one, never signed), without reading the request: web/search_fast_path.py checked
        the cookies already, and building the signers costs more than the rest of the opening."""
        opened = self.session_class()
        opened.signed_at = None
        return opened

    def read_main_cookie(
        self, app: Flask, raw: str, *, to_change: bool = True
    ) -> tuple[dict[str, Any], datetime | None]:
        """The long-lived cookie's values and when it was signed (nothing, None: not a valid one);
        a copy of their own unless the caller only reads them (*to_change* False: web/fast_paths.py,
        outside any request). A browser sends the same cookie until its session changes (a whole
        diagnosis long): a valid one is kept by its exact value (the most recent COOKIES_KEPT),
        so its signature is checked once and its age every time."""
        signer = self.get_signing_serializer(app)
        if signer is None:
            return {}, None
        key = (raw, signer)
        kept = self.__dict__.setdefault("_cookies", OrderedDict())
        found: tuple[dict[str, Any], datetime] | None = kept.get(key)
        if found is None:
            try:
                loaded, signed_at = signer.loads(
                    raw, max_age=int(app.permanent_session_lifetime.total_seconds()), return_timestamp=True
                )
            except BadSignature:
                return {}, None
            # a sign-in in the long-lived cookie (written before the two were apart) counts for nothing
            found = ({k: v for k, v in loaded.items() if k not in SIGN_IN_KEYS}, signed_at)
            with _COOKIES_LOCK:
                kept[key] = found
                while len(kept) > COOKIES_KEPT:
                    kept.popitem(last=False)
        elif datetime.now(UTC) - found[1] > app.permanent_session_lifetime:
            return {}, None  # as loads(max_age=…) refuses it
        data, signed_at = found
        return (copy.deepcopy(data) if to_change else data), signed_at

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        return self.due_again(app, session.permanent, getattr(session, "signed_at", None))

    @staticmethod
    def due_again(app: Flask, permanent: bool, signed_at: datetime | None) -> bool:
        """An unchanged session's cookie is signed and sent again (REFRESH_AFTER)."""
        if not (permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        return signed_at is None or datetime.now(UTC) - signed_at >= REFRESH_AFTER

    def _open_sign_in(self, app: Flask, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(sign_in_cookie_name(app))
        signer = self._part.get_signing_serializer(app)
        if not raw or signer is None:
            return {}
        hours = app.extensions["helpdesk.settings"].session_hours
        try:
            data = signer.loads(raw, max_age=hours * 3600)
        except BadSignature:  # also when signed longer ago than the absolute limit
            return {}
        return {k: v for k, v in data.items() if k in SIGN_IN_KEYS} if isinstance(data, dict) else {}

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        main = self.session_class({k: v for k, v in session.items() if k not in SIGN_IN_KEYS})
        main.modified, main.accessed = session.modified, session.accessed
        main.signed_at = getattr(session, "signed_at", None)
        super().save_session(app, main, response)
        if not session.modified:
            return
        name = sign_in_cookie_name(app)
        # Flask-Login marks even an anonymous session not fresh: a cookie only for a signed-in browser
        sign_in = {k: session[k] for k in SIGN_IN_KEYS if k in session} if "_user_id" in session else {}
        cookie: dict[str, Any] = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": True,
        }
        signer = self._part.get_signing_serializer(app)
        if not sign_in or signer is None:
            if name in request.cookies:
                response.delete_cookie(name, **cookie)
            return
        response.set_cookie(name, signer.dumps(sign_in), **cookie)  # no expiry: ends with the browser
        response.vary.add("Cookie")


def sign_in_cookie_name(app: Flask) -> str:
    return str(app.config.get("SIGN_IN_COOKIE_NAME", SIGN_IN_COOKIE))


def register(app: Flask) -> None:
    from ..extensions import login_manager

    login_manager.init_app(app)
    login_manager.user_loader(load)
    login_manager.unauthorized_handler(sign_in_again)
