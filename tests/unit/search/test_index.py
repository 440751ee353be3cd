"""Words: the matches of several whole-word patterns, as their alternation would find them."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.search.index import MARK_END, MARK_START, Words, excerpt_of

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
