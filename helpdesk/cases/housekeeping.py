"""How long the help center keeps what it records about people, and the forgetting of it.

HELPDESK_RECORDS_DAYS (default 400: a year and a season, enough for yearly comparisons in the
editors' analytics) bounds everything that names or describes a person's activity:

- diagnoses with their transcripts, staff notes and API tokens, counted from their last change;
- links staff sent, from when they expired;
- readers' feedback comments and searches that found nothing;
- identity-verification requests, from their decision (their evidence goes much sooner, after
  HELPDESK_EVIDENCE_DAYS: cases/verification/retention.py);
- in the account directory: sign-in history, ended sign-ins, removed devices and used or expired
  links (the directory's `forget_before`).

What stays: the audit trail (hash-chained, the security record, holds no more than who did what to
which account), article view counts (numbers per day, about nobody) and the accounts themselves.
`flask records forget` runs it; run it daily from cron.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Delete, delete, select, update

from .. import audit
from ..accounts import tokens
from ..accounts.directory import directory
from ..config import settings
from ..extensions import db, rowcount
from ..models import (
    ArticleFeedback,
    Diagnosis,
    DiagnosisEvent,
    DiagnosisNote,
    SearchMiss,
    StaffLink,
    VerificationRequest,
    utcnow,
)


@dataclass
class Forgotten:
    """How many records of each kind were deleted."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def forget_old_records(days: int | None = None, now: datetime | None = None) -> Forgotten:
    """Delete what is older than *days* (default: the records_days setting); audited once."""
    days = settings().records_days if days is None else days
    if days < 1:
        raise ValueError("records are kept at least a day")
    cutoff = (now or utcnow()) - timedelta(days=days)
    done = Forgotten()
    _diagnoses(cutoff, done)
    done.add("staff links", _deleted(delete(StaffLink).where(StaffLink.expires_at < cutoff)))
    done.add("feedback", _deleted(delete(ArticleFeedback).where(ArticleFeedback.created_at < cutoff)))
    done.add("unanswered searches", _deleted(delete(SearchMiss).where(SearchMiss.day < cutoff.date())))
    done.add(
        "recovery requests",
        _deleted(
            delete(VerificationRequest).where(
                VerificationRequest.decided_at < cutoff, VerificationRequest.evidence_purged_at.is_not(None)
            )
        ),
    )
    for kind, count in directory().forget_before(cutoff).items():
        done.add(kind, count)
    done.add("expired links", tokens.forget_before(cutoff))
    db.session.commit()
    audit.record("records.forgotten", actor="system", days=days, deleted=done.counts)
    return done


def _diagnoses(cutoff: datetime, done: Forgotten) -> None:
    old = select(Diagnosis.id).where(Diagnosis.updated_at < cutoff).scalar_subquery()
    # a newer diagnosis that continued an old one keeps its own story, without the link back
    db.session.execute(update(Diagnosis).where(Diagnosis.parent_id.in_(old)).values(parent_id=None))
    done.add("diagnosis events", _deleted(delete(DiagnosisEvent).where(DiagnosisEvent.diagnosis_id.in_(old))))
    done.add("staff notes", _deleted(delete(DiagnosisNote).where(DiagnosisNote.diagnosis_id.in_(old))))
    done.add("diagnoses", _deleted(delete(Diagnosis).where(Diagnosis.updated_at < cutoff)))
    old_links = select(StaffLink.id).where(StaffLink.expires_at < cutoff).scalar_subquery()
    db.session.execute(update(Diagnosis).where(Diagnosis.link_id.in_(old_links)).values(link_id=None))


def _deleted(statement: Delete) -> int:
    return rowcount(db.session.execute(statement))
