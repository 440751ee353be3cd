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
    ("https://3232235777/", False, "not one of our"),
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


def test_skeleton_and_distance():
    assert skeleton("exarnple") == skeleton("example")
    assert skeleton("ex\u0430mple") == "example"
    assert distance("exmple", "example") == 1
