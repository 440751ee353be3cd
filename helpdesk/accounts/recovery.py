"""Password reset and unlock by emailed link: requests, and using the link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from flask import current_app
from flask_babel import gettext, lazy_gettext

from .. import audit
from ..config import settings
from ..errors import DomainError
from ..extensions import after_commit, one_transaction
from ..mail import MailError
from ..models import utcnow
from ..throttle import allow
from ..timing import uniform_duration
from . import passkeys, reauth
from .directory import AccountRecord, HistoryResult, directory, normalise_email, org_directory, valid_email
from .failures import forgive, route
from .history import record_event
from .locks import is_locked, lock_state
from .notices import send_no_account, send_password_changed, send_reset_link, send_unlock_link
from .org_directory import PasswordRefused
from .passwords import password_problem
from .signin import count_failure, policy, refused_before_checking
from .tokens import TokenStatus, check_token, count_wrong_code, supersede_tokens, use_token
from .two_factor import check_second_factor


class TooManyRequests(DomainError):
    """Too many links asked for this address; the person is told to wait."""


BAD_ADDRESS = lazy_gettext("Enter the email address your account uses.")
TOO_MANY = lazy_gettext(
    "You have asked for several links in a short time. Please use the newest email, or wait an hour."
)
MAIL_FAILED = lazy_gettext(
    "We could not send the email just now. Nothing was changed: please try again in a few minutes."
)


@dataclass(frozen=True)
class LinkAsked:
    """How asking for an emailed link went, in words for the person (the same for any address)."""

    ok: bool
    message: str
    http_status: int = 200


def ask_for_link(send: Callable[[str, str], None], email: str, ip: str) -> LinkAsked:
    """Check the address, then `send(email, ip)`; every outcome as words and an HTTP status."""
    email = (email or "").strip()[:320]
    if not valid_email(email):
        return LinkAsked(False, str(BAD_ADDRESS), 400)
    try:
        with uniform_duration():
            send(email, ip)
    except TooManyRequests:
        return LinkAsked(False, str(TOO_MANY), 429)
    except MailError:
        return LinkAsked(False, str(MAIL_FAILED), 503)
    sent = gettext(
        "If an account uses %(email)s, we sent it a link. It works once, for 30 minutes. "
        "Check your spam folder if you don't see it within a few minutes.",
        email=normalise_email(email),
    )
    return LinkAsked(True, sent)


def request_reset(email: str, ip: str) -> None:
    """Mail a reset link, or a "no account uses this address" note: the asker sees the same.

    Raises MailError when the mail could not be sent, TooManyRequests past the limits.
    """
    _throttle("reset", email, ip)
    account = directory().find(email)
    if account is None:
        send_no_account(normalise_email(email), gettext("a password reset"))
    else:
        send_reset_link(account)


def request_unlock(email: str, ip: str) -> None:
    """Mail an unlock link to the owner (or a note that no account uses the address)."""
    _throttle("unlock", email, ip)
    accounts = directory()
    account = accounts.find(email)
    if account is None:
        send_no_account(normalise_email(email), gettext("an unlock link"))
        return
    send_unlock_link(account, locked=is_locked(account.id))


def _throttle(name: str, email: str, ip: str) -> None:
    address = normalise_email(email)
    if not allow(name + "-address", address, "5/hour") or not allow(name + "-ip", ip, "20/hour"):
        raise TooManyRequests(name)


SAME_PASSWORD = lazy_gettext("That is your current password. Choose a new one.")


@dataclass(frozen=True)
class Reset:
    status: TokenStatus  # VALID: this reset went through; anything else: why the link did not work


class ResetRefused(DomainError, ValueError):
    """The new password, or the code that must come with it, was refused; the link still works."""

    def __init__(self, problem: str, field: str = "new_password") -> None:
        super().__init__(problem)
        self.problem = problem  # in words for the person
        self.field = field  # the form field it is about: "new_password" or "code"


def reset_needs_code(raw_token: str) -> bool:
    """Whether this link's account has two-factor on (told only to a holder of the link)."""
    checked = check_token(raw_token, "reset")
    account = directory().get(checked.account_id) if checked.account_id else None
    return bool(account and account.two_factor)


LOCKED_FOR_CODES = lazy_gettext(
    "Your account is locked after too many wrong passwords or codes, so no code can be checked "
    "now. Try again later, or unlock it with the link we emailed when it locked."
)


