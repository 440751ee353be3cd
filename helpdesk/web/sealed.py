"""Secrets a browser carries from one request to the next (a reset link's token, a recovery
link's token, an authenticator key being set up), sealed inside the cookie session.

Flask's cookie session is signed, not encrypted: anyone who sees the cookie (a proxy's log, a
shared computer, a browser extension) can read it. A value sealed here is encrypted and
authenticated (Fernet, under a key derived from the site's secret key for this purpose only) and
opens only within its *max_age*.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, session


@lru_cache(maxsize=4)
def _box(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk sealed cookie values"
    ).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(key: str, value: Any) -> None:
    """Keep *value* (anything JSON can carry) under *key* in the cookie session, unreadable."""
    plain = json.dumps(value, separators=(",", ":")).encode("utf-8")
    session[key] = _box(current_app.config["SECRET_KEY"]).encrypt(plain).decode("ascii")


def unseal(key: str, max_age: int) -> Any | None:
    """The value sealed under *key* no more than *max_age* seconds ago; None when there is none,
    it is older, or it was not sealed by this site (or was tampered with)."""
    sealed = session.get(key)
    if not isinstance(sealed, str) or not sealed:
        return None
    try:
        plain = _box(current_app.config["SECRET_KEY"]).decrypt(sealed.encode("ascii"), ttl=max_age)
        return json.loads(plain)
    except (InvalidToken, ValueError, UnicodeError):
        return None
