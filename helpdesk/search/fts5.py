"""The search index on SQLite FTS5: bm25 ranking, each document's words stemmed in its language
(search/stemming.py: Snowball, applied to the documents and the query alike), built from the
content snapshot being served, so it cannot drift from the files.

The index of a content version is written once to a file of the instance folder, named by the
documents' digest, and read by every worker (and the next boot) from there: a worker keeps only
SQLite's page cache of it and the few pages a search reads, not the documents. Without a folder
(or where it cannot be written) the index is built in the process's memory instead.

Each language has tables of its own (its words' frequencies rank its pages): the FTS5 table of
the stems (contentless: it answers rowids), what is shown of each document as it is (title,
summary, the text the passage around a match comes from), and which words each stem stands for,
to mark them."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .documents import Document
from .index import TIERS, WEIGHTS, Match, WholeWords, Words, excerpt_of
from .stemming import new_stemmer, stem_of
from .words import fold

COLUMNS = ("title", "summary", "keywords", "headings", "body")
# a word as a reader sees it: letters and digits (as words.words cuts them), not yet folded
_SURFACE = re.compile(r"[^\W_]+")
_PLAIN = re.compile(r"[a-z0-9]+")  # what FTS5's tokenizer keeps as it is

# the stems are folded already: the tokenizer only cuts them apart
_TOKENIZER = "unicode61 remove_diacritics 2"
# the bodies of the pages found most, kept as they were read (index._lowered keeps as many lower
# cases, keyed by these very strings): 256 pages of a few KB
BODIES_KEPT = 256
_RANKED = "SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table}, ?, ?, ?, ?, ?) LIMIT ?"


def _match_expression(groups: list[list[str]], *, any_group: bool) -> str:
    """An FTS5 query from plain words: each one quoted, so nothing a person types is syntax."""
    ors = ["(" + " OR ".join('"' + word.replace('"', '""') + '"' for word in group) + ")" for group in groups]
    return (" OR " if any_group else " AND ").join(ors)


log = logging.getLogger(__name__)
_STALE_SECONDS = 600  # another content version's index file is removed once this old


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


def _write_language(
    connection: sqlite3.Connection, number: int, language: str, found: list[Document]
) -> None:
    """One language's tables: its stems (FTS5), its documents as shown, its words by stem, its terms."""
    surfaces: dict[str, set[str]] = {}  # stem -> the words (lower case) that have it
    seen = _Stems(new_stemmer(language), surfaces)
    cut = _SURFACE.findall

    def stemmed(text: str) -> str:
        return " ".join(map(seen.__getitem__, cut(text.casefold())))

    table = f"docs_{number}"
    connection.execute(
        f"CREATE VIRTUAL TABLE {table} USING fts5({', '.join(COLUMNS)}, "
        f"content = '', tokenize = '{_TOKENIZER}')"  # contentless: the documents are shown_N
    )
    connection.executemany(
        f"INSERT INTO {table} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608 (our table name)
        ((rowid, *(stemmed(t) for t in d.texts())) for rowid, d in enumerate(found)),
    )
    connection.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")  # noqa: S608
    connection.execute(
        f"CREATE TABLE shown_{number} (rowid INTEGER PRIMARY KEY, kind, slug, title, summary, body)"
    )
    connection.executemany(
        f"INSERT INTO shown_{number} VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608 (our table name)
        ((rowid, d.kind, d.slug, d.title, d.summary, d.body) for rowid, d in enumerate(found)),
    )
    connection.execute(
        f"CREATE TABLE words_{number} (stem TEXT, word TEXT, PRIMARY KEY (stem, word)) WITHOUT ROWID"
    )
    connection.executemany(
        f"INSERT INTO words_{number} VALUES (?, ?)",  # noqa: S608 (our table name)
        ((stem, word) for stem, words in surfaces.items() for word in words),
    )
    # the terms of the table as FTS5 holds them (its tokenizer folds "ø" to "o", as Python's
    # folding does not): a stem of plain letters and digits is a term as it is
    connection.execute(f"CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, {table}, 'row')")
    connection.execute(f"CREATE TABLE terms_{number} (term TEXT PRIMARY KEY) WITHOUT ROWID")
    connection.execute(f"INSERT INTO terms_{number} SELECT term FROM temp.terms")  # noqa: S608
    connection.execute("DROP TABLE temp.terms")
    # and the terms of each tier's columns (a tier whose columns lack a word is not asked)
    connection.execute(f"CREATE VIRTUAL TABLE temp.columns USING fts5vocab(main, {table}, 'col')")
    connection.execute(
        f"CREATE TABLE tier_terms_{number} (tier INTEGER, term TEXT, PRIMARY KEY (tier, term)) WITHOUT ROWID"
    )
    for tier_number, tier in enumerate(TIERS):
        if tier is not None:
            connection.execute(
                f"INSERT INTO tier_terms_{number} SELECT DISTINCT ?, term FROM temp.columns "  # noqa: S608
                f"WHERE col IN ({', '.join('?' * len(tier))})",
                (tier_number, *tier),
            )
    connection.execute("DROP TABLE temp.columns")


