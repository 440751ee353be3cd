"""What the home page puts forward besides the top problems: the articles read most lately and the
newest ones, a few of each, whatever the number of articles. Worked out once per content version
(and, for the most read, again when the counts are older than POPULAR_SECONDS: only they are
asked again), not per request."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from .. import readership
from ..extensions import db
from ..models import utcnow
from .articles import Article
from .catalog import Catalog

log = logging.getLogger(__name__)

SHOWN = 6  # articles in each list
POPULAR_DAYS = 30  # "read most" counts the views of this many days
POPULAR_SECONDS = 300  # the counts are asked again after this long
KEY = "helpdesk.highlights"


@dataclass(frozen=True)
class Highlights:
    popular: tuple[Article, ...]
    recent: tuple[Article, ...]
    published: tuple[Article, ...]  # every published article, in the index's order

    @property
    def key(self) -> str:
        """Names the two lists, for a page's cache key and ETag."""
        slugs = ",".join(a.slug for a in self.popular) + "|" + ",".join(a.slug for a in self.recent)
        return hashlib.sha256(slugs.encode()).hexdigest()[:16]


def recent(published: list[Article], shown: int = SHOWN) -> tuple[Article, ...]:
    """The articles reviewed last (by their `updated` date; undated ones last), of *published*."""
    dated = sorted(published, key=lambda a: a.updated or date.min, reverse=True)
    return tuple(dated[:shown])  # sorted() is stable: equal dates keep the index's order


def popular(current: Catalog, views: list[tuple[str, int]], shown: int = SHOWN) -> tuple[Article, ...]:
    """The published articles among *views* (slug, count; the most read first)."""
    found = (current.articles.get(slug) for slug, count in views if count > 0)
    return tuple(a for a in found if a is not None and not a.draft)[:shown]


def most_read_views(shown: int = SHOWN) -> list[tuple[str, int]]:
    """The view counts behind "read most": a read, never a flush (the flush thread moves them)."""
    since = utcnow().date() - timedelta(days=POPULAR_DAYS)
    # a few more than shown: drafts and removed articles may have views and are left out
    return readership.most_read(since, limit=shown + 20)


@dataclass
class _Memo:
    catalog: Catalog | None = None
    popular_at: float = float("-inf")
    value: Highlights | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def highlights(current: Catalog) -> Highlights:
    """The lists for *current*, from this worker's memo while it is for this snapshot and young."""
    memo: _Memo = current_app.extensions.setdefault(KEY, _Memo())
    now = time.monotonic()
    value = memo.value
    if value is not None and memo.catalog is current and now - memo.popular_at < POPULAR_SECONDS:
        return value
    with memo.lock:
        kept = value if value is not None and memo.catalog is current else None  # only counts are due
        published = list(kept.published) if kept is not None else current.public_articles()
        try:
            views = most_read_views()
        except SQLAlchemyError:  # the home page still shows; the counts are asked again later
            db.session.rollback()
            log.warning("article views could not be read for the home page")
            views = []
        newest = kept.recent if kept is not None else recent(published)  # dates change with the content
        value = Highlights(popular(current, views), newest, tuple(published))
        memo.catalog, memo.popular_at, memo.value = current, now, value
    return value
