"""Short reference codes a person can read out to support: no 0/O/1/I/L, not guessable."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: 8 of them carry ~39.6 bits
LENGTH = 8
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_reference() -> str:
    """A fresh random code, shown as XXXX-XXXX."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_reference(text: str) -> str | None:
    """The stored form of what someone typed ("abcd efgh", "ABCD-EFGH"), or None if it can't be one."""
    raw = re.sub(r"[\s\-_.]", "", text or "").upper()
    if not _SHAPE.match(raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"
