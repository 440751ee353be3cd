"""Counts for editors: how flows are walked and where people leave, how fixes go, how articles
are found helpful. Counts only: no personal data, transcripts stay with staff."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .flows.engine import CompiledFlow
from .models import ArticleFeedback, ArticleView, Diagnosis, DiagnosisEvent, utcnow

ENDED = ("resolved", "escalated", "linked")
ABANDONED_AFTER_HOURS = 24


def count_view(article: str) -> None:
    """One more view of *article* today: one atomic UPDATE, or the day's first row."""
    today = utcnow().date()
    for _ in range(3):
        updated = db.session.execute(
            update(ArticleView)
            .where(ArticleView.article == article, ArticleView.day == today)
            .values(views=ArticleView.views + 1)
        )
        if updated.rowcount:
            db.session.commit()
            return
        try:
            with db.session.begin_nested():
                db.session.add(ArticleView(article=article, day=today, views=1))
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
    outcomes: Counter[str] = field(default_factory=Counter)  # resolved, escalated, linked, abandoned, active
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
            stats.outcomes[diagnosis.status] += 1
            durations.append((diagnosis.updated_at - diagnosis.created_at).total_seconds() / 60)
        elif diagnosis.status == "abandoned" or diagnosis.updated_at.timestamp() < stale:
            stats.outcomes["abandoned"] += 1
            left[diagnosis.step] += 1
        else:
            stats.outcomes["active"] += 1
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
    day: date = since.date()
    views = dict(
        db.session.execute(
            select(ArticleView.article, func.sum(ArticleView.views))
            .where(ArticleView.day >= day)
            .group_by(ArticleView.article)
        ).all()
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
