"""Forgetting old records: what is past HELPDESK_RECORDS_DAYS goes, what is newer stays, the
audit trail stays and says what was forgotten."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from helpdesk.accounts import tokens
from helpdesk.accounts.directory import directory
from helpdesk.cases.diagnoses import start_diagnosis
from helpdesk.cases.housekeeping import forget_old_records
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import (
    AccountToken,
    ArticleFeedback,
    AuditEntry,
    Device,
    Diagnosis,
    DiagnosisEvent,
    DiagnosisNote,
    SearchMiss,
    SignInEvent,
    SignInSession,
    StaffLink,
    VerificationRequest,
    utcnow,
)

DAYS = 30


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _records(age: timedelta, account_id: int, suffix: str) -> None:
    """One record of every kind, *age* old."""
    when = utcnow() - age
    diagnosis = start_diagnosis(catalog().flows["locked-out"])
    diagnosis.updated_at = when
    db.session.add(DiagnosisNote(diagnosis_id=diagnosis.id, author="helper@example.org", text="called"))
    db.session.add(
        StaffLink(created_by="h@example.org", flow_id="locked-out", created_at=when, expires_at=when)
    )
    db.session.add(ArticleFeedback(article="locked-account", helpful=False, comment="hm", created_at=when))
    db.session.add(SearchMiss(query="zzz" + suffix, day=when.date(), count=1))
    db.session.add(
        VerificationRequest(
            reference="R-" + suffix,
            account_email="pat@example.org",
            contact_email="me@example.net",
            decided_at=when,
            evidence_purged_at=when,
        )
    )
    db.session.add(SignInEvent(account_id=account_id, at=when, result="ok"))
    device = Device(account_id=account_id, token_hash="d" * 60 + suffix, removed_at=when)
    db.session.add(device)
    db.session.add(
        SignInSession(account_id=account_id, token_hash="s" * 60 + suffix, created_at=when, ended_at=when)
    )
    db.session.commit()
    raw = tokens.issue_token(account_id, "reset", timedelta(minutes=30))
    db.session.execute(
        AccountToken.__table__.update()
        .where(AccountToken.token_hash == tokens.token_hash(raw))
        .values(expires_at=when)
    )
    db.session.commit()


def test_records_older_than_the_period_are_forgotten_and_newer_ones_kept(app):
    with app.test_request_context():
        account = directory().create("pat@example.org", "violet-harbor-lantern-42")
        _records(timedelta(days=DAYS + 1), account.id, "old")
        _records(timedelta(days=DAYS - 1), account.id, "new")
        kinds = [
            Diagnosis,
            DiagnosisNote,
            StaffLink,
            ArticleFeedback,
            SearchMiss,
            VerificationRequest,
            SignInEvent,
            Device,
            SignInSession,
            AccountToken,
        ]
        assert {m.__name__: _count(m) for m in kinds} == {m.__name__: 2 for m in kinds}
        events_before = _count(DiagnosisEvent)
        done = forget_old_records(DAYS)
        assert {m.__name__: _count(m) for m in kinds} == {m.__name__: 1 for m in kinds}
        assert _count(DiagnosisEvent) == events_before // 2
        assert done.counts["diagnoses"] == 1 and done.counts["sign-in history"] == 1 and done.total >= 10
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "records.forgotten")).one()
        assert entry.detail["days"] == DAYS and entry.detail["deleted"]["expired links"] == 1
        kept = db.session.scalar(select(SearchMiss.query))
        assert kept == "zzznew"


def test_a_diagnosis_that_continued_an_old_one_is_kept_without_the_link(app):
    with app.test_request_context():
        old = start_diagnosis(catalog().flows["cant-sign-in"])
        newer = start_diagnosis(catalog().flows["locked-out"], parent=old)
        old.updated_at = utcnow() - timedelta(days=DAYS + 5)
        db.session.commit()
        old_id, newer_id = old.id, newer.id
        forget_old_records(DAYS)
        db.session.expire_all()
        assert db.session.get(Diagnosis, old_id) is None
        assert db.session.get(Diagnosis, newer_id).parent_id is None


def test_records_are_kept_at_least_a_day(app):
    with app.app_context(), pytest.raises(ValueError):
        forget_old_records(0)


def test_search_misses_count_by_day(app):
    with app.app_context():
        db.session.add(SearchMiss(query="today", day=date.today(), count=3))
        db.session.commit()
        forget_old_records(1)
        assert _count(SearchMiss) == 1