def _code_spends_the_link(
    account: AccountRecord, raw_token: str, code: str, ip: str | None, device_token: str | None
) -> bool:
    """The code on the reset form obeys the same lock as the sign-in page: none is checked while
    the account is locked (but for the owner's confirmed device) or the address is refused, and a
    wrong one counts towards the lock (ResetRefused either way). True when a wrong code was one
    too many for the link, which is then spent (a code guesser needs a fresh mail each time)."""
    via = route(account.id, ip or "", device_token)
    if refused_before_checking(account, via, policy()):
        raise ResetRefused(LOCKED_FOR_CODES, field="code")
    if check_second_factor(account, code) is not None:
        return False
    count_failure(account, ip=ip, via=via)
    if count_wrong_code(raw_token, "reset"):
        return True
    raise ResetRefused(
        gettext("That code didn't work. Type the newest code, or a recovery code."), field="code"
    )


def reset_password(
    raw_token: str,
    new_password: str,
    code: str = "",
    *,
    ip: str = "",
    device: str = "",
    device_token: str | None = None,
) -> Reset:
    """Set a new password with a reset link: checked first, then the link is used once.

    With two-factor on, the person must also give an authenticator or recovery code:
    a reset never bypasses the second factor (ASVS 6.4.3). Raises ResetRefused when the
    password or the code is refused (the link still works: nothing was lost); a wrong code
    that was one too many for the link returns SPENT. *ip* and *device_token* (the browser's
    device cookie) count a wrong code like one on the sign-in page (`signin.count_failure`).
    """
    checked = check_token(raw_token, "reset")
    if checked.status is not TokenStatus.VALID or checked.account_id is None:
        return Reset(checked.status)
    accounts = directory()
    account = accounts.get(checked.account_id)
    if account is None:
        return Reset(TokenStatus.UNKNOWN)
    problem = password_problem(new_password, email=account.email, site_name=_site_name())
    if problem:
        raise ResetRefused(problem)
    if account.two_factor:
        if not code.strip():
            raise ResetRefused(
                gettext("Enter the code from your authenticator app, or a recovery code."), field="code"
            )
        if _code_spends_the_link(account, raw_token, code, ip, device_token):
            return Reset(TokenStatus.SPENT)
    with one_transaction():  # the link is used up only with the password set: both or neither
        used = use_token(raw_token, "reset")
        if used.status is not TokenStatus.VALID:
            return Reset(used.status)  # a concurrent submission used it first
        change_password(account, new_password, by="reset-link", ip=ip, device=device)
    if ip:
        forgive(account.id, ip)  # the owner's address has its failure budget back
    return Reset(TokenStatus.VALID)


# who set a password: the signed-in owner, a holder of an emailed reset link, or a person
# whose identity support verified (a recovery)
ChangedBy = Literal["owner", "reset-link", "recovery"]
CHANGED_BY_ACTOR: dict[str, str] = {
    "owner": "owner",
    "reset-link": "holder of a reset link",
    "recovery": "identity-verified recovery",
}


HISTORY_OF_CHANGE: dict[str, HistoryResult] = {
    "owner": HistoryResult.PASSWORD_CHANGED,
    "reset-link": HistoryResult.PASSWORD_RESET,
    "recovery": HistoryResult.PASSWORD_RECOVERED,
}


def change_password(
    account: AccountRecord,
    new_password: str,
    *,
    by: ChangedBy = "reset-link",
    ip: str = "",
    device: str = "",
) -> None:
    """Every password change: set it (clearing any lock, ending every session), make every open
    link stop working, write it in the owner's history and tell the owner (when, and from which
    *device* and *ip*). A mail failure here must not undo or hide the change.

    After a reset or a recovery, devices confirmed before are not trusted any more: whoever was
    in the account could have confirmed their own. The security checkup reads the flags noted here.
    """
    try:
        with one_transaction():  # a worker stopped half-way changes nothing: all of it, or none
            passkeys_removed = _set_password(account, new_password, by, ip=ip, device=device)
    except PasswordRefused as refused:  # the directory's own policy: its reason, on the form
        raise ResetRefused(refused.reason) from refused
    after_commit(lambda: _tell_owner(account, ip=ip, device=device, passkeys_removed=passkeys_removed))


