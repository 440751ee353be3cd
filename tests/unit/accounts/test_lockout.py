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


def test_the_nth_lock_in_a_row_doubles_from_the_first_up_to_a_day():
    assert [POLICY.lock_length(n) for n in (1, 2, 3, 11, 12, 40)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=1024),
        timedelta(hours=24),
        timedelta(hours=24),
    ]


def test_each_quiet_day_since_the_last_lock_forgives_one_level():
    then = datetime(2026, 11, 25, tzinfo=UTC)
    assert POLICY.level_now(5, then, then + timedelta(hours=23)) == 5
    assert POLICY.level_now(5, then, then + timedelta(days=2, hours=1)) == 3
    assert POLICY.level_now(2, then, then + timedelta(days=30)) == 0
    assert POLICY.level_now(3, None, then) == 3  # no date to decay from


def test_the_next_lock_counts_the_levels_an_unlock_kept():
    assert POLICY.next_lock(0) == timedelta(minutes=1)
    assert POLICY.next_lock(0, level=3) == timedelta(minutes=8)
    assert POLICY.next_lock(10, level=0) == timedelta(minutes=4)
