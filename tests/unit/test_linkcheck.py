"""The "is this link really ours?" verdicts, on a table of tricky links."""

from __future__ import annotations

import pytest

from helpdesk.linkcheck import NotALink, check_link, distance, skeleton

OFFICIAL = ("example.org", "example-help.net")

# (link, official?, a word the reasons must contain)
CASES = [
    ("https://example.org", True, "official"),
    ("https://example.org/login?next=/account", True, "official"),
    ("example.org", True, "official"),
    ("EXAMPLE.ORG", True, "official"),
    ("https://login.example.org", True, "official"),
    ("https://a.b.c.example.org/x", True, "official"),
    ("https://example.org.", True, "official"),
    ("https://example-help.net/reset", True, "official"),
    ("https://example.org:443/", True, "official"),
    ("http://example.org", False, "http://"),
    ("http://login.example.org/reset", False, "http://"),
    ("https://example.org@evil.test/login", False, "before the '@'"),
    ("https://user:pass@evil.test", False, "before the '@'"),
    ("https://example.org.evil.test", False, "decoration"),
    ("https://login.example.org.evil.test/a", False, "decoration"),
    ("https://example.org.evil.co.uk", False, "decoration"),
    ("https://www.example.org-secure.test", False, "not one of our"),
    ("https://example-org.test", False, "looks like"),
    ("https://exarnple.org", False, "looks like"),
    ("https://examp1e.org", False, "looks like"),
    ("https://exampIe.org", False, "looks like"),
    ("https://exmple.org", False, "looks like"),
    ("https://exampple.org", False, "looks like"),
    ("https://example.com", False, "looks like"),
    ("https://example.net", False, "looks like"),
    ("https://example.org.co", False, "decoration"),
    ("https://ex\u0430mple.org", False, "other alphabets"),
    ("https://\u0435xample.org", False, "other alphabets"),
    ("https://xn--exmple-cua.org", False, "other alphabets"),
    ("https://xn--e1awd7f.org", False, "other alphabets"),
    ("http://192.168.1.1/login", False, "IP address"),
    ("https://127.0.0.1", False, "IP address"),
    ("https://[::1]/", False, "IP address"),
    ("https://3232235777/", False, "in disguise"),
    ("javascript:alert(1)", False, "javascript:"),
    ("JavaScript:alert(document.cookie)", False, "javascript:"),
    ("data:text/html;base64,PHNjcmlwdD4=", False, "data:"),
    ("vbscript:msgbox", False, "vbscript:"),
    ("file:///etc/passwd", False, "file:"),
    ("ftp://example.org/file", False, "ftp"),
    ("https://evil.test", False, "not one of our"),
    ("https://totally-unrelated.test/example.org", False, "not one of our"),
    ("https://evil.test/?u=https://example.org", False, "not one of our"),
    ("https://evil.test#example.org", False, "not one of our"),
    ("https://secure-login.test/example.org/signin", False, "not one of our"),
    ("  https://example.org  ", True, "official"),
    ("https://example.org/%2F%2Fevil.test", True, "official"),
    ("https://examp\u04cfe.org", False, "other alphabets"),
    ("https://example-help.net.evil.test", False, "decoration"),
    ("https://exarnple-help.net", False, "looks like"),
    ("http://example-help.net", False, "http://"),
    ("https://example.org@example.org", False, "before the '@'"),
    ("https://xn--80ak6aa92e.com", False, "other alphabets"),
    ("https://example.organic.test", False, "not one of our"),
    ("https://myexample.org", False, "looks like"),
    ("https://example.org.example.org.evil.test", False, "decoration"),
    ("https://sub.evil.test@example.org", False, "before the '@'"),
    ("https://exampleorg.test", False, "looks like"),
    ("https://examp-le.org", False, "looks like"),
    ("https://e-x-a-m-p-l-e.org", False, "looks like"),
    # read as a browser reads them (WHATWG URL), not as urllib does
    ("https://evil.test\\.example.org/login", False, "backslash"),
    ("evil.test\\.example.org", False, "backslash"),
    ("https://evil.test\\@example.org", False, "backslash"),
    ("https:/\\evil.test", False, "not one of our"),
    ("https://example.org" + "\n" * 50 + ".evil.test/", False, "line breaks"),
    ("https://exa\tmple.org.evil.test", False, "decoration"),
    ("https://example.org\\login", False, "does open example.org"),
    ("http://2130706433/", False, "in disguise"),
    ("http://0x7f.1/", False, "in disguise"),
    ("http://127.1/", False, "in disguise"),
    ("http://0177.0.0.1/", False, "in disguise"),
    ("https://%65xample.org", False, "code (%"),
    ("https://example\u3002org", False, "unusual characters"),
    ("https://\uff45xample.org", False, "unusual characters"),
    ("https://exa\u200bmple.org", False, "unusual characters"),
    ("https://exam\u00adple.org", False, "unusual characters"),
    ("https://xn--xample-2of.org", False, "stands for"),
    ("https://xn--xample-2of.org", False, "looks like"),
    ("https:example.org", False, "no '//'"),
    ("https:/example.org", False, "no '//'"),
    ("https:\\\\example.org", False, "backslash"),
    ("example.org/login?next=https://evil.test/x", True, "official"),
    ("https://example.org/login?next=https://evil.test/x", True, "official"),
    ("//evil.test", False, "not one of our"),
    ("example.org/login?next=https://example.org/account", True, "official"),
    ("https://example.org:8443/", False, "port number"),
    ("https://example.org:0/", False, "port number"),
    ("example.org:8443", False, "port number"),
    ("mailto:help@example.org", False, "email address"),
    ("blob:https://evil.test/0b9f", False, "blob:"),
    ("java\nscript:alert(1)", False, "javascript:"),
    ("tel:+15550100", False, "tel:"),
    ("https://evil.test/example.org", False, "appears in the link, but not as its address"),
    ("https://ab.test/x7Kp2Qz", False, "short link"),
    ("https://short.test/q", False, "not one of our"),
    ("https://EXAMPLE.ORG/", True, "official"),
    # found by the property tests: an '@' with nothing before it is decoration too
    ("https://@example.org", False, "before the '@'"),
    ("https://:@login.example.org/", False, "before the '@'"),
]


