"""web/csrf_tokens.py: Flask-WTF's tokens, signed once per session secret and checked as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import session
from flask_wtf.csrf import validate_csrf
from itsdangerous import URLSafeTimedSerializer
from wtforms import ValidationError

from helpdesk.web.csrf_tokens import accepted, csrf_token, signed


def test_a_pages_token_is_checked_by_flask_wtf_against_the_sessions_secret(app):
    with app.test_request_context("/"):
        token = csrf_token()
        assert isinstance(session["csrf_token"], str)
        validate_csrf(token)  # raises if not
        assert csrf_token() == token  # one a request


def test_the_same_secret_gets_the_same_kept_token(app):
    assert signed(app, "a" * 40) == signed(app, "a" * 40)
    assert signed(app, "a" * 40) != signed(app, "b" * 40)


def test_a_token_of_another_sessions_secret_is_refused(app):
    with app.test_request_context("/"):
        csrf_token()
        with pytest.raises(ValidationError, match="do not match"):
            validate_csrf(signed(app, "someone-elses-secret"))


def test_with_a_time_limit_tokens_are_signed_afresh(app):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    first = signed(app, "c" * 40)
    assert signed(app, "c" * 40) is not first  # made again, not the kept one
    with app.test_request_context("/"):
        session["csrf_token"] = "c" * 40
        validate_csrf(first)


def _decided_by_flask_wtf(app, secret: str, token: str) -> bool:
    with app.test_request_context("/"):
        session["csrf_token"] = secret
        try:
            validate_csrf(token)
        except ValidationError:
            return False
        return True


def test_accepted_decides_as_flask_wtf_does(app):
    secret = "d" * 40
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=5)):
        from_another_worker = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(secret)
    for token, expected in (
        (signed(app, secret), True),  # the one this worker keeps
        (from_another_worker, True),  # signed at another time: valid all the same
        (signed(app, "e" * 40), False),  # another session's
        (signed(app, secret)[:-2] + "zz", False),  # forged
        ("not a token", False),
        ("é" + signed(app, secret), False),
    ):
        assert accepted(app, secret, token) is expected
        assert _decided_by_flask_wtf(app, secret, token) is expected


def test_accepted_keeps_a_time_limit_when_one_is_set(app):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    secret = "f" * 40
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=2)):
        old = signed(app, secret)
    assert accepted(app, secret, signed(app, secret)) is True
    assert accepted(app, secret, old) is False and _decided_by_flask_wtf(app, secret, old) is False
