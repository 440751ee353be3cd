"""The security checkup on the account page: what is still weak after a recovery, item by item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from flask_babel import gettext, ngettext

from ..models import utcnow
from .directory import AccountRecord, SessionRecord, SignInRecord, directory
from .two_factor import few_codes_left

FAILURE_DAYS = 14  # failed sign-ins older than this are history, not news
FAILURES_SHOWN = 500  # a flood of guesses is summed up by its newest entries
# in the browser's session: where the owner came from (a diagnosis), to be sent back there

ItemId = Literal["two-factor", "recovery-codes", "devices", "password", "failed-sign-ins"]


@dataclass(frozen=True)
class CheckupItem:
    id: ItemId
    title: str
    ok: bool  # green: nothing to do
    status: str  # one sentence for the owner


@dataclass(frozen=True)
class UnknownDevice:
    """A browser the account knows that the owner has not confirmed as theirs: signed in
    elsewhere, or remembered from an earlier sign-in (it would sign in again unannounced)."""

    device_id: int | None  # None: a session with no remembered device (only signing out ends it)
    summary: str
    ip: str  # "" when not signed in now: devices keep no address
    last_seen_at: datetime
    sessions: int  # 0: remembered, not signed in now

    @property
    def signed_in(self) -> bool:
        return self.sessions > 0


@dataclass(frozen=True)
class Checkup:
    items: tuple[CheckupItem, ...]
    unknown_devices: tuple[UnknownDevice, ...] = ()
    failures: tuple[SignInRecord, ...] = ()  # failed sign-ins not reviewed yet, newest first
    more_failures: bool = False  # more than FAILURES_SHOWN of them: `failures` holds the newest
    codes_left: int = 0
    this_device: int | None = None

    @property
    def all_green(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def open_items(self) -> list[CheckupItem]:
        return [item for item in self.items if not item.ok]

    @property
    def done(self) -> int:
        return sum(item.ok for item in self.items)

    def item(self, item_id: ItemId) -> CheckupItem:
        return next(item for item in self.items if item.id == item_id)


def run_checkup(account_id: str, this_session_id: int | None = None, now: datetime | None = None) -> Checkup:
    """Every item of the checkup for the account, seen from the signed-in session *this_session_id*
    (its device is the owner's own by definition)."""
    accounts = directory()
    account = accounts.get(account_id)
    if account is None:
        raise LookupError(account_id)
    now = now or utcnow()
    codes_left = accounts.recovery_codes_left(account_id) if account.two_factor else 0
    sessions = accounts.sessions(account_id)
    this = next((s for s in sessions if s.id == this_session_id), None)
    this_device = this.device_id if this else None
    unknown = _unknown_devices(account_id, sessions, this_session_id, this_device)
    failures = failures_to_review(account, now)
    items = (
        _two_factor(account),
        _recovery_codes(account, codes_left),
        _devices(unknown),
        _password(account),
        _failed_sign_ins(failures),
    )
    return Checkup(
        items,
        unknown_devices=tuple(unknown),
        failures=tuple(failures[:FAILURES_SHOWN]),
        more_failures=len(failures) > FAILURES_SHOWN,
        codes_left=codes_left,
        this_device=this_device,
    )


def _two_factor(account: AccountRecord) -> CheckupItem:
    if account.two_factor:
        return CheckupItem(
            "two-factor",
            gettext("Two-step verification"),
            True,
            gettext("On: a password alone can't get in."),
        )
    return CheckupItem(
        "two-factor",
        gettext("Two-step verification"),
        False,
        gettext("Off: anyone who learns your password can sign in."),
    )


def _recovery_codes(account: AccountRecord, left: int) -> CheckupItem:
    title = gettext("Recovery codes")
    if not account.two_factor:
        return CheckupItem(
            "recovery-codes",
            title,
            False,
            gettext("You get a fresh set when you turn on two-step verification."),
        )
    if not few_codes_left(left):
        return CheckupItem(
            "recovery-codes",
            title,
            True,
            ngettext("%(num)d unused code left.", "%(num)d unused codes left.", left),
        )
    if left == 0:
        return CheckupItem("recovery-codes", title, False, gettext("None left: make a new set."))
    return CheckupItem(
        "recovery-codes",
        title,
        False,
        ngettext(
            "Only %(num)d unused code left: make a new set.",
            "Only %(num)d unused codes left: make a new set.",
            left,
        ),
    )


def _unknown_devices(
    account_id: str, sessions: list[SessionRecord], this_session_id: int | None, this_device: int | None
) -> list[UnknownDevice]:
    """Devices the owner has not confirmed, one entry each: those signed in elsewhere first (most
    recently active first), then those only remembered."""
    devices = directory().devices(account_id)
    confirmed = {d.id for d in devices if d.confirmed_at is not None}
    found: dict[object, UnknownDevice] = {}
    for s in sessions:  # most recently active first
        if s.id == this_session_id or (s.device_id is not None and s.device_id in (this_device, *confirmed)):
            continue
        key = s.device_id if s.device_id is not None else ("session", s.id)
        seen = found.get(key)
        if seen is None:
            found[key] = UnknownDevice(
                s.device_id, s.device or gettext("Unknown device"), s.ip, s.last_seen_at, 1
            )
        else:
            found[key] = UnknownDevice(
                seen.device_id, seen.summary, seen.ip, seen.last_seen_at, seen.sessions + 1
            )
    for d in devices:  # most recently seen first
        if d.id not in found and d.id != this_device and d.id not in confirmed:
            found[d.id] = UnknownDevice(d.id, d.summary or gettext("Unknown device"), "", d.last_seen_at, 0)
    return list(found.values())


def _devices(unknown: list[UnknownDevice]) -> CheckupItem:
    title = gettext("Signed-in devices")
    if not unknown:
        return CheckupItem(
            "devices",
            title,
            True,
            gettext("Only this device and devices you confirmed are signed in or remembered."),
        )
    signed_in = sum(d.signed_in for d in unknown)
    remembered = len(unknown) - signed_in
    parts = []
    if signed_in:
        parts.append(
            ngettext(
                "%(num)d device you haven't confirmed is signed in.",
                "%(num)d devices you haven't confirmed are signed in.",
                signed_in,
            )
        )
    if remembered and signed_in:
        parts.append(
            ngettext(
                "%(num)d device you haven't confirmed also is remembered from an earlier sign-in: "
                "it could sign in again without a new-sign-in email.",
                "%(num)d devices you haven't confirmed also are remembered from an earlier sign-in: "
                "they could sign in again without a new-sign-in email.",
                remembered,
            )
        )
    elif remembered:
        parts.append(
            ngettext(
                "%(num)d device you haven't confirmed is remembered from an earlier sign-in: "
                "it could sign in again without a new-sign-in email.",
                "%(num)d devices you haven't confirmed are remembered from an earlier sign-in: "
                "they could sign in again without a new-sign-in email.",
                remembered,
            )
        )
    if any(d.device_id is not None for d in unknown):
        parts.append(gettext("Confirm each one that is yours; remove the others."))
    if any(d.device_id is None for d in unknown):
        parts.append(gettext("A session we can't tie to a device ends when you sign out everywhere else."))
    return CheckupItem("devices", title, False, " ".join(parts))


def _password(account: AccountRecord) -> CheckupItem:
    title = gettext("Password")
    if account.password_weak:
        return CheckupItem(
            "password",
            title,
            False,
            gettext("Your password is too short, too common or easy to guess: change it."),
        )
    if account.password_from_recovery:
        return CheckupItem(
            "password",
            title,
            False,
            gettext(
                "It was set with a recovery link sent to another address: change it to one only you know."
            ),
        )
    return CheckupItem("password", title, True, gettext("Nothing we know of makes it weak."))


def failures_to_review(account: AccountRecord, now: datetime | None = None) -> list[SignInRecord]:
    """Failed sign-ins of the last FAILURE_DAYS days that the owner has not reviewed yet, newest
    first: at most FAILURES_SHOWN + 1, so that one more than shown says there are more."""
    since = recent_window_start(now)
    if account.failures_reviewed_at is not None and account.failures_reviewed_at > since:
        since = account.failures_reviewed_at
    return directory().failed_sign_ins(account.id, since, limit=FAILURES_SHOWN + 1)


def failures_in_words(failures: list[SignInRecord] | tuple[SignInRecord, ...]) -> str:
    """How many, as a person reads it: "3", or "more than 500" past what is fetched."""
    if len(failures) > FAILURES_SHOWN:
        return gettext("more than %(num)d", num=FAILURES_SHOWN)
    return str(len(failures))


def recent_window_start(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=FAILURE_DAYS)


def _failed_sign_ins(failures: list[SignInRecord]) -> CheckupItem:
    title = gettext("Failed sign-ins")
    if not failures:
        return CheckupItem(
            "failed-sign-ins",
            title,
            True,
            gettext("None to review from the last %(days)d days.", days=FAILURE_DAYS),
        )
    if len(failures) > FAILURES_SHOWN:
        said = gettext(
            "More than %(num)d failed sign-ins in the last %(days)d days: check they were you.",
            num=FAILURES_SHOWN,
            days=FAILURE_DAYS,
        )
    else:
        said = ngettext(
            "%(num)d failed sign-in in the last %(days)d days: check they were you.",
            "%(num)d failed sign-ins in the last %(days)d days: check they were you.",
            len(failures),
            days=FAILURE_DAYS,
        )
    return CheckupItem("failed-sign-ins", title, False, said)


def mark_failures_reviewed(account_id: str, through: datetime, now: datetime | None = None) -> None:
    """ "I've reviewed these": failures up to *through* (the newest one shown) stop counting;
    one that arrived while the page was open still does."""
    directory().mark_failures_reviewed(account_id, min(through, now or utcnow()))
