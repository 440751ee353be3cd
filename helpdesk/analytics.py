"""Counts for editors: how flows are walked and where people leave, how fixes go, how articles
are found helpful. Counts only: no personal data, transcripts stay with staff."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from . import readership
from .extensions import db, rowcount
from .flows.engine import CompiledFlow
from .models import (
    ArticleFeedback,
    ArticleView,
    Diagnosis,
    DiagnosisEvent,
    DiagnosisStatus,
    SearchMiss,
    utcnow,
)
from .readership import flush_views

ENDED = (DiagnosisStatus.RESOLVED, DiagnosisStatus.ESCALATED, DiagnosisStatus.LINKED)
ABANDONED_AFTER_HOURS = 24


def count_today(model: type[Any], counter: str, **key: str) -> None:
    """Add one to today's *counter* of *model* for *key*: one atomic UPDATE, or the day's first row."""
    today = utcnow().date()
    column = getattr(model, counter)
    where = [getattr(model, name) == value for name, value in key.items()]
    for _ in range(3):
        updated = db.session.execute(
            update(model).where(*where, model.day == today).values({counter: column + 1})
        )
        if rowcount(updated):
            db.session.commit()
            return
        try:
            with db.session.begin_nested():
                db.session.add(model(**key, day=today, **{counter: 1}))
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()  # another request made the row first: count on it


@dataclass
class StepStats:
    step: str
    kind: str
    reached: int
    left_here: int


@dataclass
class FlowStats:
    flow_id: str
    title: str
    started: int = 0
    outcomes: Counter[DiagnosisStatus] = field(default_factory=Counter)
    median_minutes: float | None = None
    steps: list[StepStats] = field(default_factory=list)
    actions: dict[str, Counter[str]] = field(default_factory=dict)
    checks: Counter[str] = field(default_factory=Counter)  # success / failure of the check steps

    @property
    def verified_share(self) -> float | None:
        total = sum(self.checks.values())
        return self.checks["success"] / total if total else None


def flow_stats(compiled: CompiledFlow, since: datetime) -> FlowStats:
    flow = compiled.flow
    stats = FlowStats(flow.id, flow.title)
    rows = db.session.scalars(
        select(Diagnosis).where(
            Diagnosis.flow_id == flow.id, Diagnosis.created_at >= since, Diagnosis.sandbox.is_(False)
        )
    ).all()
    reached: Counter[str] = Counter()
    left: Counter[str] = Counter()
    durations = []
    stale = utcnow().timestamp() - ABANDONED_AFTER_HOURS * 3600
    for diagnosis in rows:
        stats.started += 1
        reached.update(set(diagnosis.path))
        if diagnosis.status in ENDED:
            stats.outcomes[DiagnosisStatus(diagnosis.status)] += 1
            durations.append((diagnosis.updated_at - diagnosis.created_at).total_seconds() / 60)
        elif diagnosis.status == DiagnosisStatus.ABANDONED or diagnosis.updated_at.timestamp() < stale:
            stats.outcomes[DiagnosisStatus.ABANDONED] += 1
            left[diagnosis.step] += 1
        else:
            stats.outcomes[DiagnosisStatus.ACTIVE] += 1
    stats.median_minutes = statistics.median(durations) if durations else None
    order = sorted(flow.steps, key=lambda sid: (-reached[sid], list(flow.steps).index(sid)))
    stats.steps = [StepStats(sid, flow.steps[sid].kind, reached[sid], left[sid]) for sid in order]
    ids = [d.id for d in rows]
    if ids:
        for kind, detail in db.session.execute(
            select(DiagnosisEvent.kind, DiagnosisEvent.detail).where(
                DiagnosisEvent.diagnosis_id.in_(ids), DiagnosisEvent.kind.in_(("action", "checked"))
            )
        ):
            name, outcome = detail.get("action", "?"), detail.get("answer", "?")
            stats.actions.setdefault(name, Counter())[outcome] += 1
            if kind == "checked":
                stats.checks[outcome] += 1
    return stats


@dataclass
class ArticleStats:
    slug: str
    title: str
    views: int
    helpful: int
    not_helpful: int
    comments: list[str]


def article_stats(articles: dict[str, str], since: datetime) -> list[ArticleStats]:
    """Per article (slug -> title): views, yes/no answers and the "no" comments."""
    flush_views()  # the views counted so far, not only those already moved
    day: date = since.date()
    views: dict[str, int] = dict(
        db.session.execute(
            select(ArticleView.article, func.sum(ArticleView.views))
            .where(ArticleView.day >= day)
            .group_by(ArticleView.article)
        )
        .tuples()
        .all()
    )
    answers: dict[str, Counter[bool]] = {}
    comments: dict[str, list[str]] = {}
    for row in db.session.scalars(select(ArticleFeedback).where(ArticleFeedback.created_at >= since)):
        answers.setdefault(row.article, Counter())[row.helpful] += 1
        if row.comment:
            comments.setdefault(row.article, []).append(row.comment)
    return [
        ArticleStats(
            slug,
            title,
            int(views.get(slug) or 0),
            answers.get(slug, Counter())[True],
            answers.get(slug, Counter())[False],
            comments.get(slug, []),
        )
        for slug, title in sorted(articles.items(), key=lambda item: -(views.get(item[0]) or 0))
    ]


def searches_without_results(since: datetime, limit: int = 50) -> list[tuple[str, int]]:
    """The queries that found nothing since *since*, the most asked first."""
    total = func.sum(SearchMiss.count)
    rows = db.session.execute(
        select(SearchMiss.query, total)
        .where(SearchMiss.day >= since.date())
        .group_by(SearchMiss.query)
        .order_by(total.desc(), SearchMiss.query)
        .limit(limit)
    ).all()
    return [(query, int(count)) for query, count in rows]


def most_read(since: datetime, limit: int = 5) -> list[str]:
    """The slugs of the articles read most since *since*."""
    flush_views()
    return [slug for slug, _ in readership.most_read(since.date(), limit)]
