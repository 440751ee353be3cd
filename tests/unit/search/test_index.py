"""Words: the matches of several whole-word patterns, as their alternation would find them."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.search.index import (
    _UNUSUAL_CASE,
    MARK_END,
    MARK_START,
    Beginning,
    WholeWords,
    Words,
    excerpt_of,
)

SURFACES = ["code", "codes", "coding", "reset", "resets", "Ünïcode", "2fa", "a"]


def _whole_words(words: list[str]) -> re.Pattern[str]:
    """As search/fts5.py makes them: the words, longest first, whole words only."""
    ordered = sorted(words, key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, ordered)) + r")(?![^\W_])", re.IGNORECASE)


def _beginning(stem: str) -> re.Pattern[str]:
    """As search/index.py makes them for PostgreSQL's stems: words beginning so."""
    return re.compile(rf"\b(?:{re.escape(stem)})\w*", re.IGNORECASE)


PIECES = [*SURFACES, "CODES", "Reset", "codec", "x", " ", ", ", "-", "_", "é", "1", "\n"]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
GROUPS = st.lists(st.lists(st.sampled_from(SURFACES), min_size=1, max_size=3), min_size=1, max_size=3)


def _spans(found: object) -> list[tuple[int, int]]:
    return [m.span() for m in found]  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, groups=GROUPS, cut=st.integers(0, 60))
def test_several_whole_word_patterns_find_what_their_alternation_finds(text, groups, cut):
    together = _whole_words([w for group in groups for w in group])
    apart = Words([_whole_words(group) for group in groups])
    assert _spans(apart.finditer(text)) == _spans(together.finditer(text))
    assert _spans(apart.finditer(text, cut, cut + 25)) == _spans(together.finditer(text, cut, cut + 25))
    first, alone = apart.search(text), together.search(text)
    assert (first.span() if first else None) == (alone.span() if alone else None)


STEMS = st.lists(st.sampled_from(["cod", "code", "res", "2f", "ünï"]), min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, stems=STEMS)
def test_several_word_beginnings_find_what_their_alternation_finds(text, stems):
    together = re.compile(rf"\b(?:{'|'.join(map(re.escape, stems))})\w*", re.IGNORECASE)
    apart = Words([_beginning(s) for s in stems])
    assert _spans(apart.finditer(text)) == _spans(together.finditer(text))


def test_an_excerpt_marks_the_words_of_every_pattern_once():
    words = Words([_whole_words(["codes"]), _whole_words(["reset"]), _whole_words(["codes"])])
    found = excerpt_of("Reset the codes, then reset again.", "Summary.", words)
    marked = [f"{MARK_START}{word}{MARK_END}" for word in ("Reset", "codes", "reset")]
    assert found == f"{marked[0]} the {marked[1]}, then {marked[2]} again."


def test_the_unusual_cases_are_those_pythons_re_matches_otherwise_than_by_lower_case():
    from re._casefix import _EXTRA_CASES  # the table re compiles case-insensitive patterns with

    extra = {chr(k) for k in _EXTRA_CASES} | {chr(c) for cases in _EXTRA_CASES.values() for c in cases}
    unusual = {
        c
        for code in range(sys.maxunicode + 1)
        if not (c := chr(code)).isascii() and (c in extra or len(c.lower()) != 1 or c.lower() in extra)
    }
    assert unusual == set(_UNUSUAL_CASE.pattern.strip("[]"))


WORDS_IN_ANY_CASE = ["password", "Contraseña", "كلمة", "straße", "ǅemal", "σῶμα", "\u017ftop", "İstanbul"]
WORDS_IN_ANY_CASE.append("ꮊa")  # a Cherokee small letter: its case folds to the capital
TEXTS_IN_ANY_CASE = st.lists(
    st.sampled_from(
        [
            *WORDS_IN_ANY_CASE,
            *("PASSWORD", "contraseÑa", "STRASSE", "ǆemal", "ΣΏΜΑ", "stop", "istanbul", "ᏺA", "Ꮊa"),
            *("i̇stanbul", " ", "_", "-", "x", "é", "1", ", "),
        ]
    ),
    max_size=30,
).map("".join)


