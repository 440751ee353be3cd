"""Signing in with email and password: lockout, history, and the same answer for everyone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask import current_app

from .. import audit, throttle
from ..config import settings
from ..mail import MailError
from ..models import utcnow
from ..timing import uniform_duration
from .directory import AccountRecord, HistoryResult, directory, org_directory
from .failures import Route, address_allowed, note_failure, route
from .lockout import LockPolicy
from .locks import is_locked
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
    email: str,
    password: str,
    ip: str,
    device: str,
    code: str | None = None,
    *,
    device_token: str | None = None,
) -> SignInAttempt:
    """Check the password (and the second factor when *code* is given); whatever happens,
    the caller answers everyone the same way until the password has been proved.

    With two-factor on and no code given, the result is `needs-code`: the password was right,
    and only `complete_sign_in` with a code finishes the sign-in. *device_token* is the browser's
    device cookie: a device the owner confirmed gets past a lock that others caused
    (`failures.route`); an address that failed too often is refused like a locked account.
    """
    with uniform_duration() as floor:
        attempt = _attempt(email, password, ip, device, code, device_token)
        if attempt.ok:
            floor.skip()  # only a refusal must look the same for every account
    return attempt


def _attempt(
    email: str, password: str, ip: str, device: str, code: str | None, device_token: str | None
) -> SignInAttempt:
    accounts = directory()
    account = accounts.find(email)
    if account is None:
        spend_verify_time(password)  # as long as a real check: timing tells nothing
        if address_allowed(ip):
            note_failure(None, ip, Route())  # guessing addresses spends the address's budget too
        return SignInAttempt(False, Attempt.UNKNOWN_ACCOUNT)
    lock_policy = policy()
    via = route(account.id, ip, device_token)
    if refused_before_checking(account, via, lock_policy):
        spend_verify_time(password)
        accounts.record_sign_in(account.id, HistoryResult.LOCKED, ip, device)
        return SignInAttempt(False, Attempt.LOCKED, account)
    if not org_directory().check_password(account.id, password):
        wrong = (Attempt.WRONG_PASSWORD, HistoryResult.WRONG_PASSWORD)
        return _failed(account, *wrong, ip, device, lock_policy, via)
    note_password_strength(account, password)
    if account.two_factor:
        if code is None:
            return SignInAttempt(False, Attempt.NEEDS_CODE, account)
        return complete_sign_in(account.id, code, ip, device, device_token=device_token)
    _signed_in(account, via, lock_policy)
    accounts.record_sign_in(account.id, HistoryResult.OK, ip, device)
    return SignInAttempt(True, Attempt.OK, accounts.get(account.id))


def refused_before_checking(account: AccountRecord, via: Route, lock_policy: LockPolicy) -> bool:
    """Refused before any check: the address failed too often, or the account is locked (which
    the owner's confirmed device gets past)."""
    if via.refused:
        return True
    if via.device_id is not None:
        return False
    return is_locked(account.id)


def _signed_in(account: AccountRecord, via: Route, lock_policy: LockPolicy) -> None:
    """The owner proved who they are: their run of failures ends (the escalation does not, see
    lockout), unless they came past a lock on their confirmed device: the lock stays for others."""
    if via.device_id is not None and is_locked(account.id):
        audit.record("account.lock-passed", actor="owner", target=account.email, device_id=via.device_id)
        return
    if directory().keeps_locks:
        directory().clear_failures(account.id)


def sign_in_proved(
    account: AccountRecord,
    via: Route,
    lock_policy: LockPolicy,
    recorded: HistoryResult,
    *,
    ip: str,
    device: str,
) -> SignInAttempt:
    """Sign in an owner who proved who they are another way (a user-verified passkey): their run of
    failures ends as after a password and code, and the sign-in is in their history as *recorded*."""
    _signed_in(account, via, lock_policy)
    directory().record_sign_in(account.id, recorded, ip, device)
    return SignInAttempt(True, Attempt.OK, directory().get(account.id))


def note_password_strength(account: AccountRecord, password: str) -> None:
    """The only moment the password is known in plain text again: is it weak by today's rules?
    (The security checkup on the account page asks the owner to change a weak one.)"""
    weak = bool(password_problem(password, email=account.email, site_name=_site_name()))
    if weak != account.password_weak:
        directory().note_password(account.id, weak=weak)


def _site_name() -> str:
    return settings().site_name


# A directory that locks itself never sees a wrong code (codes are the help center's own): they
# are counted here against the account, wherever they come from, so a stolen password does not
# make the code guessable from many addresses (ASVS 2.2.1). The embedded directory's lock counts them.
CODE_FAILURES = "signin-code-failures"
CODE_FAILURES_RATE = "10/hour;20/day"


def _code_allowed_again(account_id: str) -> bool:
    """Count one wrong code against the account; whether another may still be tried."""
    throttle.allow(CODE_FAILURES, account_id, CODE_FAILURES_RATE)
    return throttle.allows(CODE_FAILURES, account_id, CODE_FAILURES_RATE)


def complete_sign_in(
    account_id: str, code: str, ip: str, device: str, *, device_token: str | None = None
) -> SignInAttempt:
    """The second step, after the password: an authenticator or recovery code.

    Wrong codes count towards the lock like wrong passwords (the password alone never
    resets the count, or a stolen password would allow endless code guessing), and against
    the address or the confirmed device they came from, like wrong passwords.
    """
    accounts = directory()
    account = accounts.get(account_id)
    if account is None:
        return SignInAttempt(False, Attempt.UNKNOWN_ACCOUNT)
    lock_policy = policy()
    via = route(account.id, ip, device_token)
    if refused_before_checking(account, via, lock_policy):
        accounts.record_sign_in(account.id, HistoryResult.LOCKED, ip, device)
        return SignInAttempt(False, Attempt.LOCKED, account)
    if not accounts.keeps_locks and not throttle.allows(CODE_FAILURES, account.id, CODE_FAILURES_RATE):
        accounts.record_sign_in(account.id, HistoryResult.LOCKED, ip, device)
        return SignInAttempt(False, Attempt.LOCKED, account)
    kind = check_second_factor(account, code)
    if kind is None:
        if not accounts.keeps_locks and not _code_allowed_again(account.id):  # this one used it up
            audit.record(
                "signin.codes-stopped", actor="system", target=account.email, rate=CODE_FAILURES_RATE
            )
        return _failed(account, Attempt.WRONG_CODE, HistoryResult.WRONG_CODE, ip, device, lock_policy, via)
    _signed_in(account, via, lock_policy)
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
    via: Route,
) -> SignInAttempt:
    locked_now = count_failure(account, lock_policy, ip=ip, via=via)
    directory().record_sign_in(account.id, recorded, ip, device)
    return SignInAttempt(False, result, account, locked_now)


