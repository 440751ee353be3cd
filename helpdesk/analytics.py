"""Counts for editors: how flows are walked and where people leave, how fixes go, how articles
are found helpful. Counts only: no personal data, transcripts stay with staff."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    cast,
    delete,
    distinct,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError

from . import readership
from .config import settings
from .extensions import db, rowcount
from .flows.engine import CompiledFlow
from .models import (
    ArticleFeedback,
    ArticleView,
    Diagnosis,
    DiagnosisDuration,
    DiagnosisEvent,
    DiagnosisRollup,
    DiagnosisStatus,
    RollupMark,
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


# Daily rollups. A day's diagnoses (by the UTC day they began) of each flow are counted once into
# diagnosis_rollups / diagnosis_durations; a refresh rebuilds only the days of the diagnoses
# changed or begun since the last one (and of the diagnoses whose transcript grew), every day in
# SQL (INSERT ... SELECT), nothing read into Python. The figures are then sums over the days,
# plus what cannot be summed ahead: the window's first, partial day (computed live) and which
# unfinished diagnoses are stale now (the few touched in the last day, read live).
ROLLUP = "diagnoses"
MARGIN = timedelta(minutes=10)  # a change committed this much after its timestamp is still seen
UNFINISHED = (DiagnosisStatus.ACTIVE, DiagnosisStatus.ABANDONED)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _day(column: Any) -> Any:
    """The UTC day of a time column, in SQL."""
    return func.date(func.timezone("UTC", column)) if _postgres() else func.date(column)


def _unindexed(column: Any) -> Any:
    """*column* in a filter or grouping that must not pick its index: without statistics SQLite
    would walk the index of the status (every ended diagnosis) or of the flow (every diagnosis)
    rather than the one of the time range asked (a unary + keeps an index out)."""
    if _postgres():
        return column
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _rollup_selects(start: datetime, end: datetime) -> list[Select[Any]]:
    """(day, flow_id, measure, key, detail, count) of the diagnoses begun in [start, end)."""
    day, flow = _day(Diagnosis.created_at), _unindexed(Diagnosis.flow_id)
    begun = (Diagnosis.created_at >= start, Diagnosis.created_at < end, Diagnosis.sandbox.is_(False))
    steps = (
        func.json_array_elements_text(Diagnosis.path) if _postgres() else func.json_each(Diagnosis.path)
    ).table_valued("value")
    action = func.coalesce(DiagnosisEvent.detail["action"].as_string(), "?")
    answer = func.coalesce(DiagnosisEvent.detail["answer"].as_string(), "?")
    return [
        select(day, flow, literal("status"), Diagnosis.status, literal(""), func.count())
        .where(*begun)
        .group_by(day, flow, Diagnosis.status),
        select(day, flow, literal("left"), Diagnosis.step, Diagnosis.status, func.count())
        .where(*begun, _unindexed(Diagnosis.status).in_(UNFINISHED))
        .group_by(day, flow, Diagnosis.step, Diagnosis.status),
        select(
            day,
            flow,
            literal("reached"),
            steps.c.value,
            literal(""),
            func.count(distinct(Diagnosis.id)),
        )
        .select_from(Diagnosis)
        .join(steps, true())
        .where(*begun)
        .group_by(day, flow, steps.c.value),
        select(day, flow, DiagnosisEvent.kind, action, answer, func.count())
        .select_from(DiagnosisEvent)
        .join(Diagnosis, Diagnosis.id == DiagnosisEvent.diagnosis_id)
        .where(*begun, DiagnosisEvent.kind.in_(("action", "checked")))
        .group_by(day, flow, DiagnosisEvent.kind, action, answer),
    ]


def _duration_select(start: datetime, end: datetime) -> Select[Any]:
    """(flow_id, day, seconds, count) of the ended diagnoses begun in [start, end)."""
    taken: Any
    if _postgres():
        taken = func.extract("epoch", Diagnosis.updated_at - Diagnosis.created_at)
    else:
        taken = (func.julianday(Diagnosis.updated_at) - func.julianday(Diagnosis.created_at)) * 86400
    seconds = cast(func.round(taken), Integer)
    day, flow = _day(Diagnosis.created_at), _unindexed(Diagnosis.flow_id)
    return (
        select(flow, seconds // 60, day, seconds, func.count())
        .where(
            Diagnosis.created_at >= start,
            Diagnosis.created_at < end,
            Diagnosis.sandbox.is_(False),
            _unindexed(Diagnosis.status).in_(ENDED),
        )
        .group_by(flow, day, seconds)
    )


def _minutes_select(first: date, last: date) -> Select[Any]:
    """The rollup rows of the whole minutes ended diagnoses took, from diagnosis_durations."""
    return (
        select(
            DiagnosisDuration.day,
            DiagnosisDuration.flow_id,
            literal("minute"),
            cast(DiagnosisDuration.minute, String),
            literal(""),
            func.sum(DiagnosisDuration.count),
        )
        .where(DiagnosisDuration.day >= first, DiagnosisDuration.day <= last)
        .group_by(DiagnosisDuration.day, DiagnosisDuration.flow_id, DiagnosisDuration.minute)
    )


def _as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def refresh_rollups(now: datetime | None = None) -> int:
    """Bring the daily rollups up to date; returns how many days were rebuilt. The first run
    builds every day; later runs rebuild the days of what changed since (cheap: today, mostly).
    Commits. Two at once take turns on the mark's row."""
    db.session.commit()  # begin with the lock below: a writer first on SQLite, a row lock on PostgreSQL
    now = now or utcnow()
    for _ in range(3):
        if rowcount(
            db.session.execute(update(RollupMark).where(RollupMark.name == ROLLUP).values(name=ROLLUP))
        ):
            break
        try:
            db.session.add(RollupMark(name=ROLLUP, last_diagnosis=0))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    refreshed_at, last_seen = db.session.execute(
        select(RollupMark.refreshed_at, RollupMark.last_diagnosis).where(RollupMark.name == ROLLUP)
    ).one()
    newest = db.session.scalar(select(func.max(Diagnosis.id))) or 0
    day = _day(Diagnosis.created_at)
    touched: Any
    if refreshed_at is None:
        touched = select(day).distinct()
    else:
        after = refreshed_at - MARGIN
        touched = union(
            select(day).where(or_(Diagnosis.updated_at >= after, Diagnosis.id > last_seen)).distinct(),
            select(day)
            .select_from(DiagnosisEvent)
            .join(Diagnosis, Diagnosis.id == DiagnosisEvent.diagnosis_id)
            .where(DiagnosisEvent.at >= after)
            .distinct(),
        )
    days = sorted({_as_day(d) for d in db.session.scalars(touched) if d is not None})
    for first, last in _runs(days):
        start, end = _midnight(first), _midnight(last + timedelta(days=1))
        for model in (DiagnosisRollup, DiagnosisDuration):
            db.session.execute(delete(model).where(model.day >= first, model.day <= last))
        columns = ["day", "flow_id", "measure", "key", "detail", "count"]
        for query in _rollup_selects(start, end):
            db.session.execute(insert(DiagnosisRollup).from_select(columns, query))
        db.session.execute(
            insert(DiagnosisDuration).from_select(
                ["flow_id", "minute", "day", "seconds", "count"], _duration_select(start, end)
            )
        )
        db.session.execute(insert(DiagnosisRollup).from_select(columns, _minutes_select(first, last)))
    db.session.execute(
        update(RollupMark)
        .where(RollupMark.name == ROLLUP)
        .values(refreshed_at=now, last_diagnosis=max(newest, last_seen))
    )
    db.session.commit()
    return len(days)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days joined: [(first, last), ...]."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def flow_stats(compiled: CompiledFlow, since: datetime) -> FlowStats:
    return flows_stats([compiled], since)[0]


