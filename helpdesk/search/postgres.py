"""The search index on PostgreSQL full-text search: weighted tsvectors (title above body), the
English stemmer, GIN indexes, the same tiers of results as on SQLite. It lives in the database,
so every worker shares it; a worker that serves content the index was not built from rebuilds
it in one transaction."""

from __future__ import annotations

import re
import threading

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from ..models import SEARCH_INDEX_DDL, SEARCH_INDEX_DROP  # noqa: F401  (the tables searched here)
from .documents import Document
from .index import Match, excerpt

# D, C, B, A: a title match counts ten times a body match
_RANK_WEIGHTS = "{0.1, 0.3, 0.5, 1.0}"
_LEXEME = re.compile(r"'((?:[^']|'')*)'")
_GIN_INDEXES = (
    "ix_search_documents_document",
    "ix_search_documents_title_words",
    "ix_search_documents_head_words",
)


# The tiers of TIERS in one statement (one round trip): the pages with every word in the title
# or tags, then in the head (summary, headings), then anywhere; a later tier is only searched
# when the earlier ones found fewer than :limit. Snippets are made for the pages shown only.
_FIND = text(
    """WITH q AS (SELECT to_tsquery('english', :expression) AS query),
    title_tier AS (
        SELECT d.id, 0 AS tier, ts_rank(:weights, d.document, q.query, 1) AS rank
        FROM search_documents d, q WHERE d.title_words @@ q.query
        ORDER BY rank DESC, d.id LIMIT :limit
    ),
    head_tier AS (
        SELECT d.id, 1 AS tier, ts_rank(:weights, d.document, q.query, 1) AS rank
        FROM search_documents d, q
        WHERE (SELECT count(*) FROM title_tier) < :limit
          AND d.head_words @@ q.query AND d.id NOT IN (SELECT id FROM title_tier)
        ORDER BY rank DESC, d.id LIMIT :limit
    ),
    page_tier AS (
        SELECT d.id, 2 AS tier, ts_rank(:weights, d.document, q.query, 1) AS rank
        FROM search_documents d, q
        WHERE (SELECT count(*) FROM title_tier) + (SELECT count(*) FROM head_tier) < :limit
          AND d.document @@ q.query
          AND d.id NOT IN (SELECT id FROM title_tier UNION ALL SELECT id FROM head_tier)
        ORDER BY rank DESC, d.id LIMIT :limit
    ),
    best AS (
        SELECT * FROM title_tier UNION ALL SELECT * FROM head_tier UNION ALL SELECT * FROM page_tier
        ORDER BY tier, rank DESC, id LIMIT :limit
    )
    SELECT d.kind, d.slug, d.title, d.summary, d.body, CAST(q.query AS text) AS query
    FROM best JOIN search_documents d ON d.id = best.id, q
    ORDER BY best.tier, best.rank DESC, best.id"""
)


def _tsquery(groups: list[list[str]], *, any_group: bool) -> str:
    """A to_tsquery expression from plain words (letters and digits only, each quoted)."""
    ors = ["(" + " | ".join("'" + word.replace("'", "''") + "'" for word in group) + ")" for group in groups]
    return (" | " if any_group else " & ").join(ors)


def _indexed(text: str) -> str:
    """*text* as to_tsvector must read it: its parser drops whatever looks like an HTML tag, so
    "press <Enter>" would lose "Enter"; with a space after every "<" nothing does."""
    return text.replace("<", "< ")


def build(engine: Engine, found: list[Document], digest: str) -> bool:
    """Make the stored index hold *found*, unless it already does. True when it was rebuilt.

    The state row is locked first, so workers that notice the same change rebuild it once.
    """
    with engine.begin() as connection:
        if connection.scalar(text("SELECT digest FROM search_index_state WHERE id = 1")) == digest:
            return False
        connection.execute(
            text("INSERT INTO search_index_state (id, digest) VALUES (1, '') ON CONFLICT (id) DO NOTHING")
        )
        locked = text("SELECT digest FROM search_index_state WHERE id = 1 FOR UPDATE")
        if connection.scalar(locked) == digest:
            return False
        connection.execute(text("DELETE FROM search_documents"))
        if found:
            connection.execute(
                text(
                    "INSERT INTO search_documents (kind, slug, title, summary, keywords, headings, body)"
                    " VALUES (:kind, :slug, :title, :summary, :keywords, :headings, :body)"
                ),
                [
                    {**{k: _indexed(v) for k, v in d.__dict__.items()}, "kind": d.kind, "slug": d.slug}
                    for d in found
                ],
            )
        # the GIN indexes are queried at once: move their pending entries in, and give the
        # planner the new table's statistics
        for index in _GIN_INDEXES:
            connection.execute(
                text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"), {"index": index}
            )
        connection.execute(text("ANALYZE search_documents"))
        connection.execute(
            text("UPDATE search_index_state SET digest = :digest, built_at = now() WHERE id = 1"),
            {"digest": digest},
        )
    return True


_readers: dict[str, Engine] = {}
_readers_lock = threading.Lock()


def reader(engine: Engine) -> Engine:
    """An engine on *engine*'s database for searches alone: one round trip a search. Its
    connections run in autocommit (a search only reads: no BEGIN, no ROLLBACK) and skip the ping
    on checkout (a connection that went away is replaced and the search asked again); psycopg
    prepares the statement on a connection after its first uses, so it is planned once."""
    key = engine.url.render_as_string(hide_password=False)
    with _readers_lock:
        found = _readers.get(key)
        if found is None:
            found = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=8)
            _readers[key] = found
    return found


class PostgresIndex:
    def __init__(self, engine: Engine, found: list[Document], digest: str) -> None:
        self._engine = reader(engine)
        build(engine, found, digest)
        # what is shown comes from the documents as they are, not as they were stored for indexing
        self._documents = {(d.kind, d.slug): d for d in found}

    def find(
        self, groups: list[list[str]], *, any_group: bool, limit: int, language: str = "en"
    ) -> list[Match]:
        if not groups:
            return []
        asked = {
            "expression": _tsquery(groups, any_group=any_group),
            "weights": _RANK_WEIGHTS,
            "limit": limit,
        }
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(_FIND, asked).all()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            with self._engine.connect() as connection:  # the server went away and came back
                rows = connection.execute(_FIND, asked).all()
        if not rows:
            return []
        # ts_headline reads the whole body of every page shown (most of the time of a search):
        # the stems the query was turned into find the words to highlight just as well
        stems = [m.group(1).replace("''", "'") for m in _LEXEME.finditer(rows[0].query)]
        found = []
        for row in rows:
            shown = self._documents.get((row.kind, row.slug), row)  # row: another worker's content
            found.append(
                Match(
                    row.kind, row.slug, shown.title, shown.summary, excerpt(shown.body, shown.summary, stems)
                )
            )
        return found
