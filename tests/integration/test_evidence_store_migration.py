"""Migration 0017 (evidence in the database): files a machine kept under instance/evidence are
carried into the evidence_files table, and left on disk for `flask cases import-evidence`."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from helpdesk.cases.evidence import read, seal
from helpdesk.extensions import db
from helpdesk.models import Evidence
from tests.conftest import FIXTURES, MIGRATIONS, build_app, empty_database_at

GOOD = FIXTURES / "good"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def test_evidence_files_on_disk_are_carried_into_the_table_and_left_on_disk(tmp_path: Path):
    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    migrations = MIGRATIONS
    folder = app.extensions["helpdesk.settings"].instance_dir / "evidence"
    with app.app_context():
        empty_database_at("0016")
        folder.mkdir(parents=True)
        sealed_name, plain_name, missing_name = "a" * 32, "b" * 32, "c" * 32
        (folder / sealed_name).write_bytes(seal(PDF, sealed_name))
        (folder / plain_name).write_bytes(PDF)  # stored before encryption
        (folder / "stray").write_bytes(b"no row names it")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO verification_requests (reference, account_email, contact_email, "
                    "contact_code_hash, contact_code_tries, answers, status, created_at, first_approver, "
                    "first_decision, decided_by, decision_reason, cancel_token_hash, reset_token_hash) "
                    "VALUES ('ABCD-EFGH', 'pat@example.org', 'new@example.net', '', 0, '{}', "
                    "'submitted', CURRENT_TIMESTAMP, '', '', '', '', '', '')"
                )
            )
            for name in (sealed_name, plain_name, missing_name):
                connection.execute(
                    text(
                        "INSERT INTO evidence (request_id, kind, stored_name, content_type, size, sha256, "
                        "created_at) VALUES (1, 'selfie', :name, 'application/pdf', 1, '', CURRENT_TIMESTAMP)"
                    ),
                    {"name": name},
                )
        upgrade(directory=migrations, revision="0017")
        with db.engine.connect() as connection:
            kept = dict(connection.execute(text("SELECT name, sealed FROM evidence_files")).all())
        assert {name: bytes(data) for name, data in kept.items()} == {
            sealed_name: (folder / sealed_name).read_bytes(),
            plain_name: PDF,
        }
        items = {e.stored_name: e for e in db.session.query(Evidence)}
        assert read(items[sealed_name]) == PDF and read(items[plain_name]) == PDF
        assert read(items[missing_name]) is None  # its file was already gone: reads as deleted
        assert sorted(p.name for p in folder.iterdir()) == sorted([sealed_name, plain_name, "stray"])
        db.session.remove()

        (folder / plain_name).unlink()
        downgrade(directory=migrations, revision="0016")  # the files go back before the table goes
        assert (folder / plain_name).read_bytes() == PDF
