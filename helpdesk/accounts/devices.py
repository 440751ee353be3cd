"""A readable device summary ("Firefox on Android") from a User-Agent header."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse


@lru_cache(maxsize=1024)
def describe_device(user_agent: str) -> str:
    if not user_agent:
        return "Unknown device"
    parsed = parse(user_agent[:512])
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    browser = "" if browser == "Other" else browser
    system = "" if system == "Other" else system
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
