"""The search index on SQLite FTS5: bm25 ranking, Porter stemming, kept in memory in each worker
and built from the content snapshot it serves, so it cannot drift from the files."""

from __future__ import annotations

import sqlite3
import threading

from .documents import Document
from .index import MARK_END, MARK_START, TIERS, WEIGHTS, Match, pick_snippet

COLUMNS = ("title", "summary", "keywords", "headings", "body")


_RANKED = "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 0, 0, ?, ?, ?, ?, ?) LIMIT ?"
# the snippets of the pages shown only, in one statement (at most 50 of them: search's limit)
_SHOWN = (
    "SELECT rowid, kind, slug, title, summary, snippet(docs, ?, ?, ?, '…', 24), highlight(docs, ?, ?, ?)"
    " FROM docs WHERE docs MATCH ? AND rowid IN ({})"
)


def _match_expression(groups: list[list[str]], *, any_group: bool) -> str:
    """An FTS5 query from plain words: each one quoted, so nothing a person types is syntax."""
    ors = ["(" + " OR ".join('"' + word.replace('"', '""') + '"' for word in group) + ")" for group in groups]
    return (" OR " if any_group else " AND ").join(ors)


class Fts5Index:
    def __init__(self, found: list[Document]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(kind UNINDEXED, slug UNINDEXED, "
            + ", ".join(COLUMNS)
            + ", tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        with self._db:
            self._db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((d.kind, d.slug, *d.texts()) for d in found),
            )
            self._db.execute("INSERT INTO docs (docs) VALUES ('optimize')")
        self._weights = tuple(WEIGHTS[c] for c in COLUMNS)
        self._columns = (2 + COLUMNS.index("body"), 2 + COLUMNS.index("summary"))

    def find(self, groups: list[list[str]], *, any_group: bool, limit: int) -> list[Match]:
        if not groups:
            return []
        expression = _match_expression(groups, any_group=any_group)
        marks = (MARK_START, MARK_END)
        with self._lock:
            best: list[int] = []
            for tier in TIERS:  # the cheap tiers first: a common word is in few titles
                filtered = expression if tier is None else "{" + " ".join(tier) + "} : (" + expression + ")"
                for (rowid,) in self._db.execute(_RANKED, (filtered, *self._weights, limit)):
                    if rowid not in best:
                        best.append(rowid)
                if len(best) >= limit:
                    break
            shown = best[:limit]
            if not shown:
                return []
            rows = {
                rowid: rest
                for rowid, *rest in self._db.execute(
                    _SHOWN.format(", ".join("?" * len(shown))),
                    (self._columns[0], *marks, self._columns[1], *marks, expression, *shown),
                )
            }
        return [
            Match(kind, slug, title, summary, pick_snippet(body, highlighted))
            for kind, slug, title, summary, body, highlighted in (rows[rowid] for rowid in shown)
        ]