def _write(connection: sqlite3.Connection, found: list[Document]) -> None:
    by_language: dict[str, list[Document]] = {}
    for document in found:
        by_language.setdefault(document.language, []).append(document)
    with connection:
        connection.execute("CREATE TABLE languages (number INTEGER PRIMARY KEY, code TEXT NOT NULL)")
        for number, (language, documents) in enumerate(sorted(by_language.items())):
            connection.execute("INSERT INTO languages VALUES (?, ?)", (number, language))
            _write_language(connection, number, language, documents)


def _write_file(found: list[Document], path: Path) -> None:
    """The index written to *path* whole or not at all: built in a file of its own, then renamed
    (two workers building it at once each write their own; the last rename wins, the same file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.partial")
    try:
        connection = sqlite3.connect(partial)
        try:
            connection.execute("PRAGMA journal_mode = OFF")  # a new file: nothing to roll back to
            connection.execute("PRAGMA synchronous = OFF")  # one fsync, of the whole file, below
            _write(connection, found)
        finally:
            connection.close()
        with partial.open("rb") as written:  # on the disk before it has the name readers open
            os.fsync(written.fileno())
        os.replace(partial, path)
        with contextlib.suppress(OSError):  # and the name on the disk too (where folders can be)
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    _remove_stale(path)


def _read_only(path: Path) -> sqlite3.Connection:
    # immutable: nobody writes a finished index, so no locks and no change checks
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, check_same_thread=False)


def _opened(found: list[Document], path: Path) -> sqlite3.Connection:
    """The index file *path*, written first if it is not yet, opened to be read. A file that is
    no index (not one SQLite can read) is written again, once."""
    try:
        return _checked(found, path)
    except sqlite3.DatabaseError:
        log.warning("search index %s unreadable: written again", path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return _checked(found, path)


def _checked(found: list[Document], path: Path) -> sqlite3.Connection:
    if not path.is_file():
        _write_file(found, path)
    connection = _read_only(path)
    try:
        connection.execute("SELECT number, code FROM languages").fetchall()
    except sqlite3.DatabaseError:
        connection.close()
        raise
    with contextlib.suppress(OSError):
        os.utime(path)  # in use: not stale
    return connection


def _remove_stale(kept: Path) -> None:
    """Other content versions' index files, and leftovers of builds that died, once unused for a
    while (a worker still serving an older version has its file open: removing it is harmless)."""
    now = time.time()
    for other in kept.parent.glob("*.fts5*"):
        if other != kept:
            with contextlib.suppress(OSError):
                if now - other.stat().st_mtime > _STALE_SECONDS:
                    other.unlink()


class _Language:
    """One language's tables, and the words each stem stands for, as searches asked for them."""

    def __init__(self, index: Fts5Index, number: int) -> None:
        self.index = index
        self.table = f"docs_{number}"
        self.shown = f"shown_{number}"
        self.words = f"words_{number}"
        self.terms = frozenset(term for (term,) in index.read(f"SELECT term FROM terms_{number}"))  # noqa: S608
        # the terms of each tier's columns (by the tier's place in TIERS; the whole page: terms)
        by_tier: dict[int, set[str]] = {}
        for tier_number, term in index.read(f"SELECT tier, term FROM tier_terms_{number}"):  # noqa: S608
            by_tier.setdefault(tier_number, set()).add(term)
        self.tier_terms = [
            self.terms if tier is None else frozenset(by_tier.get(n, ())) for n, tier in enumerate(TIERS)
        ]
        # what a result shows but the passage (kind, slug, title, summary), by rowid: a few hundred
        # bytes a document, where reading them with the text costs ~1 µs a row more each search
        heads = f"SELECT kind, slug, title, summary FROM {self.shown} ORDER BY rowid"  # noqa: S608 (our table)
        self.heads: list[tuple[str, str, str, str]] = [tuple(row) for row in index.read(heads)]
        self._pattern = lru_cache(maxsize=4096)(self._words_of)

    def may_match(
        self, groups: list[list[str]], *, any_group: bool, terms: frozenset[str] | None = None
    ) -> bool:
        """False when no document can have a stem of every group (of any group, with any_group):
        a stem of plain letters and digits that is no term of the table is in none (nor in a
        tier's columns, given their *terms*). Asking FTS5 costs more, and a page in another
        language is asked for the English pages after it."""
        known = self.terms if terms is None else terms

        def may_be_found(group: list[str]) -> bool:
            return any(stem in known or not _PLAIN.fullmatch(stem) for stem in group)

        return any(map(may_be_found, groups)) if any_group else all(map(may_be_found, groups))

    def _words_of(self, stem: str) -> WholeWords | None:
        asked = f"SELECT word FROM {self.words} WHERE stem = ?"  # noqa: S608 (our table name)
        words = [word for (word,) in self.index.read(asked, (stem,))]
        return WholeWords(words) if words else None

    def marking(self, stems: Iterable[str]) -> Words | None:
        """The words of this language's documents that have one of *stems* (whole words only: a
        pattern kept per stem, so a new query's words are mostly found with patterns made before)."""
        patterns = [p for p in map(self._pattern, dict.fromkeys(stems)) if p is not None]
        return Words(patterns) if patterns else None