def count_failure(
    account: AccountRecord,
    lock_policy: LockPolicy | None = None,
    *,
    ip: str | None = None,
    via: Route | None = None,
) -> bool:
    """One more wrong password or code for *account*, wherever it was typed, under the one lock
    policy: the failure that reaches a threshold locks the account and mails its owner. True
    when this failure started a lock.

    With *ip*, it counts against that address too (`failures.note_failure`); through the owner's
    confirmed device (*via*, from `failures.route`) it counts against that device alone.
    """
    if ip is not None:
        note_failure(account.id, ip, via or Route())
    if via is not None and via.device_id is not None:
        return False
    if not directory().keeps_locks:
        return False  # the directory counted it (a wrong password is a failed bind there) and locks itself
    failures = directory().record_failure(account.id)
    return _lock_if_due(account, failures, lock_policy or policy())


def _lock_if_due(account: AccountRecord, failures: int, lock_policy: LockPolicy) -> bool:
    if failures != lock_policy.hard_stop and not lock_policy.locks_at(failures):
        return False
    if not _escalate(account.id, failures, lock_policy):
        return False
    locked = directory().get(account.id) or account
    audit.record(
        "account.locked",
        actor="system",
        target=account.email,
        failures=failures,
        level=locked.lock_level,
        until=locked.locked_until.isoformat() if locked.locked_until else "until unlocked",
    )
    try:  # "was this you?" with an unlock link; a mail failure must not change the answer
        send_unlock_link(account, locked=True, lock_notice=True)
    except MailError:
        current_app.logger.warning("lock notice for account %s not sent", account.id)
    return True


def _escalate(account_id: str, failures: int, lock_policy: LockPolicy) -> bool:
    """Write the lock the *failures*-th failure starts, one level up from the account's lock level
    now (an unlock keeps the level; quiet time forgives it). The database settles a race between
    two locks: each tries again with the level the other wrote."""
    accounts = directory()
    seen: int | None = None
    for _ in range(5):
        current = accounts.get(account_id)
        if current is None or current.failed_count < failures:
            return False  # cleared since: nothing to lock
        if current.lock_level == seen:
            return False  # not a race on the level: a later count's lock was written first
        seen = current.lock_level
        now = utcnow()
        level = lock_policy.level_now(current.lock_level, current.last_locked_at, now) + 1
        until = None if failures == lock_policy.hard_stop else now + lock_policy.lock_length(level)
        if accounts.lock(account_id, until, failures, level=level, seen_level=seen):
            return True
    return False
