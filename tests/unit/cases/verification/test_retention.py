"""Evidence is deleted some days after the decision; the decision itself stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from helpdesk.cases.evidence import evidence_dir, store
from helpdesk.cases.verification import retention, review
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Evidence, VerificationStatus
from tests.unit.cases.verification.steps import STAFF, fetched, submitted_request

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def with_evidence(app):
    request = submitted_request(app)
    store(evidence_dir(), request.id, "id-document", b"%PDF-1.4 ... %%EOF", "application/pdf")
    store(evidence_dir(), request.id, "selfie", b"\x89PNG not really", "image/png")
    db.session.commit()
    return request


def test_evidence_is_deleted_after_the_days_kept_and_the_decision_stays(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = with_evidence(app)
        review.decide(request, STAFF, "deny", "not enough")
        clock.shift(timedelta(days=30) - timedelta(seconds=1))
        assert retention.purge(30) == 0
        assert len(list(evidence_dir().iterdir())) == 2
        clock.shift(timedelta(seconds=1))
        assert retention.purge(30) == 1
        assert list(evidence_dir().iterdir()) == []
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
        assert len(list(evidence_dir().iterdir())) == 2


def test_the_days_kept_default_to_the_setting(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        review.decide(with_evidence(app), STAFF, "deny", "not enough")
        days = app.extensions["helpdesk.settings"].evidence_days
        clock.shift(timedelta(days=days) - timedelta(seconds=1))
        assert retention.purge() == 0
        clock.shift(timedelta(seconds=1))
        assert retention.purge() == 1


def test_evidence_is_kept_in_the_instance_folder(app):
    with app.app_context():
        assert evidence_dir() == app.extensions["helpdesk.settings"].instance_dir / "evidence"
