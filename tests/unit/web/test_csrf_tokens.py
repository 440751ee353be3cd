"""web/csrf_tokens.py: Flask-WTF's tokens, signed once per session secret and checked as before."""

from __future__ import annotations

import pytest
from flask import session
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from helpdesk.web.csrf_tokens import csrf_token, signed


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
