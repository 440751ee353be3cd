"""Everything the help center keeps about one account, for its owner to download (ASVS 8.3.2).

What it holds: the account's own record (never its password hash, authenticator key or recovery
codes: those are secrets, not data about the person), its sign-in history and security events,
signed-in browsers and remembered devices, its passkeys (names and dates, never a key), and the
identity-verification requests made for its address (without the evidence files, which staff
alone may open and which are deleted soon).
Diagnoses are not tied to accounts, so there are none to give; the audit trail is the
organisation's security record.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from ..accounts import passkeys
from ..accounts.directory import AccountRecord, directory
from ..extensions import db
from ..models import VerificationRequest, utcnow

HISTORY_LIMIT = 10_000


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def export(account: AccountRecord) -> dict[str, Any]:
    """The account's data as plain JSON-ready values."""
    accounts = directory()
    record = asdict(account)
    requests = db.session.scalars(
        select(VerificationRequest).where(
            # bound to this account, or never bound and asked for under its address (a bound one
            # asked for under an address that has since moved belongs to the account it was bound to)
            or_(
                VerificationRequest.account_id == account.id,
                and_(
                    VerificationRequest.account_id.is_(None),
                    VerificationRequest.account_email == account.email,
                ),
            )
        )
    )
    return _plain(
        {
            "exported_at": utcnow(),
            "account": {
                "email": record["email"],
                "role": record["role"],
                "password_changed_at": record["password_changed_at"],
                "two_step_verification": account.two_factor,
                "locked_until": record["locked_until"],
                "failed_sign_ins_in_a_row": record["failed_count"],
            },
            "history": [asdict(line) for line in accounts.sign_ins(account.id, HISTORY_LIMIT)],
            "signed_in_browsers": [asdict(s) for s in accounts.sessions(account.id)],
            "devices": [asdict(d) for d in accounts.devices(account.id)],
            "passkeys": [
                {
                    "name": k.name,
                    "created_at": k.created_at,
                    "last_used_at": k.last_used_at,
                    "synced": k.synced,
                }
                for k in passkeys.passkeys_of(str(account.id))
            ],
            "recovery_requests": [
                {
                    "reference": r.reference,
                    "contact_email": r.contact_email,
                    "status": r.status,
                    "created_at": r.created_at,
                    "submitted_at": r.submitted_at,
                    "decided_at": r.decided_at,
                    "answers": r.answers,
                    "evidence_deleted_at": r.evidence_purged_at,
                }
                for r in requests
            ],
        }
    )
