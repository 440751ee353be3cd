"""The audit trail: append-only, each entry hashing the one before it, so tampering shows."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db, rowcount
from .models import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64


def _digest(entry: AuditEntry) -> str:
    canonical = json.dumps(
        {
            "previous": entry.previous_hash,
            "at": entry.at.isoformat(timespec="microseconds"),
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "ip": entry.ip,
            "detail": entry.detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(action: str, *, actor: str, target: str = "", ip: str = "", **detail: Any) -> AuditEntry:
    """Append one entry. Two appends at once both read the same last hash; the unique
    previous_hash lets only one of them in, and the other retries on the new end."""
    for _ in range(10):
        previous = db.session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
        entry = AuditEntry(
            at=utcnow(),
            actor=actor,
            action=action,
            target=target[:200],
            ip=ip,
            detail=detail,
            previous_hash=previous or GENESIS,
        )
        entry.entry_hash = _digest(entry)
        try:
            with db.session.begin_nested():
                db.session.add(entry)
                db.session.flush()
                _move_head(entry)
            db.session.commit()
            return entry
        except IntegrityError:
            # the savepoint already undid this entry; the rest of the transaction stands (inside
            # extensions.one_transaction, a whole rollback here would abort the change it records)
            continue
    raise RuntimeError("the audit trail is too busy to append to")


def _signature(last_id: int, last_hash: str) -> str:
    key = hashlib.sha256(b"helpdesk audit head\0" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, f"{last_id}:{last_hash}".encode(), hashlib.sha256).hexdigest()


def _move_head(entry: AuditEntry) -> None:
    """Point the signed head at *entry*; it only ever moves forward."""
    values = {
        "last_id": entry.id,
        "last_hash": entry.entry_hash,
        "signature": _signature(entry.id, entry.entry_hash),
    }
    moved = db.session.execute(
        update(AuditHead).where(AuditHead.id == 1, AuditHead.last_id < entry.id).values(**values)
    )
    if rowcount(moved) == 0 and db.session.get(AuditHead, 1) is None:
        db.session.add(AuditHead(id=1, **values))
        db.session.flush()


@dataclass(frozen=True)
class Broken:
    entry_id: int
    reason: str


def verify() -> Broken | None:
    """The first entry that does not fit the chain, or None when every entry checks out."""
    previous = GENESIS
    last: AuditEntry | None = None
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(500):
        if entry.previous_hash != previous:
            return Broken(
                entry.id, "its link to the entry before it is broken (an entry was removed or reordered)"
            )
        if _digest(entry) != entry.entry_hash:
            return Broken(entry.id, "its contents changed after it was written")
        previous = entry.entry_hash
        last = entry
    head = db.session.get(AuditHead, 1)
    if head is None:
        return Broken(last.id, "the signed record of the newest entry is missing") if last else None
    if head.signature != _signature(head.last_id, head.last_hash):
        return Broken(head.last_id, "the signed record of the newest entry was altered")
    if last is None or last.id < head.last_id:
        return Broken(head.last_id, "entries up to this one were removed from the end of the trail")
    newest = db.session.get(AuditEntry, head.last_id)
    if newest is None or newest.entry_hash != head.last_hash:
        return Broken(head.last_id, "it does not match the signed record of the newest entry")
    return None


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise PermissionError(f"audit entry {target.id} cannot be changed or removed")
