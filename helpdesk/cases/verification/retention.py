"""How long evidence is kept: deleted some days after the decision; the decision and the audit
trail stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ... import audit
from ...config import settings
from ...extensions import db
from ...models import VerificationRequest, utcnow
from ..evidence import remove_files


def purge(days: int | None = None) -> int:
    """Delete evidence of requests decided more than *days* ago (default: the evidence_days setting);
    returns how many requests lost their evidence."""
    days = settings().evidence_days if days is None else days
    cutoff = utcnow() - timedelta(days=days)
    purged = 0
    for request in db.session.scalars(
        select(VerificationRequest).where(
            VerificationRequest.evidence_purged_at.is_(None),
            VerificationRequest.decided_at.is_not(None),
            VerificationRequest.decided_at <= cutoff,
        )
    ).all():
        removed = remove_files(request.id)
        request.evidence_purged_at = utcnow()
        db.session.commit()
        audit.record("recovery.purge", actor="system", target=request.reference, files=removed)
        purged += 1
    return purged
