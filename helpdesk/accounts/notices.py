"""Mails to an account's own address: links that prove ownership, and "was this you?" notices."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Concatenate, ParamSpec

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from .. import links
from ..config import settings
from ..links import WellKnownFlow
from ..mail import MailError, compose, send
from ..models import utcnow
from .directory import AccountRecord, HistoryResult, directory
from .tokens import issue_token

SUSPICIOUS = WellKnownFlow.SOMEONE_ELSE_SIGNED_IN
log = logging.getLogger(__name__)


P = ParamSpec("P")


def to_the_account_as_it_is(
    notice: Callable[Concatenate[AccountRecord, P], None],
) -> Callable[Concatenate[AccountRecord, P], None]:
    """The notice goes to the account as its directory has it now (its address at most minutes
    old: a shadow row is refreshed by `get`), not as the record in hand was read; to an account
    gone from the directory, nothing is sent (its old address may be someone else's by now)."""

    @functools.wraps(notice)
    def sending(account: AccountRecord, /, *args: P.args, **kwargs: P.kwargs) -> None:
        current = directory().get(account.id)
        if current is None:
            log.warning("notice %s for account %s not sent: the account is gone", notice.__name__, account.id)
            return
        notice(current, *args, **kwargs)

    return sending


def lifetime() -> timedelta:
    return timedelta(minutes=settings().token_minutes)


@to_the_account_as_it_is
def send_reset_link(account: AccountRecord) -> None:
    until = utcnow() + lifetime()  # a moment before the token's own end: never later than it
    raw = issue_token(account.id, "reset", lifetime())
    send(
        compose(
            "reset_link",
            account.email,
            _l("Reset your password"),
            url=links.reset_page(raw),
            minutes=settings().token_minutes,
            until=until,  # in the zone the form that asked sent (mail.in_time_zone)
        )
    )


def send_no_account(email: str, what: str) -> None:
    """Asked for a link for an address no account uses: say so to that address only."""
    send(compose("no_account", email, _l("About your request"), what=what, url=links.home()))


@to_the_account_as_it_is
def send_unlock_link(account: AccountRecord, *, locked: bool, lock_notice: bool = False) -> None:
    until = utcnow() + lifetime()
    raw = issue_token(account.id, "unlock", lifetime())
    subject = _l("Was this you? Your account was locked") if lock_notice else _l("Unlock your account")
    send(
        compose(
            "unlock_link",
            account.email,
            subject,
            url=links.unlock_page(raw),
            minutes=settings().token_minutes,
            until=until,
            locked=locked,
            lock_notice=lock_notice,
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
            reset_url=links.forgot_password_page(),
        )
    )


@to_the_account_as_it_is
def send_password_changed(
    account: AccountRecord, *, ip: str = "", device: str = "", passkeys_removed: int = 0
) -> None:
    """*passkeys_removed*: how many passkeys the reset or recovery removed (the mail says so)."""
    send(
        compose(
            "password_changed",
            account.email,
            _l("Your password was changed"),
            passkeys_removed=passkeys_removed,
            passkeys_url=links.passkeys_page(),
            when=utcnow(),  # the mail writes it in its language (utc_text)
            ip=ip,
            device=device,
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
            reset_url=links.forgot_password_page(),
        )
    )


@to_the_account_as_it_is
def send_recovery_code_used(account: AccountRecord, left: int) -> None:
    send(
        compose(
            "recovery_code_used",
            account.email,
            _l("A recovery code was used to sign in"),
            left=left,
            account_url=links.account_page(),
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
        )
    )


@to_the_account_as_it_is
def send_code_reused(account: AccountRecord) -> None:
    send(
        compose(
            "code_reused",
            account.email,
            _l("A code of yours was used twice"),
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
        )
    )


@to_the_account_as_it_is
def send_new_device(account: AccountRecord, device: str, ip: str) -> None:
    send(
        compose(
            "new_device",
            account.email,
            _l("New sign-in to your account"),
            device=device,
            ip=ip,
            account_url=links.account_page(),
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
        )
    )


# every change to how the account signs in, as the owner's mail says it: (subject, what changed)
FACTOR_CHANGES: dict[HistoryResult, tuple[LazyString, LazyString]] = {
    HistoryResult.AUTHENTICATOR_ENROLLED: (
        _l("Two-step verification was turned on"),
        _l(
            "Two-step verification was turned on for your account, with an authenticator app "
            "and a new set of recovery codes."
        ),
    ),
    HistoryResult.AUTHENTICATOR_REPLACED: (
        _l("Your authenticator app was replaced"),
        _l(
            "A new authenticator app was set up for your account, and new recovery codes were made. "
            "Codes from the old app and the old recovery codes no longer work."
        ),
    ),
    HistoryResult.RECOVERY_CODES_NEW: (
        _l("New recovery codes were made"),
        _l("A new set of recovery codes was made for your account. The old ones no longer work."),
    ),
    HistoryResult.DEVICE_CONFIRMED: (
        _l("A device was marked as yours"),
        _l("A device was marked as one of your own on your account: %(subject)s."),
    ),
    HistoryResult.DEVICE_REMOVED: (
        _l("A device was removed from your account"),
        _l("A device was removed from your account and signed out: %(subject)s."),
    ),
    HistoryResult.PASSKEY_ADDED: (
        _l("A passkey was added to your account"),
        _l("A passkey was added to your account: %(subject)s. It can now sign in to your account."),
    ),
    HistoryResult.PASSKEY_REMOVED: (
        _l("A passkey was removed from your account"),
        _l("A passkey was removed from your account: %(subject)s. It can no longer sign in."),
    ),
}


@to_the_account_as_it_is
def send_factor_changed(
    account: AccountRecord, change: HistoryResult, *, ip: str, device: str, subject_device: str = ""
) -> None:
    """ "Was this you?" after a change to how the account signs in: what, when, from where."""
    subject, what = FACTOR_CHANGES[change]
    send(
        compose(
            "factor_changed",
            account.email,
            subject,
            what=str(what) % {"subject": subject_device or gettext("a device")},
            when=utcnow(),  # the mail writes it in its language (utc_text)
            ip=ip,
            device=device,
            account_url=links.account_page(),
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
            reset_url=links.forgot_password_page(),
        )
    )


def tell_owner_of_change(
    account: AccountRecord, change: HistoryResult, *, ip: str, device: str, subject_device: str = ""
) -> None:
    """`send_factor_changed`, but a mail that can't be sent never undoes or blocks the change:
    it is logged (by its subject, not the address) and the change stands."""
    try:
        send_factor_changed(account, change, ip=ip, device=device, subject_device=subject_device)
    except MailError:
        current_app.logger.error("notice %r for account %s not sent", FACTOR_CHANGES[change][0], account.id)
