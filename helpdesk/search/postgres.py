"""The search index on PostgreSQL full-text search: weighted tsvectors (title above body), GIN
indexes, the same tiers of results as on SQLite. It lives in the database, so every worker
shares it; a worker that serves content the index was not built from rebuilds it in one
transaction.

Each row is a document in one language, indexed with that language's text search configuration
(`config`: english, spanish, arabic when the server has them, else simple), its text folded
first (lower case, no accents, as SQLite search folds it); a search in a language looks at that
language's rows, its words stemmed by the same configuration. Spanish Snowball leaves "bloqueo"
as "bloque" but "bloqueada" as "bloqu": a Spanish query's stems also match the same stem with or
without a final "e" (search/stemming.py does the same on SQLite)."""

from __future__ import annotations

import re
import threading

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from ..models import SEARCH_INDEX_DDL, SEARCH_INDEX_DROP  # noqa: F401  (the tables searched here)
from .documents import Document
from .index import Match, excerpt
from .words import fold

# the text search configuration of each language, when the server has it (else simple)
CONFIGS = {"en": "english", "es": "spanish", "ar": "arabic"}

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
    """WITH q AS (SELECT CASE WHEN :spanish
        -- every stem 'x' or 'xe' of the query becomes ('x' | 'xe')
        THEN to_tsquery('simple', regexp_replace(
            regexp_replace(CAST(to_tsquery(CAST(:config AS regconfig), :expression) AS text),
                           '([^'' ]{4,})e''', '\\1''', 'g'),
            '''([^'' ]+)''', '(''\\1'' | ''\\1e'')', 'g'))
        ELSE to_tsquery(CAST(:config AS regconfig), :expression) END AS query),
    title_tier AS (
        SELECT d.id, 0 AS tier, ts_rank(:weights, d.document, q.query, 1) AS rank
        FROM search_documents d, q WHERE d.language = :language AND d.title_words @@ q.query
        ORDER BY rank DESC, d.id LIMIT :limit
    ),
    head_tier AS (
        SELECT d.id, 1 AS tier, ts_rank(:weights, d.document, q.query, 1) AS rank
        FROM search_documents d, q
        WHERE (SELECT count(*) FROM title_tier) < :limit
          AND d.language = :language AND d.head_words @@ q.query AND d.id NOT IN (SELECT id FROM title_tier)
        ORDER BY rank DESC, d.id LIMIT :limit
    ),
    page_tier AS (
        SELECT d.id, 2 AS tier, ts_rank(:weights, d.document, q.query, 1) AS rank
        FROM search_documents d, q
        WHERE (SELECT count(*) FROM title_tier) + (SELECT count(*) FROM head_tier) < :limit
          AND d.language = :language AND d.document @@ q.query
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


def configs(engine: Engine) -> dict[str, str]:
    """The configuration each language of CONFIGS is indexed with on this server."""
    with engine.connect() as connection:
        present = set(connection.scalars(text("SELECT cfgname FROM pg_ts_config")))
    return {language: name if name in present else "simple" for language, name in CONFIGS.items()}


def _row(document: Document, config: str) -> dict[str, str]:
    row = {k: _indexed(v) for k, v in document.__dict__.items()}
    row.update(kind=document.kind, slug=document.slug, language=document.language, config=config)
    row.update(
        {f"f_{part}": fold(row[part]) for part in ("title", "summary", "keywords", "headings", "body")}
    )
    return row


_INSERT = text(
    """INSERT INTO search_documents
        (kind, slug, language, config, title, summary, keywords, headings, body,
         document, title_words, head_words)
    SELECT :kind, :slug, :language, c.config, :title, :summary, :keywords, :headings, :body,
        setweight(to_tsvector(c.config, :f_title), 'A')
        || setweight(to_tsvector(c.config, :f_keywords), 'B')
        || setweight(to_tsvector(c.config, :f_summary), 'B')
        || setweight(to_tsvector(c.config, :f_headings), 'C')
        || setweight(to_tsvector(c.config, :f_body), 'D'),
        to_tsvector(c.config, :f_title || ' ' || :f_keywords),
        to_tsvector(c.config, :f_title || ' ' || :f_keywords || ' ' || :f_summary || ' ' || :f_headings)
    FROM (SELECT CAST(:config AS regconfig) AS config) c"""
)


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
            indexed_with = configs(engine)
            connection.execute(_INSERT, [_row(d, indexed_with.get(d.language, "simple")) for d in found])
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
        self._documents = {(d.kind, d.slug, d.language): d for d in found}
        self._configs = configs(engine)

    def find(
        self, groups: list[list[str]], *, any_group: bool, limit: int, language: str = "en"
    ) -> list[Match]:
        if not groups:
            return []
        config = self._configs.get(language, "simple")
        asked = {
            "language": language,
            "config": config,
            "spanish": config == "spanish",
            "expression": _tsquery([[fold(w) for w in group] for group in groups], any_group=any_group),
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
            # row: another worker's content
            shown = self._documents.get((row.kind, row.slug, language), row)
            found.append(
                Match(
                    row.kind,
                    row.slug,
                    shown.title,
                    shown.summary,
                    excerpt(shown.body, shown.summary, stems),
                    language,
                )
            )
        return found
