"""The owner's own history: sign-ins, and every security event on the account, in one list.

Sign-in attempts are written where they happen (`signin`); everything else that changes how the
account is protected, or who is in it, is written here, next to its audit entry, so the owner
sees on the account page what the audit trail keeps for staff.
"""

from __future__ import annotations

from .directory import HistoryResult, directory

# the lines of the history that are not sign-in attempts
SECURITY_EVENTS = (
    HistoryResult.REAUTHENTICATED,
    HistoryResult.PASSWORD_CHANGED,
    HistoryResult.PASSWORD_RESET,
    HistoryResult.PASSWORD_RECOVERED,
    HistoryResult.UNLOCKED,
    HistoryResult.AUTHENTICATOR_ENROLLED,
    HistoryResult.AUTHENTICATOR_REPLACED,
    HistoryResult.RECOVERY_CODES_NEW,
    HistoryResult.DEVICE_CONFIRMED,
    HistoryResult.DEVICE_REMOVED,
    HistoryResult.SIGNED_OUT,
    HistoryResult.SIGNED_OUT_EVERYWHERE,
    HistoryResult.SIGNED_OUT_IDLE,
    HistoryResult.SIGNED_OUT_EXPIRED,
    HistoryResult.CSV_EXPORTED,
    HistoryResult.PASSKEY_ADDED,
    HistoryResult.PASSKEY_REMOVED,
    HistoryResult.PASSKEYS_REMOVED,
)


class NotASecurityEvent(ValueError):
    """A sign-in result was handed to `record_event` (those are written by `signin`)."""


def record_event(account_id: str, event: HistoryResult, *, ip: str = "", device: str = "") -> None:
    """One line of the owner's history: what happened to the account, from which address and
    device (as `sessions.client_ip()`/`client_device()` give them; "" when no browser was involved).

    The caller audits the event as well (`helpdesk.audit.record`); this is the owner's copy.
    """
    if event not in SECURITY_EVENTS:
        raise NotASecurityEvent(event)
    directory().record_sign_in(account_id, event, ip[:64], device[:200])
