"""The directory contract (helpdesk/accounts/org_directory.py): what every adapter does the same way.

One set of tests, run over every adapter in tests/contract/conftest.py's ADAPTERS against the real
directory behind it (a throwaway slapd, a throwaway Samba AD DC, the embedded database). A test
whose capability an adapter lacks is skipped with the reason.
"""

from __future__ import annotations

import time
import uuid

import pytest

from helpdesk.accounts.org_directory import (
    Capability,
    DirectoryAccount,
    DirectoryUnavailable,
    LockState,
    PasswordRefused,
)
from helpdesk.errors import DomainError

pytestmark = pytest.mark.slow  # real directory servers, started once per session


# -- finding people --------------------------------------------------------------------------------


def test_find_returns_the_account_with_that_address(org_directory):
    account = org_directory.person()
    found = org_directory.directory.find(account.email)
    assert found == account
    assert found is not None and found.id and isinstance(found.id, str)


def test_find_compares_addresses_case_insensitively(org_directory):
    account = org_directory.person()
    assert org_directory.directory.find(account.email.upper()) == account
    assert org_directory.directory.find(account.email.title()) == account


def test_find_an_unknown_address_is_none(org_directory):
    org_directory.person()
    assert org_directory.directory.find("nobody-" + uuid.uuid4().hex + "@example.org") is None
    assert org_directory.directory.find("") is None


@pytest.mark.parametrize(
    "crafted",
    ["*", "*@example.org", "{local}*", "*{domain}", "{local}@*", "{email})(mail=*", "*)(|(mail=*",
     "{email}\\2a", "{email}\x00", "\x00", "(", ")", "\\", "{local}\\*"],
)  # fmt: skip
def test_an_address_with_filter_characters_finds_no_one_else(org_directory, crafted):
    account = org_directory.person()
    local, domain = account.email.split("@")
    address = crafted.format(local=local, domain=domain, email=account.email)
    assert org_directory.directory.find(address) is None


def test_an_address_with_filter_characters_finds_exactly_that_address(org_directory):
    other = org_directory.person()
    token = other.email.split("@")[0]
    odd = org_directory.person(address=f"{token}*(x)\\y@example.org")
    assert org_directory.directory.find(odd.email) == odd
    assert org_directory.directory.find(f"{token}*") is None
    assert org_directory.directory.find(other.email) == other


def test_get_returns_the_account_by_its_id(org_directory):
    account = org_directory.person()
    assert org_directory.directory.get(account.id) == account


def test_unknown_and_malformed_ids_find_nothing_and_change_nothing(org_directory):
    directory = org_directory.directory
    for unknown in (str(uuid.uuid4()), "not-an-id", "*", "", "1)(objectClass=*"):
        assert directory.get(unknown) is None
        assert directory.check_password(unknown, org_directory.password) is False
        if Capability.LOCK_STATUS in directory.capabilities:
            assert directory.lock_state(unknown) == LockState(locked=False)
        if Capability.UNLOCK in directory.capabilities:
            directory.unlock(unknown)  # nothing to unlock: no error
        if Capability.RESET_PASSWORD in directory.capabilities:
            with pytest.raises(DomainError):
                directory.set_password(unknown, org_directory.new_password)


# -- passwords -------------------------------------------------------------------------------------


def test_check_password_takes_the_right_password_only(org_directory):
    account = org_directory.person()
    assert org_directory.directory.check_password(account.id, org_directory.password) is True
    assert org_directory.directory.check_password(account.id, "Wrong-password-9") is False
    assert org_directory.directory.check_password(account.id, "") is False  # never an anonymous bind
    assert org_directory.directory.check_password(account.id, org_directory.password) is True


def test_a_wrong_password_counts_as_a_failed_sign_in(org_directory):
    org_directory.needs(Capability.LOCK_STATUS)
    if org_directory.max_failures is None:
        pytest.skip(f"{org_directory.name} counts no failed sign-ins itself (the help center's sign-in does)")
    account = org_directory.person()
    assert org_directory.directory.lock_state(account.id) == LockState(locked=False, failures=0)
    assert not org_directory.directory.check_password(account.id, "Wrong-password-9")
    assert org_directory.directory.lock_state(account.id) == LockState(locked=False, failures=1)


