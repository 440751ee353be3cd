"""Full-text search over the help content: articles and flows, ranked, typo-tolerant.

`search()` is what the search page, the as-you-type suggestions and the API call. The index is
built from the content snapshot being served: on SQLite an FTS5 index in each worker's memory,
on PostgreSQL a shared table; either way it is rebuilt before the first search that sees new
content, so files and index never disagree.

Every article and flow is indexed in each language it is in, stemmed as that language is
(search/stemming.py); a search in a language finds that language's pages first, then English
ones (the source: every page has it) not found in the reader's language.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Container
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..content.catalog import Catalog
from ..content.live import catalog
from ..content.memory import release_freed_memory
from ..content.translations import SOURCE_LANGUAGE
from ..extensions import db
from .documents import Document, digest, documents
from .fts5 import Fts5Index
from .index import MARK_END, MARK_START, Index, Match
from .words import Vocabulary, clean, query_terms, respell, words

KEY = "helpdesk.search"
DEFAULT_LIMIT = 20
# answers kept per content version (the most recently asked): people search for the same few
# things, and a page of 20 hits is ~10 KB, so at most ~3 MB a worker
RESULTS_KEPT = 256


@dataclass(frozen=True)
class Hit:
    kind: str  # "article" or "flow"
    slug: str
    title: str
    summary: str
    snippet_html: str  # escaped text, the matched words in <mark>
    language: str = SOURCE_LANGUAGE  # the language the page found is in


@dataclass(frozen=True)
class SearchResults:
    query: str  # what was asked, cleaned
    shown_query: str  # what the hits are for: the query with its misspellings corrected
    corrected: bool  # the hits are for shown_query, because query itself found nothing
    partial: bool  # no page has every word: the hits have some of them
    hits: list[Hit] = field(default_factory=list)
    only_common_words: bool = False  # nothing was searched: every word was one like "the" or "I"


@dataclass
class _Built:
    """The index of one content snapshot, the words it holds, and the answers it gave lately."""

    catalog: Catalog
    index: Index
    vocabulary: Vocabulary
    answers: Answers = field(default_factory=lambda: Answers(RESULTS_KEPT))


class Answers:
    """The results of the latest searches of one content version, the least recently asked
    forgotten first: the same search gives the same results until the content changes. The
    results are shared between requests: nobody changes them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, int, bool, str], SearchResults] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, bool, str]) -> SearchResults | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def keep(self, key: tuple[str, int, bool, str], results: SearchResults) -> None:
        with self._lock:
            self._kept[key] = results
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


_build_lock = threading.Lock()


def _current() -> _Built:
    """The index for the content being served, built first if the content changed."""
    served = catalog()
    built: _Built | None = current_app.extensions.get(KEY)
    if built is not None and built.catalog is served:
        return built
    with _build_lock:
        built = current_app.extensions.get(KEY)
        if built is None or built.catalog is not served:
            built = build_index(served)
            current_app.extensions[KEY] = built
            release_freed_memory()  # the documents, the index's building space: ~6 MB of 1,000 articles
    return built


def build_index(served: Catalog) -> _Built:
    """The index of *served*: shared in PostgreSQL when that is the database, else in memory.

    Should PostgreSQL refuse the documents (a value its table cannot hold: the content checks
    should have stopped it, but one bad document must never make every search fail), this
    worker searches an index of its own in memory instead, and says so in the log.
    """
    found = documents(served)
    vocabulary = Vocabulary.of(text for d in found for text in d.texts())
    index: Index | None = None
    if db.engine.dialect.name == "postgresql":
        from .postgres import PostgresIndex

        try:
            index = PostgresIndex(db.engine, found, digest(found))
        except SQLAlchemyError:
            current_app.logger.exception("search index not stored in PostgreSQL: searching in memory")
    return _Built(served, index or _in_instance_folder(found), vocabulary)