def flows_stats(flows: list[CompiledFlow], since: datetime) -> list[FlowStats]:
    """Every flow's figures for the diagnoses begun since *since* (sandbox runs left out); a
    diagnosis untouched for ABANDONED_AFTER_HOURS counts as abandoned where it stopped."""
    now = utcnow()
    refresh_rollups(now)
    # whole days from the rollups; the first, partial day live, and the days records may have been
    # forgotten from (only when the records are kept for less than the window)
    forgotten = (now - timedelta(days=settings().records_days)).date()
    first_whole = max(since.date(), forgotten) + timedelta(days=1)
    counts: dict[str, Counter[tuple[str, str, str]]] = {}
    seconds: dict[str, Counter[int]] = {}
    rolled = (
        select(
            DiagnosisRollup.flow_id,
            DiagnosisRollup.measure,
            DiagnosisRollup.key,
            DiagnosisRollup.detail,
            func.sum(DiagnosisRollup.count),
        )
        .where(DiagnosisRollup.day >= first_whole)
        .group_by(
            DiagnosisRollup.flow_id, DiagnosisRollup.measure, DiagnosisRollup.key, DiagnosisRollup.detail
        )
    )
    live: list[Any] = []
    live_seconds: list[Any] = []
    if since < _midnight(first_whole):
        for query in _rollup_selects(since, _midnight(first_whole)):
            live.extend((flow_id, m, k, d, n) for _, flow_id, m, k, d, n in db.session.execute(query))
        live_seconds = [
            (f, s, n) for f, _, _, s, n in db.session.execute(_duration_select(since, _midnight(first_whole)))
        ]
    for flow_id, measure, key, detail, count in [*db.session.execute(rolled), *live]:
        counts.setdefault(flow_id, Counter())[(measure, key, detail)] += int(count)
    for flow_id, taken, count in live_seconds:
        seconds.setdefault(flow_id, Counter())[int(taken)] += int(count)
    # the unfinished diagnoses touched in the last day are still going: not abandoned (yet)
    going: dict[str, Counter[str]] = {}
    flow = _unindexed(Diagnosis.flow_id)
    for flow_id, step, count in db.session.execute(
        select(flow, Diagnosis.step, func.count())
        .where(
            _unindexed(Diagnosis.status) == DiagnosisStatus.ACTIVE,
            Diagnosis.updated_at >= now - timedelta(hours=ABANDONED_AFTER_HOURS),
            _unindexed(Diagnosis.created_at) >= since,
            Diagnosis.sandbox.is_(False),
        )
        .group_by(flow, Diagnosis.step)
    ):
        going.setdefault(flow_id, Counter())[step] += int(count)
    found = []
    for compiled in flows:
        stats = _figures(compiled, counts.get(compiled.id, Counter()), going.get(compiled.id, Counter()))
        partial = seconds.get(compiled.id, Counter())
        rolled_counts = counts.get(compiled.id, Counter())
        minutes = Counter({int(k): n for (m, k, _), n in rolled_counts.items() if m == "minute"})
        stats.median_minutes = _median(compiled.id, minutes, partial, first_whole)
        found.append(stats)
    return found


