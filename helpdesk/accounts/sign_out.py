"""Signing out everywhere else: every other session ends, and devices the owner never confirmed
are forgotten, so their next sign-in counts as a new device's and is mailed."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext, ngettext

from .. import audit
from .directory import HistoryResult, directory
from .history import record_event


@dataclass(frozen=True)
class SignedOutElsewhere:
    sessions_ended: int
    devices_forgotten: int

    @property
    def message(self) -> str:
        """What happened, in one sentence for the owner."""
        ended = ngettext(
            "Signed out everywhere else: %(num)d other session ended",
            "Signed out everywhere else: %(num)d other sessions ended",
            self.sessions_ended,
        )
        if not self.devices_forgotten:
            return f"{ended}."
        forgotten = ngettext(
            "%(num)d device you hadn't confirmed was forgotten",
            "%(num)d devices you hadn't confirmed were forgotten",
            self.devices_forgotten,
        )
        return gettext(
            "%(ended)s; %(forgotten)s. If one signs in again, we'll email you.",
            ended=ended,
            forgotten=forgotten,
        )


def sign_out_everywhere_else(
    account_id: str, keep_token: str, this_session_id: int, *, ip: str = "", device: str = ""
) -> SignedOutElsewhere:
    """End every session of the account but this one (*keep_token*), and forget every device the
    owner has not confirmed but this session's own."""
    accounts = directory()
    this_device = next((s.device_id for s in accounts.sessions(account_id) if s.id == this_session_id), None)
    # forgotten before the sessions end: a device signing in between the two is then mailed as
    # new, and its session ended
    forgotten = accounts.forget_unconfirmed_devices(account_id, keep_device_id=this_device)
    ended = accounts.end_sessions(account_id, keep_token=keep_token)
    account = accounts.get(account_id)
    target = account.email if account is not None else f"account {account_id}"
    audit.record(
        "account.signed-out-everywhere", actor="owner", target=target, ip=ip, ended=ended, forgotten=forgotten
    )
    record_event(account_id, HistoryResult.SIGNED_OUT_EVERYWHERE, ip=ip, device=device)
    return SignedOutElsewhere(ended, forgotten)