GROUPS_IN_ANY_CASE = st.lists(
    st.lists(st.sampled_from(WORDS_IN_ANY_CASE), min_size=1, max_size=3), min_size=1, max_size=3
)


@settings(max_examples=150, deadline=None)
@given(text=TEXTS_IN_ANY_CASE, groups=GROUPS_IN_ANY_CASE)
def test_whole_words_in_any_case_are_found_where_their_pattern_finds_them(text, groups):
    words = [w.casefold() for group in groups for w in group]  # as the index keeps them
    together = _whole_words(words)
    apart = Words([WholeWords(w.casefold() for w in group) for group in groups])
    assert _spans(apart.finditer(text)) == _spans(together.finditer(text))
    first, alone = apart.search(text), together.search(text)
    assert (first.span() if first else None) == (alone.span() if alone else None)


# The words of one stem mostly begin alike: they are searched for by their common beginning
WORDS_ALIKE = [
    ["contraseña", "contraseñas", "contraseÑa"],
    ["recover", "recovery", "recovered", "recovering"],
    ["código", "códigos", "códi"],
    ["pass", "passwords", "password", "passé"],
]
TEXTS_ALIKE = st.lists(
    st.sampled_from(
        [
            *(w for family in WORDS_ALIKE for w in family),
            *("CONTRASEÑAS", "contraseñax", "xcontraseña", "Recovery", "recoveryx", "códigos_", "pas"),
            *("PASSWORD1", "passé-", " ", "_", "-", "x", "é", "1", ", "),
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    text=TEXTS_ALIKE,
    families=st.lists(st.sampled_from(WORDS_ALIKE), min_size=1, max_size=3),
    cut=st.integers(0, 40),
)
def test_words_that_begin_alike_are_found_where_their_pattern_finds_them(text, families, cut):
    groups = [[w.casefold() for w in family] for family in families]
    alike = [WholeWords(group) for group in groups]
    assert all(words.common for words in alike)  # (the way searched here)
    together = _whole_words([w for group in groups for w in group])
    apart = Words(alike)
    assert _spans(apart.finditer(text)) == _spans(together.finditer(text))
    assert _spans(apart.finditer(text, cut, cut + 25)) == _spans(together.finditer(text, cut, cut + 25))
    first, alone = apart.search(text, cut), together.search(text, cut)
    assert (first.span() if first else None) == (alone.span() if alone else None)


def test_a_word_is_found_in_the_lower_case_only_at_a_words_start():
    words = WholeWords(["code"])
    assert words.lowered == ("code",)
    assert Words([words]).search("xcode, 2code; Code") is not None
    assert Words([words]).search("xcode, 2code; Code").span() == (14, 18)  # type: ignore[union-attr]
    assert Words([words]).search("_code").span() == (1, 5)  # type: ignore[union-attr]


STEMS_IN_ANY_CASE = st.lists(
    st.sampled_from(["pass", "contrase", "recoveri", "stra", "ǆem", "σῶ", "i", "كلم", "_x", "ꮊ"]),
    min_size=1,
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(text=TEXTS_IN_ANY_CASE.map(lambda t: t + " recovery Recovering _pass"), stems=STEMS_IN_ANY_CASE)
def test_word_beginnings_in_any_case_are_found_where_their_pattern_finds_them(text, stems):
    alternatives = "|".join(re.escape(s[:-1]) + "[iy]" if s.endswith("i") else re.escape(s) for s in stems)
    together = re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)
    apart = Words([Beginning(s) for s in stems])
    assert _spans(apart.finditer(text)) == _spans(together.finditer(text))
    first, alone = apart.search(text), together.search(text)
    assert (first.span() if first else None) == (alone.span() if alone else None)
