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
