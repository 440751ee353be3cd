"""Is this link really ours? A verdict on a pasted link or domain, with the reasons in plain words.

A link is read twice: the way a browser reads it (the WHATWG URL standard, through ada-url: a
backslash ends the address, tabs and line breaks vanish, 0x7f.1 is an IP address, wide letters
fold to narrow ones) and the way a person reads it (the text up to the first slash). It is ours
only when the browser would open one of the official domains over https and nothing in the way it
is written differs from what a person sees; every trick found is a reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import ada_url
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from publicsuffixlist import PublicSuffixList

from .config import settings
from .errors import DomainError

MAX_LENGTH = 4000

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

_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):(.?)", re.IGNORECASE)
_SCRIPT_SCHEMES = {"javascript", "data", "vbscript", "blob"}
_TABS_AND_BREAKS = re.compile(r"[\t\n\r]")
_SHORT_CODE = re.compile(r"/[A-Za-z0-9_-]{4,12}/?")


@lru_cache(maxsize=1)
def public_suffixes() -> PublicSuffixList:
    """The Public Suffix List bundled with the library (its ICANN section; no network): where a
    name stops being a registry's ("co.uk") and becomes someone's ("example.co.uk")."""
    return PublicSuffixList(only_icann=True, accept_unknown=False)


class NotALink(DomainError, ValueError):
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


def ascii_domain(name: str) -> str:
    """A domain as browsers send it: lower case, no trailing dot, other scripts as xn--."""
    name = name.strip().strip(".").lower()
    try:
        return ada_url.idna_to_ascii(name).decode("ascii") or name
    except (UnicodeError, ValueError):
        return name


def _unicode_domain(host: str) -> str:
    if "xn--" not in host:
        return host
    try:
        return ada_url.idna_to_unicode(host) or host
    except (UnicodeError, ValueError):
        return host


# the alphabets whose letters imitate Latin ones most often, named in the reader's language
SCRIPTS = {
    "Cyrillic": _l("Cyrillic"),
    "Greek": _l("Greek"),
    "Armenian": _l("Armenian"),
    "Cherokee": _l("Cherokee"),
    "Latin": _l("Latin"),
    "Fullwidth": _l("full-width"),
}


def _foreign_letters(name: str) -> str:
    """Which characters are not plain Latin letters, e.g. "letter 2 is Cyrillic, letter 5 is Greek"."""
    found = []
    for position, ch in enumerate(name, 1):
        if ord(ch) > 127:
            script = unicodedata.name(ch, "UNKNOWN").split(" ")[0].capitalize()
            named = str(SCRIPTS.get(script, script))
            found.append(gettext("letter %(position)s is %(script)s", position=position, script=named))
    return ", ".join(found[:4]) + (", …" if len(found) > 4 else "")


def _as_a_person_reads_it(text: str) -> str:
    """The address part a person sees: after the scheme, up to the first '/', '?' or '#'."""
    rest = text.split(":", 1)[1] if _scheme_of(text) is not None else text
    rest = rest.lstrip("/")
    return re.split(r"[/?#]", rest, maxsplit=1)[0]


def _host_part(authority: str) -> str:
    host = authority.rsplit("@", 1)[-1]
    if not host.startswith("["):
        host = re.sub(r":\d*$", "", host)
    return host.strip(".").casefold()


def _scheme_of(text: str) -> str | None:
    """The scheme the text starts with, if any ('example.org:8443/x' and 'localhost:80' have none)."""
    found = _SCHEME.match(text)
    if not found or "." in found.group(1) or found.group(2).isdigit():
        return None
    return found.group(1).lower()


def _special_scheme_verdict(scheme: str, text: str) -> Verdict | None:
    if scheme in _SCRIPT_SCHEMES:
        return Verdict(
            False,
            "",
            [
                gettext(
                    "It is a '%(scheme)s:' link: it runs or shows something instead of opening a site. "
                    "Never open it.",
                    scheme=scheme,
                )
            ],
        )
    if scheme == "file":
        return Verdict(
            False,
            "",
            [
                gettext(
                    "It is a 'file:' link: it opens a file on a computer, not a site of ours. Never open it."
                )
            ],
        )
    if scheme == "mailto":
        address = text.split(":", 1)[1].split("?", 1)[0][:200]
        return Verdict(
            False,
            "",
            [
                gettext(
                    "It is an email address ('mailto:' link), not a web page: it starts an email to "
                    "%(address)s.",
                    address=address,
                )
            ],
        )
    if scheme in ("http", "https"):
        return None
    return Verdict(
        False,
        "",
        [
            gettext(
                "It starts with '%(scheme)s:', not with https: it is not a web page of ours.", scheme=scheme
            )
        ],
    )


def check_here(text: str) -> Verdict:
    """check_link against this site's settings: its official domains and the shorteners it names."""
    configured = settings()
    return check_link(text, configured.official_domains, configured.link_shorteners)