def test_enough_wrong_passwords_lock_the_account_even_against_the_right_one(org_directory):
    org_directory.needs(Capability.LOCK_STATUS)
    if org_directory.max_failures is None:
        pytest.skip(f"{org_directory.name} locks no account by itself (the help center's sign-in does)")
    account = org_directory.person()
    for _ in range(org_directory.max_failures):
        assert not org_directory.directory.check_password(account.id, "Wrong-password-9")
    state = org_directory.directory.lock_state(account.id)
    assert state.locked
    assert state.failures >= org_directory.max_failures
    assert state.until is None or state.until > time_now()
    assert org_directory.directory.check_password(account.id, org_directory.password) is False


def test_unlock_ends_the_lock_and_forgets_the_failures(org_directory):
    org_directory.needs(Capability.LOCK_STATUS, Capability.UNLOCK)
    if org_directory.max_failures is None:
        pytest.skip(f"{org_directory.name} locks no account by itself (the help center's sign-in does)")
    account = org_directory.person()
    for _ in range(org_directory.max_failures):
        org_directory.directory.check_password(account.id, "Wrong-password-9")
    assert org_directory.directory.lock_state(account.id).locked
    org_directory.directory.unlock(account.id)
    assert org_directory.directory.lock_state(account.id) == LockState(locked=False, failures=0)
    assert org_directory.directory.check_password(account.id, org_directory.password) is True


def test_unlocking_an_account_that_is_not_locked_changes_nothing(org_directory):
    org_directory.needs(Capability.UNLOCK)
    account = org_directory.person()
    org_directory.directory.unlock(account.id)
    org_directory.directory.unlock(account.id)
    assert org_directory.directory.check_password(account.id, org_directory.password) is True


def test_set_password_replaces_the_old_one(org_directory):
    org_directory.needs(Capability.RESET_PASSWORD)
    account = org_directory.person()
    org_directory.directory.set_password(account.id, org_directory.new_password)
    assert org_directory.directory.check_password(account.id, org_directory.new_password) is True
    assert org_directory.directory.check_password(account.id, org_directory.password) is False


def test_a_password_the_policy_refuses_is_refused_with_a_reason_and_changes_nothing(org_directory):
    org_directory.needs(Capability.RESET_PASSWORD)
    if org_directory.refused_password is None:
        pytest.skip(f"{org_directory.name} has no password policy the suite knows of")
    account = org_directory.person()
    with pytest.raises(PasswordRefused) as refused:
        org_directory.directory.set_password(account.id, org_directory.refused_password)
    assert refused.value.http_status == 400
    assert len(refused.value.reason) > 20 and refused.value.reason == str(refused.value)
    assert "password" in refused.value.reason.lower()
    assert org_directory.directory.check_password(account.id, org_directory.password) is True


# -- reachability ----------------------------------------------------------------------------------


def test_ping_answers_when_the_directory_is_up(org_directory):
    org_directory.directory.ping()


def test_a_directory_that_is_down_is_unavailable_never_an_error_of_ours(org_directory):
    if org_directory.down is None:
        pytest.skip(f"{org_directory.name} is the help center's own database: /healthz reports it down")
    down = org_directory.down()
    account_id = str(uuid.uuid4())
    calls = [
        down.ping,
        lambda: down.find("pat@example.org"),
        lambda: down.get(account_id),
        lambda: down.check_password(account_id, "Right-password-1"),
    ]
    if Capability.LOCK_STATUS in down.capabilities:
        calls.append(lambda: down.lock_state(account_id))
    if Capability.UNLOCK in down.capabilities:
        calls.append(lambda: down.unlock(account_id))
    if Capability.RESET_PASSWORD in down.capabilities:
        calls.append(lambda: down.set_password(account_id, "Another-password-2"))
    for call in calls:
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable) as unavailable:
            call()
        assert unavailable.value.http_status == 503
        assert "127.0.0.1" not in str(unavailable.value)  # the detail is logged, never shown
        assert time.monotonic() - started < 10


def test_accounts_are_plain_values(org_directory):
    account = org_directory.person()
    assert isinstance(account, DirectoryAccount)
    assert account.email.endswith("@example.org")
    assert org_directory.directory.find(account.email) == org_directory.directory.get(account.id)


def time_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
