"""How long an account locks after consecutive failed sign-ins."""

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

    @classmethod
    def from_settings(cls, settings: Settings) -> LockPolicy:
        return cls(
            threshold=settings.lock_threshold,
            first=timedelta(seconds=settings.lock_first_seconds),
            longest=timedelta(seconds=settings.lock_longest_seconds),
            hard_stop=settings.lock_hard_stop,
        )

    def lock_after(self, failures: int) -> timedelta | None:
        """The lock that the *failures*-th consecutive failure starts, if any.

        Each count is returned by the database to exactly one request, so exactly one
        request starts each lock, and the lock's length follows from the count alone.
        """
        if failures <= 0 or failures % self.threshold:
            return None
        nth_lock = failures // self.threshold
        return min(self.first * 2 ** min(nth_lock - 1, 30), self.longest)

    def is_locked(self, failures: int, locked_until: datetime | None, now: datetime) -> bool:
        return self.needs_unlock(failures) or (locked_until is not None and locked_until > now)

    def needs_unlock(self, failures: int) -> bool:
        """Past the hard stop only the owner can unlock: by the emailed link or a reset."""
        return failures >= self.hard_stop

    def next_lock(self, failures: int) -> timedelta:
        """How long the next lock will last (told to the owner after unlocking)."""
        nth = failures // self.threshold + 1
        return min(self.first * 2 ** min(nth - 1, 30), self.longest)