def _set_password(account: AccountRecord, new_password: str, by: ChangedBy, *, ip: str, device: str) -> int:
    """Set it; after a reset or a recovery every passkey goes too (how many did)."""
    accounts = directory()
    # a reset link must not tell whether a guess is the current password, so "changing" it to
    # itself is done like any change; it only keeps what the checkup knows (set by a recovery, say)
    org = org_directory()
    unchanged = by != "recovery" and org.check_password(account.id, new_password)
    org.set_password(account.id, new_password)  # PasswordRefused: the directory's own policy said no
    accounts.end_sessions(account.id)
    weak = bool(password_problem(new_password, email=account.email, site_name=_site_name()))
    accounts.note_password(account.id, weak=weak, from_recovery=None if unchanged else by == "recovery")
    passkeys_removed = 0
    if by != "owner":
        accounts.forget_device_confirmations(account.id)
        # whoever was in the account may have added a passkey of their own: a recovery of any
        # kind removes every one (the owner adds theirs again), and the mail says so
        passkeys_removed = passkeys.remove_all(str(account.id))
    supersede_tokens(account.id)
    audit.record(
        "account.password-set",
        actor=CHANGED_BY_ACTOR[by],
        target=account.email,
        ip=ip,
        **({"passkeys_removed": passkeys_removed} if passkeys_removed else {}),
    )
    record_event(account.id, HISTORY_OF_CHANGE[by], ip=ip, device=device)
    if passkeys_removed:
        record_event(account.id, HistoryResult.PASSKEYS_REMOVED, ip=ip, device=device)
    return passkeys_removed


def _tell_owner(account: AccountRecord, *, ip: str, device: str, passkeys_removed: int = 0) -> None:
    try:
        send_password_changed(account, ip=ip, device=device, passkeys_removed=passkeys_removed)
    except MailError:
        current_app.logger.error("password-changed notice for account %s not sent", account.id)


WRONG_CURRENT = lazy_gettext("That isn't your current password, so nothing was changed.")


def own_change_needs_code(account: AccountRecord, session_id: int) -> bool:
    """Whether the password page must also ask for a code: two-step verification is on and this
    session has not proved it was them (password and code) in the last few minutes."""
    return account.two_factor and not reauth.is_fresh(session_id)


def change_own_password(
    account: AccountRecord,
    current_password: str,
    new_password: str,
    *,
    session_id: int,
    code: str = "",
    ip: str = "",
    device: str = "",
) -> str:
    """The signed-in owner changes their password, proving it is them first: the current password
    always (ASVS 2.1.6), and with two-step verification on a code too, unless this session gave
    one in the last few minutes (ASVS 3.7.1). Wrong ones count towards the lock like a sign-in's.

    Returns why it was refused, in words for the person; "" once it is changed. Every session
    ends, this one too: the caller signs this browser in again.
    """
    problem = password_problem(new_password, email=account.email, site_name=_site_name())
    if problem:
        return problem  # before the proof: a refused new password must not use up a code
    proof = reauth.confirm_identity(
        account.id,
        session_id,
        current_password,
        code,
        ip=ip,
        device=device,
        code_required=own_change_needs_code(account, session_id),
    )
    if not proof.ok:
        return str(WRONG_CURRENT) if proof.status is reauth.Proof.WRONG_PASSWORD else proof.problem
    if org_directory().check_password(account.id, new_password):
        return str(SAME_PASSWORD)  # or a recovery-set password could be "changed" to itself
    try:
        change_password(account, new_password, by="owner", ip=ip, device=device)
    except ResetRefused as refused:  # the directory's policy said no: its reason, in words
        return refused.problem
    return ""


@dataclass(frozen=True)
class Unlock:
    status: TokenStatus  # VALID: unlocked now; anything else: why the link did not work
    was_locked: bool = False
    would_have_lasted: timedelta | None = None  # None with was_locked: until unlocked by the owner


def unlock_account(raw_token: str, *, ip: str = "", device: str = "") -> Unlock:
    """Lift the lock (not its escalation: the next lock is as long as it would have been) and,
    from the address the link was used at (*ip*), let the owner try again at once."""
    used = use_token(raw_token, "unlock")
    if used.status is not TokenStatus.VALID or used.account_id is None:
        return Unlock(used.status)
    accounts = directory()
    account = accounts.get(used.account_id)
    if account is None:
        return Unlock(TokenStatus.UNKNOWN)
    state = lock_state(account.id)
    was_locked = state.locked
    remaining = state.until - utcnow() if state.locked and state.until is not None else None
    org_directory().unlock(account.id)
    if ip:
        forgive(account.id, ip)
    audit.record(
        "account.unlocked",
        actor="holder of an unlock link",
        target=account.email,
        ip=ip,
        was_locked=was_locked,
    )
    record_event(account.id, HistoryResult.UNLOCKED, ip=ip, device=device)
    return Unlock(TokenStatus.VALID, was_locked, remaining)


def _site_name() -> str:
    return settings().site_name
