"""Staff review of a verification request: the queue, what the person said beside the account's
history, and the decision (approve or deny, with a reason; two staff members under the two-person
rule). An approval starts the hold and tells the account's owner how to cancel it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from flask_babel import format_date, gettext, lazy_gettext
from sqlalchemy import select, update

from ... import audit, links
from ...accounts.directory import SIGNED_IN_RESULTS, AccountRecord, directory
from ...config import settings
from ...errors import DomainError
from ...extensions import db, one_transaction, rowcount
from ...mail import MailError, compose, send
from ...models import VerificationRequest, VerificationStatus, utcnow
from .hashing import keyed_hash, new_link_token

log = logging.getLogger(__name__)


class Decision(StrEnum):
    """What a staff member chooses (also kept as the first of two decisions)."""

    APPROVE = "approve"
    DENY = "deny"


# a decision in words, as a staff member reads it in a sentence ("… chose to approve")
DECISION_WORDS = {Decision.APPROVE: lazy_gettext("approve"), Decision.DENY: lazy_gettext("deny")}
# where a request stands, in staff's words (the stored names are VerificationStatus's)
STATUS_WORDS = {
    "collecting": lazy_gettext("collecting: evidence not sent yet"),
    "submitted": lazy_gettext("waiting for a decision"),
    "on-hold": lazy_gettext("approved: in its waiting period"),
    "completed": lazy_gettext("completed"),
    "cancelled": lazy_gettext("cancelled by the owner"),
    "paused": lazy_gettext("paused"),
    "denied": lazy_gettext("denied"),
}


class DecisionOutcome(StrEnum):
    """What a decision did."""

    APPROVED = "approved"  # the owner was told and the hold has started
    DENIED = "denied"
    NEEDS_SECOND = "needs-second"  # recorded; a second staff member must make the same decision


class DecisionRefused(DomainError, ValueError):
    """Nothing was recorded; the message says why, in words for the staff member."""


class DecisionsDisagree(DecisionRefused):
    """Under the two-person rule, the second decision differs from the first."""

    http_status = 409

    def __init__(self, first_approver: str, first_decision: Decision, chosen: Decision) -> None:
        super().__init__(
            gettext(
                "%(first_approver)s chose to %(first_decision)s; you chose to %(chosen)s. "
                "Agree on one decision first.",
                first_approver=first_approver,
                first_decision=DECISION_WORDS[first_decision],
                chosen=DECISION_WORDS[chosen],
            )
        )
        self.first_approver = first_approver
        self.first_decision = first_decision
        self.chosen = chosen


def queue() -> list[VerificationRequest]:
    """Requests waiting for a decision, oldest first."""
    return list(
        db.session.scalars(
            select(VerificationRequest)
            .where(VerificationRequest.status == VerificationStatus.SUBMITTED)
            .order_by(VerificationRequest.submitted_at)
        )
    )


def paused() -> list[VerificationRequest]:
    """Approved recoveries paused because the account's owner signed in during the hold: staff
    must look again (`reconsider`)."""
    return list(
        db.session.scalars(
            select(VerificationRequest)
            .where(VerificationRequest.status == VerificationStatus.PAUSED)
            .order_by(VerificationRequest.decided_at)
        )
    )


@dataclass(frozen=True)
class Comparison:
    question: str
    said: str
    history: str
    agrees: bool | None  # None: nothing to compare with


def compare_with_history(request: VerificationRequest) -> tuple[AccountRecord | None, list[Comparison]]:
    """What the person said about recent activity next to what the account's history shows."""
    account = (
        directory().get(request.account_id) if request.account_id else directory().find(request.account_email)
    )
    said = request.answers or {}
    if account is None:
        return None, [
            Comparison(
                gettext("Account"), request.account_email, gettext("no account uses this address"), False
            )
        ]
    good = [s for s in directory().sign_ins(account.id, 50) if s.result in SIGNED_IN_RESULTS]
    last = good[0] if good else None
    rows = []
    when = said.get("last_sign_in", "")
    if last is None:
        rows.append(
            Comparison(gettext("Last successful sign-in"), when or "—", gettext("none recorded"), None)
        )
    else:
        agrees = None
        if when:
            try:
                agrees = abs((date.fromisoformat(when) - last.at.date()).days) <= 3
            except ValueError:
                agrees = False
        rows.append(
            Comparison(
                gettext("Last successful sign-in"), when or "—", format_date(last.at, "d MMM y"), agrees
            )
        )
    device = said.get("device", "")
    devices = sorted({s.device for s in good})
    rows.append(
        Comparison(
            gettext("Device used"),
            device or "—",
            ", ".join(devices) or gettext("none recorded"),
            None if not device or not devices else any(_overlap(device, d) for d in devices),
        )
    )
    return account, rows


