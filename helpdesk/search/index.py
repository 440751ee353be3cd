"""What every search index answers, whichever database holds it."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
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
COMMON_LENGTH = 3  # words that begin alike, by so many characters, are searched for together


# The characters whose case Python's re matches otherwise than by their lower case (the extra
# cases of re/_casefix.py: the long s is an "s", the final sigma a sigma), those whose lower case
# is one of them, and "İ", whose lower case is two characters. A text or a word without any is
# matched in any case just as well by comparing lower cases (tests/unit/search/test_index.py works
# the list out again).
_UNUSUAL_CASE = re.compile(
    "["
    "\u00b5\u0130\u0131\u017f\u0345\u0390\u0392\u0395\u0398\u0399\u039a\u039c\u03a0\u03a1"
    "\u03a3\u03a6\u03b0\u03b2\u03b5\u03b8\u03b9\u03ba\u03bc\u03c0\u03c1\u03c2\u03c3\u03c6"
    "\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f4\u03f5\u0412\u0414\u041e\u0421\u0422\u042a"
    "\u0432\u0434\u043e\u0441\u0442\u044a\u0462\u0463\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85"
    "\u1c86\u1c87\u1c88\u1e60\u1e61\u1e9b\u1fbe\u1fd3\u1fe3\ua64a\ua64b\ufb05\ufb06"
    "]"
)


@lru_cache(maxsize=256)  # the pages found most (a string keeps its hash: a look-up is cheap)
def _lowered(text: str) -> str | None:
    """*text* in lower case, each character where it was; None when it has an unusual case."""
    lowered = text.lower()
    if len(lowered) != len(text) or _UNUSUAL_CASE.search(text):
        return None
    return lowered


@dataclass(frozen=True, slots=True)
class Found:
    """Where a word was found, as a match says it (start, end, span)."""

    at: int
    to: int

    def start(self) -> int:
        return self.at

    def end(self) -> int:
        return self.to

    def span(self) -> tuple[int, int]:
        return self.at, self.to


Span = re.Match[str] | Found  # where a word was found


class WholeWords:
    """Some words, found whole (letters and digits, as search cuts words) in any case.

    `pattern` is the one regular expression of them (a look behind, the words, a look ahead, in any
    case); but such a search is slow (it tries every place of the text: some 50 times slower than
    finding a word in the lower case), and compiling it costs more than a search. So where the
    words and the text have no unusual case (see _lowered), the text's lower case is searched for
    each word's lower case, and the word's edges are checked by hand: the same matches, at the
    same places, and nothing to compile."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted(set(words), key=len, reverse=True)
        lowered = [_lowered(word) for word in self.words]
        self.lowered: tuple[str, ...] | None = None
        self.common = ""  # the lower cases' common beginning, when they have a long enough one
        if all(word for word in lowered):
            self.lowered = tuple(word for word in lowered if word)
            common = os.path.commonprefix(self.lowered)  # noqa: RUF071 (strings, by character)
            if len(self.lowered) > 1 and len(common) >= COMMON_LENGTH:
                self.common = common

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(
            r"(?<![^\W_])(?:" + "|".join(map(re.escape, self.words)) + r")(?![^\W_])", re.IGNORECASE
        )

    def search_lowered(self, text: str, lowered: str, pos: int, endpos: int) -> Found | None:
        """`pattern.search(text, pos, endpos)`, in *lowered* (*text*'s lower case, see _lowered)."""
        assert self.lowered is not None
        endpos = min(endpos, len(text))
        if self.common:
            return self._search_common(text, lowered, pos, endpos)
        first: Found | None = None
        for word in self.lowered:
            at = pos
            while (start := lowered.find(word, at, endpos)) != -1:
                end = start + len(word)
                # a look behind sees the text before pos; a look ahead nothing after endpos
                whole = (not start or not text[start - 1].isalnum()) and (
                    end == endpos or not text[end].isalnum()
                )
                if whole:
                    if first is None or start < first.at:
                        first = Found(start, end)
                    break
                at = start + 1
        return first

    def _search_common(self, text: str, lowered: str, pos: int, endpos: int) -> Found | None:
        """`search_lowered` for words with a common beginning (the words of a stem mostly have
        one: "contraseña", "contraseñas"): the text is gone through once, for the beginning, and
        at each word's start the words are tried (the longest first, as the pattern does)."""
        common = self.common
        assert self.lowered is not None
        at = pos
        while (start := lowered.find(common, at, endpos)) != -1:
            if not start or not text[start - 1].isalnum():
                for word in self.lowered:
                    end = start + len(word)
                    if lowered.startswith(word, start, endpos) and (end == endpos or not text[end].isalnum()):
                        return Found(start, end)
            at = start + 1
        return None