@pytest.mark.parametrize(("link", "official", "word"), CASES, ids=[c[0][:40] for c in CASES])
def test_the_verdict_and_its_reason(link, official, word):
    verdict = check_link(link, OFFICIAL)
    assert verdict.official is official, verdict.reasons
    assert any(word.lower() in reason.lower() for reason in verdict.reasons), verdict.reasons


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    "text", ["", "   ", "https://", "http://exa mple.org", "https://example.org:99999", "x" * 5000]
)
def test_unreadable_input_gets_a_clear_message(text):
    with pytest.raises(NotALink):
        check_link(text, OFFICIAL)


def test_a_long_link_is_refused_whole_never_cut_to_a_shorter_one():
    padded = "https://example.org" + "\n" * 3990 + ".evil.test/"
    with pytest.raises(NotALink, match="too long"):
        check_link(padded, OFFICIAL)


def test_hidden_control_characters_are_named():
    with pytest.raises(NotALink, match="control characters"):
        check_link("https://exa\x00mple.org", OFFICIAL)


def test_a_configured_official_subdomain_and_a_non_latin_official_domain():
    assert check_link("https://help.example.test/x", ("help.example.test",)).official
    assert not check_link("https://www.example.test/x", ("help.example.test",)).official
    assert check_link("https://b\u00fccher.example/", ("xn--bcher-kva.example",)).official
    assert check_link("https://xn--bcher-kva.example/", ("b\u00fccher.example",)).official


def test_a_short_link_service_the_operator_names():
    verdict = check_link("https://go.links.test/about", OFFICIAL, shorteners=("links.test",))
    assert not verdict.official and any("short link" in r for r in verdict.reasons)
    plain = check_link("https://go.links.test/about", OFFICIAL)
    assert not any("short link" in r for r in plain.reasons)


def test_the_reasons_never_say_a_hostile_link_goes_to_us():
    verdict = check_link("https://evil.test\\@example.org", OFFICIAL)
    assert verdict.host == "evil.test"
    assert not any("goes to example.org" in r or "opens example.org" in r for r in verdict.reasons)


def test_the_letters_from_other_alphabets_are_pointed_out():
    verdict = check_link("https://ex\u0430mple.org", OFFICIAL)
    assert any("letter 3 is Cyrillic" in reason for reason in verdict.reasons), verdict.reasons


def test_skeleton_and_distance():
    assert skeleton("exarnple") == skeleton("example")
    assert skeleton("ex\u0430mple") == "example"
    assert distance("exmple", "example") == 1


def test_an_address_with_an_empty_port_is_the_address_itself():
    """'example.org:/' is example.org to an address bar (an empty port is no port), as
    'https://example.org:/' is to every browser."""
    for text in ("example.org:/", "https://example.org:/"):
        assert check_link(text, ("example.org",)).official, text
