"""one_transaction: what a block writes is committed together at its end, or not at all."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from helpdesk import audit
from helpdesk.extensions import TransactionAborted, after_commit, db, one_transaction
from helpdesk.models import AuditEntry


def _entries_seen_by_another_connection(app: Flask) -> int:
    with db.engine.connect() as other:
        return other.scalar(select(func.count()).select_from(AuditEntry))


def test_commits_inside_wait_for_the_end_of_the_block(app: Flask) -> None:
    with app.app_context():
        mailed: list[str] = []
        with one_transaction():
            audit.record("test.one", actor="test")  # commits, on its own
            after_commit(lambda: mailed.append("sent"))
            with one_transaction():  # an inner block joins the outer one
                audit.record("test.two", actor="test")
            assert _entries_seen_by_another_connection(app) == 0
            assert mailed == []
        assert _entries_seen_by_another_connection(app) == 2
        assert mailed == ["sent"]
        assert audit.verify() is None


def test_an_error_in_the_block_commits_nothing_and_sends_nothing(app: Flask) -> None:
    with app.app_context():
        mailed: list[str] = []
        with pytest.raises(ZeroDivisionError), one_transaction():
            audit.record("test.one", actor="test")
            after_commit(lambda: mailed.append("sent"))
            1 / 0  # noqa: B018
        assert _entries_seen_by_another_connection(app) == 0 and mailed == []


def test_a_rollback_inside_aborts_the_whole_block(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(TransactionAborted), one_transaction():
            audit.record("test.one", actor="test")
            db.session.rollback()  # raises: what follows would otherwise be committed alone
        assert _entries_seen_by_another_connection(app) == 0
        audit.record("test.three", actor="test")  # the session works as before afterwards
        assert _entries_seen_by_another_connection(app) == 1


def test_after_commit_outside_a_block_runs_at_once(app: Flask) -> None:
    with app.app_context():
        mailed: list[str] = []
        after_commit(lambda: mailed.append("sent"))
        assert mailed == ["sent"]


def test_sqlite_is_tuned_for_a_web_server(tmp_path) -> None:
    """WAL, synchronous=NORMAL, a busy timeout and writers taking turns on every connection the app
    opens (README)."""
    from sqlalchemy import text

    from helpdesk.sqlite_writers import TakingTurns
    from tests.conftest import build_app

    tuned = build_app(tmp_path, database_url=f"sqlite:///{tmp_path / 'tuned.sqlite3'}")
    with tuned.app_context():
        for _ in range(2):  # the pool's first connection, and a new one
            with db.engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
                assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert isinstance(connection.connection.driver_connection, TakingTurns)
            db.engine.dispose()


@pytest.mark.slow
def test_a_web_worker_does_not_load_the_migration_tools(tmp_path) -> None:
    """Alembic is for `flask db …`: importing it would cost every worker about 11 MB."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "HELPDESK_INSTANCE_DIR": str(tmp_path), "HELPDESK_SECRET_KEY": "k" * 40}
    probe = "import sys, wsgi; print('alembic' in sys.modules, 'flask_migrate' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert found.stdout.split() == ["False", "False"]


def test_migrations_run_in_process_through_flask_migrate(tmp_path) -> None:
    """Flask-Migrate's own functions find their configuration once they are used."""
    from flask_migrate import current

    from tests.conftest import ROOT, build_app

    fresh = build_app(tmp_path, database_url=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with fresh.app_context():
        assert fresh.extensions["migrate"].directory == str(ROOT / "migrations")
        current()  # reads the revision through Alembic without an error
