"""Migration 0022 (search per language): on PostgreSQL the index tables gain each row's language
and configuration, and go back to the English-only ones; on SQLite there is nothing to do."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade
from sqlalchemy import inspect

from helpdesk.extensions import db
from tests.conftest import FIXTURES, MIGRATIONS, build_app, empty_database_at

GOOD = FIXTURES / "good"


def test_the_index_tables_gain_language_and_config_and_lose_them_going_back(tmp_path: Path):
    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    with app.app_context():
        empty_database_at("0022")
        postgres = db.engine.dialect.name == "postgresql"
        tables = set(inspect(db.engine).get_table_names())
        assert ("search_documents" in tables) is postgres
        if postgres:
            columns = {c["name"] for c in inspect(db.engine).get_columns("search_documents")}
            assert {"language", "config", "document"} <= columns
        downgrade(directory=MIGRATIONS, revision="0021")
        if postgres:
            columns = {c["name"] for c in inspect(db.engine).get_columns("search_documents")}
            assert "document" in columns and not {"language", "config"} & columns
