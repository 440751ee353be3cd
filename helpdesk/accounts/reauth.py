"""Re-authentication ("Confirm it's you"): the proof a signed-in session gives before it changes
how the account signs in (authenticator, recovery codes, password, trusted devices).

A stolen session cookie alone must not let anyone replace the owner's factors. So the person
gives the password again and, with two-step verification on, a current authenticator code or a
recovery code. Success is recorded against the sign-in session, server-side, and stays fresh for
`HELPDESK_REAUTH_MINUTES`; a sign-in is such a proof too (`record_proof` when a session starts),
so the first enrolment right after a sign-in needs nothing more. Wrong passwords and codes here
count towards the lock like on the sign-in page, and show in the owner's failed sign-ins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext

from .. import audit
from ..config import settings
from ..mail import MailError
from ..models import utcnow
from .directory import AccountRecord, HistoryResult, directory, org_directory
from .history import record_event
from .locks import is_locked
from .notices import send_recovery_code_used
from .signin import count_failure
from .two_factor import check_second_factor


class Proof(StrEnum):
    """How a "Confirm it's you" ended."""

    OK = "ok"
    WRONG_PASSWORD = "wrong-password"  # noqa: S105  (a result, not a password)
    CODE_NEEDED = "code-needed"  # two-step verification is on and no code was typed
    WRONG_CODE = "wrong-code"
    LOCKED = "locked"  # the account is locked: nothing was checked


REFUSALS = {
    Proof.WRONG_PASSWORD: lazy_gettext("That isn't your current password."),
    Proof.CODE_NEEDED: lazy_gettext("Enter the code your authenticator app shows now, or a recovery code."),
    Proof.WRONG_CODE: lazy_gettext("That code didn't work. Type the newest code, or a recovery code."),
    Proof.LOCKED: lazy_gettext(
        "Your account is locked after too many wrong passwords or codes, so nothing can be checked "
        "now. Try again later, or unlock it with the link we emailed when it locked."
    ),
}


@dataclass(frozen=True)
class Reauthentication:
    status: Proof
    locked_now: bool = False  # this failure locked the account
    used_recovery_code: bool = False

    @property
    def ok(self) -> bool:
        return self.status is Proof.OK

    @property
    def problem(self) -> str:
        """Why it was refused, in words for the person ("" when it went through)."""
        return str(REFUSALS.get(self.status, ""))


def freshness() -> timedelta:
    return timedelta(minutes=settings().reauth_minutes)


def is_fresh(session_id: int, *, slack: timedelta = timedelta(0), now: datetime | None = None) -> bool:
    """Whether this session's person proved it was them within the last few minutes (plus *slack*:
    a step that began while the proof was fresh may finish a little later)."""
    proved = directory().reauthenticated_at(session_id)
    return proved is not None and (now or utcnow()) - proved <= freshness() + slack


def record_proof(session_id: int) -> None:
    """This session's person just proved it was them (a sign-in with password and code counts)."""
    directory().mark_reauthenticated(session_id, utcnow())


def confirm_identity(
    account_id: str,
    session_id: int,
    password: str,
    code: str = "",
    *,
    ip: str,
    device: str,
    code_required: bool | None = None,
) -> Reauthentication:
    """Check the password, then (two-step verification on, or *code_required*) the code.

    Success marks the session fresh. Every failure counts towards the lock (and may lock the
    account and mail its owner, as on the sign-in page), is a line of the owner's failed
    sign-ins, and is audited; so is success. While locked, nothing is checked.
    """
    accounts = directory()
    account = accounts.get(account_id)
    assert account is not None  # the signed-in owner's own account
    needs_code = account.two_factor if code_required is None else code_required
    if is_locked(account.id):
        accounts.record_sign_in(account.id, HistoryResult.LOCKED, ip, device)
        return _refused(account, Proof.LOCKED, ip)
    if not org_directory().check_password(account.id, password):
        return _failed(account, Proof.WRONG_PASSWORD, HistoryResult.WRONG_PASSWORD, ip, device)
    used_recovery_code = False
    if needs_code:
        if not code.strip():
            return _refused(account, Proof.CODE_NEEDED, ip)  # nothing guessed: nothing counted
        kind = check_second_factor(account, code)
        if kind is None:
            return _failed(account, Proof.WRONG_CODE, HistoryResult.WRONG_CODE, ip, device)
        used_recovery_code = kind == "recovery"
    if accounts.keeps_locks:
        accounts.clear_failures(account.id)
    record_proof(session_id)
    record_event(account.id, HistoryResult.REAUTHENTICATED, ip=ip, device=device)
    audit.record(
        "account.reauthenticated",
        actor="owner",
        target=account.email,
        ip=ip,
        recovery_code=used_recovery_code,
    )
    if used_recovery_code:
        try:
            send_recovery_code_used(account, accounts.recovery_codes_left(account.id))
        except MailError:
            current_app.logger.warning("recovery-code notice for account %s not sent", account.id)
    return Reauthentication(Proof.OK, used_recovery_code=used_recovery_code)


def _failed(
    account: AccountRecord, status: Proof, recorded: HistoryResult, ip: str, device: str
) -> Reauthentication:
    locked_now = count_failure(account, ip=ip or None)
    directory().record_sign_in(account.id, recorded, ip, device)
    return _refused(account, status, ip, locked_now)


def _refused(account: AccountRecord, status: Proof, ip: str, locked_now: bool = False) -> Reauthentication:
    audit.record("account.reauth-failed", actor="owner", target=account.email, ip=ip, reason=str(status))
    return Reauthentication(status, locked_now=locked_now)