class Fts5Index:
    def __init__(self, found: list[Document], path: Path | None = None) -> None:
        """The index of *found*: read from the file *path*, written there first if it is not
        yet; in this process's memory without a path."""
        self._lock = threading.Lock()
        self._kept_bodies: OrderedDict[tuple[str, int], str] = OrderedDict()  # by table and rowid
        if path is None:
            self._db = sqlite3.connect("", check_same_thread=False)
            _write(self._db, found)
        else:
            self._db = _opened(found, path)
        languages = self.read("SELECT number, code FROM languages")
        self._languages = {code: _Language(self, number) for number, code in languages}
        self._weights = tuple(WEIGHTS[c] for c in COLUMNS)

    def _bodies(self, held: _Language, rowids: list[int]) -> dict[int, str]:
        """The bodies of *rowids* in *held*'s language: those found lately as they were kept (the
        same strings: their hashes kept, the look-ups of their lower cases cheap), the others read."""
        kept = self._kept_bodies
        found: dict[int, str] = {}
        for rowid in rowids:
            body = kept.get((held.table, rowid))
            if body is not None:
                kept.move_to_end((held.table, rowid))
                found[rowid] = body
        missing = [rowid for rowid in rowids if rowid not in found]
        if missing:
            asked = f"SELECT rowid, body FROM {held.shown} WHERE rowid IN ({', '.join('?' * len(missing))})"  # noqa: S608
            for rowid, body in self._db.execute(asked, missing):
                found[rowid] = kept[(held.table, rowid)] = body
            while len(kept) > BODIES_KEPT:
                kept.popitem(last=False)
        return found

    def read(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def close(self) -> None:
        self._db.close()

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
            # the cheap tiers first: a common word is in few titles
            for tier, terms in zip(TIERS, held.tier_terms, strict=True):
                if tier is not None and not held.may_match(stemmed, any_group=any_group, terms=terms):
                    continue  # a word in none of its columns: nothing to ask
                filtered = expression if tier is None else "{" + " ".join(tier) + "} : (" + expression + ")"
                for (rowid,) in self._db.execute(ranked, (filtered, *self._weights, limit)):
                    if rowid not in best:
                        best.append(rowid)
                if len(best) >= limit:
                    break
            best = best[:limit]
            if not best:
                return []
        marking = held.marking(s for group in stemmed for s in group)
        heads = [held.heads[rowid] for rowid in best]
        if marking is None:  # no word of the query is written so in these documents: their summaries
            return [
                Match(kind, slug, title, summary, summary, language) for kind, slug, title, summary in heads
            ]
        with self._lock:
            bodies = self._bodies(held, best)
        return [
            Match(kind, slug, title, summary, excerpt_of(bodies[rowid], summary, marking), language)
            for rowid, (kind, slug, title, summary) in zip(best, heads, strict=True)
        ]
