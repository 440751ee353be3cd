"""Migration 0023 (a recovery request keeps the time zone the person's browser named): requests
already in the table carry over with none (NULL: their mails in UTC, as until now), a new one
keeps its zone, and the column goes back on the way down."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from helpdesk.extensions import db
from tests.conftest import FIXTURES, MIGRATIONS, build_app, empty_database_at

GOOD = FIXTURES / "good"
INSERT = (
    "INSERT INTO verification_requests (reference, account_email, contact_email, contact_code_hash, "
    "contact_code_tries, answers, status, created_at, first_approver, first_decision, decided_by, "
    "decision_reason, cancel_token_hash, reset_token_hash, language{zone_column}) VALUES (:r, "
    "'pat@example.org', 'new@example.net', '', 0, '{{}}', 'submitted', CURRENT_TIMESTAMP, '', '', '', "
    "'', '', '', 'es'{zone_value})"
)


def test_existing_requests_carry_over_with_no_zone_and_the_column_goes_back(tmp_path: Path):
    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    with app.app_context():
        empty_database_at("0022")
        with db.engine.begin() as connection:
            connection.execute(text(INSERT.format(zone_column="", zone_value="")), {"r": "R-OLD"})

        upgrade(directory=MIGRATIONS, revision="0023")
        with db.engine.begin() as connection:
            connection.execute(
                text(INSERT.format(zone_column=", time_zone", zone_value=", :z")),
                {"r": "R-NEW", "z": "America/Mexico_City"},
            )
            rows = connection.execute(text("SELECT reference, time_zone FROM verification_requests"))
            kept = dict(rows.all())
        assert kept == {"R-OLD": None, "R-NEW": "America/Mexico_City"}

        downgrade(directory=MIGRATIONS, revision="0022")
        columns = {c["name"] for c in inspect(db.engine).get_columns("verification_requests")}
        assert "time_zone" not in columns
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM verification_requests")).scalar() == 2
        db.session.remove()
        upgrade(directory=MIGRATIONS)
