"""Article views counted off the request path: a read never writes to the database.

`record_view` adds one to a pending count: with Redis (HELPDESK_REDIS_URL), `HINCRBY` on one hash
shared by every worker and machine; without it, a dict in this process under a lock.
`flush_views` moves the pending counts into `article_views`, one upsert per (article, day) that
adds to the row (`views = views + n`), never overwrites it.

When counts move, and what a crash loses:
- without Redis, a background thread in each worker flushes every HELPDESK_VIEW_FLUSH_SECONDS
  (default 5) and once more at a graceful exit (atexit: gunicorn's workers leave through
  sys.exit on SIGTERM, which runs it). A crash (kill -9, power loss) loses at most the views that
  worker counted in its last flush interval, 5 seconds by default;
- with Redis, any worker flushes, under a Redis lock (SET NX EX) so two never flush at once; the
  hash is renamed before it is read, so each count moves exactly once. A crashed worker loses
  nothing: the counts wait in Redis (as durable as Redis is configured to be). If a flush dies
  between its commit and deleting the renamed hash, the next flush counts that batch again
  (a few seconds' views counted twice, never lost).
The editors' analytics flush first, so they show every view counted so far.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
from collections import Counter
from datetime import date
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import func, select

from .extensions import db
from .models import ArticleView, utcnow

log = logging.getLogger(__name__)

Pending = Counter[tuple[str, date]]


class ViewCounter(Protocol):
    def add(self, article: str, day: date) -> None: ...

    def take(self) -> Pending: ...

    def done(self) -> None: ...


class BufferedViews:
    """Counts in this process, under a lock; `take` hands them over and starts from nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Pending = Counter()

    def add(self, article: str, day: date) -> None:
        with self._lock:
            self._pending[(article, day)] += 1

    def take(self) -> Pending:
        with self._lock:
            taken, self._pending = self._pending, Counter()
        return taken

    def done(self) -> None:
        pass

    def give_back(self, counts: Pending) -> None:
        """A flush that failed returns its counts, to be tried again."""
        with self._lock:
            self._pending.update(counts)


class RedisViews:
    """Counts in one Redis hash shared by every worker (field "day|article")."""

    LOCK_SECONDS = 60

    def __init__(self, url: str, namespace: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self.pending_key = f"helpdesk:views:{namespace}:pending"
        self.flushing_key = f"helpdesk:views:{namespace}:flushing"
        self.lock_key = f"helpdesk:views:{namespace}:lock"

    def add(self, article: str, day: date) -> None:
        self._redis.hincrby(self.pending_key, f"{day.isoformat()}|{article}", 1)

    def take(self) -> Pending:
        """The counts to move, or nothing while another worker is flushing. A batch left by a
        flush that failed (the flushing hash) is taken again before new counts."""
        if not self._redis.set(self.lock_key, "1", nx=True, ex=self.LOCK_SECONDS):
            return Counter()
        if not self._redis.exists(self.flushing_key):
            try:
                self._redis.rename(self.pending_key, self.flushing_key)
            except Exception:  # redis.ResponseError: no pending counts
                self._redis.delete(self.lock_key)
                return Counter()
        taken: Pending = Counter()
        batch: dict[bytes, bytes] = self._redis.hgetall(self.flushing_key)  # type: ignore[assignment]
        for field, count in batch.items():
            day, _, article = field.decode().partition("|")
            taken[(article, date.fromisoformat(day))] += int(count)
        return taken

    def done(self) -> None:
        """The batch is in the database: forget it and let the next flush go."""
        self._redis.delete(self.flushing_key)
        self._redis.delete(self.lock_key)

    def release(self) -> None:
        self._redis.delete(self.lock_key)


def counter(app: Flask | None = None) -> ViewCounter:
    return (app or current_app).extensions["helpdesk.view_counter"]


def record_view(article: str, app: Flask | None = None) -> None:
    """One more view of *article* today: no database write (*app*: outside an app context)."""
    counter(app).add(article, utcnow().date())


def flush_views() -> int:
    """Move the pending counts into `article_views`; return how many views moved."""
    views = counter()
    taken = views.take()
    if not taken:
        return 0
    try:
        _add_to_rows(taken)
    except Exception:
        db.session.rollback()
        if isinstance(views, BufferedViews):
            views.give_back(taken)
        elif isinstance(views, RedisViews):
            views.release()  # the flushing hash stays: the next flush takes it again
        raise
    views.done()
    return sum(taken.values())


def _add_to_rows(counts: Pending) -> None:
    # the dialect's own insert (ON CONFLICT): PostgreSQL's module only where it is the database
    insert: Any
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        insert = postgresql.insert
    else:
        from sqlalchemy.dialects import sqlite

        insert = sqlite.insert
    for (article, day), n in sorted(counts.items()):
        statement = insert(ArticleView).values(article=article, day=day, views=n)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[ArticleView.article, ArticleView.day],
                set_={"views": ArticleView.views + statement.excluded.views},
            )
        )
    db.session.commit()


def init_app(app: Flask) -> None:
    """Choose where views are counted; without Redis, flush from a thread and at exit."""
    current = app.extensions["helpdesk.settings"]
    if current.redis_url:
        namespace = hashlib.sha256(current.database_url.encode()).hexdigest()[:12]  # one per database
        app.extensions["helpdesk.view_counter"] = RedisViews(current.redis_url, namespace)
    else:
        app.extensions["helpdesk.view_counter"] = BufferedViews()
    if current.view_flush_seconds > 0 and not current.testing:
        _start_flushing(app, current.view_flush_seconds)
        atexit.register(flush_in, app)


def flush_in(app: Flask) -> None:
    """Flush inside *app* (from the thread, or at exit); a failure is logged, the counts kept."""
    try:
        with app.app_context():
            flush_views()
            db.session.remove()
    except Exception:
        log.exception("article views could not be flushed; they stay pending")


def _start_flushing(app: Flask, seconds: int) -> None:
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            flush_in(app)

    threading.Thread(target=loop, name="helpdesk-view-flush", daemon=True).start()
    atexit.register(stop.set)


def most_read(since: date, limit: int) -> list[tuple[str, int]]:
    """The articles read most since *since* (a day), with their views, the most read first; the
    views moved to the database so far (a flush is a write: the caller decides whether to)."""
    total = func.sum(ArticleView.views)
    rows = db.session.execute(
        select(ArticleView.article, total)
        .where(ArticleView.day >= since)
        .group_by(ArticleView.article)
        .order_by(total.desc(), ArticleView.article)
        .limit(limit)
    ).all()
    return [(article, int(views)) for article, views in rows]
