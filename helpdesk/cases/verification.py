"""Identity-verified recovery: a request, a proved contact address, evidence, a staff decision,
a hold during which the owner can cancel, then a single-use reset link to the contact address."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from .. import audit
from ..accounts.directory import AccountRecord, directory, normalise_email
from ..config import settings
from ..extensions import db
from ..mail import MailError, compose, send
from ..models import Account, VerificationRequest, utcnow
from .evidence import remove_files
from .reference import new_reference, normalise_reference

SESSION_KEY = "verification_request"  # the request this browser is filling in
CODE_MINUTES = 10
CODE_TRIES = 5
RESET_LINK_LIFETIME = timedelta(days=7)



def _hash(value: str) -> str:
    key = hashlib.sha256(b"helpdesk verification\0" + settings().secret_key.encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _link(path: str) -> str:
    return settings().site_url.rstrip("/") + path


def evidence_dir() -> Path:
    return settings().instance_dir / "evidence"


def start(account_email: str, contact_email: str, ip: str = "") -> VerificationRequest:
    """A new request; its reference is the person's to quote, and a code goes to the contact."""
    request = VerificationRequest(
        reference=new_reference(),
        account_email=normalise_email(account_email),
        contact_email=normalise_email(contact_email),
    )
    db.session.add(request)
    db.session.commit()
    audit.record("recovery.started", actor="person", target=request.reference, ip=ip)
    send_contact_code(request)
    return request


def send_contact_code(request: VerificationRequest) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    request.contact_code_hash = _hash(f"{request.id}:{code}")
    request.contact_code_expires = utcnow() + timedelta(minutes=CODE_MINUTES)
    request.contact_code_tries = 0
    db.session.commit()
    send(
        compose(
            "contact_code",
            request.contact_email,
            "Your code for the recovery request",
            code=code,
            minutes=CODE_MINUTES,
            reference=request.reference,
        )
    )


def confirm_contact(request: VerificationRequest, code: str, ip: str = "") -> str:
    """ "ok", "wrong", "expired" or "too-many"; the tries are counted in one statement."""
    if request.contact_verified_at is not None:
        return "ok"
    if request.contact_code_expires is None or request.contact_code_expires <= utcnow():
        return "expired"
    counted = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.contact_code_tries < CODE_TRIES)
        .values(contact_code_tries=VerificationRequest.contact_code_tries + 1)
    )
    db.session.commit()
    if counted.rowcount == 0:
        return "too-many"
    cleaned = "".join(ch for ch in code if ch.isdigit())
    if not hmac.compare_digest(_hash(f"{request.id}:{cleaned}"), request.contact_code_hash):
        db.session.refresh(request)
        return "too-many" if request.contact_code_tries >= CODE_TRIES else "wrong"
    request.contact_verified_at = utcnow()
    db.session.commit()
    audit.record("recovery.contact-proved", actor="person", target=request.reference, ip=ip)
    return "ok"


def submit(request: VerificationRequest, answers: dict[str, str], ip: str = "") -> None:
    request.answers = answers
    request.status = "submitted"
    request.submitted_at = utcnow()
    db.session.commit()
    audit.record("recovery.submitted", actor="person", target=request.reference, ip=ip)


def find(reference: str, contact_email: str) -> VerificationRequest | None:
    """The request for this reference, only with the contact address that proved itself."""
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    request = db.session.scalar(
        select(VerificationRequest).where(VerificationRequest.reference == normalised)
    )
    if request is None or not hmac.compare_digest(request.contact_email, normalise_email(contact_email)):
        return None
    return request


