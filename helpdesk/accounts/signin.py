"""Signing in with email and password: lockout, history, and the same answer for everyone."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..mail import MailError
from ..models import utcnow
from .directory import AccountRecord, directory
from .lockout import LockPolicy
from .notices import send_unlock_link
from .passwords import spend_verify_time


@dataclass(frozen=True)
class SignInAttempt:
    ok: bool
    result: str  # ok, wrong-password, locked, unknown-account
    account: AccountRecord | None = None
    locked_now: bool = False


def policy() -> LockPolicy:
    return LockPolicy.from_settings(current_app.extensions["helpdesk.settings"])


def attempt_sign_in(email: str, password: str, ip: str, device: str) -> SignInAttempt:
    """Check the password; whatever happens, the caller answers everyone the same way."""
    accounts = directory()
    account = accounts.find(email)
    if account is None:
        spend_verify_time(password)  # as long as a real check: timing tells nothing
        return SignInAttempt(False, "unknown-account")
    lock_policy = policy()
    if lock_policy.is_locked(account.failed_count, account.locked_until, utcnow()):
        spend_verify_time(password)
        accounts.record_sign_in(account.id, "locked", ip, device)
        return SignInAttempt(False, "locked", account)
    if not accounts.check_password(account.id, password):
        failures = accounts.record_failure(account.id)
        locked_now = _lock_if_due(account, failures, lock_policy)
        accounts.record_sign_in(account.id, "wrong-password", ip, device)
        return SignInAttempt(False, "wrong-password", account, locked_now)
    accounts.clear_failures(account.id)
    accounts.record_sign_in(account.id, "ok", ip, device)
    return SignInAttempt(True, "ok", accounts.get(account.id))


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
