"""Lock lengths grow with each lock, up to a day; a hard stop waits for the owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpdesk.accounts.lockout import LockPolicy

POLICY = LockPolicy()


def test_no_lock_before_the_threshold():
    assert [POLICY.lock_after(n) for n in range(1, 5)] == [None] * 4


def test_each_further_lock_doubles():
    assert POLICY.lock_after(5) == timedelta(minutes=1)
    assert POLICY.lock_after(10) == timedelta(minutes=2)
    assert POLICY.lock_after(15) == timedelta(minutes=4)
    assert POLICY.lock_after(11) is None


def test_locks_last_at_most_a_day():
    assert POLICY.lock_after(95) == timedelta(hours=24)


def test_the_hard_stop_is_at_100_failures_and_never_ends_by_itself():
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert not POLICY.needs_unlock(99)
    assert POLICY.needs_unlock(100)
    assert POLICY.is_locked(100, None, now + timedelta(days=365))


def test_a_lock_ends_at_its_time():
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert POLICY.is_locked(5, now + timedelta(seconds=1), now)
    assert not POLICY.is_locked(5, now, now)
