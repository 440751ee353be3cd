"""How long an account locks after consecutive failed sign-ins.

Locks keep growing across unlocks: the n-th lock in a row lasts `first * 2**(n-1)` (up to
`longest`), and an emailed unlock lifts the lock but not the count of locks. Only time forgives:
one lock level for each quiet `decay` (a day by default) since the last lock began. A successful
sign-in does not reset it either: the owner signing in says nothing about whether the person
guessing has stopped, and the owner gets past a lock on a device they confirmed anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..config import Settings


@dataclass(frozen=True)
class LockPolicy:
    threshold: int = 5
    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=24)
    hard_stop: int = 100
    decay: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings) -> LockPolicy:
        return cls(
            threshold=settings.lock_threshold,
            first=timedelta(seconds=settings.lock_first_seconds),
            longest=timedelta(seconds=settings.lock_longest_seconds),
            hard_stop=settings.lock_hard_stop,
            decay=timedelta(seconds=settings.lock_decay_seconds),
        )

    def lock_after(self, failures: int) -> timedelta | None:
        """The lock that the *failures*-th consecutive failure starts, if any, when no lock came
        before this run of failures (see `lock_length` for the length after earlier locks).

        Each count is returned by the database to exactly one request, so exactly one
        request starts each lock.
        """
        if not self.locks_at(failures):
            return None
        return self.lock_length(failures // self.threshold)

    def locks_at(self, failures: int) -> bool:
        """Whether the *failures*-th consecutive failure starts a lock."""
        return failures > 0 and failures % self.threshold == 0

    def lock_length(self, nth: int) -> timedelta:
        """How long the *nth* lock in a row lasts: doubling from `first`, at most `longest`."""
        return min(self.first * 2 ** min(max(nth, 1) - 1, 30), self.longest)

    def level_now(self, level: int, last_locked_at: datetime | None, now: datetime) -> int:
        """The lock level after time has forgiven one level per quiet `decay` since the last lock."""
        if level <= 0 or last_locked_at is None or self.decay <= timedelta(0):
            return max(level, 0)
        quiet = max(now - last_locked_at, timedelta(0))
        return max(level - int(quiet / self.decay), 0)

    def is_locked(self, failures: int, locked_until: datetime | None, now: datetime) -> bool:
        return self.needs_unlock(failures) or (locked_until is not None and locked_until > now)

    def needs_unlock(self, failures: int) -> bool:
        """Past the hard stop only the owner can unlock: by the emailed link or a reset."""
        return failures >= self.hard_stop

    def next_lock(self, failures: int, level: int = 0) -> timedelta:
        """How long the next lock will last (told to the owner after unlocking): after *level*
        earlier locks (the escalation an unlock keeps), or else counted from *failures*."""
        nth = max(level, failures // self.threshold) + 1
        return self.lock_length(nth)