def check_link(text: str, official_domains: tuple[str, ...], shorteners: tuple[str, ...] = ()) -> Verdict:
    """The verdict on *text*, a pasted link or a typed address; NotALink when it can't be read."""
    text = text or ""
    if len(text) > MAX_LENGTH:
        raise NotALink(
            gettext(
                "That is too long to be a link (%(count)s characters). Paste only the address: "
                "one line, starting with https://.",
                count=f"{len(text):,}",
            )
        )
    shown = text.strip()
    if not shown:
        raise NotALink(gettext("Paste a link or a site's address."))
    joined = _TABS_AND_BREAKS.sub("", shown)  # what a browser does first
    scheme = _scheme_of(joined)
    if scheme is not None:
        special = _special_scheme_verdict(scheme, joined)
        if special is not None:
            return special
        candidate = joined
    else:
        candidate = ("https:" if joined.startswith("//") else "https://") + joined
    try:
        url = ada_url.URL(candidate)
    except ValueError as exc:
        if any(unicodedata.category(ch) == "Cc" for ch in joined):
            raise NotALink(
                gettext(
                    "That contains hidden control characters, so no browser could open it as it is. "
                    "Copy the link again, or type the address you see."
                )
            ) from exc
        raise NotALink(gettext("That doesn't look like a link or an address we can read.")) from exc
    host = (url.hostname or "").rstrip(".")
    if not host:
        raise NotALink(gettext("That doesn't look like a link or an address we can read."))
    return _judge(url, host, shown, joined, official_domains, shorteners)


def _judge(
    url: ada_url.URL,
    host: str,
    shown: str,
    joined: str,
    official_domains: tuple[str, ...],
    shorteners: tuple[str, ...],
) -> Verdict:
    display = _unicode_domain(host)
    authority = _as_a_person_reads_it(shown)
    seen_host = _host_part(authority)
    insecure = url.scheme_type == ada_url.SchemeType.HTTP
    reasons: list[str] = []
    disguised = False  # written so that a person reads something other than where it goes
    if _TABS_AND_BREAKS.search(shown):
        reasons.append(
            gettext(
                "It contains line breaks or tabs, which browsers drop: joined up, it opens %(site)s.",
                site=display,
            )
        )
        disguised = True
    if "\\" in authority:
        reasons.append(
            gettext(
                "It contains a backslash (\\), which browsers read as '/': it really opens %(site)s.",
                site=display,
            )
        )
        disguised = True
    if _scheme_of(joined) in ("http", "https") and not re.match(r"[a-z]+:[/\\]{2}", joined, re.IGNORECASE):
        reasons.append(
            gettext(
                "It has no '//' after '%(scheme)s': on a web page such a link opens a page of that "
                "page's own site, not %(site)s.",
                scheme=url.protocol,
                site=display,
            )
        )
        disguised = True
    if url.username or url.password or "@" in authority:  # "https://@host" too: an '@' is a decoy
        reasons.append(
            gettext(
                "Everything before the '@' is decoration: this link really goes to %(site)s.", site=display
            )
        )
        disguised = True
    if url.host_type in (ada_url.HostType.IPV4, ada_url.HostType.IPV6):
        written = seen_host.strip("[]")
        if url.host_type == ada_url.HostType.IPV4 and written and written != host and not disguised:
            reasons.append(
                gettext(
                    "It goes to a bare number written in disguise (%(written)s), which browsers read "
                    "as the IP address %(address)s, not to our name. We never send links like that.",
                    written=written[:60],
                    address=host,
                )
            )
        else:
            reasons.append(
                gettext(
                    "It goes to a bare number (an IP address), not to our name. "
                    "We never send links like that."
                )
            )
        return Verdict(False, host, reasons)
    officials = sorted({ascii_domain(d) for d in official_domains if d.strip(". ")})
    ours = next((o for o in officials if host == o or host.endswith("." + o)), None)
    if "xn--" in host and ours is None:
        if "xn--" in seen_host:
            reasons.append(
                gettext(
                    "The address is written in code (xn--…) that stands for %(site)s "
                    "(%(letters)s): it uses letters from other alphabets, which can imitate ours.",
                    site=display,
                    letters=_foreign_letters(display),
                )
            )
        else:
            reasons.append(
                gettext(
                    "The address uses letters from other alphabets (%(site)s: %(letters)s), "
                    "which can imitate ours.",
                    site=display,
                    letters=_foreign_letters(display),
                )
            )
    elif not disguised and seen_host not in (display.casefold(), host):
        if any(ord(ch) > 127 for ch in seen_host):
            reasons.append(
                gettext(
                    "It is written with unusual characters (wide letters, odd dots or invisible marks) "
                    "that browsers turn into %(site)s.",
                    site=display,
                )
            )
        else:
            reasons.append(
                gettext(
                    "Part of the address is written in code (%%…): browsers read it as %(site)s.",
                    site=display,
                )
            )
        disguised = True
    if ours is not None:
        return _our_domain(url, host, display, ours, insecure, reasons)
    return Verdict(
        False, display, _not_ours(url, host, display, joined, officials, shorteners, insecure, reasons)
    )


