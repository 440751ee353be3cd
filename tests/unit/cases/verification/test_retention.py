"""Evidence is deleted some days after the decision; the decision itself stays."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from helpdesk.cases.evidence import old_evidence_dir, store
from helpdesk.cases.evidence_store import evidence_store
from helpdesk.cases.verification import retention, review
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Evidence, VerificationStatus
from tests.scanner import clamd_address, scanning  # noqa: F401 (fixtures)
from tests.unit.cases.verification.steps import STAFF, fetched, submitted_request

pytestmark = pytest.mark.usefixtures("scanning")  # PDFs are taken only past a virus scanner

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def with_evidence(app):
    request = submitted_request(app)
    store(request.id, "id-document", b"%PDF-1.4 ... %%EOF", "application/pdf")
    store(request.id, "selfie", b"\x89PNG not really", "image/png")
    db.session.commit()
    return request


def test_evidence_is_deleted_after_the_days_kept_and_the_decision_stays(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = with_evidence(app)
        review.decide(request, STAFF, "deny", "not enough")
        clock.shift(timedelta(days=30) - timedelta(seconds=1))
        assert retention.purge(30) == 0
        assert len(list(evidence_store().names())) == 2
        clock.shift(timedelta(seconds=1))
        assert retention.purge(30) == 1
        assert list(evidence_store().names()) == []
        assert db.session.scalars(select(Evidence)).all() == []
        stored = fetched(request.id)
        assert stored.status == VerificationStatus.DENIED and stored.decision_reason == "not enough"
        assert stored.evidence_purged_at == T0 + timedelta(days=30)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recovery.purge"))
        assert entry.target == request.reference
        assert retention.purge(30) == 0  # once


def test_evidence_of_an_undecided_request_is_kept(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        with_evidence(app)
        clock.shift(timedelta(days=365))
        assert retention.purge(30) == 0
        assert len(list(evidence_store().names())) == 2


def test_the_days_kept_default_to_the_setting(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        review.decide(with_evidence(app), STAFF, "deny", "not enough")
        days = app.extensions["helpdesk.settings"].evidence_days
        clock.shift(timedelta(days=days) - timedelta(seconds=1))
        assert retention.purge() == 0
        clock.shift(timedelta(seconds=1))
        assert retention.purge() == 1


def test_evidence_is_kept_in_the_database_not_in_the_instance_folder(app, account):
    with app.app_context():
        with_evidence(app)
        assert len(list(evidence_store().names())) == 2
        assert not old_evidence_dir().exists()


def test_uploaded_evidence_is_encrypted_in_the_store_until_the_purge_deletes_it(app, account):
    from PIL import Image

    from helpdesk.cases.evidence import read_upload

    photo = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(photo, format="JPEG")
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = submitted_request(app)
        uploads = {
            "id-document": FileStorage(io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"), "scan.pdf"),
            "selfie": FileStorage(io.BytesIO(photo.getvalue()), "me.jpg"),
        }
        for kind, upload in uploads.items():
            store(request.id, kind, *read_upload(upload, kind))
        db.session.commit()
        files = list(evidence_store().names())
        assert len(files) == 2
        for name in files:  # what a copy of the database shows: no PDF, no JPEG, not even their signatures
            raw = evidence_store().get(name)
            assert b"%PDF" not in raw and b"\xff\xd8\xff" not in raw and b"JFIF" not in raw
        review.decide(request, STAFF, "deny", "not enough")
        clock.shift(timedelta(days=30))
        assert retention.purge() == 1
        assert list(evidence_store().names()) == []
        assert all(evidence_store().get(name) is None for name in files)
        assert db.session.scalars(select(Evidence)).all() == []
        assert fetched(request.id).evidence_purged_at == T0 + timedelta(days=30)
