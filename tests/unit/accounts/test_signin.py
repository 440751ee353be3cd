"""Signing in: a lock others caused, the owner's confirmed device, budgets per address, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine

from helpdesk.accounts.directory import HistoryResult, directory
from helpdesk.accounts.signin import Attempt, attempt_sign_in, complete_sign_in
from helpdesk.accounts.two_factor import enable_without_confirmation
from tests.conftest import DEMO_PASSWORD
from tests.support import a_step_ahead

T0 = datetime(2026, 11, 25, 9, 0, 5, tzinfo=UTC)
LAPTOP = "pats-laptop-device-cookie-0123456789"  # the browser's device cookie (a long random token)
HOME, ATTACKER, OTHER = "192.0.2.10", "203.0.113.66", "198.51.100.9"
WRONG = "not-the-password-at-all"


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def confirmed_laptop(account) -> int:
    device_id, _ = directory().remember_device(account.id, LAPTOP, "Firefox on Linux")
    assert directory().confirm_device(account.id, device_id)
    return device_id


def fail(times: int, ip: str = ATTACKER, device_token: str | None = None) -> None:
    for _ in range(times):
        attempt = attempt_sign_in("pat@example.org", WRONG, ip, "curl", device_token=device_token)
        assert not attempt.ok


def sign_in(ip: str = HOME, device_token: str | None = LAPTOP, password: str = DEMO_PASSWORD):
    return attempt_sign_in("pat@example.org", password, ip, "Firefox on Linux", device_token=device_token)


# the owner's confirmed device and a lock others caused


def test_the_owners_confirmed_device_signs_in_despite_a_lock_from_elsewhere(app, ctx, account):
    confirmed_laptop(account)
    with time_machine.travel(T0, tick=False):
        fail(5)
        assert sign_in(device_token=None).result is Attempt.LOCKED  # the lock is real
        assert sign_in().result is Attempt.OK


def test_a_device_the_owner_has_not_confirmed_is_refused_while_locked(app, ctx, account):
    directory().remember_device(account.id, LAPTOP, "Firefox on Linux")  # known, not confirmed
    with time_machine.travel(T0, tick=False):
        fail(5)
        assert sign_in().result is Attempt.LOCKED


def test_a_confirmed_device_of_another_account_does_not_pass_this_ones_lock(app, ctx, account):
    other = directory().create("sam@example.org", DEMO_PASSWORD)
    device_id, _ = directory().remember_device(other.id, LAPTOP, "Firefox on Linux")
    directory().confirm_device(other.id, device_id)
    with time_machine.travel(T0, tick=False):
        fail(5)
        assert sign_in().result is Attempt.LOCKED


def test_coming_past_the_lock_leaves_it_in_place_for_everyone_else(app, ctx, account):
    confirmed_laptop(account)
    with time_machine.travel(T0, tick=False):
        fail(5)
        assert sign_in().ok
        assert sign_in(ip=OTHER, device_token=None).result is Attempt.LOCKED
        assert directory().get(account.id).failed_count == 5


def test_a_confirmed_devices_failures_count_against_it_not_the_account(app, ctx, account):
    confirmed_laptop(account)
    with time_machine.travel(T0, tick=False):
        fail(6, ip=HOME, device_token=LAPTOP)
        assert directory().get(account.id).failed_count == 0
        assert sign_in(ip=OTHER, device_token=None).ok  # nobody else was locked out by the owner's typos


def test_a_confirmed_device_past_its_own_budget_is_treated_like_any_browser(app, ctx, account):
    confirmed_laptop(account)
    with time_machine.travel(T0, tick=False):
        fail(10, ip=HOME, device_token=LAPTOP)  # its budget: 10 a day
        fail(5, ip=OTHER)
        assert sign_in().result is Attempt.LOCKED
        assert directory().get(account.id).failed_count == 5


def test_the_code_step_lets_the_confirmed_device_past_the_lock_too(app, ctx, account):
    confirmed_laptop(account)
    moment = a_step_ahead()
    with time_machine.travel(moment, tick=False):
        uri, _ = enable_without_confirmation(account)
        code = pyotp.TOTP(pyotp.parse_uri(uri).secret).at(moment)
        fail(5)
        assert sign_in().result is Attempt.NEEDS_CODE
        assert complete_sign_in(account.id, code, HOME, "Firefox", device_token=None).result is Attempt.LOCKED
        assert complete_sign_in(account.id, code, HOME, "Firefox", device_token=LAPTOP).ok


def test_wrong_codes_from_the_confirmed_device_count_against_it(app, ctx, account):
    confirmed_laptop(account)
    with time_machine.travel(a_step_ahead(), tick=False):
        enable_without_confirmation(account)
        for _ in range(6):
            assert not complete_sign_in(account.id, "000000", HOME, "Firefox", device_token=LAPTOP).ok
        assert directory().get(account.id).failed_count == 0


# budgets per address


def test_one_address_is_refused_for_an_account_after_ten_failures_a_day(app, ctx, account):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(2):  # two locks' worth, each waited out
            fail(5)
            clock.shift(timedelta(hours=1))
        refused = sign_in(ip=ATTACKER, device_token=None)
        elsewhere = sign_in(ip=OTHER, device_token=None)
    assert refused.result is Attempt.LOCKED and elsewhere.ok


def test_a_refused_address_counts_nothing_against_the_account(app, ctx, account):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(2):
            fail(5)
            clock.shift(timedelta(hours=1))
        fail(20)
        assert directory().get(account.id).failed_count == 10
        lines = directory().sign_ins(account.id, limit=20)
    assert {line.result for line in lines} == {HistoryResult.LOCKED}


def test_an_address_pressing_five_accounts_is_refused_for_every_account(app, ctx, account):
    for n in range(5):
        directory().create(f"person{n}@example.org", DEMO_PASSWORD)
    with time_machine.travel(T0, tick=False):
        for n in range(5):
            for _ in range(3):
                attempt_sign_in(f"person{n}@example.org", WRONG, ATTACKER, "curl")
        refused = sign_in(ip=ATTACKER, device_token=None)
        elsewhere = sign_in(ip=OTHER, device_token=None)
    assert refused.result is Attempt.LOCKED and elsewhere.ok


def test_guessing_addresses_spends_the_addresses_budget(app, ctx, account):
    with time_machine.travel(T0, tick=False):
        for n in range(100):
            attempt_sign_in(f"nobody{n}@example.org", WRONG, ATTACKER, "curl")
        assert sign_in(ip=ATTACKER, device_token=None).result is Attempt.LOCKED


def test_an_unlock_link_used_at_an_address_gives_that_address_its_budget_back(app, ctx, account):
    from helpdesk.accounts.recovery import unlock_account
    from helpdesk.accounts.tokens import issue_token

    with time_machine.travel(T0, tick=False) as clock:
        fail(5, ip=HOME)
        clock.shift(timedelta(hours=1))
        fail(5, ip=HOME)
        assert unlock_account(issue_token(account.id, "unlock", timedelta(minutes=30)), ip=HOME).was_locked
        assert sign_in(ip=HOME, device_token=None).ok


def test_the_budgets_are_off_with_rate_limits_off(tmp_path):
    from tests.conftest import build_app

    app = build_app(tmp_path, rate_limits=False, lock_threshold=1000)
    with app.test_request_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
        fail(30)
        assert sign_in(ip=ATTACKER, device_token=None).ok


# locks keep growing across unlocks


def lock_length_now(account_id: int) -> timedelta:
    locked_until = directory().get(account_id).locked_until
    assert locked_until is not None
    return locked_until - T0


def test_the_lock_after_an_unlock_is_twice_the_one_before(app, ctx, account):
    from helpdesk.accounts.recovery import unlock_account
    from helpdesk.accounts.tokens import issue_token

    lengths = []
    with time_machine.travel(T0, tick=False):
        for n in range(4):
            fail(5, ip=f"198.51.100.{n + 1}")
            lengths.append(lock_length_now(account.id))
            unlock_account(issue_token(account.id, "unlock", timedelta(minutes=30)))
    assert lengths == [timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_a_successful_sign_in_does_not_restart_the_doubling(app, ctx, account):
    with time_machine.travel(T0, tick=False) as clock:
        fail(5)
        clock.shift(timedelta(seconds=61))
        assert sign_in(ip=OTHER, device_token=None).ok
        clock.move_to(T0)
        fail(5, ip="198.51.100.77")
        assert lock_length_now(account.id) == timedelta(minutes=2)


def test_parallel_wrong_passwords_lock_the_account_once_and_it_stays_locked(app, account, outbox_dir):
    from helpdesk.extensions import db
    from helpdesk.models import utcnow
    from tests.mailbox import outbox
    from tests.support import at_once

    def guess(ip: str) -> bool:
        with app.test_request_context():
            try:
                return attempt_sign_in("pat@example.org", WRONG, ip, "curl").locked_now
            finally:
                db.session.remove()

    ips = iter([f"198.51.100.{n}" for n in range(1, 9)])  # a list's iterator: safe across threads
    started = at_once(8, lambda: guess(next(ips)))
    with app.app_context():
        locked = directory().get(account.id)
    assert started.count(True) == 1
    assert locked.locked_until is not None and locked.locked_until > utcnow() and locked.lock_level == 1
    assert [mail["Subject"] for mail in outbox(outbox_dir)] == ["Was this you? Your account was locked"]
