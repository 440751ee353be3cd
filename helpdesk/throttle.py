"""Rate limits on things other than the client address (an email address, an account)."""

from __future__ import annotations

from flask import current_app
from limits import RateLimitItem, parse_many

from .extensions import limiter


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _items(rate: str) -> list[RateLimitItem]:
    return parse_many(rate)


def allow(name: str, key: str, rate: str) -> bool:
    """Count one hit against `rate` (e.g. "5/hour", or "5/minute;20/day") for *key*; False once
    it is exceeded.

    The counters live in the limiter's storage: Redis when configured, so every worker shares them.
    """
    if not _enabled():
        return True
    allowed = True
    for item in _items(rate):
        allowed = limiter.limiter.hit(item, "helpdesk", name, key) and allowed
    return allowed


def allows(name: str, key: str, rate: str) -> bool:
    """Whether one more hit would be allowed, without counting one (see `count`)."""
    if not _enabled():
        return True
    return all(limiter.limiter.test(item, "helpdesk", name, key) for item in _items(rate))


def limit_of(rate: str) -> int:
    """How many hits the first window of *rate* allows ("10/day" -> 10)."""
    return _items(rate)[0].amount


def forget(name: str, key: str, rate: str) -> None:
    """Start *key*'s counts for `rate` from nothing again."""
    if _enabled():
        for item in _items(rate):
            limiter.limiter.clear(item, "helpdesk", name, key)


def count(name: str, key: str, rate: str) -> int:
    """Count one hit for *key* and return how many there have been in the first window of *rate*
    (hits past the limit are counted too, up to one more than it allows)."""
    if not _enabled():
        return 0
    items = _items(rate)
    for item in items:
        limiter.limiter.hit(item, "helpdesk", name, key)
    first = items[0]
    remaining = limiter.limiter.get_window_stats(first, "helpdesk", name, key).remaining
    return first.amount - remaining
