"""Migration 0021 (a recovery request keeps the language it was asked in): requests already in the
table carry over with "" (the default language, as every mail was written until now)."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from helpdesk.extensions import db
from tests.conftest import FIXTURES, MIGRATIONS, build_app, empty_database_at

GOOD = FIXTURES / "good"


def test_existing_requests_carry_over_in_the_default_language_and_the_column_goes_back(tmp_path: Path):
    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    with app.app_context():
        empty_database_at("0020")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO verification_requests (reference, account_email, contact_email, "
                    "contact_code_hash, contact_code_tries, answers, status, created_at, first_approver, "
                    "first_decision, decided_by, decision_reason, cancel_token_hash, reset_token_hash) "
                    "VALUES ('R-OLD', 'pat@example.org', 'new@example.net', '', 0, '{}', 'submitted', "
                    "CURRENT_TIMESTAMP, '', '', '', '', '', '')"
                )
            )

        upgrade(directory=MIGRATIONS, revision="0021")
        with db.engine.connect() as connection:
            kept = connection.execute(text("SELECT reference, language FROM verification_requests")).all()
        assert [tuple(row) for row in kept] == [("R-OLD", "")]

        downgrade(directory=MIGRATIONS, revision="0020")
        columns = {c["name"] for c in inspect(db.engine).get_columns("verification_requests")}
        assert "language" not in columns
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM verification_requests")).scalar() == 1
        db.session.remove()
        upgrade(directory=MIGRATIONS)
