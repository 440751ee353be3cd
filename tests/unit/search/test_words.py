"""The words of search: cleaning any input, query terms, typo correction, scrubbing, highlighting."""

from __future__ import annotations

import pytest

from helpdesk.search import marked_html
from helpdesk.search.index import MARK_END, MARK_START, excerpt
from helpdesk.search.misses import scrub
from helpdesk.search.words import MAX_QUERY_CHARS, MAX_TERMS, Vocabulary, clean, query_terms, respell

VOCABULARY = Vocabulary.of(
    [
        "Your password is refused. Reset your password with the link we email.",
        "Your account is locked after too many tries; locked accounts unlock by email.",
        "The authenticator app on your phone shows a code. Codes expire.",
        "Check the clock of your phone. A lock icon in the address bar.",
    ]
)


def test_control_characters_become_spaces_and_long_input_is_cut():
    assert clean("reset\x00my\tpassword\r\n") == "reset my password"
    assert len(clean("word " * 5000)) <= MAX_QUERY_CHARS
    assert clean(MARK_START + "code" + MARK_END) == "code"  # the highlight markers cannot be typed


def test_query_terms_are_folded_and_stop_words_dropped():
    assert query_terms("How do I RESET my Password?") == ["reset", "password"]
    assert query_terms("Réinitialiser") == ["reinitialiser"]
    assert query_terms("can't sign in") == ["sign"]


def test_a_query_of_only_stop_words_searches_for_nothing():
    # every page has "the" and "I": ranking pages by them is noise, not an answer
    assert query_terms("how do I") == []
    assert query_terms("the") == [] and query_terms("a I") == []
    assert query_terms("x") == ["x"]  # a lone short word that is no stop word is still searched


def test_an_underscore_breaks_words_in_queries_as_it_does_in_the_index():
    assert query_terms("reset_password") == ["reset", "password"]
    assert query_terms("MY_ACCOUNT__locked") == ["account", "locked"]
    assert "reset" in Vocabulary.of(["Use reset_password."])


def test_syntax_of_the_search_engines_is_just_text():
    assert query_terms('"password" AND NOT (lock*) OR NEAR(a b) -x ^y') == ["password", "lock", "near"]
    assert all(term.isalnum() for term in query_terms("pass'word\"; DROP TABLE docs; --"))


def test_at_most_a_dozen_terms():
    assert len(query_terms(" ".join(f"word{i}" for i in range(100)))) == MAX_TERMS


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("pasword", "password"),  # a letter left out
        ("passwrod", "password"),  # two letters swapped
        ("authentcator", "authenticator"),
        ("autenticater", "authenticator"),  # two slips in a long word
        ("lockd", "locked"),
        ("unlok", "unlock"),
        ("emial", "email"),
    ],
)
def test_misspellings_are_corrected_towards_the_contents_own_words(typed, meant):
    assert VOCABULARY.correct(typed) == meant


@pytest.mark.parametrize("word", ["password", "xyzzy", "qq", "1234", "zzzzzzzzzzzz"])
def test_known_words_and_words_too_far_from_any_are_left_alone(word):
    assert VOCABULARY.correct(word) is None


def test_short_words_allow_one_slip_only():
    assert VOCABULARY.correct("lcck") == "lock"
    assert VOCABULARY.correct("lxcx") is None


def test_the_word_being_typed_is_not_corrected():
    assert VOCABULARY.corrected(["pasword", "authent"], keep_last=True) == ["password", "authent"]


