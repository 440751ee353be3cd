"""The search index on SQLite FTS5: bm25 ranking, each document's words stemmed in its language
(search/stemming.py: Snowball, applied to the documents and the query alike), kept in memory in
each worker and built from the content snapshot it serves, so it cannot drift from the files.

Each language has a table of its own (its words' frequencies rank its pages). The table holds
the stems; what is shown (titles, summaries, the passage around a match) comes from the
documents as they are, the words marked whose stems the query asked for."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache

from .documents import Document
from .index import TIERS, WEIGHTS, Match, WholeWords, Words, excerpt_of
from .stemming import stem_of, stemmer
from .words import fold

COLUMNS = ("title", "summary", "keywords", "headings", "body")
# a word as a reader sees it: letters and digits (as words.words cuts them), not yet folded
_SURFACE = re.compile(r"[^\W_]+")
_PLAIN = re.compile(r"[a-z0-9]+")  # what FTS5's tokenizer keeps as it is

# the stems are folded already: the tokenizer only cuts them apart
_TOKENIZER = "unicode61 remove_diacritics 2"
_RANKED = "SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table}, ?, ?, ?, ?, ?) LIMIT ?"


def _match_expression(groups: list[list[str]], *, any_group: bool) -> str:
    """An FTS5 query from plain words: each one quoted, so nothing a person types is syntax."""
    ors = ["(" + " OR ".join('"' + word.replace('"', '""') + '"' for word in group) + ")" for group in groups]
    return (" OR " if any_group else " AND ").join(ors)


class _Stems(dict[str, str]):
    """Word as written (lower case) -> its stem, worked out the first time a word is seen (a
    document's words are looked up in C: most were seen before)."""

    def __init__(self, stem: Callable[[str], str], surfaces: dict[str, set[str]]) -> None:
        super().__init__()
        self.stem = stem
        self.surfaces = surfaces

    def __missing__(self, word: str) -> str:
        # (an ASCII word, lower case already, is folded: most are, and folding is slow)
        found = self[word] = self.stem(word if word.isascii() else fold(word))
        self.surfaces.setdefault(found, set()).add(word)
        return found


class _Language:
    """One language's table, its documents (by rowid) and the words each stem stands for."""

    def __init__(
        self, connection: sqlite3.Connection, table: str, language: str, found: list[Document]
    ) -> None:
        self.table = table
        self.language = language
        self.documents = found
        self.surfaces: dict[str, set[str]] = {}  # stem -> the words (lower case) that have it
        seen = _Stems(stemmer(language), self.surfaces)
        cut = _SURFACE.findall

        def stemmed(text: str) -> str:
            return " ".join(map(seen.__getitem__, cut(text.casefold())))

        connection.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(COLUMNS)}, tokenize = '{_TOKENIZER}')"
        )
        connection.executemany(
            f"INSERT INTO {table} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608 (our table name)
            ((rowid, *(stemmed(t) for t in d.texts())) for rowid, d in enumerate(found)),
        )
        connection.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")  # noqa: S608
        # the terms of the table as FTS5 holds them (its tokenizer folds "ø" to "o", as Python's
        # folding does not): a stem of plain letters and digits is a term as it is
        connection.execute(f"CREATE VIRTUAL TABLE temp.{table}_terms USING fts5vocab(main, {table}, 'row')")
        self.terms = frozenset(term for (term,) in connection.execute(f"SELECT term FROM temp.{table}_terms"))  # noqa: S608
        connection.execute(f"DROP TABLE temp.{table}_terms")
        self._pattern = lru_cache(maxsize=4096)(self._words_of)

    def may_match(self, groups: list[list[str]], *, any_group: bool) -> bool:
        """False when no document can have a stem of every group (of any group, with any_group):
        a stem of plain letters and digits that is no term of the table is in none. Asking FTS5
        costs more, and a page in another language is asked for the English pages after it."""

        def may_be_found(group: list[str]) -> bool:
            return any(stem in self.terms or not _PLAIN.fullmatch(stem) for stem in group)

        return any(map(may_be_found, groups)) if any_group else all(map(may_be_found, groups))

    def _words_of(self, stem: str) -> WholeWords | None:
        words = self.surfaces.get(stem)
        return WholeWords(words) if words else None

    def marking(self, stems: Iterable[str]) -> Words | None:
        """The words of this language's documents that have one of *stems* (whole words only: a
        pattern kept per stem, so a new query's words are mostly found with patterns made before)."""
        patterns = [p for p in map(self._pattern, dict.fromkeys(stems)) if p is not None]
        return Words(patterns) if patterns else None


class Fts5Index:
    def __init__(self, found: list[Document]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect("", check_same_thread=False)
        by_language: dict[str, list[Document]] = {}
        for document in found:
            by_language.setdefault(document.language, []).append(document)
        self._languages: dict[str, _Language] = {}
        with self._db:
            for number, (language, documents) in enumerate(sorted(by_language.items())):
                self._languages[language] = _Language(self._db, f"docs_{number}", language, documents)
        self._weights = tuple(WEIGHTS[c] for c in COLUMNS)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._languages)

    def find(
        self, groups: list[list[str]], *, any_group: bool, limit: int, language: str = "en"
    ) -> list[Match]:
        held = self._languages.get(language)
        if not groups or held is None:
            return []
        stemmed = [list(dict.fromkeys(stem_of(word, language) for word in group)) for group in groups]
        if not held.may_match(stemmed, any_group=any_group):
            return []
        expression = _match_expression(stemmed, any_group=any_group)
        ranked = _RANKED.format(table=held.table)
        with self._lock:
            best: list[int] = []
            for tier in TIERS:  # the cheap tiers first: a common word is in few titles
                filtered = expression if tier is None else "{" + " ".join(tier) + "} : (" + expression + ")"
                for (rowid,) in self._db.execute(ranked, (filtered, *self._weights, limit)):
                    if rowid not in best:
                        best.append(rowid)
                if len(best) >= limit:
                    break
        shown = [held.documents[rowid] for rowid in best[:limit]]
        if not shown:
            return []
        marking = held.marking(s for group in stemmed for s in group)
        return [
            Match(
                d.kind,
                d.slug,
                d.title,
                d.summary,
                excerpt_of(d.body, d.summary, marking) if marking else d.summary,
                language,
            )
            for d in shown
        ]