def _figures(compiled: CompiledFlow, counts: Counter[tuple[str, str, str]], going: Counter[str]) -> FlowStats:
    flow = compiled.flow
    stats = FlowStats(flow.id, flow.title)
    reached: Counter[str] = Counter()
    left: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for (measure, key, detail), count in sorted(counts.items()):
        if not count:
            continue
        if measure == "status":
            statuses[key] += count
        elif measure == "reached":
            reached[key] += count
        elif measure == "left":
            left[key] += count
        elif measure in ("action", "checked"):
            stats.actions.setdefault(key, Counter())[detail] += count
            if measure == "checked":
                stats.checks[detail] += count
    stats.started = sum(statuses.values())
    for status in ENDED:
        if statuses[status]:
            stats.outcomes[status] = statuses[status]
    still_going = sum(going.values())
    abandoned = statuses[DiagnosisStatus.ABANDONED] + statuses[DiagnosisStatus.ACTIVE] - still_going
    if abandoned:
        stats.outcomes[DiagnosisStatus.ABANDONED] = abandoned
    if still_going:
        stats.outcomes[DiagnosisStatus.ACTIVE] = still_going
    left.subtract(going)
    position = {sid: n for n, sid in enumerate(flow.steps)}
    order = sorted(flow.steps, key=lambda sid: (-reached[sid], position[sid]))
    stats.steps = [StepStats(sid, flow.steps[sid].kind, reached[sid], left[sid]) for sid in order]
    return stats


def _minute(seconds: int) -> int:
    return int(seconds / 60)  # as SQL divides integers: towards zero


def _median(flow_id: str, minutes: Counter[int], live: Counter[int], first_whole: date) -> float | None:
    """The median time to end, in minutes: the minute (or two) holding the middle is found from
    the per-minute counts, then only that minute's seconds are read. *live*: {seconds: count} of
    the partial first day, *minutes*: the whole days' counts per minute (the live ones added here)."""
    for taken, count in live.items():
        minutes[_minute(taken)] += count
    total = sum(minutes.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the middle one, or the middle two
    found: list[int] = []
    seen = 0
    for minute in sorted(minutes):
        if not wanted or wanted[0] >= seen + minutes[minute]:
            seen += minutes[minute]
            continue
        exact: Counter[int] = Counter({t: n for t, n in live.items() if _minute(t) == minute})
        for taken, count in db.session.execute(
            select(DiagnosisDuration.seconds, func.sum(DiagnosisDuration.count))
            .where(
                DiagnosisDuration.flow_id == flow_id,
                DiagnosisDuration.minute == minute,
                DiagnosisDuration.day >= first_whole,
            )
            .group_by(DiagnosisDuration.seconds)
        ):
            exact[int(taken)] += int(count)
        for taken in sorted(exact):
            seen += exact[taken]
            while wanted and wanted[0] < seen:
                found.append(taken)
                wanted.pop(0)
    return sum(found) / len(found) / 60


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
    given = ArticleFeedback.created_at >= since
    for article, helpful, count in db.session.execute(
        select(ArticleFeedback.article, ArticleFeedback.helpful, func.count())
        .where(given)
        .group_by(ArticleFeedback.article, ArticleFeedback.helpful)
    ):
        answers.setdefault(article, Counter())[bool(helpful)] += int(count)
    comments: dict[str, list[str]] = {}  # the comments are shown: read, but only those
    for article, comment in db.session.execute(
        select(ArticleFeedback.article, ArticleFeedback.comment)
        .where(given, ArticleFeedback.comment != "")
        .order_by(ArticleFeedback.id)
    ):
        comments.setdefault(article, []).append(comment)
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