def test_respelling_keeps_the_rest_of_the_query_as_typed():
    assert respell("I'm Lockd out!", {"lockd": "locked"}) == "I'm locked out!"


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("reset password for pat@example.org", "reset password for [email]"),
        ("call me on +44 20 7946 0958", "call me on [number]"),
        ("code 123456 refused", "code [number] refused"),
        ("token a1b2c3d4e5f6g7h8i9 expired", "token [code] expired"),
        ("is https://login.example.evil.test/x?y=1 real", "is [link] real"),
        ("Two Step", "two step"),
        ("2fa", "2fa"),
        ("2-factor", "2-factor"),
        # this site's own recovery codes (two_factor.py), however they are typed
        ("code 7KQ4M-XW2PB refused", "code [code] refused"),
        ("7kq4m-xw2pb", "[code]"),
        ("7KQ4MXW2PB", "[code]"),
        ("KQMXW-PBRTZ", "[code]"),  # no digit in it: still the shape of a code
        ("kqmxwpbrtz no good", "[code] no good"),
        ("ABCDE - FGHJK", "[code]"),
        ("ABCDE/FGHJK", "[code]"),
        ("7KQ4M\u2013XW2PB", "[code]"),  # an en dash, as some keyboards and apps put it
        # diagnosis reference codes (cases/reference.py)
        ("case 7KQ4-XW2P", "case [code]"),
        ("case kqmx-pbrt", "case [code]"),
        ("case KQMXPBRT", "case [code]"),
        ("case 7KQM\u2013X3PA", "case [code]"),
        ("case 7KQM / X3PA", "case [code]"),
        # reset and unlock link tokens (accounts/tokens.py), keys
        ("link Zq-8vK_3mW9xTnB2pLr7sYc4dHf6gJk1aE0uQiOoXyV dead", "link [code] dead"),
        ("token a1b2c3d4e5f6g7h8i9 expired", "token [code] expired"),
        ("Zq-8vK_3mW9xTnB2", "[code]"),
        # any word of letters and digits of eight characters or more
        ("user4821x", "[code]"),
        ("model15x app", "[code] app"),
        # what NFKC turns into the characters the patterns know
        ("pat\uff20example.org", "[email]"),
        ("\uff17\uff2b\uff31\uff14\uff2d-XW2PB", "[code]"),
    ],
)
def test_personal_details_are_scrubbed_from_searches_that_found_nothing(query, kept):
    assert scrub(query) == kept


def test_a_word_of_the_content_shaped_like_a_code_is_kept():
    assert scrub("change username", known={"username", "change"}) == "change username"
    assert scrub("change usernmae", known={"username", "change"}) == "change [code]"
    assert scrub("what went wrong", known={"what", "went", "wrong"}) == "what went wrong"


def test_a_code_typed_with_a_space_is_scrubbed_whole():
    assert scrub("7KQ4M XW2PB please") == "[code] please"
    assert scrub("case 7kq4 xw2p", known={"case"}) == "case [code]"
    assert scrub("case 7kq4 xw2p") == "[code]"  # "case 7kq4" is a code too: nothing of either is kept


def test_an_email_address_at_the_length_limit_is_scrubbed_whole():
    padding = "word " * 39  # 195 characters: the cut at 200 falls inside the address
    kept = scrub(padding + "patsmith@example.org")
    assert "pat" not in kept and len(kept) <= MAX_QUERY_CHARS
    assert kept.endswith("word")  # the cut does not leave half of the placeholder either
    assert scrub(padding + "x" * 20) == padding.strip()  # nor half a word


def test_highlights_are_escaped_and_balanced():
    snippet = f"a <b> {MARK_START}password{MARK_END} & {MARK_START}reset{MARK_END}"
    assert marked_html(snippet) == "a &lt;b&gt; <mark>password</mark> &amp; <mark>reset</mark>"
    assert marked_html(f"<script>{MARK_START}x") == "&lt;script&gt;<mark>x</mark>"


def test_completions_are_the_contents_words_most_used_first():
    assert VOCABULARY.completions("pass") == ["password"]
    assert VOCABULARY.completions("lock") == ["lock", "locked"]  # the word itself, then longer ones
    assert VOCABULARY.completions("zz") == []


def test_an_excerpt_is_cut_around_the_first_match_on_whole_words():
    body = ("filler " * 40) + "then Recovery codes help you recover more " + ("more " * 60)
    found = excerpt(body, "The summary.", ["recoveri", "code"])
    assert found.startswith("…filler ") and found.endswith(" more…")
    assert f"{MARK_START}Recovery{MARK_END} {MARK_START}codes{MARK_END}" in found
    assert "help you recover more" in found  # "recoveri" is "recovery", not any "recover…"


def test_without_a_match_in_the_body_the_summary_is_the_excerpt():
    assert excerpt("Nothing here.", "Reset your password.", ["password"]) == (
        f"Reset your {MARK_START}password{MARK_END}."
    )
    assert excerpt("Nothing here.", "A summary.", []) == "A summary."


def test_spanish_and_arabic_function_words_are_not_searched_for():
    assert query_terms("olvidé mi contraseña") == ["olvide", "contrasena"]
    assert query_terms("لا أستطيع الدخول إلى حسابي") == ["استطيع", "الدخول", "حسابي"]
