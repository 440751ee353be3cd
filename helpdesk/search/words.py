"""Words of queries and documents: how text is cut into terms, and typo correction from the
index's own vocabulary (the words the help content actually uses)."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_QUERY_CHARS = 200  # longer input is cut here: no help question needs more
MAX_TERMS = 12
MIN_CORRECTED, MAX_CORRECTED = 3, 24  # shorter words are too ambiguous, longer ones are no words
REMEMBERED = 4096  # corrections and completions kept per vocabulary (per content version)
# letters and digits: "_" breaks words, as it does for both indexes (FTS5 unicode61 and to_tsvector)
_WORD = re.compile(r"[^\W_]+")
# dropped from queries: FTS5 has no stop words, and "how do I reset my password" must match
# an article that never says "do"
# fmt: off
STOP_WORDS = frozenset((
    "a", "about", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "for", "from", "had",
    "has", "have", "having", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "myself",
    "no", "nor", "not", "of", "on", "once", "only", "or", "other", "our", "out", "over", "own", "same",
    "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
    "you", "your", "yours"
))
# Spanish and Arabic words of the same kind ("mi", "el", "في"), folded as queries are: a query in
# those languages must not need them either
SPANISH_STOP_WORDS = frozenset((
    "al", "como", "con", "cuando", "de", "del", "donde", "el", "en", "es", "la", "las", "lo", "los",
    "mi", "mis", "para", "pero", "por", "porque", "que", "se", "su", "sus", "tu", "tus", "un", "una",
    "unas", "unos", "y", "ya", "yo"
))
ARABIC_STOP_WORDS = frozenset((
    "في", "من", "على", "عن", "الى", "ان", "لا", "ما", "هل", "كيف", "لم", "مع", "هذا", "هذه", "انا", "او"
))
# fmt: on


OTHER_STOP_WORDS = SPANISH_STOP_WORDS | ARABIC_STOP_WORDS


def fold(text: str) -> str:
    """Lower case without accents: "Réinitialiser" and "reinitialiser" are the same word."""
    if text.isascii():  # nothing to take off (most of an English page): 50x faster
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def clean(text: str, limit: int = MAX_QUERY_CHARS) -> str:
    """What is left of any input: no control characters, at most *limit* characters, one line."""
    text = "".join(
        " " if unicodedata.category(c).startswith("C") else c for c in text[: max(limit, MAX_QUERY_CHARS * 4)]
    )
    return " ".join(text.split())[:limit]


def words(text: str) -> list[str]:
    """Every word of *text*, folded (for vocabularies)."""
    return _WORD.findall(fold(text))


def query_terms(text: str) -> list[str]:
    """The terms a query searches for: folded words without the stop words, and without single
    letters unless nothing else is left. A query of stop words alone has none: every page has
    "the" and "I", so ranking pages by them would be noise."""
    found = [w for w in words(clean(text)) if w not in STOP_WORDS and w not in OTHER_STOP_WORDS]
    kept = [w for w in found if len(w) > 1]
    return (kept or found)[:MAX_TERMS]


@dataclass(frozen=True)
class Vocabulary:
    """The words of the indexed content with how often each occurs."""

    counts: dict[str, int]
    by_length: dict[int, tuple[str, ...]]  # the words long enough to correct towards
    ordered: tuple[str, ...]  # every word, sorted: the words a beginning may become are together
    # answers already worked out for this content: people ask the same few things
    _corrections: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _completions: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)
    _near: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(words(text))
        by_length: dict[int, list[str]] = {}
        for word in counts:
            if len(word) >= MIN_CORRECTED and not word.isdigit():
                by_length.setdefault(len(word), []).append(word)
        return cls(dict(counts), {n: tuple(ws) for n, ws in by_length.items()}, tuple(sorted(counts)))

    def completions(self, beginning: str, limit: int = 12) -> list[str]:
        """The most used words of the content that start with *beginning* (itself included)."""
        found = self._completions.get(beginning)
        if found is None or len(found) < limit:
            start = bisect.bisect_left(self.ordered, beginning)
            end = bisect.bisect_left(self.ordered, beginning + "\U0010ffff")
            found = sorted(self.ordered[start:end], key=lambda w: (w != beginning, -self.counts[w], w))
            found = found[: max(limit, 12)]
            _remember(self._completions, beginning, found)
        return found[:limit]

    def __contains__(self, word: object) -> bool:  # object, as Container[str] asks
        return word in self.counts

    def correct(self, word: str) -> str | None:
        """The content's word closest to a misspelt *word*, or None when it is known or too far.

        One edit (a missing, extra, wrong or swapped letter) for short words, two for long ones;
        among equally close words the most used wins.
        """
        if word in self.counts or not MIN_CORRECTED <= len(word) <= MAX_CORRECTED or word.isdigit():
            return None
        if word in self._corrections:
            return self._corrections[word]
        allowed = 1 if len(word) <= 5 else 2
        found = process.extract(
            word, self._within(len(word), allowed), scorer=OSA.distance, score_cutoff=allowed, limit=20
        )
        best: str | None = None
        if found:
            # closest first; then a longer word (a letter left out is the commonest slip); then the most used
            best = min(
                found, key=lambda hit: (hit[1], len(hit[0]) < len(word), -self.counts[hit[0]], hit[0])
            )[0]
        _remember(self._corrections, word, best)
        return best

    def _within(self, length: int, allowed: int) -> tuple[str, ...]:
        """The words of a length within reach: only they can be that close."""
        near = self._near.get((length, allowed))
        if near is None:
            near = tuple(
                w for n in range(length - allowed, length + allowed + 1) for w in self.by_length.get(n, ())
            )
            self._near[(length, allowed)] = near
        return near

    def corrected(self, terms: list[str], *, keep_last: bool = False) -> list[str]:
        """*terms* with every misspelt one replaced (the last one kept while it is being typed)."""
        fixed = []
        for index, term in enumerate(terms):
            if keep_last and index == len(terms) - 1:
                fixed.append(term)
            else:
                fixed.append(self.correct(term) or term)
        return fixed


def _remember(kept: dict[str, Any], key: str, value: Any) -> None:
    if len(kept) >= REMEMBERED:
        kept.clear()  # a flood of new words: start again rather than grow
    kept[key] = value


def respell(text: str, fixes: dict[str, str]) -> str:
    """*text* with each word found in *fixes* (by its folded form) replaced by the fix."""
    return _WORD.sub(lambda m: fixes.get(fold(m.group()), m.group()), text)
