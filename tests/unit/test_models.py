"""The tables themselves: what they never keep, and the time zone of what they do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Date, DateTime, select

from helpdesk.extensions import db
from helpdesk.models import Account, AuditEntry, UTCDateTime, utcnow


def test_accounts_keep_no_password_hint_or_secret_question():
    columns = {column.name for column in Account.__table__.columns}
    assert not {c for c in columns if any(w in c for w in ("hint", "question", "answer"))}


def test_every_stored_time_is_utc():
    naive = [
        f"{table.name}.{column.name}"
        for table in db.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, DateTime) and not isinstance(column.type, Date)
    ]
    assert naive == [], "times are stored through UTCDateTime, never as plain DateTime"
    assert utcnow().tzinfo is UTC


def test_a_time_in_another_zone_is_stored_as_utc_and_a_naive_one_is_refused(app):
    elsewhere = datetime(2026, 12, 4, 12, 0, tzinfo=timezone(timedelta(hours=5)))
    with app.app_context():
        entry = AuditEntry(at=elsewhere, actor="a", action="b", previous_hash="0" * 64, entry_hash="1" * 64)
        db.session.add(entry)
        db.session.commit()
        stored = db.session.scalar(select(AuditEntry.at))
        assert stored == datetime(2026, 12, 4, 7, 0, tzinfo=UTC) and stored.tzinfo is UTC
        with pytest.raises(ValueError, match="naive"):
            UTCDateTime().process_bind_param(datetime(2026, 12, 4, 12, 0), db.engine.dialect)
