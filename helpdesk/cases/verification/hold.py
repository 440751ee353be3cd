"""The hold after an approval: the account's owner may cancel (by the mailed link, or signed in),
a sign-in by the owner pauses it until staff look again, and once it has passed the contact
address is mailed its single-use link (`run_due`, from cron)."""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ... import audit, links
from ...accounts.directory import AccountRecord
from ...config import settings
from ...extensions import db, rowcount
from ...mail import MailError, compose, send
from ...models import VerificationRequest, VerificationStatus, utcnow
from .hashing import keyed_hash, keyed_hashes, new_link_token

WAITING = (VerificationStatus.ON_HOLD, VerificationStatus.PAUSED)  # approved, not done: the owner may cancel
log = logging.getLogger(__name__)


def pending_for(account: AccountRecord) -> list[VerificationRequest]:
    """The approved recoveries of this account still waiting (on hold, or paused because its owner
    signed in meanwhile): its owner may cancel them. Matched by the account's id, bound at the
    approval, so every address of the account finds them (a directory entry may have several)."""
    return list(
        db.session.scalars(
            select(VerificationRequest).where(
                VerificationRequest.account_id == account.id,
                VerificationRequest.status.in_(WAITING),
            )
        )
    )


def owner_signed_in(account: AccountRecord, ip: str = "") -> list[VerificationRequest]:
    """The account's owner has just signed in, so still has a way in, while a recovery of the
    account is on hold: whoever asked for it may not be the owner. Each such recovery is paused
    (no link is sent and none is taken until staff look again), audited, and the support address
    is told; the owner sees it on the account page. Returns the requests paused now."""
    paused = []
    for request in db.session.scalars(
        select(VerificationRequest).where(
            VerificationRequest.account_id == account.id,
            VerificationRequest.status == VerificationStatus.ON_HOLD,
        )
    ).all():
        result = db.session.execute(
            update(VerificationRequest)
            .where(
                VerificationRequest.id == request.id,
                VerificationRequest.status == VerificationStatus.ON_HOLD,
            )
            .values(status=VerificationStatus.PAUSED)
        )
        db.session.commit()
        if rowcount(result) != 1:
            continue  # cancelled, completed or paused by someone else meanwhile
        db.session.refresh(request)
        audit.record(
            "recovery.paused", actor=account.email, target=request.reference, ip=ip, reason="owner signed in"
        )
        try:
            send(
                compose(
                    "recovery_paused",
                    settings().support_email,
                    _l(
                        "Recovery %(reference)s paused: the account's owner signed in",
                        reference=request.reference,
                    ),
                    language=settings().default_language,  # to support: the site's language
                    time_zone="",  # and UTC, not the owner's zone
                    reference=request.reference,
                    account_email=account.email,
                    staff_url=links.site_link("/staff/"),
                )
            )
        except MailError:  # the staff queue shows it all the same
            log.warning("the pause of recovery %s was not mailed to support", request.reference)
        paused.append(request)
    return paused


def cancel_with_token(token: str, ip: str = "") -> VerificationRequest | None:
    """Cancel by the link mailed to the owner; None when the link is not one of ours."""
    if not token:
        return None
    request = db.session.scalar(
        select(VerificationRequest).where(VerificationRequest.cancel_token_hash.in_(keyed_hashes(token)))
    )
    if request is None:
        return None
    return _cancel(request, actor="owner (cancel link)", ip=ip)


def cancel_for_owner(account: AccountRecord, request_id: int, ip: str = "") -> VerificationRequest | None:
    """Cancel as the signed-in owner; None when the request is not this account's."""
    request = db.session.get(VerificationRequest, request_id)
    if request is None or not _asked_for(request, account):
        return None
    return _cancel(request, actor=account.email, ip=ip)


def _asked_for(request: VerificationRequest, account: AccountRecord) -> bool:
    """The request is this account's: bound to it at the approval, or (never approved, so nothing
    to cancel) asked for under its address."""
    if request.account_id is not None:
        return request.account_id == account.id
    return request.account_email == account.email


def _cancel(request: VerificationRequest, actor: str, ip: str = "") -> VerificationRequest:
    """Cancel while the hold runs or is paused (a request past it is returned as it is)."""
    result = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.status.in_(WAITING))
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
                _l("You can set a new password now"),
                language=request.language,
                time_zone=request.time_zone or "",
                url=links.recovery_complete_page(token),
                reference=request.reference,
            )
        )
        audit.record("recovery.link-sent", actor="system", target=request.reference)
        sent += 1
    return sent
