"""Completing a verified recovery with the link mailed after the hold: a new password, two-step
verification and recovery codes removed (set up again at the next sign-in), staff roles dropped."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select, update

from ... import audit
from ...accounts.directory import AccountRecord, directory
from ...accounts.passwords import password_problem
from ...accounts.recovery import ResetRefused, change_password
from ...config import settings
from ...extensions import db, one_transaction, rowcount
from ...models import VerificationRequest, VerificationStatus, utcnow
from .hashing import keyed_hashes

RESET_LINK_LIFETIME = timedelta(days=7)


class CompletionState(StrEnum):
    """What a recovery link is now, or (DONE) what using it did."""

    READY = "ok"  # the hold has passed and the link is fresh: a new password may be set
    NOT_YET = "not-yet"  # the hold is still running
    EXPIRED = "expired"  # mailed more than RESET_LINK_LIFETIME ago
    USED = "used"  # the recovery was completed already
    CANCELLED = "cancelled"  # the request is no longer on hold
    PAUSED = "paused"  # the account's owner signed in during the hold: staff look again first
    # the address asked for no longer names the account staff approved (it moved in the directory)
    ACCOUNT_CHANGED = "account-changed"
    UNKNOWN = "unknown"  # no request has this link
    DONE = "done"  # the new password is set


def check_completion(token: str) -> tuple[VerificationRequest | None, CompletionState]:
    """The request a link belongs to and what the link is now, without using it."""
    request = (
        db.session.scalar(
            select(VerificationRequest).where(VerificationRequest.reset_token_hash.in_(keyed_hashes(token)))
        )
        if token
        else None
    )
    if request is None:
        return None, CompletionState.UNKNOWN
    if request.status == VerificationStatus.COMPLETED:
        return request, CompletionState.USED
    if request.status == VerificationStatus.PAUSED:
        return request, CompletionState.PAUSED
    if request.status != VerificationStatus.ON_HOLD:
        return request, CompletionState.CANCELLED
    if request.hold_until is None or request.hold_until > utcnow():
        return request, CompletionState.NOT_YET  # the hold is enforced here, not only by the job
    if request.reset_sent_at is None or request.reset_sent_at + RESET_LINK_LIFETIME <= utcnow():
        return request, CompletionState.EXPIRED
    if approved_account(request) is None:
        return request, CompletionState.ACCOUNT_CHANGED
    return request, CompletionState.READY


def approved_account(request: VerificationRequest) -> AccountRecord | None:
    """The account staff approved, while the address asked for still names it; None once the
    address was given to another account, or the account is gone (no recovery acts on a stranger)."""
    if not request.account_id:
        return None
    found = directory().find(request.account_email)
    return found if found is not None and found.id == request.account_id else None


def complete(token: str, new_password: str, ip: str = "") -> CompletionState:
    """Set the new password, remove two-factor and recovery codes; re-enrolment is required.

    DONE once it is set; raises ResetRefused when the password is refused (the link still works).
    All of it is one transaction: a worker stopped half-way leaves the link working as before.
    """
    with one_transaction():
        return _complete(token, new_password, ip)


def _complete(token: str, new_password: str, ip: str) -> CompletionState:
    request, state = check_completion(token)
    if request is None or state is not CompletionState.READY:
        return state
    account = approved_account(request)
    if account is None:
        return CompletionState.ACCOUNT_CHANGED
    problem = password_problem(new_password, email=account.email, site_name=settings().site_name)
    if problem:
        raise ResetRefused(problem)
    used = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.status == VerificationStatus.ON_HOLD)
        .values(status=VerificationStatus.COMPLETED, completed_at=utcnow(), reset_token_hash="")
    )
    db.session.commit()
    if rowcount(used) != 1:
        return CompletionState.USED
    directory().disable_totp(account.id)
    if account.role:  # staff access is never handed over by a recovery: an admin gives it back
        directory().set_role(account.id, None)
        audit.record(
            "staff.role-removed",
            actor="system",
            target=account.email,
            ip=ip,
            role=account.role,
            reason=f"recovery {request.reference}",
        )
    directory().require_two_factor(account.id)
    change_password(account, new_password, by="recovery")
    audit.record("recovery.completed", actor="person", target=request.reference, ip=ip)
    return CompletionState.DONE
