"""Who a failed sign-in counts against, and who is refused before anything is checked.

A wrong password or code counts against the account (its lock, `signin.count_failure`) and
against the address it came from: per account and address, and per address over all accounts,
in the shared counters of `helpdesk.throttle` (Redis when configured, so every worker sees them).
An address past its budget is refused for that account (or, having pressed several accounts, for
every account) before any password is checked, and its further tries count against no account:
one address can no longer keep dozens of accounts locked.

A browser the owner confirmed ("this is my device"), recognised by its device cookie's token
(never by anything the person typing can choose), gets past a lock that failures from elsewhere
caused; its own failures count against that device alone, and once it has used up its budget it
is treated like any other browser.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import audit
from ..config import settings
from ..throttle import allows, count, forget, limit_of
from .directory import directory

# the failures one address makes against one account that count as pressing it (under the lock
# threshold: the address is refused everywhere before it has locked many accounts)
PRESSED_AT = 3


@dataclass(frozen=True)
class Route:
    """How a sign-in attempt on an account is treated, decided before anything is checked."""

    refused: bool = False  # this address has failed too often: refused like a locked account
    device_id: int | None = None  # the owner's confirmed device, within its budget: no lock applies


def route(account_id: str, ip: str, device_token: str | None) -> Route:
    """Decide how an attempt on *account_id* from *ip* with this browser's device token is treated."""
    if device_token:
        device_id = directory().confirmed_device(account_id, device_token)
        if device_id is not None and allows(
            "signin-device", _device_key(account_id, device_id), settings().failures_per_confirmed_device
        ):
            return Route(device_id=device_id)
    if not address_allowed(ip) or not allows(
        "signin-account-address", _pair_key(account_id, ip), settings().failures_per_account_address
    ):
        return Route(refused=True)
    return Route()


def address_allowed(ip: str) -> bool:
    """Whether *ip* may still try to sign in to any account at all."""
    current = settings()
    return allows("signin-address", ip, current.failures_per_address) and allows(
        "signin-address-accounts", ip, current.accounts_per_address
    )


def note_failure(account_id: str | None, ip: str, via: Route) -> None:
    """Count a wrong password or code (or an unknown account's address, *account_id* None)
    against the confirmed device it came through, or else against the address."""
    current = settings()
    if via.device_id is not None and account_id is not None:
        rate = current.failures_per_confirmed_device
        if count("signin-device", _device_key(account_id, via.device_id), rate) == limit_of(rate):
            _audit_spent("confirmed device", ip, account_id, via.device_id)
        return
    if count("signin-address", ip, current.failures_per_address) == limit_of(current.failures_per_address):
        _audit_spent("address, all accounts", ip)
    if account_id is None:
        return
    rate = current.failures_per_account_address
    pair = count("signin-account-address", _pair_key(account_id, ip), rate)
    if pair == limit_of(rate):
        _audit_spent("address, this account", ip, account_id)
    if pair == PRESSED_AT:
        pressed = count("signin-address-accounts", ip, current.accounts_per_address)
        if pressed == limit_of(current.accounts_per_address):
            _audit_spent("address, accounts pressed", ip)


def _audit_spent(budget: str, ip: str, account_id: str | None = None, device_id: int | None = None) -> None:
    """Once per window, when a budget is used up: from now on that address or device is refused."""
    account = directory().get(account_id) if account_id is not None else None
    detail: dict[str, object] = {"budget": budget}
    if device_id is not None:
        detail["device_id"] = device_id
    target = account.email if account else ""
    audit.record("sign-in.failures-budget-spent", actor="anonymous", target=target, ip=ip, **detail)


def forgive(account_id: str, ip: str) -> None:
    """The owner proved they read the account's mail (an emailed unlock or reset link) from *ip*:
    that address may try that account again (failures from elsewhere stay counted)."""
    forget("signin-account-address", _pair_key(account_id, ip), settings().failures_per_account_address)


def _pair_key(account_id: str, ip: str) -> str:
    return f"{account_id}|{ip}"


def _device_key(account_id: str, device_id: int) -> str:
    return f"{account_id}|{device_id}"
