"""Migration 0014 (lock escalation kept across unlocks): existing accounts carry their locks over."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from tests.conftest import FIXTURES, MIGRATIONS, build_app, empty_database_at

GOOD = FIXTURES / "good"
UNTIL = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_accounts_locked_before_keep_their_lock_and_its_level(tmp_path: Path):
    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    migrations = MIGRATIONS
    with app.app_context():
        empty_database_at("0011")
        stored = UNTIL.replace(tzinfo=None) if db.engine.name == "sqlite" else UNTIL
        with db.engine.begin() as connection:
            for email, failures, until in (
                ("calm@example.org", 0, None),
                ("typo@example.org", 3, None),
                ("locked@example.org", 10, stored),
                ("stopped@example.org", 100, None),
            ):
                connection.execute(
                    text(
                        "INSERT INTO accounts (email, password_hash, failed_count, locked_until, "
                        "password_changed_at, created_at) VALUES (:email, 'x', :failures, :until, :now, :now)"
                    ),
                    {"email": email, "failures": failures, "until": until, "now": stored},
                )
        upgrade(directory=migrations)
    with app.test_request_context():
        found = {
            email: directory().find(email)
            for email in ("calm@example.org", "typo@example.org", "locked@example.org", "stopped@example.org")
        }
    levels = [(a.lock_level, a.last_locked_at) for a in found.values()]
    assert levels == [(0, None), (0, None), (2, UNTIL), (20, None)]
    assert found["locked@example.org"].locked_until == UNTIL
    assert found["stopped@example.org"].failed_count == 100
