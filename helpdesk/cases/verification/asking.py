"""Asking for a verified recovery: start a request, prove the contact address with a mailed code,
send the answers (the evidence is stored beside them), and find a request again by its reference."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ... import audit
from ...accounts.directory import normalise_email
from ...extensions import db, rowcount
from ...mail import compose, known_time_zone, send
from ...models import VerificationRequest, VerificationStatus, utcnow
from ..reference import new_reference, normalise_reference
from . import hashing
from .hashing import keyed_hash

CODE_MINUTES = 10
CODE_TRIES = 5


class ContactCodeCheck(StrEnum):
    """How a typed contact code went."""

    OK = "ok"  # the contact address is proved (now or before)
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY = "too-many"  # the code's tries are used up: a new code is needed


def start(
    account_email: str, contact_email: str, ip: str = "", language: str = "", time_zone: str | None = None
) -> VerificationRequest:
    """A new request; its reference is the person's to quote, and a code goes to the contact.
    *language*: the one the person asks in, which the request's mails are written in; *time_zone*:
    the one their browser named (kept only if it is a zone we know), which their times are in."""
    request = VerificationRequest(
        reference=new_reference(),
        account_email=normalise_email(account_email),
        contact_email=normalise_email(contact_email),
        language=language,
        time_zone=known_time_zone(time_zone),
    )
    db.session.add(request)
    db.session.commit()
    audit.record("recovery.started", actor="person", target=request.reference, ip=ip)
    send_contact_code(request)
    return request


def send_contact_code(request: VerificationRequest) -> None:
    """Mail a new code to the contact address; the code before it stops working."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    request.contact_code_hash = keyed_hash(f"{request.id}:{code}")
    request.contact_code_expires = utcnow() + timedelta(minutes=CODE_MINUTES)
    request.contact_code_tries = 0
    db.session.commit()
    send(
        compose(
            "contact_code",
            request.contact_email,
            _l("Your code for the recovery request"),
            language=request.language,
            time_zone=request.time_zone or "",
            code=code,
            minutes=CODE_MINUTES,
            until=request.contact_code_expires,
            reference=request.reference,
        )
    )


def remember_time_zone(request: VerificationRequest, time_zone: str | None) -> None:
    """A request that has no time zone yet (asked without a script, or before they were kept)
    takes the one a later page of it sent, if it is a zone we know; one already kept stays."""
    zone = known_time_zone(time_zone)
    if request.time_zone is None and zone is not None:
        request.time_zone = zone
        db.session.commit()


def confirm_contact(request: VerificationRequest, code: str, ip: str = "") -> ContactCodeCheck:
    """Check a typed code; the tries are counted in one statement, so parallel guesses count too."""
    if request.contact_verified_at is not None:
        return ContactCodeCheck.OK
    if request.contact_code_expires is None or request.contact_code_expires <= utcnow():
        return ContactCodeCheck.EXPIRED
    counted = db.session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request.id, VerificationRequest.contact_code_tries < CODE_TRIES)
        .values(contact_code_tries=VerificationRequest.contact_code_tries + 1)
    )
    db.session.commit()
    if rowcount(counted) == 0:
        return ContactCodeCheck.TOO_MANY
    cleaned = "".join(ch for ch in code if ch.isdigit())
    if not hashing.matches(f"{request.id}:{cleaned}", request.contact_code_hash):
        db.session.refresh(request)
        if request.contact_code_tries >= CODE_TRIES:
            return ContactCodeCheck.TOO_MANY
        return ContactCodeCheck.WRONG
    request.contact_verified_at = utcnow()
    db.session.commit()
    audit.record("recovery.contact-proved", actor="person", target=request.reference, ip=ip)
    return ContactCodeCheck.OK


def answers_from_form(form: Mapping[str, str]) -> dict[str, str]:
    """What the person says about the account's recent use, cut to the lengths we keep."""
    return {
        "last_sign_in": (form.get("last_sign_in") or "")[:20],
        "device": (form.get("device") or "")[:200],
        "other": (form.get("other") or "")[:2000],
        "consent": "yes" if form.get("consent") == "yes" else "",
    }


def submit(request: VerificationRequest, answers: dict[str, str], ip: str = "") -> None:
    """Send the request to staff, with the person's answers (store its evidence first)."""
    request.answers = answers
    request.status = VerificationStatus.SUBMITTED
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