def _overlap(said: str, recorded: str) -> bool:
    words = {w for w in said.casefold().replace("/", " ").split() if len(w) > 2}
    return any(w in recorded.casefold() for w in words)


def clean_text(text: str) -> str:
    """Staff-typed text as stored: no NUL bytes (PostgreSQL refuses them), trimmed."""
    return (text or "").replace("\x00", "").strip()


def decide(
    request: VerificationRequest,
    staff: str,
    decision: str,
    reason: str,
    ip: str = "",
    reviewed_account: str | None = None,
) -> DecisionOutcome:
    """Approve or deny, with a reason; raises DecisionRefused when nothing was recorded.

    With the two-person rule a second, different staff member must make the same decision.
    An approval starts the hold only once the account's own address has been told: if that
    mail cannot be sent, nothing is recorded and the staff member is asked to try again.
    A recovery paused because its owner signed in is decided again by `reconsider`.

    An approval is of the account staff were shown (*reviewed_account*, its directory id, when
    the page sent it): refused if the address names another account now. The first of two
    approvals binds that account already, so the second must find the same one.
    """
    if request.status == VerificationStatus.PAUSED:
        return reconsider(request, staff, decision, reason, ip, reviewed_account)
    chosen, reason = _decision_and_reason(decision, reason)
    if request.status != VerificationStatus.SUBMITTED:
        raise DecisionRefused(gettext("This request has been decided already."))
    account = _account_to_approve(request, reviewed_account) if chosen is Decision.APPROVE else None
    if settings().two_person_rule:
        if not request.first_approver:
            request.first_approver, request.first_decision = staff, chosen
            if account is not None:
                request.account_id = account.id
            with one_transaction():  # the decision with its audit entry, or neither
                audit.record(
                    f"recovery.{chosen}-first", actor=staff, target=request.reference, ip=ip, reason=reason
                )
            return DecisionOutcome.NEEDS_SECOND
        if request.first_approver == staff:
            raise DecisionRefused(gettext("A second, different staff member must confirm this decision."))
        if request.first_decision != chosen:
            raise DecisionsDisagree(request.first_approver, Decision(request.first_decision), chosen)
    if chosen is Decision.DENY:
        _record(
            request,
            {
                "status": VerificationStatus.DENIED,
                "decided_by": staff,
                "decided_at": utcnow(),
                "decision_reason": reason,
            },
        )
        with one_transaction():  # the decision with its audit entry, or neither
            audit.record("recovery.deny", actor=staff, target=request.reference, ip=ip, reason=reason)
        return DecisionOutcome.DENIED
    assert account is not None  # found above for an approval
    _approve(request, account, staff, reason, ip)
    return DecisionOutcome.APPROVED


def _account_to_approve(request: VerificationRequest, reviewed_account: str | None) -> AccountRecord:
    """The account the address names now, which must be the one staff were shown and the one a
    first approval bound; DecisionRefused otherwise."""
    account = directory().find(request.account_email)
    if account is None:
        raise DecisionRefused(gettext("No account uses this address: deny it as 'no match'."))
    if reviewed_account is not None and reviewed_account != account.id:
        raise DecisionRefused(
            gettext(
                "The address now names a different account than the one shown to you: open the request again."
            )
        )
    if request.account_id and request.account_id != account.id:
        raise DecisionRefused(
            gettext("The address now belongs to a different account than the one approved before: deny it.")
        )
    return account