def _our_domain(
    url: ada_url.URL, host: str, display: str, ours: str, insecure: bool, reasons: list[str]
) -> Verdict:
    if insecure:
        reasons.append(
            gettext(
                "It is our address, but it starts with http:// instead of https://: the connection "
                "isn't private. Type the address yourself with https://."
            )
        )
    if url.port:
        reasons.append(
            gettext("It adds a port number (:%(port)s) after the address; our links never do.", port=url.port)
        )
    if reasons:
        if not insecure:
            reasons.append(
                gettext(
                    "It does open %(site)s, which is ours, but we never write links like that, so it didn't "
                    "come from us. To be safe, type the address yourself.",
                    site=display,
                )
            )
        return Verdict(False, display, reasons)
    if host == ours:
        belongs = gettext("%(site)s is one of our official addresses, and the link uses https.", site=ours)
    else:
        belongs = gettext(
            "%(site)s belongs to %(ours)s, which is one of our official addresses, and the link uses https.",
            site=display,
            ours=ours,
        )
    return Verdict(True, display, [belongs])


def _not_ours(
    url: ada_url.URL,
    host: str,
    display: str,
    joined: str,
    officials: list[str],
    shorteners: tuple[str, ...],
    insecure: bool,
    reasons: list[str],
) -> list[str]:
    # a name outside the public list (a private or test domain): its last two labels
    registrable = public_suffixes().privatesuffix(host) or ".".join(host.split(".")[-2:])
    shown_registrable = _unicode_domain(registrable)
    named = False  # a reason already says it is some other address
    for official in officials:
        if f".{official}." in f".{host}.":
            reasons.append(
                gettext(
                    "'%(official)s' appears in it, but only as a decoration in front of the real address, "
                    "%(site)s.",
                    official=official,
                    site=shown_registrable,
                )
            )
            named = True
            break
    else:
        lookalike = _looks_like(_unicode_domain(registrable), officials)
        if lookalike:
            reasons.append(
                gettext(
                    "%(site)s looks like %(official)s, but it is a different address.",
                    site=display,
                    official=lookalike,
                )
            )
            named = True
    if not named:
        mentioned = next((o for o in officials if o in joined.lower()), None)
        if mentioned:
            reasons.append(
                gettext("'%(official)s' appears in the link, but not as its address.", official=mentioned)
            )
        reasons.append(
            gettext(
                "%(site)s is not one of our addresses (%(officials)s).",
                site=shown_registrable,
                officials=", ".join(officials),
            )
        )
    if _is_short_link(url, registrable, shorteners):
        reasons.append(
            gettext(
                "It looks like a short link (a short address and a code): it hides where it really goes. "
                "We never send short links."
            )
        )
    if insecure:
        reasons.append(gettext("It starts with http://, so the connection isn't private either."))
    return reasons


def _looks_like(registrable: str, officials: list[str]) -> str | None:
    label = registrable.split(".")[0]
    for official in officials:
        own = _unicode_domain(official).split(".")[0]
        same_look = skeleton(label) in (skeleton(own), skeleton(official.replace(".", "")))
        close = len(own) > 3 and distance(skeleton(label), skeleton(own)) <= 2
        contains = len(own) >= 5 and skeleton(own) in skeleton(label)
        if same_look or close or contains:
            return official
    return None


def _is_short_link(url: ada_url.URL, registrable: str, shorteners: tuple[str, ...]) -> bool:
    """A link shortener: one the operator listed, or the shape of one (a short name and a code)."""
    if registrable in {ascii_domain(s) for s in shorteners}:
        return True
    code = url.pathname
    label = registrable.split(".")[0]
    return (
        len(label) <= 7
        and not url.search
        and _SHORT_CODE.fullmatch(code) is not None
        and any(ch.isdigit() or ch.isupper() for ch in code)
    )