class Beginning:
    """The words that begin with a stem (`\\b` stem `\\w*`), in any case; a stem ending in "i" also
    begins the word ending in "y" it came from ("recoveri" for "recovery"). Searched in the lower
    case where it can be, as WholeWords are (a case-sensitive pattern beginning with the stem is
    as fast as a word found)."""

    def __init__(self, stem: str) -> None:
        begins = re.escape(stem[:-1]) + "[iy]" if stem.endswith("i") else re.escape(stem)
        self.pattern = re.compile(rf"\b(?:{begins})\w*", re.IGNORECASE)
        lowered = _lowered(stem)
        self.lowered: re.Pattern[str] | None = None
        if lowered and stem[:1].isalnum():  # (a `\\b` before anything else is another)
            begins = re.escape(lowered[:-1]) + "[iy]" if stem.endswith("i") else re.escape(lowered)
            self.lowered = re.compile(rf"(?:{begins})\w*")

    def search_lowered(self, text: str, lowered: str, pos: int, endpos: int) -> re.Match[str] | None:
        """`pattern.search(text, pos, endpos)`, in *lowered* (*text*'s lower case, see _lowered)."""
        assert self.lowered is not None
        while True:
            found = self.lowered.search(lowered, pos, endpos)
            # (a `\\b` sees the text before pos, so this does too)
            if found is None or not found.start() or not _in_word(text[found.start() - 1]):
                return found
            pos = found.start() + 1


def _in_word(character: str) -> bool:
    return character.isalnum() or character == "_"  # what `\\w` is


class Words:
    """Where the words of several patterns are in a text, found as one pattern of them all (their
    alternation) would find them, when each pattern matches whole words only: two patterns' matches
    are then either the same word or apart. Patterns kept per stem serve every query with that
    stem; compiling one pattern of a new query's words cost more than the rest of its search."""

    def __init__(self, patterns: Sequence[re.Pattern[str] | WholeWords | Beginning]) -> None:
        self.patterns = patterns
        self._text: str | None = None
        self._lowered: str | None = None

    def _lower_case_of(self, text: str) -> str | None:
        """*text*'s lower case if it can be searched in (an excerpt searches one text twice)."""
        if text is not self._text:
            self._text, self._lowered = text, _lowered(text)
        return self._lowered

    def _search(
        self, pattern: re.Pattern[str] | WholeWords | Beginning, text: str, pos: int, endpos: int
    ) -> Span | None:
        if isinstance(pattern, re.Pattern):
            return pattern.search(text, pos, endpos)
        if pattern.lowered is not None:
            lowered = self._lower_case_of(text)
            if lowered is not None:
                return pattern.search_lowered(text, lowered, pos, endpos)
        return pattern.pattern.search(text, pos, endpos)

    def _finditer(
        self, pattern: re.Pattern[str] | WholeWords | Beginning, text: str, pos: int, endpos: int
    ) -> Iterator[Span]:
        while (found := self._search(pattern, text, pos, endpos)) is not None:
            yield found
            pos = found.end()  # (the words matched are never empty)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Span | None:
        first: Span | None = None
        for pattern in self.patterns:
            found = self._search(pattern, text, pos, endpos)
            if found is not None and (first is None or found.start() < first.start()):
                first = found
        return first

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[Span]:
        if len(self.patterns) == 1:
            yield from self._finditer(self.patterns[0], text, pos, endpos)
            return
        found = sorted(
            (m for pattern in self.patterns for m in self._finditer(pattern, text, pos, endpos)),
            key=lambda m: (m.start(), -m.end()),
        )
        end = -1
        for match in found:
            if match.start() >= end:  # the same word found twice is marked once
                yield match
                end = match.end()


_beginning = lru_cache(maxsize=4096)(Beginning)


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
        plain = _folded(text)
        if len(plain) == len(text):
            return plain
    return text


@lru_cache(maxsize=256)  # the pages found most: folding a page not in ASCII takes ~0.1 ms a KB
def _folded(text: str) -> str:
    return fold(text)


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