def _in_instance_folder(found: list[Document]) -> Fts5Index:
    """The SQLite index, in the instance folder's file of this content version (every worker
    reads the same one, and keeps only the pages it reads); in memory if it cannot be written."""
    path = Path(current_app.instance_path) / "search" / f"{digest(found)}.fts5"
    try:
        return Fts5Index(found, path)
    except (OSError, sqlite3.Error):
        current_app.logger.exception("search index not written to %s: searching in memory", path)
        return Fts5Index(found)


def known_words() -> Container[str]:
    """The words of the content being served: a word of the help is no one's secret."""
    return _current().vocabulary


def search(
    query: str, *, limit: int = DEFAULT_LIMIT, prefix: bool = False, language: str = SOURCE_LANGUAGE
) -> SearchResults:
    """The articles and flows that answer *query*, best first. Any input is safe.

    Every word must match; when no page has them all, misspelt words are corrected from the
    content's own vocabulary, and then pages with some of the words are found. With *prefix*
    (typing in progress) the last word also matches the longer words it begins, uncorrected.
    The pages in *language* come first, then English pages not found in it.
    """
    cleaned = clean(query)
    terms = query_terms(cleaned)
    if not terms:
        vague = bool(words(cleaned))
        return SearchResults(cleaned, cleaned, corrected=False, partial=False, only_common_words=vague)
    built = _current()
    limit = max(1, min(limit, 50))
    asked = (cleaned, limit, prefix, language)
    kept = built.answers.get(asked)
    if kept is None:
        kept = _search(built, cleaned, terms, limit=limit, prefix=prefix, language=language)
        built.answers.keep(asked, kept)
    return kept


def _find(
    built: _Built, groups: list[list[str]], *, any_group: bool, limit: int, language: str
) -> list[Match]:
    """The reader's language's pages first, then the English pages not found in it."""
    found = built.index.find(groups, any_group=any_group, limit=limit, language=language)
    if language == SOURCE_LANGUAGE or len(found) >= limit:
        return found
    shown = {(m.kind, m.slug) for m in found}
    english = built.index.find(groups, any_group=any_group, limit=limit, language=SOURCE_LANGUAGE)
    return (found + [m for m in english if (m.kind, m.slug) not in shown])[:limit]


def _search(
    built: _Built, cleaned: str, terms: list[str], *, limit: int, prefix: bool, language: str
) -> SearchResults:
    fixed = built.vocabulary.corrected(terms, keep_last=prefix)
    if prefix and not built.vocabulary.completions(terms[-1], limit=1):
        # no word of the content begins so: the last word is misspelt rather than unfinished
        fixed[-1] = built.vocabulary.correct(terms[-1]) or terms[-1]
    fixes = {term: fix for term, fix in zip(terms, fixed, strict=True) if term != fix}

    def groups(words: list[str]) -> list[list[str]]:
        """One group a word; a half-typed last word stands for the words it may become."""
        found = [[word] for word in words]
        if prefix:
            found[-1] = built.vocabulary.completions(words[-1]) or [words[-1]]
        return found

    matches = _find(built, groups(terms), any_group=False, limit=limit, language=language)
    corrected = partial = False
    if not matches and fixes:
        matches = _find(built, groups(fixed), any_group=False, limit=limit, language=language)
        corrected = bool(matches)
    if not matches and len(terms) > 1:  # no page has every word: the pages with most of them
        matches = _find(built, groups(fixed), any_group=True, limit=limit, language=language)
        partial = bool(matches)
        corrected = partial and bool(fixes)
    return SearchResults(
        query=cleaned,
        shown_query=respell(cleaned, fixes) if corrected else cleaned,
        corrected=corrected,
        partial=partial,
        hits=[_hit(m) for m in matches],
    )


def marked_html(snippet: str) -> str:
    """Escape *snippet* and turn its match markers into <mark> elements (always balanced)."""
    pieces = snippet.replace(MARK_END, MARK_START).split(MARK_START)
    return "".join(
        (f"<mark>{escape(piece)}</mark>" if inside % 2 else escape(piece))
        for inside, piece in enumerate(pieces)
        if piece
    )


def _hit(match: Match) -> Hit:
    kind = "flow" if match.kind == "flow" else "article"
    return Hit(kind, match.slug, match.title, match.summary, marked_html(match.snippet), match.language)
