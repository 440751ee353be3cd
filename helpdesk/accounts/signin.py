"""Signing in with email and password: lockout, history, and the same answer for everyone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask import current_app

from ..config import settings
from ..mail import MailError
from ..models import utcnow
from ..timing import uniform_duration
from .directory import AccountRecord, HistoryResult, directory
from .lockout import LockPolicy
from .notices import send_recovery_code_used, send_unlock_link
from .passwords import password_problem, spend_verify_time
from .two_factor import check_second_factor


class Attempt(StrEnum):
    """How a sign-in attempt ended. Until the password is proved, the caller answers everyone
    the same way whichever of the refusals it was."""

    OK = "ok"
    RECOVERY_CODE = "recovery-code"  # in, with a single-use recovery code
    NEEDS_CODE = "needs-code"  # the password was right; two-step verification asks for a code
    WRONG_PASSWORD = "wrong-password"  # noqa: S105  (a result, not a password)
    WRONG_CODE = "wrong-code"
    LOCKED = "locked"
    UNKNOWN_ACCOUNT = "unknown-account"


@dataclass(frozen=True)
class SignInAttempt:
    ok: bool
    result: Attempt
    account: AccountRecord | None = None
    locked_now: bool = False


def policy() -> LockPolicy:
    return LockPolicy.from_settings(settings())


def attempt_sign_in(
    email: str, password: str, ip: str, device: str, code: str | None = None
) -> SignInAttempt:
    """Check the password (and the second factor when *code* is given); whatever happens,
    the caller answers everyone the same way until the password has been proved.

    With two-factor on and no code given, the result is `needs-code`: the password was right,
    and only `complete_sign_in` with a code finishes the sign-in.
    """
    with uniform_duration() as floor:
        attempt = _attempt(email, password, ip, device, code)
        if attempt.ok:
            floor.skip()  # only a refusal must look the same for every account
    return attempt


def _attempt(email: str, password: str, ip: str, device: str, code: str | None) -> SignInAttempt:
    accounts = directory()
    account = accounts.find(email)
    if account is None:
        spend_verify_time(password)  # as long as a real check: timing tells nothing
        return SignInAttempt(False, Attempt.UNKNOWN_ACCOUNT)
    lock_policy = policy()
    if lock_policy.is_locked(account.failed_count, account.locked_until, utcnow()):
        spend_verify_time(password)
        accounts.record_sign_in(account.id, HistoryResult.LOCKED, ip, device)
        return SignInAttempt(False, Attempt.LOCKED, account)
    if not accounts.check_password(account.id, password):
        return _failed(account, Attempt.WRONG_PASSWORD, HistoryResult.WRONG_PASSWORD, ip, device, lock_policy)
    note_password_strength(account, password)
    if account.two_factor:
        if code is None:
            return SignInAttempt(False, Attempt.NEEDS_CODE, account)
        return complete_sign_in(account.id, code, ip, device)
    accounts.clear_failures(account.id)
    accounts.record_sign_in(account.id, HistoryResult.OK, ip, device)
    return SignInAttempt(True, Attempt.OK, accounts.get(account.id))


def note_password_strength(account: AccountRecord, password: str) -> None:
    """The only moment the password is known in plain text again: is it weak by today's rules?
    (The security checkup on the account page asks the owner to change a weak one.)"""
    weak = bool(password_problem(password, email=account.email, site_name=_site_name()))
    if weak != account.password_weak:
        directory().note_password(account.id, weak=weak)


def _site_name() -> str:
    return settings().site_name


def complete_sign_in(account_id: int, code: str, ip: str, device: str) -> SignInAttempt:
    """The second step, after the password: an authenticator or recovery code.

    Wrong codes count towards the lock like wrong passwords (the password alone never
    resets the count, or a stolen password would allow endless code guessing).
    """
    accounts = directory()
    account = accounts.get(account_id)
    if account is None:
        return SignInAttempt(False, Attempt.UNKNOWN_ACCOUNT)
    lock_policy = policy()
    if lock_policy.is_locked(account.failed_count, account.locked_until, utcnow()):
        accounts.record_sign_in(account.id, HistoryResult.LOCKED, ip, device)
        return SignInAttempt(False, Attempt.LOCKED, account)
    kind = check_second_factor(account, code)
    if kind is None:
        return _failed(account, Attempt.WRONG_CODE, HistoryResult.WRONG_CODE, ip, device, lock_policy)
    accounts.clear_failures(account.id)
    signed_in = HistoryResult.OK if kind == "totp" else HistoryResult.OK_RECOVERY_CODE
    accounts.record_sign_in(account.id, signed_in, ip, device)
    if kind == "recovery":
        try:
            send_recovery_code_used(account, accounts.recovery_codes_left(account.id))
        except MailError:
            current_app.logger.warning("recovery-code notice for account %s not sent", account.id)
    result = Attempt.OK if kind == "totp" else Attempt.RECOVERY_CODE
    return SignInAttempt(True, result, accounts.get(account.id))


def _failed(
    account: AccountRecord,
    result: Attempt,
    recorded: HistoryResult,
    ip: str,
    device: str,
    lock_policy: LockPolicy,
) -> SignInAttempt:
    locked_now = count_failure(account, lock_policy)
    directory().record_sign_in(account.id, recorded, ip, device)
    return SignInAttempt(False, result, account, locked_now)


def count_failure(account: AccountRecord, lock_policy: LockPolicy | None = None) -> bool:
    """One more wrong password or code for *account*, wherever it was typed, under the one lock
    policy: the failure that reaches a threshold locks the account and mails its owner. True
    when this failure started a lock."""
    failures = directory().record_failure(account.id)
    return _lock_if_due(account, failures, lock_policy or policy())


def _lock_if_due(account: AccountRecord, failures: int, lock_policy: LockPolicy) -> bool:
    if failures == lock_policy.hard_stop:
        until = None  # locked until the owner unlocks by email or resets the password
    else:
        length = lock_policy.lock_after(failures)
        if length is None:
            return False
        until = utcnow() + length
    if not directory().lock(account.id, until, failures):
        return False
    try:  # "was this you?" with an unlock link; a mail failure must not change the answer
        send_unlock_link(account, locked=True, lock_notice=True)
    except MailError:
        current_app.logger.warning("lock notice for account %s not sent", account.id)
    return True
