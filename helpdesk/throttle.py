"""Rate limits on things other than the client address (an email address, an account)."""

from __future__ import annotations

from flask import current_app
from limits import parse

from .extensions import limiter


def allow(name: str, key: str, rate: str) -> bool:
    """Count one hit against `rate` (e.g. "5/hour") for *key*; False once it is exceeded.

    The counters live in the limiter's storage: Redis when configured, so every worker shares them.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    return limiter.limiter.hit(parse(rate), "helpdesk", name, key)
