"""Migration 0020 (a recovery remembers the account it gives back): approved requests already in
the table are bound to the account their address names; the others wait for their approval."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from helpdesk.extensions import db
from tests.conftest import FIXTURES, MIGRATIONS, build_app, empty_database_at

GOOD = FIXTURES / "good"


def test_approved_requests_are_bound_to_their_account_and_the_column_goes_back(tmp_path: Path):
    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    migrations = MIGRATIONS
    with app.app_context():
        empty_database_at("0019")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO accounts (id, email, password_hash, failed_count, password_changed_at, "
                    "created_at) VALUES ('acct-1', 'pat@example.org', 'x', 0, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            for reference, email, status in (
                ("R-HOLD", "pat@example.org", "on-hold"),
                ("R-SENT", "pat@example.org", "submitted"),
                ("R-NONE", "nobody@example.org", "on-hold"),
            ):
                connection.execute(
                    text(
                        "INSERT INTO verification_requests (reference, account_email, contact_email, "
                        "contact_code_hash, contact_code_tries, answers, status, created_at, first_approver, "
                        "first_decision, decided_by, decision_reason, cancel_token_hash, reset_token_hash) "
                        "VALUES (:r, :e, 'new@example.net', '', 0, '{}', :s, CURRENT_TIMESTAMP, '', '', '', "
                        "'', '', '')"
                    ),
                    {"r": reference, "e": email, "s": status},
                )

        upgrade(directory=migrations, revision="0020")
        with db.engine.connect() as connection:
            bound = dict(
                connection.execute(text("SELECT reference, account_id FROM verification_requests")).all()
            )
        assert bound == {"R-HOLD": "acct-1", "R-SENT": None, "R-NONE": None}

        downgrade(directory=migrations, revision="0019")
        columns = {c["name"] for c in inspect(db.engine).get_columns("verification_requests")}
        assert "account_id" not in columns
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM verification_requests")).scalar() == 3
        db.session.remove()
        upgrade(directory=migrations)
