"""Properties of the link checker, for generated links: it never raises anything but NotALink,
always gives a verdict, and never calls a link official unless a browser would open one of the
official domains over https, written as a person reads it."""

from __future__ import annotations

import re

import ada_url
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk.linkcheck import MAX_LENGTH, NotALink, Verdict, check_link

OFFICIAL = ("example.org", "example-help.net")

_SCHEMES = st.sampled_from(
    [
        "https://",
        "http://",
        "",
        "//",
        "https:",
        "HTTPS://",
        "hTtPs://",
        "https:\\\\",
        "https:/\\",
        "https:///",
        "javascript:",
        "data:",
        "ftp://",
        "https\t://",
        "ht\ntps://",
        " https://",
    ]
)
_USERINFO = st.sampled_from(
    [
        "",
        "",
        "",
        "example.org@",
        "user:pass@",
        "example.org%40",
        "example.org:443@",
        "@",
        "a@b@",
        "https://example.org@",
        "example.org\\@",
        "example.org%2F@",
    ]
)
# pieces a host is made of: our names, near misses, other scripts, wide letters, odd dots
_LABELS = st.sampled_from(
    [
        "example",
        "EXAMPLE",
        "example-help",
        "exampIe",
        "examp1e",
        "ex\u0430mple",
        "\u0435xample",
        "example\u200b",
        "\uff45xample",
        "xn--exmple-cua",
        "org",
        "net",
        "ORG",
        "evil",
        "test",
        "co",
        "login",
        "www",
        "0x7f",
        "127",
        "1",
        "localhost",
        "ex%61mple",
        "org\u3002",
        "-",
        "",
    ]
)
_DOTS = st.sampled_from([".", ".", ".", "\u3002", "\uff0e", "..", "%2e"])
_PORTS = st.sampled_from(["", "", ":443", ":8443", ":", ":0", ":99999", ":https"])
_TAILS = st.sampled_from(
    [
        "",
        "/",
        "/login?next=/account",
        "#x",
        "?a=b@evil.test",
        "\\evil.test",
        "/%2e%2e/",
        "@evil.test",
        ".evil.test",
        "\t",
        " x",
        "/\u202eexe",
    ]
)


@st.composite
def hosts(draw: st.DrawFn) -> str:
    labels = draw(st.lists(_LABELS, min_size=1, max_size=4))
    if draw(st.booleans()):
        labels += draw(st.sampled_from([["example", "org"], ["example-help", "net"]]))
    host = draw(_DOTS).join(labels) if len(labels) > 1 else labels[0]
    return host + draw(st.sampled_from(["", "", ".", ".."]))


@st.composite
def links(draw: st.DrawFn) -> str:
    return draw(_SCHEMES) + draw(_USERINFO) + draw(hosts()) + draw(_PORTS) + draw(_TAILS)


ANY_TEXT = st.one_of(links(), st.text(max_size=80), links().map(lambda s: s.swapcase()))


def _browser_opens(text: str) -> ada_url.URL | None:
    """Where a browser goes with the text typed or pasted: the WHATWG parser, https:// in front
    of an address without a scheme (as the checker says it reads it). A "scheme" with a dot in
    it ("example.org:/") is an address with an empty port to an address bar, not a scheme."""
    joined = re.sub(r"[\t\n\r]", "", text.strip())
    if not re.match(r"[a-z][a-z0-9+\-]*:[^\d]", joined, re.IGNORECASE):
        joined = ("https:" if joined.startswith("//") else "https://") + joined
    try:
        return ada_url.URL(joined)
    except ValueError:
        return None


def _written_address(text: str) -> str:
    """The address as a person reads it: after the scheme and its slashes, up to the path;
    case, a trailing dot and an empty port or https's own 443 make no difference to a reader."""
    rest = re.sub(r"^[a-z][a-z0-9+\-]*:(?!\d)", "", text.strip(), flags=re.IGNORECASE).lstrip("/")
    address = re.split(r"[/?#]", rest, maxsplit=1)[0].lower()
    return re.sub(r":(443)?$", "", address).rstrip(".")


def _ours(host: str) -> bool:
    host = host.rstrip(".")
    return any(host == o or host.endswith("." + o) for o in OFFICIAL)


