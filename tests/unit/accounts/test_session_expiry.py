"""Sign-ins ended by a limit: the limits come from the settings, and each ending is audited once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from helpdesk.accounts import session_expiry
from helpdesk.accounts.directory import SessionState, directory
from helpdesk.extensions import db
from helpdesk.models import AuditEntry
from tests.conftest import build_app

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _audited() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_the_limits_are_the_settings(tmp_path):
    app = build_app(tmp_path, session_idle_minutes=45, session_hours=8, staff_idle_minutes=15)
    with app.app_context():
        limits = session_expiry.limits()
    assert (limits.idle, limits.absolute) == (timedelta(minutes=45), timedelta(hours=8))
    assert (limits.idle_for(None), limits.idle_for("staff")) == (timedelta(minutes=45), timedelta(minutes=15))


def test_an_idle_sign_out_is_audited_once_with_the_limit(ctx, account):
    with time_machine.travel(T0, tick=False):
        token = directory().start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        assert session_expiry.look_up(token, ip="198.51.100.1").state is SessionState.IDLE
        assert session_expiry.look_up(token, ip="198.51.100.1").state is SessionState.ENDED
    [entry] = _audited()
    assert (entry.action, entry.actor, entry.target, entry.ip) == (
        "account.signed-out-idle",
        "system",
        "pat@example.org",
        "198.51.100.1",
    )
    assert entry.detail["idle_minutes"] == "30"


def test_a_sign_in_past_the_absolute_limit_is_audited_as_timed_out(ctx, account):
    with time_machine.travel(T0, tick=False):
        token = directory().start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(hours=12, seconds=1), tick=False):
        session_expiry.look_up(token)
    [entry] = _audited()
    assert (entry.action, entry.detail["hours"]) == ("account.signed-out-timed-out", "12")


def test_a_live_session_is_not_audited(ctx, account):
    token = directory().start_session(account.id, "198.51.100.1", "Firefox")
    assert session_expiry.look_up(token).signed_in
    assert _audited() == []


def test_sessions_left_to_expire_are_ended_and_audited_at_the_next_sign_in(ctx, account):
    with time_machine.travel(T0, tick=False):
        directory().start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        [ended] = session_expiry.end_expired(account.id, ip="203.0.113.7")
    assert ended.state is SessionState.IDLE
    [entry] = _audited()
    assert (entry.action, entry.detail["noticed"]) == ("account.signed-out-idle", "sign-in")
