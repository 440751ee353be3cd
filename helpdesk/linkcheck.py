"""Is this link really ours? A verdict on a pasted link or domain, with the reasons in plain words."""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

# letters from other scripts that look like Latin ones (a small, common subset of Unicode's list)
CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "һ": "h",
        "ӏ": "l",
        "ο": "o",
        "α": "a",
        "ρ": "p",
        "ν": "v",
        "τ": "t",
        "ι": "i",
        "κ": "k",
        "0": "o",
        "1": "l",
        "ı": "i",
        "ɡ": "g",
    }
)


@lru_cache(maxsize=1)
def _extract() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # the bundled list: no network


class NotALink(ValueError):
    """The text cannot be read as a link or a domain; the message says so in plain words."""


@dataclass
class Verdict:
    official: bool
    host: str
    reasons: list[str] = field(default_factory=list)


def skeleton(label: str) -> str:
    """What a name looks like: confusable letters folded, "rn" read as "m", "vv" as "w"."""
    folded = unicodedata.normalize("NFKC", label).casefold().translate(CONFUSABLES)
    return folded.replace("rn", "m").replace("vv", "w").replace("-", "")


def distance(a: str, b: str) -> int:
    """Levenshtein distance (small strings only)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def check_link(text: str, official_domains: tuple[str, ...]) -> Verdict:
    raw = (text or "").strip().replace("\x00", "")
    if not raw:
        raise NotALink("Paste a link or a site's address.")
    if len(raw) > 4000:
        raise NotALink("That is too long to be a link.")
    lowered = raw.lower()
    for scheme in ("javascript:", "data:", "vbscript:", "file:"):
        if lowered.startswith(scheme):
            return Verdict(
                False,
                "",
                [
                    f"It is a '{scheme}' link: it runs or shows something instead of opening a site. "
                    "Never open it."
                ],
            )
    reasons: list[str] = []
    candidate = raw if "://" in raw else "https://" + raw
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise NotALink("That doesn't look like a link or an address we can read.") from exc
    if parts.scheme not in ("http", "https"):
        return Verdict(
            False, host, [f"It starts with '{parts.scheme}:', not with https: it is not a web page of ours."]
        )
    if not host or " " in host:
        raise NotALink("That doesn't look like a link or an address we can read.")
    if "@" in parts.netloc:
        reasons.append(f"Everything before the '@' is decoration: this link really goes to {host}.")
    host = host.rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return Verdict(
            False,
            host,
            [
                *reasons,
                "It goes to a bare number (an IP address), not to our name. We never send links like that.",
            ],
        )
    except ValueError:
        pass
    shown = host
    if any(ord(ch) > 127 for ch in host) or "xn--" in host:
        try:
            ascii_host = host.encode("idna").decode("ascii") if any(ord(c) > 127 for c in host) else host
            shown = ascii_host.encode("ascii").decode("idna")
        except UnicodeError:
            return Verdict(
                False,
                host,
                [*reasons, "The address contains characters that can't be part of a real site name."],
            )
        reasons.append(f"The address uses letters from other alphabets ({shown}), which can imitate ours.")
        host = ascii_host
    extracted = _extract()(host)
    if extracted.suffix:
        registrable = f"{extracted.domain}.{extracted.suffix}"
    else:  # a name outside the public list (a private or test domain): its last two labels
        registrable = ".".join(host.split(".")[-2:])
    officials = {d.lower().strip(".") for d in official_domains}
    if registrable in officials:
        if parts.scheme == "http":
            reasons.append(
                "It is our address, but it starts with http:// instead of https://: the connection "
                "isn't private. Type the address yourself with https://."
            )
            return Verdict(False, shown, reasons)
        if reasons:
            return Verdict(False, shown, reasons)
        return Verdict(
            True, shown, [f"{registrable} is one of our official addresses, and the link uses https."]
        )
    for official in officials:
        if f".{official}." in f".{host}.":
            reasons.append(
                f"'{official}' appears in it, but only as a decoration in front of the real address, "
                f"{registrable}."
            )
            break
    else:
        label = registrable.split(".")[0]
        for official in sorted(officials):
            own = official.split(".")[0]
            same_look = skeleton(label) in (skeleton(own), skeleton(official.replace(".", "")))
            close = len(own) > 3 and distance(label, own) <= 2
            contains = len(own) >= 5 and skeleton(own) in skeleton(label)
            if same_look or close or contains:
                reasons.append(f"{shown} looks like {official}, but it is a different address.")
                break
    if not reasons:
        reasons.append(f"{registrable or host} is not one of our addresses ({', '.join(sorted(officials))}).")
    if parts.scheme == "http":
        reasons.append("It starts with http://, so the connection isn't private either.")
    return Verdict(False, shown, reasons)
