"""Migration 0018 (account ids become opaque strings): existing accounts and every row keyed by
them carry over (the id becomes the string of the old number), and go back down as they were."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from helpdesk.accounts.directory import directory
from helpdesk.accounts.sql import _hash_token
from helpdesk.extensions import db
from tests.conftest import FIXTURES, MIGRATIONS, build_app, empty_database_at

GOOD = FIXTURES / "good"
KEYED = ("account_tokens", "sign_in_events", "sign_in_sessions", "devices", "recovery_codes")


def _seed(connection) -> None:
    for email in ("first@example.org", "second@example.org"):
        connection.execute(
            text(
                "INSERT INTO accounts (email, password_hash, failed_count, password_changed_at, created_at) "
                "VALUES (:email, 'x', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"email": email},
        )
    second = connection.execute(text("SELECT id FROM accounts WHERE email = 'second@example.org'")).scalar()
    values = {"a": second, "session": _hash_token("in-flight"), "link": _hash_token("reset-link")}
    for statement in (
        "INSERT INTO sign_in_sessions (account_id, token_hash, device, ip, created_at, last_seen_at) "
        "VALUES (:a, :session, '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO sign_in_events (account_id, at, ip, device, result) "
        "VALUES (:a, CURRENT_TIMESTAMP, '', '', 'ok')",
        "INSERT INTO account_tokens (account_id, purpose, token_hash, created_at, expires_at, wrong_codes) "
        "VALUES (:a, 'reset', :link, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)",
        "INSERT INTO devices (account_id, token_hash, summary, first_seen_at, last_seen_at) "
        "VALUES (:a, 'd', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        "INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES (:a, 'c', CURRENT_TIMESTAMP)",
    ):
        connection.execute(text(statement), values)


def _keyed_ids(connection) -> set:
    return {connection.execute(text(f"SELECT account_id FROM {table}")).scalar_one() for table in KEYED}  # noqa: S608


def test_ids_become_strings_of_the_old_numbers_and_go_back(tmp_path: Path):
    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    migrations = MIGRATIONS
    with app.app_context():
        empty_database_at("0017")
        with db.engine.begin() as connection:
            _seed(connection)
            old = connection.execute(
                text("SELECT id FROM accounts WHERE email = 'second@example.org'")
            ).scalar()
        assert isinstance(old, int)

        upgrade(directory=migrations, revision="0018")
        with db.engine.connect() as connection:
            ids = dict(connection.execute(text("SELECT email, id FROM accounts")).all())
            assert ids["second@example.org"] == str(old)
            assert _keyed_ids(connection) == {str(old)}
        # the sign-in in flight still signs its browser in; a new account gets an opaque id
        found = directory().session_account("in-flight")
        assert found is not None and found[0].email == "second@example.org" and found[0].id == str(old)
        made = directory().create("third@example.org", "a-long-enough-passphrase")
        assert not made.id.isdigit()
        db.session.execute(text("DELETE FROM accounts WHERE id = :id"), {"id": made.id})
        db.session.commit()
        db.session.remove()

        downgrade(directory=migrations, revision="0017")
        with db.engine.begin() as connection:
            assert (
                connection.execute(
                    text("SELECT id FROM accounts WHERE email = 'second@example.org'")
                ).scalar()
                == old
            )
            assert _keyed_ids(connection) == {old}
            # numbering goes on after the highest id
            connection.execute(
                text(
                    "INSERT INTO accounts (email, password_hash, failed_count, password_changed_at, "
                    "created_at) VALUES ('fourth@example.org', 'x', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            newest = connection.execute(
                text("SELECT id FROM accounts WHERE email = 'fourth@example.org'")
            ).scalar()
        assert newest > old
        upgrade(directory=migrations)