def queue() -> list[VerificationRequest]:
    return list(
        db.session.scalars(
            select(VerificationRequest)
            .where(VerificationRequest.status.in_(("submitted",)))
            .order_by(VerificationRequest.submitted_at)
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
    account = directory().find(request.account_email)
    said = request.answers or {}
    if account is None:
        return None, [Comparison("Account", request.account_email, "no account uses this address", False)]
    good = [s for s in directory().sign_ins(account.id, 50) if s.result.startswith("ok")]
    last = good[0] if good else None
    rows = []
    when = said.get("last_sign_in", "")
    if last is None:
        rows.append(Comparison("Last successful sign-in", when or "—", "none recorded", None))
    else:
        agrees = None
        if when:
            try:
                from datetime import date

                agrees = abs((date.fromisoformat(when) - last.at.date()).days) <= 3
            except ValueError:
                agrees = False
        rows.append(Comparison("Last successful sign-in", when or "—", last.at.strftime("%-d %b %Y"), agrees))
    device = said.get("device", "")
    devices = sorted({s.device for s in good})
    rows.append(
        Comparison(
            "Device used",
            device or "—",
            ", ".join(devices) or "none recorded",
            None if not device or not devices else any(_overlap(device, d) for d in devices),
        )
    )
    return account, rows


def _overlap(said: str, recorded: str) -> bool:
    words = {w for w in said.casefold().replace("/", " ").split() if len(w) > 2}
    return any(w in recorded.casefold() for w in words)


class DecisionRefused(ValueError):
    pass


def decide(request: VerificationRequest, staff: str, decision: str, reason: str, ip: str = "") -> str:
    """Approve or deny, with a reason. Returns "approved", "denied" or "needs-second".

    With the two-person rule a second, different staff member must make the same decision.
    An approval starts the hold only once the account's own address has been told: if that
    mail cannot be sent, nothing is recorded and the staff member is asked to try again.
    """
    reason = clean_text(reason)[:2000]
    if decision not in ("approve", "deny"):
        raise DecisionRefused("Choose approve or deny.")
    if not reason:
        raise DecisionRefused("Give the reason for the decision.")
    if request.status != "submitted":
        raise DecisionRefused("This request has been decided already.")
    if decision == "approve" and directory().find(request.account_email) is None:
        raise DecisionRefused("No account uses this address: deny it as 'no match'.")
    if settings().two_person_rule:
        if not request.first_approver:
            request.first_approver, request.first_decision = staff, decision
            db.session.commit()
            audit.record(
                f"recovery.{decision}-first", actor=staff, target=request.reference, ip=ip, reason=reason
            )
            return "needs-second"
        if request.first_approver == staff:
            raise DecisionRefused("A second, different staff member must confirm this decision.")
        if request.first_decision != decision:
            raise DecisionRefused(
                f"{request.first_approver} chose to {request.first_decision}; you chose to {decision}. "
                "Agree on one decision first."
            )
    if decision == "deny":
        _finish(
            request,
            {"status": "denied", "decided_by": staff, "decided_at": utcnow(), "decision_reason": reason},
        )
        db.session.commit()
        audit.record("recovery.deny", actor=staff, target=request.reference, ip=ip, reason=reason)
        return "denied"
    cancel_token = secrets.token_urlsafe(32)
    hold_until = utcnow() + timedelta(hours=settings().recovery_hold_hours)
    _finish(
        request,
        {
            "status": "on-hold",
            "decided_by": staff,
            "decided_at": utcnow(),
            "decision_reason": reason,
            "hold_until": hold_until,
            "cancel_token_hash": _hash(cancel_token),
        },
    )
    try:  # the owner must be told before the hold may run: no notice, no approval
        send(
            compose(
                "recovery_approved",
                request.account_email,
                "A recovery of your account was approved",
                cancel_url=_link(f"/recovery/cancel/{cancel_token}"),
                hold_until=hold_until,
                reference=request.reference,
            )
        )
    except MailError as exc:
        db.session.rollback()
        raise DecisionRefused(
            "We could not mail the account's owner, so the approval was not recorded. Try again later."
        ) from exc
    db.session.commit()
    db.session.refresh(request)
    audit.record(
        "recovery.approve",
        actor=staff,
        target=request.reference,
        ip=ip,
        reason=reason,
        hold_until=hold_until.isoformat(),
    )
    return "approved"


def _finish(request: VerificationRequest, values: dict[str, Any]) -> None:
    """Record a decision on a request still waiting for one (not committed here)."""
    result = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.status == "submitted")
        .values(**values)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DecisionRefused("This request has been decided already.")


def clean_text(text: str) -> str:
    """Staff-typed text as stored: no NUL bytes (PostgreSQL refuses them), trimmed."""
    return (text or "").replace("\x00", "").strip()


def cancel_with_token(token: str, ip: str = "") -> VerificationRequest | None:
    request = db.session.scalar(
        select(VerificationRequest).where(VerificationRequest.cancel_token_hash == _hash(token or ""))
    )
    if request is None or not token:
        return None
    return _cancel(request, actor="owner (cancel link)", ip=ip)


def pending_for(account: AccountRecord) -> list[VerificationRequest]:
    return list(
        db.session.scalars(
            select(VerificationRequest).where(
                VerificationRequest.account_email == account.email, VerificationRequest.status == "on-hold"
            )
        )
    )


def cancel_for_owner(account: AccountRecord, request_id: int, ip: str = "") -> VerificationRequest | None:
    request = db.session.get(VerificationRequest, request_id)
    if request is None or request.account_email != account.email:
        return None
    return _cancel(request, actor=account.email, ip=ip)


def _cancel(request: VerificationRequest, actor: str, ip: str = "") -> VerificationRequest:
    result = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.status == "on-hold")
        .values(status="cancelled", reset_token_hash="")
    )
    db.session.commit()
    if result.rowcount == 1:
        audit.record("recovery.cancel", actor=actor, target=request.reference, ip=ip)
    db.session.refresh(request)
    return request


