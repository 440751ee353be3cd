"""Refusals leave a trace: a signed-in person turned away is audited, a refused form and a
rate limit are logged, and no log line carries a live token or a forged line break."""

from __future__ import annotations

import logging

from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEntry
from tests.conftest import DEMO_PASSWORD
from tests.support import csrf_from


def sign_in(client, email: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": password})


def test_a_signed_in_person_turned_away_from_staff_pages_is_audited(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    assert client.get("/staff/audit").status_code == 403
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).one()
    assert (entry.actor, entry.target, entry.detail["method"]) == ("pat@example.org", "/staff/audit", "GET")


def test_a_refused_form_is_logged_with_the_token_redacted_and_no_forged_line(client, caplog):
    with caplog.at_level(logging.INFO):
        refused = client.post("/recovery/cancel/live-token-value%0a2026-12-04%20INFO%20forged", data={})
    assert refused.status_code == 400
    lines = [r.getMessage() for r in caplog.records if r.name == "helpdesk" and "CSRF" in r.getMessage()]
    assert lines, "the refused form was not logged"
    assert all("live-token-value" not in line and "\n" not in line for line in lines)
    assert "/recovery/cancel/[redacted]" in lines[0]


def test_a_rate_limit_reached_is_logged(app, caplog):
    app.config["RATELIMIT_ENABLED"] = True
    client = app.test_client()
    page = client.get("/password/forgot").get_data(as_text=True)
    with caplog.at_level(logging.WARNING):
        statuses = [
            client.post(
                "/password/forgot", data={"csrf_token": csrf_from(page), "email": "x@example.org"}
            ).status_code
            for _ in range(12)
        ]
    assert 429 in statuses
    assert any("rate limit reached on POST /password/forgot" in r.getMessage() for r in caplog.records)
