"""The hold after an approval: the account's owner may cancel (by the mailed link, or signed in),
and once it has passed the contact address is mailed its single-use link (`run_due`, from cron)."""

from __future__ import annotations

from sqlalchemy import select, update

from ... import audit, links
from ...accounts.directory import AccountRecord
from ...extensions import db, rowcount
from ...mail import compose, send
from ...models import VerificationRequest, VerificationStatus, utcnow
from .hashing import keyed_hash, new_link_token


def pending_for(account: AccountRecord) -> list[VerificationRequest]:
    """The approved recoveries of this account whose hold is running (its owner may cancel them)."""
    return list(
        db.session.scalars(
            select(VerificationRequest).where(
                VerificationRequest.account_email == account.email,
                VerificationRequest.status == VerificationStatus.ON_HOLD,
            )
        )
    )


def cancel_with_token(token: str, ip: str = "") -> VerificationRequest | None:
    """Cancel by the link mailed to the owner; None when the link is not one of ours."""
    if not token:
        return None
    request = db.session.scalar(
        select(VerificationRequest).where(VerificationRequest.cancel_token_hash == keyed_hash(token))
    )
    if request is None:
        return None
    return _cancel(request, actor="owner (cancel link)", ip=ip)


def cancel_for_owner(account: AccountRecord, request_id: int, ip: str = "") -> VerificationRequest | None:
    """Cancel as the signed-in owner; None when the request is not this account's."""
    request = db.session.get(VerificationRequest, request_id)
    if request is None or request.account_email != account.email:
        return None
    return _cancel(request, actor=account.email, ip=ip)


def _cancel(request: VerificationRequest, actor: str, ip: str = "") -> VerificationRequest:
    """Cancel while the hold runs (a request past it is returned as it is)."""
    result = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.status == VerificationStatus.ON_HOLD)
        .values(status=VerificationStatus.CANCELLED, reset_token_hash="")
    )
    db.session.commit()
    if rowcount(result) == 1:
        audit.record("recovery.cancel", actor=actor, target=request.reference, ip=ip)
    db.session.refresh(request)
    return request


def run_due() -> int:
    """Send the contact address its reset link for every hold that has passed (cron-safe: of two
    runs at once, each request is claimed by one)."""
    sent = 0
    for request in db.session.scalars(
        select(VerificationRequest).where(
            VerificationRequest.status == VerificationStatus.ON_HOLD,
            VerificationRequest.hold_until <= utcnow(),
            VerificationRequest.reset_sent_at.is_(None),
        )
    ).all():
        token = new_link_token()
        claimed = db.session.execute(
            update(VerificationRequest)
            .where(
                VerificationRequest.id == request.id,
                VerificationRequest.reset_sent_at.is_(None),
                VerificationRequest.status == VerificationStatus.ON_HOLD,
            )
            .values(reset_sent_at=utcnow(), reset_token_hash=keyed_hash(token))
        )
        db.session.commit()
        if rowcount(claimed) != 1:
            continue  # another run sent it
        send(
            compose(
                "recovery_ready",
                request.contact_email,
                "You can set a new password now",
                url=links.recovery_complete_page(token),
                reference=request.reference,
            )
        )
        audit.record("recovery.link-sent", actor="system", target=request.reference)
        sent += 1
    return sent
