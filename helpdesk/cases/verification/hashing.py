"""What the stages of a verification share: codes and link tokens are random, and kept only as
keyed hashes that name the key version they were made under (`v2$<hmac>`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ...keys import Purpose, keyring


def _hmac(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _unlabelled(value: str) -> str:
    """As hashed before key versions (under the site's secret key itself); still recognised."""
    key = hashlib.sha256(b"helpdesk verification\0" + keyring().first_secret.encode()).digest()
    return _hmac(key, value)


def keyed_hash(value: str, version: str | None = None) -> str:
    """*value* as stored: an HMAC under the verification key of the current (or the given) key
    version, so a copy of the database alone cannot even test guesses of a six-digit code."""
    ring = keyring()
    version = version or ring.current
    return f"{version}${_hmac(ring.derive(Purpose.VERIFICATION, version), value)}"


def keyed_hashes(value: str) -> list[str]:
    """Every form *value* may be stored in (each key version, and before versions): to look a
    token up with `column.in_(keyed_hashes(token))`."""
    return [keyed_hash(value, version) for version in keyring().versions] + [_unlabelled(value)]


def matches(value: str, stored: str) -> bool:
    """Whether *stored* is the keyed hash of *value* (under whichever version made it)."""
    if not stored:
        return False
    version, labelled, _ = stored.partition("$")
    if not labelled:
        return hmac.compare_digest(_unlabelled(value), stored)
    if not keyring().has(version):
        return False
    return hmac.compare_digest(keyed_hash(value, version), stored)


def new_link_token() -> str:
    """A token for a mailed link (256 bits)."""
    return secrets.token_urlsafe(32)
