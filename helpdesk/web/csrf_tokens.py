"""The CSRF token a form carries, as Flask-WTF makes it, without remaking it on every page.

Flask-WTF (`generate_csrf`) keeps a random secret in the session ("csrf_token") and puts in each
form that secret signed (itsdangerous, salt "wtf-csrf-token"), building a new serializer and
signing again on every page. CSRFProtect checks a form's token against the session's secret with
the same serializer (`validate_csrf`), which stays as it is. Here the signed token of a secret is
kept (per secret key, the most recent few thousand): the same token, valid the same way, bound to
the same session secret. The only thing a fresh signature would change is its timestamp, which
nothing checks (WTF_CSRF_TIME_LIMIT is None: a page left open for hours must still submit);
should a time limit ever be set, tokens are signed afresh each time again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from flask import Flask, current_app, g, session
from itsdangerous import BadData, URLSafeTimedSerializer

FIELD = "csrf_token"  # Flask-WTF's default: the session key, the form field and g's attribute
SALT = "wtf-csrf-token"  # Flask-WTF's


def secret_key(app: Flask) -> str | bytes:
    return app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key  # type: ignore[return-value]


def signed(app: Flask, secret: str) -> str:
    """The token of the session secret *secret*, as Flask-WTF signs it."""
    if app.config.get("WTF_CSRF_TIME_LIMIT") is not None:  # a fresh timestamp would matter
        return str(URLSafeTimedSerializer(secret_key(app), salt=SALT).dumps(secret))
    return _kept(secret_key(app), secret)


@lru_cache(maxsize=4096)
def _kept(key: str | bytes, secret: str) -> str:
    return str(_serializer(key).dumps(secret))


@lru_cache(maxsize=8)
def _serializer(key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=SALT)


def accepted(app: Flask, secret: str, token: str) -> bool:
    """Whether *token* passes Flask-WTF's `validate_csrf` for the session secret *secret*
    (web/answer_fast_path.py checks forms outside a request): the token kept for the secret
    matches at once; any other is checked as Flask-WTF checks it (signature, time limit, secret)."""
    limit = app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    if limit is None and token.isascii() and hmac.compare_digest(token, signed(app, secret)):
        return True
    try:
        loaded = _serializer(secret_key(app)).loads(token, max_age=limit)
    except BadData:
        return False
    return isinstance(loaded, str) and loaded.isascii() and hmac.compare_digest(secret, loaded)


def csrf_token() -> str:
    """`{{ csrf_token() }}`: what Flask-WTF's `generate_csrf` gives (one token a request, the
    session's secret drawn on first use), from the kept tokens."""
    token = g.get(FIELD)
    if token is None:
        if not isinstance(session.get(FIELD), str):
            session[FIELD] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324 (as Flask-WTF draws it)
        token = signed(current_app, session[FIELD])
        setattr(g, FIELD, token)
    return str(token)


def register(app: Flask) -> None:
    """Templates' `csrf_token()` (Flask-WTF's CSRFProtect put its own there) comes from here."""
    app.jinja_env.globals["csrf_token"] = csrf_token
