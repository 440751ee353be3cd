"""What every search index answers, whichever database holds it."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from .words import fold

MARK_START = "\ue000"  # private-use characters: queries cannot contain them (words.clean drops them)
MARK_END = "\ue001"
# how much a match counts in each part of a document: the title above all
WEIGHTS = {"title": 10.0, "keywords": 6.0, "summary": 4.0, "headings": 3.0, "body": 1.0}
# Pages whose title or tags have every word come first, then those with them in the summary or
# headings, then the rest; ranked within each tier. Besides being what people expect, it keeps a
# common word fast: it is in few titles, so the thousands of pages that merely mention it are
# only ranked when the titles do not give enough results. None is the whole page.
TIERS: tuple[tuple[str, ...] | None, ...] = (
    ("title", "keywords"),
    ("title", "keywords", "summary", "headings"),
    None,
)


@dataclass(frozen=True)
class Match:
    kind: str
    slug: str
    title: str
    summary: str
    snippet: str  # plain text with MARK_START/MARK_END around the matched words
    language: str = "en"  # the language the document is in


class Index(Protocol):
    def find(
        self, groups: list[list[str]], *, any_group: bool, limit: int, language: str = "en"
    ) -> list[Match]:
        """The best documents in *language*, ranked, that have a word of every group (of any
        group, with any_group), the words stemmed as that language stems them.

        A group is one word of the query, or the words a half-typed word may become.
        """
        ...


def pick_snippet(body: str, summary: str) -> str:
    """The body's passage when the query matched there, else the summary (highlighted if it matched)."""
    return body if MARK_START in body else summary


EXCERPT_BEFORE, EXCERPT_AFTER = 80, 160  # characters around the first match


class Words:
    """Where the words of several patterns are in a text, found as one pattern of them all (their
    alternation) would find them, when each pattern matches whole words only: two patterns' matches
    are then either the same word or apart. Patterns kept per stem serve every query with that
    stem; compiling one pattern of a new query's words cost more than the rest of its search."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.patterns = patterns

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        first: re.Match[str] | None = None
        for pattern in self.patterns:
            found = pattern.search(text, pos, endpos)
            if found is not None and (first is None or found.start() < first.start()):
                first = found
        return first

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        if len(self.patterns) == 1:
            yield from self.patterns[0].finditer(text, pos, endpos)
            return
        found = sorted(
            (m for pattern in self.patterns for m in pattern.finditer(text, pos, endpos)),
            key=lambda m: (m.start(), -m.end()),
        )
        end = -1
        for match in found:
            if match.start() >= end:  # the same word found twice is marked once
                yield match
                end = match.end()


@lru_cache(maxsize=4096)
def _beginning(stem: str) -> re.Pattern[str]:
    """The words that begin with *stem*; one ending in "i" also begins the word ending in "y"."""
    begins = re.escape(stem[:-1]) + "[iy]" if stem.endswith("i") else re.escape(stem)
    return re.compile(rf"\b(?:{begins})\w*", re.IGNORECASE)


def excerpt(body: str, summary: str, stems: list[str]) -> str:
    """A passage of *body* around its first word that begins with one of *stems* (folded: lower
    case, no accents), those words marked; the summary (marked) when the body has none. A stem
    ending in "i" also matches the word ending in "y" it came from ("recoveri" for "recovery")."""
    if not stems:
        return summary
    return excerpt_of(body, summary, Words([_beginning(s) for s in dict.fromkeys(stems)]), folded=True)


def _searched(text: str, folded: bool) -> str:
    """*text* as *word* patterns search it: folded, with *folded*, when folding keeps every
    character in its place (as it does for accented letters), so the marks fall on the text."""
    if folded:
        plain = fold(text)
        if len(plain) == len(text):
            return plain
    return text


def excerpt_of(body: str, summary: str, word: re.Pattern[str] | Words, *, folded: bool = False) -> str:
    """A passage of *body* around its first match of *word*, every match marked; the summary
    (marked) when the body has none."""

    def mark(text: str, searched: str, start: int, end: int) -> str:
        pieces, at = [], start
        for found in word.finditer(searched, start, end):
            left, right = found.span()
            pieces += [text[at:left], MARK_START, text[left:right], MARK_END]
            at = right
        return "".join(pieces) + text[at:end]

    searched = _searched(body, folded)
    first = word.search(searched)  # the rest of the body is only searched around it
    if first is None:
        return mark(summary, _searched(summary, folded), 0, len(summary))
    start = max(0, first.start() - EXCERPT_BEFORE)
    end = min(len(body), first.end() + EXCERPT_AFTER)
    if start:  # begin and end on whole words
        start = body.find(" ", start, first.start()) + 1 or start
    if end < len(body):
        end = max(body.rfind(" ", first.end(), end), first.end())
    return ("…" if start else "") + mark(body, searched, start, end) + ("…" if end < len(body) else "")