@settings(max_examples=400)
@given(ANY_TEXT)
@example("https://example.org@evil.test")
@example("https://example.org.evil.test")
@example("https://ex\u0430mple.org")
@example("https://example.org:8443/")
@example("https://EXAMPLE.ORG./")
@example("https://xn--exmple-cua.org")
def test_every_input_gets_a_verdict_or_a_plain_refusal(text: str) -> None:
    try:
        verdict = check_link(text, OFFICIAL)
    except NotALink as refusal:
        assert str(refusal)  # said in words
        return
    assert isinstance(verdict, Verdict)
    assert verdict.reasons, "every verdict says why"
    assert all(isinstance(r, str) and r for r in verdict.reasons)


@settings(max_examples=400)
@given(ANY_TEXT)
@example("https://example.org@evil.test")
@example("https://example.org%40evil.test")
@example("https://example.org.evil.test.")
def test_nothing_is_official_that_a_browser_would_not_open_on_our_domain(text: str) -> None:
    try:
        verdict = check_link(text, OFFICIAL)
    except NotALink:
        return
    if not verdict.official:
        return
    url = _browser_opens(text)
    assert url is not None, f"{text!r} is official but no browser could open it"
    assert url.protocol == "https:", text
    assert not url.username and not url.password, text
    assert url.port == "", text  # :443 is dropped by the parser itself
    assert _ours(url.hostname), f"{text!r} opens {url.hostname}, which is not ours"
    # and a person reading it sees that address: no decoration, no code (%…), no odd dots
    # (a subdomain of ours in other letters is still ours: only we can name our subdomains)
    written = _written_address(text)
    if not written.isascii():
        written = ada_url.idna_to_ascii(written).decode("ascii")
    assert written == url.hostname.rstrip("."), f"{text!r} is written {written!r}, opens {url.hostname}"


@settings(max_examples=30)
@given(links(), st.integers(1, 50), st.sampled_from(["a", "/", "\t", ".", "@"]))
def test_too_long_is_a_plain_refusal(link: str, over: int, filler: str) -> None:
    text = link + filler * (MAX_LENGTH + over - len(link))
    try:
        check_link(text, OFFICIAL)
    except NotALink as refusal:
        assert "too long" in str(refusal)
    else:
        raise AssertionError("a text longer than MAX_LENGTH was judged")


# official domains as an operator might write them in HELPDESK_OFFICIAL_DOMAINS
_SETTINGS = st.lists(
    st.sampled_from(
        [
            "example.org",
            "EXAMPLE.ORG.",
            " example.org ",
            "example-help.net",
            "b\u00fccher.example",
            "xn--bcher-kva.example",
            "help.example.co.uk",
            ".",
            "",
            "org",
        ]
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def links_to_settings(draw: st.DrawFn) -> tuple[str, tuple[str, ...]]:
    officials = tuple(draw(_SETTINGS))
    written = [o.strip(" .") for o in officials if o.strip(" .")] or ["example.org"]
    host = draw(st.sampled_from([*written, "b\u00fccher.example", "bucher.example", "evil.test"]))
    prefix = draw(st.sampled_from(["", "login.", "xn--80ak6aa92e.", "example.org."]))
    return draw(_SCHEMES) + draw(_USERINFO) + prefix + host + draw(_PORTS) + draw(_TAILS), officials


@settings(max_examples=200)
@given(links_to_settings())
@example(("example.org:/", ("example.org",)))  # found by the dev profile: an empty port, no scheme
def test_official_only_on_a_domain_the_settings_list(case: tuple[str, tuple[str, ...]]) -> None:
    text, officials = case
    try:
        verdict = check_link(text, officials)
    except NotALink:
        return
    if not verdict.official:
        return
    url = _browser_opens(text)
    assert url is not None and url.protocol == "https:" and not url.username and not url.password, text
    listed = {
        ada_url.idna_to_ascii(o.strip(" .").lower()).decode("ascii") for o in officials if o.strip(" .")
    }
    host = url.hostname.rstrip(".")
    assert any(host == o or host.endswith("." + o) for o in listed), (text, officials)
