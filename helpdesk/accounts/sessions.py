"""Signed-in browsers: server-side sessions behind Flask-Login, so they can be ended anywhere."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, session
from flask_login import login_user, logout_user

from .devices import describe_device
from .directory import AccountRecord, directory


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


def start(account: AccountRecord) -> SignedIn:
    """Sign this browser in: a new session row, and a fresh cookie session (no fixation)."""
    token = directory().start_session(account.id, client_ip(), client_device())
    found = directory().session_account(token)
    assert found is not None
    keep = {k: session[k] for k in ("diagnoses", "feedback") if k in session}
    session.clear()
    session.update(keep)
    person = SignedIn(found[0], found[1], token)
    login_user(person)
    return person


def end(person: SignedIn) -> None:
    directory().end_session(person.token)
    logout_user()


def load(token: str) -> SignedIn | None:
    found = directory().session_account(token)
    if found is None:
        return None  # ended elsewhere ("sign out everywhere", a password reset)
    return SignedIn(found[0], found[1], token)


def register(app: Flask) -> None:
    from ..extensions import login_manager

    login_manager.init_app(app)
    login_manager.user_loader(load)
