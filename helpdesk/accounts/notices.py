"""Mails to an account's own address: links that prove ownership, and "was this you?" notices."""

from __future__ import annotations

from datetime import timedelta

from .. import links
from ..config import settings
from ..links import WellKnownFlow
from ..mail import compose, send
from .directory import AccountRecord
from .tokens import issue_token

SUSPICIOUS = WellKnownFlow.SOMEONE_ELSE_SIGNED_IN


def lifetime() -> timedelta:
    return timedelta(minutes=settings().token_minutes)


def send_reset_link(account: AccountRecord) -> None:
    raw = issue_token(account.id, "reset", lifetime())
    send(
        compose(
            "reset_link",
            account.email,
            "Reset your password",
            url=links.reset_page(raw),
            minutes=settings().token_minutes,
        )
    )


def send_no_account(email: str, what: str) -> None:
    """Asked for a link for an address no account uses: say so to that address only."""
    send(compose("no_account", email, "About your request", what=what, url=links.home()))


def send_unlock_link(account: AccountRecord, *, locked: bool, lock_notice: bool = False) -> None:
    raw = issue_token(account.id, "unlock", lifetime())
    subject = "Was this you? Your account was locked" if lock_notice else "Unlock your account"
    send(
        compose(
            "unlock_link",
            account.email,
            subject,
            url=links.unlock_page(raw),
            minutes=settings().token_minutes,
            locked=locked,
            lock_notice=lock_notice,
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
            reset_url=links.forgot_password_page(),
        )
    )


def send_password_changed(account: AccountRecord) -> None:
    send(
        compose(
            "password_changed",
            account.email,
            "Your password was changed",
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
            reset_url=links.forgot_password_page(),
        )
    )


def send_recovery_code_used(account: AccountRecord, left: int) -> None:
    send(
        compose(
            "recovery_code_used",
            account.email,
            "A recovery code was used to sign in",
            left=left,
            account_url=links.account_page(),
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
        )
    )


def send_new_device(account: AccountRecord, device: str, ip: str) -> None:
    send(
        compose(
            "new_device",
            account.email,
            "New sign-in to your account",
            device=device,
            ip=ip,
            account_url=links.account_page(),
            suspicious_url=links.diagnosis_page(SUSPICIOUS),
        )
    )
