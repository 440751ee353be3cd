"""Full-text search over the help content: articles and flows, ranked, typo-tolerant.

`search()` is what the search page, the as-you-type suggestions and the API call. The index is
built from the content snapshot being served: on SQLite an FTS5 index in each worker's memory,
on PostgreSQL a shared table; either way it is rebuilt before the first search that sees new
content, so files and index never disagree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from html import escape

from flask import current_app, url_for

from ..catalog import Catalog
from ..extensions import db
from ..web.content_state import catalog
from .documents import digest, documents
from .fts5 import Fts5Index
from .index import MARK_END, MARK_START, Index, Match
from .words import Vocabulary, clean, query_terms, respell

KEY = "helpdesk.search"
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Hit:
    kind: str  # "article" or "flow"
    slug: str
    title: str
    summary: str
    snippet_html: str  # escaped text, the matched words in <mark>
    url: str
    start_url: str | None  # a flow's "Start the diagnosis"


@dataclass(frozen=True)
class SearchResults:
    query: str  # what was asked, cleaned
    shown_query: str  # what the hits are for: the query with its misspellings corrected
    corrected: bool  # the hits are for shown_query, because query itself found nothing
    suggestion: str | None  # "did you mean": a corrected query, when the original found something
    hits: list[Hit] = field(default_factory=list)


@dataclass
class _Built:
    """The index of one content snapshot, and the words it holds."""

    catalog: Catalog
    index: Index
    vocabulary: Vocabulary


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
    return built


def build_index(served: Catalog) -> _Built:
    found = documents(served)
    vocabulary = Vocabulary.of(text for d in found for text in d.texts())
    index: Index
    if db.engine.dialect.name == "postgresql":
        from .postgres import PostgresIndex

        index = PostgresIndex(db.engine, found, digest(found))
    else:
        index = Fts5Index(found)
    return _Built(served, index, vocabulary)


def search(query: str, *, limit: int = DEFAULT_LIMIT, prefix: bool = False) -> SearchResults:
    """The articles and flows that answer *query*, best first. Any input is safe.

    Every word must match; when nothing does, misspelt words are corrected from the content's
    own vocabulary, and then any word may match. With *prefix* (typing in progress) the last
    word also matches longer words it begins, and is not corrected.
    """
    cleaned = clean(query)
    terms = query_terms(cleaned)
    if not terms:
        return SearchResults(cleaned, cleaned, False, None)
    built = _current()
    limit = max(1, min(limit, 50))
    fixed = built.vocabulary.corrected(terms, keep_last=prefix)
    fixes = {term: fix for term, fix in zip(terms, fixed, strict=True) if term != fix}
    suggestion = respell(cleaned, fixes) if fixes else None

    matches = built.index.find(terms, any_term=False, prefix=prefix, limit=limit)
    corrected = False
    if not matches and fixes:
        matches = built.index.find(fixed, any_term=False, prefix=prefix, limit=limit)
        corrected = bool(matches)
    if not matches and len(terms) > 1:  # no page has every word: the pages with most of them
        matches = built.index.find(fixed, any_term=True, prefix=prefix, limit=limit)
        corrected = bool(matches and fixes)
    return SearchResults(
        query=cleaned,
        shown_query=suggestion if corrected and suggestion else cleaned,
        corrected=corrected,
        suggestion=None if corrected else suggestion,
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
    if match.kind == "flow":
        url = start = url_for("diagnose.start", flow_id=match.slug)
        return Hit("flow", match.slug, match.title, match.summary, marked_html(match.snippet), url, start)
    url = url_for("public.article", slug=match.slug)
    return Hit("article", match.slug, match.title, match.summary, marked_html(match.snippet), url, None)
