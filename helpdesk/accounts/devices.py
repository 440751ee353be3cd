"""A readable device summary ("Firefox on Android") from a User-Agent header."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext
from ua_parser import parse

UNKNOWN = "Unknown device"  # as stored: sign-in history and audit entries are records, in English


@lru_cache(maxsize=1024)
def describe_device(user_agent: str) -> str:
    if not user_agent:
        return UNKNOWN
    parsed = parse(user_agent[:512])
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    browser = "" if browser == "Other" else browser
    system = "" if system == "Other" else system
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or UNKNOWN


def in_words(summary: str | None) -> str:
    """A stored summary ("Firefox on Android", "Unknown device") in the reader's language; the
    names of browsers and systems are names, the same in every language."""
    if not summary or summary == UNKNOWN:
        return gettext("Unknown device")
    browser, on, system = summary.partition(" on ")
    if on and browser and system:
        return gettext("%(browser)s on %(system)s", browser=browser, system=system)
    return summary
