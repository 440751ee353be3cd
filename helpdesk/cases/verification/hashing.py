"""What the stages of a verification share: codes and link tokens are random, and kept only as
keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ...config import settings


def keyed_hash(value: str) -> str:
    """*value* as stored: an HMAC under a key drawn from the site's secret key, so a copy of the
    database alone cannot even test guesses of a six-digit code."""
    key = hashlib.sha256(b"helpdesk verification\0" + settings().secret_key.encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def new_link_token() -> str:
    """A token for a mailed link (256 bits)."""
    return secrets.token_urlsafe(32)