def run_due() -> int:
    """Send the contact address its reset link for every hold that has passed (cron-safe)."""
    sent = 0
    for request in db.session.scalars(
        select(VerificationRequest).where(
            VerificationRequest.status == "on-hold",
            VerificationRequest.hold_until <= utcnow(),
            VerificationRequest.reset_sent_at.is_(None),
        )
    ).all():
        token = secrets.token_urlsafe(32)
        claimed = db.session.execute(
            update(VerificationRequest)
            .where(
                VerificationRequest.id == request.id,
                VerificationRequest.reset_sent_at.is_(None),
                VerificationRequest.status == "on-hold",
            )
            .values(reset_sent_at=utcnow(), reset_token_hash=_hash(token))
        )
        db.session.commit()
        if claimed.rowcount != 1:
            continue  # another run sent it
        send(
            compose(
                "recovery_ready",
                request.contact_email,
                "You can set a new password now",
                url=_link(f"/recovery/complete/{token}"),
                reference=request.reference,
            )
        )
        audit.record("recovery.link-sent", actor="system", target=request.reference)
        sent += 1
    return sent


@dataclass(frozen=True)
class Completion:
    status: str  # done, not-yet (hold running), used, cancelled, unknown, refused
    problem: str = ""


def check_completion(token: str) -> tuple[VerificationRequest | None, str]:
    request = (
        db.session.scalar(
            select(VerificationRequest).where(VerificationRequest.reset_token_hash == _hash(token or ""))
        )
        if token
        else None
    )
    if request is None:
        return None, "unknown"
    if request.status == "completed":
        return request, "used"
    if request.status != "on-hold":
        return request, "cancelled"
    if request.hold_until is None or request.hold_until > utcnow():
        return request, "not-yet"  # the hold is enforced here, not only by the job
    if request.reset_sent_at is None or request.reset_sent_at + RESET_LINK_LIFETIME <= utcnow():
        return request, "expired"
    return request, "ok"


def complete(token: str, new_password: str, ip: str = "") -> Completion:
    """Set the new password, remove two-factor and recovery codes; re-enrolment is required."""
    from ..accounts.passwords import password_problem
    from ..accounts.recovery import change_password

    request, state = check_completion(token)
    if request is None or state != "ok":
        return Completion(state)
    account = directory().find(request.account_email)
    if account is None:
        return Completion("unknown")
    problem = password_problem(new_password, email=account.email, site_name=settings().site_name)
    if problem:
        return Completion("refused", problem)
    used = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.status == "on-hold")
        .values(status="completed", completed_at=utcnow(), reset_token_hash="")
    )
    db.session.commit()
    if used.rowcount != 1:
        return Completion("used")
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
    db.session.execute(update(Account).where(Account.id == account.id).values(must_enrol_2fa=True))
    db.session.commit()
    change_password(account, new_password, by="recovery")
    audit.record("recovery.completed", actor="person", target=request.reference, ip=ip)
    return Completion("done")


def purge(days: int | None = None) -> int:
    """Delete evidence of requests decided more than *days* ago; decisions and audit stay."""
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
        removed = remove_files(evidence_dir(), request.id)
        request.evidence_purged_at = utcnow()
        db.session.commit()
        audit.record("recovery.purge", actor="system", target=request.reference, files=removed)
        purged += 1
    return purged


def answers_from_form(form: Any) -> dict[str, str]:
    return {
        "last_sign_in": (form.get("last_sign_in") or "")[:20],
        "device": (form.get("device") or "")[:200],
        "other": (form.get("other") or "")[:2000],
    }
