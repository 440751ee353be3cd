"""The search index on PostgreSQL full-text search: weighted tsvectors (title above body), the
English stemmer, a GIN index. It lives in the database, so every worker shares it; a worker that
serves content the index was not built from rebuilds it in one transaction."""

from __future__ import annotations

from sqlalchemy import Engine, text

from ..models import SEARCH_INDEX_DDL, SEARCH_INDEX_DROP  # noqa: F401  (the tables searched here)
from .documents import Document
from .index import MARK_END, MARK_START, Match, pick_snippet

# D, C, B, A: a title match counts ten times a body match
_RANK_WEIGHTS = "{0.1, 0.3, 0.5, 1.0}"
_BODY_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=1"
_SUMMARY_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
_FIND = text(
    """SELECT kind, slug, title, summary,
           ts_headline('english', body, query, :body_headline) AS body_snippet,
           ts_headline('english', summary, query, :summary_headline) AS summary_snippet
    FROM (
        SELECT d.*, q.query, ts_rank(:weights, d.document, q.query, 1) AS rank
        FROM search_documents d, to_tsquery('english', :expression) AS q(query)
        WHERE d.document @@ q.query
        ORDER BY rank DESC, d.id
        LIMIT :limit
    ) AS best
    ORDER BY rank DESC, id"""
)


def _tsquery(groups: list[list[str]], *, any_group: bool) -> str:
    """A to_tsquery expression from plain words (letters and digits only, each quoted)."""
    ors = ["(" + " | ".join("'" + word.replace("'", "''") + "'" for word in group) + ")" for group in groups]
    return (" | " if any_group else " & ").join(ors)


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
                [{**d.__dict__} for d in found],
            )
        connection.execute(
            text("UPDATE search_index_state SET digest = :digest, built_at = now() WHERE id = 1"),
            {"digest": digest},
        )
    return True


class PostgresIndex:
    def __init__(self, engine: Engine, found: list[Document], digest: str) -> None:
        self._engine = engine
        build(engine, found, digest)

    def find(self, groups: list[list[str]], *, any_group: bool, limit: int) -> list[Match]:
        if not groups:
            return []
        expression = _tsquery(groups, any_group=any_group)
        with self._engine.connect() as connection:
            rows = connection.execute(
                _FIND,
                {
                    "expression": expression,
                    "limit": limit,
                    "weights": _RANK_WEIGHTS,
                    "body_headline": _BODY_HEADLINE,
                    "summary_headline": _SUMMARY_HEADLINE,
                },
            ).all()
        return [
            Match(
                row.kind,
                row.slug,
                row.title,
                row.summary,
                pick_snippet(row.body_snippet, row.summary_snippet),
            )
            for row in rows
        ]
