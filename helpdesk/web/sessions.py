"""Signed-in browsers: server-side sessions behind Flask-Login, so they can be ended anywhere."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import Flask, Response, after_this_request, current_app, request, session
from flask_login import login_user, logout_user

from .. import audit
from ..accounts.devices import describe_device
from ..accounts.directory import AccountRecord, directory
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
    token = accounts.start_session(account.id, client_ip(), client_device(), device_id)
    found = accounts.session_account(token)
    assert found is not None
    keep = {k: session[k] for k in ("diagnoses", "feedback", RETURN_KEY) if k in session}
    session.clear()
    session.update(keep)
    person = SignedIn(found[0], found[1], token)
    login_user(person)
    owner_signed_in(account, ip=client_ip())  # a recovery on hold waits for staff again
    if account.role:
        session[STAFF_ACTIVE_KEY] = time.time()
        audit.record(
            "staff.sign-in", actor=account.email, ip=client_ip(), device=client_device(), role=account.role
        )
    return person


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
    if account.role:
        audit.record("staff.sign-out", actor=account.email, ip=client_ip(), reason=reason)


def load(token: str) -> SignedIn | None:
    found = directory().session_account(token)
    if found is None:
        return None  # ended elsewhere ("sign out everywhere", a password reset)
    return SignedIn(found[0], found[1], token)


def register(app: Flask) -> None:
    from ..extensions import login_manager

    login_manager.init_app(app)
    login_manager.user_loader(load)
