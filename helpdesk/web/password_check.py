"""The strength hint new-password fields show as people type (static/password.js): the same
rules the server applies when the form is sent (ASVS 2.1.8), never stored or logged."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..accounts.passwords import MAX_LENGTH, password_problem
from ..config import settings
from ..extensions import limiter

bp = Blueprint("password_check", __name__)


@bp.post("/password/strength")
@limiter.limit("120 per minute;2000 per hour")
def strength() -> Response:
    """`password` in, `{"ok": bool, "problem": str}` out. It knows nothing of the account, so
    the full check (the email address too) still happens when the form is sent."""
    password = request.form.get("password", "")[: MAX_LENGTH + 1]
    problem = password_problem(password, site_name=settings().site_name)
    response = jsonify({"ok": not problem, "problem": problem})
    response.headers["Cache-Control"] = "no-store"
    return response
