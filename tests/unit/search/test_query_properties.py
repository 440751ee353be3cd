"""Properties of the search query parser, for any text a person (or a script) can type: it
never raises, and every term it searches for is a word of the query itself."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk.search.words import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    STOP_WORDS,
    Vocabulary,
    clean,
    fold,
    query_terms,
    respell,
    words,
)

# queries as they come: any Unicode, plus the pieces of FTS5 and tsquery syntax and of markup
QUERIES = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            [
                '"',
                "*",
                "^",
                "NEAR(",
                ")",
                "OR",
                "AND",
                "NOT",
                "-",
                ":",
                "'",
                "&",
                "|",
                "!",
                "<->",
                "<mark>",
                "</script>",
                "\x00",
                "\u0130",
                "\u00df",
                "\ufb03",
                "\u0301",
                "e\u0301",
                "\u216b",
                "\uff11\uff12\uff13",
                "\u01c5",
                "password",
                "reset",
                "the",
                "i",
                "two-factor",
                "_",
                "\u200b",
                "\U0001f600",
            ]
        )
        | st.text(max_size=8),
        max_size=60,
    ).map(" ".join),
)

VOCABULARY = Vocabulary.of(["Reset your password", "Two-step sign-in codes", "Unlock a locked account"])


@settings(max_examples=300)
@given(QUERIES)
@example("\u0130stanbul")  # İ folds to i + a combining dot
@example("\ufb03x")  # the ligature ﬃ folds to three letters
@example("a" * 1000 + " b")
def test_every_term_is_a_word_of_the_query(query: str) -> None:
    terms = query_terms(query)
    assert len(terms) <= MAX_TERMS
    said = fold(clean(query))
    for term in terms:
        assert term, "an empty term"
        assert term in said, f"{term!r} is not in {said!r}"
        assert term in words(query[: MAX_QUERY_CHARS * 4]) or term in words(clean(query))
        assert term not in STOP_WORDS


@settings(max_examples=200)
@given(QUERIES)
def test_a_cleaned_query_is_one_short_line_of_visible_text(query: str) -> None:
    cleaned = clean(query)
    assert len(cleaned) <= MAX_QUERY_CHARS
    assert cleaned == cleaned.strip()
    assert not any(unicodedata.category(c).startswith("C") for c in cleaned)
    assert "  " not in cleaned and "\n" not in cleaned
    assert clean(cleaned) == cleaned


@settings(max_examples=200)
@given(QUERIES, st.booleans())
def test_correcting_and_respelling_any_query_never_raises(query: str, typing: bool) -> None:
    terms = query_terms(query)
    fixed = VOCABULARY.corrected(terms, keep_last=typing)
    assert len(fixed) == len(terms)
    fixes = {t: f for t, f in zip(terms, fixed, strict=True) if t != f}
    assert all(f in VOCABULARY for f in fixes.values())
    respell(clean(query), fixes)
    if terms:
        VOCABULARY.completions(terms[-1])