def reconsider(
    request: VerificationRequest,
    staff: str,
    decision: str,
    reason: str,
    ip: str = "",
    reviewed_account: str | None = None,
) -> DecisionOutcome:
    """Look again at a recovery paused because its owner signed in during the hold: approve it
    again (a whole new hold starts, and the owner is told again how to cancel) or deny it.
    Raises DecisionRefused when nothing was recorded."""
    chosen, reason = _decision_and_reason(decision, reason)
    if request.status != VerificationStatus.PAUSED:
        raise DecisionRefused(gettext("This recovery is not paused."))
    if chosen is Decision.DENY:
        _record(
            request,
            {
                "status": VerificationStatus.DENIED,
                "decided_by": staff,
                "decided_at": utcnow(),
                "decision_reason": reason,
                "reset_token_hash": "",
            },
            VerificationStatus.PAUSED,
        )
        with one_transaction():  # the decision with its audit entry, or neither
            audit.record("recovery.deny-paused", actor=staff, target=request.reference, ip=ip, reason=reason)
        return DecisionOutcome.DENIED
    account = _account_to_approve(request, reviewed_account)
    _approve(request, account, staff, reason, ip, was=VerificationStatus.PAUSED)
    return DecisionOutcome.APPROVED


def _decision_and_reason(decision: str, reason: str) -> tuple[Decision, str]:
    """The decision staff chose and their reason, cleaned; DecisionRefused when either is missing."""
    try:
        chosen = Decision(decision)
    except ValueError:
        raise DecisionRefused(gettext("Choose approve or deny.")) from None
    reason = clean_text(reason)[:2000]
    if not reason:
        raise DecisionRefused(gettext("Give the reason for the decision."))
    return chosen, reason


def _approve(
    request: VerificationRequest,
    account: AccountRecord,
    staff: str,
    reason: str,
    ip: str,
    was: VerificationStatus = VerificationStatus.SUBMITTED,
) -> None:
    """Start the hold (anew, for a paused request: a link mailed before is void), and tell the
    account's own address how to cancel it. *account* (from `_account_to_approve`) is bound here,
    by its directory id."""
    cancel_token = new_link_token()
    hold_until = utcnow() + timedelta(hours=settings().recovery_hold_hours)
    _record(
        request,
        {
            "status": VerificationStatus.ON_HOLD,
            "account_id": account.id,
            "decided_by": staff,
            "decided_at": utcnow(),
            "decision_reason": reason,
            "hold_until": hold_until,
            "cancel_token_hash": keyed_hash(cancel_token),
            "reset_token_hash": "",
            "reset_sent_at": None,
        },
        was,
    )
    try:  # the owner must be told before the hold may run: no notice, no approval
        send(
            compose(
                "recovery_approved",
                account.email,  # the directory's address of the account bound: its owner reads it
                lazy_gettext("A recovery of your account was approved"),
                # the owner's language is not known (the one who asked may not be the owner)
                language=settings().default_language,
                time_zone="",  # nor is the owner's time zone: UTC
                cancel_url=links.recovery_cancel_page(cancel_token),
                hold_until=hold_until,
                reference=request.reference,
            )
        )
    except MailError as exc:
        db.session.rollback()
        raise DecisionRefused(
            gettext(
                "We could not mail the account's owner, so the approval was not recorded. Try again later."
            )
        ) from exc
    with one_transaction():  # the approval with its audit entry, or neither
        audit.record(
            "recovery.approve" if was is VerificationStatus.SUBMITTED else "recovery.resume",
            actor=staff,
            target=request.reference,
            ip=ip,
            reason=reason,
            hold_until=hold_until.isoformat(),
        )
    db.session.refresh(request)
    _tell_the_asker(request, hold_until)


def _tell_the_asker(request: VerificationRequest, hold_until: datetime) -> None:
    """The person who asked learns the approval and when the hold ends, in the language and the
    time zone they asked in. A courtesy (the status page says the same): a mail that can't be sent
    is logged, and the approval stands."""
    try:
        send(
            compose(
                "recovery_on_hold",
                request.contact_email,
                lazy_gettext("Your recovery request was approved"),
                language=request.language,
                time_zone=request.time_zone or "",
                hold_until=hold_until,
                reference=request.reference,
            )
        )
    except MailError:
        log.warning("the approval of recovery %s was not mailed to the person who asked", request.reference)


def _record(
    request: VerificationRequest,
    values: dict[str, Any],
    was: VerificationStatus = VerificationStatus.SUBMITTED,
) -> None:
    """Record a decision on a request still waiting for one (still *was*; not committed here): of
    two staff members deciding at once, the database lets one through."""
    result = db.session.execute(
        update(VerificationRequest)
        .where(
            VerificationRequest.id == request.id,
            VerificationRequest.status == was,
        )
        .values(**values)
    )
    if rowcount(result) != 1:
        db.session.rollback()
        raise DecisionRefused(gettext("This request has been decided already."))
