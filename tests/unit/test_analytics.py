"""The analytics from daily rollups equal the full computation over the diagnoses they replaced."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from helpdesk.analytics import (
    ABANDONED_AFTER_HOURS,
    ENDED,
    FlowStats,
    StepStats,
    article_stats,
    flows_stats,
    refresh_rollups,
)
from helpdesk.extensions import db
from helpdesk.flows.diagram import edges_of
from helpdesk.flows.engine import CompiledFlow
from helpdesk.models import (
    ArticleFeedback,
    Diagnosis,
    DiagnosisEvent,
    DiagnosisRollup,
    DiagnosisStatus,
    utcnow,
)
from tests.conftest import build_app


def reference_flow_stats(compiled: CompiledFlow, since: Any) -> FlowStats:
    """The computation before the rollups (every diagnosis read into Python): the oracle."""
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


def walk(compiled: CompiledFlow, rng: random.Random) -> list[str]:
    following: dict[str, list[str]] = {}
    for source, target, _ in edges_of(compiled):
        following.setdefault(source, []).append(target)
    path = [compiled.flow.start]
    while path[-1] in following and len(path) < 12 and rng.random() < 0.85:
        path.append(rng.choice(following[path[-1]]))
    if rng.random() < 0.1:
        path.append(path[0])  # went back to the start: a step twice on the path
    return path


def seed(flows: list[CompiledFlow], rng: random.Random, count: int, first: int = 0) -> None:
    now = utcnow()
    for n in range(first, first + count):
        compiled = rng.choice(flows)
        path = walk(compiled, rng)
        status = rng.choice([*DiagnosisStatus, DiagnosisStatus.ACTIVE])
        created = now - timedelta(seconds=rng.uniform(0, 100 * 86400))
        if rng.random() < 0.1:  # on the very edge of the 30-day window
            created = now - timedelta(days=30, seconds=rng.uniform(-90, 90))
        updated = min(now, created + timedelta(seconds=rng.choice([0, 59.7, 60.2, rng.uniform(1, 90_000)])))
        diagnosis = Diagnosis(
            reference=f"T{n:07d}",
            flow_id=compiled.id,
            flow_digest="x",
            step=path[-1],
            path=path,
            answers=["a"] * (len(path) - 1),
            status=status,
            sandbox=rng.random() < 0.05,
            created_at=created,
            updated_at=updated,
        )
        db.session.add(diagnosis)
        db.session.flush()
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            detail: dict[str, str] = {"action": rng.choice(["send-reset-link", "unlock", "verify"])}
            if rng.random() < 0.9:
                detail["answer"] = rng.choice(["success", "failure", "pending"])
            if rng.random() < 0.05:
                detail.pop("action")
            db.session.add(
                DiagnosisEvent(
                    diagnosis_id=diagnosis.id,
                    kind=rng.choice(["action", "checked", "answered"]),
                    step=path[-1],
                    detail=detail,
                )
            )
    db.session.commit()


def assert_same(flows: list[CompiledFlow], days: int) -> None:
    since = utcnow() - timedelta(days=days)
    for rolled, compiled in zip(flows_stats(flows, since), flows, strict=True):
        expected = reference_flow_stats(compiled, since)
        assert (rolled.flow_id, rolled.started) == (expected.flow_id, expected.started)
        assert dict(rolled.outcomes) == dict(expected.outcomes)
        assert rolled.steps == expected.steps
        assert {k: dict(v) for k, v in rolled.actions.items()} == {
            k: dict(v) for k, v in expected.actions.items()
        }
        assert dict(rolled.checks) == dict(expected.checks)
        if expected.median_minutes is None:
            assert rolled.median_minutes is None
        else:  # durations are kept to the second
            assert rolled.median_minutes is not None
            assert abs(rolled.median_minutes - expected.median_minutes) <= 0.5 / 60 + 1e-9


def test_rollups_give_the_figures_of_the_full_computation_and_follow_changes(tmp_path):
    app = build_app(tmp_path)
    rng = random.Random(15)
    with app.app_context():
        flows = sorted(app.extensions["helpdesk.catalog"].flows.values(), key=lambda c: c.id)
        seed(flows, rng, 400)
        for days in (7, 30, 90):
            assert_same(flows, days)
        assert db.session.scalar(select(func.count()).select_from(DiagnosisRollup))
        # changes after the first build: diagnoses move on or end, transcripts grow, new ones
        # arrive (some stamped in the past, as an import would), and the rollups follow
        moved = db.session.scalars(select(Diagnosis.id).order_by(Diagnosis.id).limit(60)).all()
        for n, diagnosis_id in enumerate(moved):
            db.session.execute(
                update(Diagnosis)
                .where(Diagnosis.id == diagnosis_id)
                .values(
                    status=[*DiagnosisStatus][n % 5],
                    step=flows[0].flow.start,
                    updated_at=utcnow() - timedelta(hours=n),
                )
            )
            db.session.add(
                DiagnosisEvent(
                    diagnosis_id=diagnosis_id,
                    kind="checked",
                    step="x",
                    detail={"action": "verify", "answer": "success"},
                )
            )
        db.session.commit()
        seed(flows, rng, 100, first=400)
        for days in (7, 30, 90):
            assert_same(flows, days)


def test_a_refresh_with_nothing_changed_rebuilds_no_day(tmp_path):
    app = build_app(tmp_path)
    with app.app_context():
        flows = sorted(app.extensions["helpdesk.catalog"].flows.values(), key=lambda c: c.id)
        seed(flows, random.Random(3), 40)
        assert refresh_rollups() > 1  # the first one builds every day
        later = utcnow() + timedelta(hours=1)
        refresh_rollups(later)  # may rebuild today again: a change may commit late
        assert refresh_rollups(later) == 0  # past that margin


def test_article_answers_and_comments_are_counted_in_the_database(app):
    with app.app_context():
        for helpful, comment in [(True, ""), (True, ""), (False, "no screenshots"), (False, "")]:
            db.session.add(ArticleFeedback(article="public-wifi", helpful=helpful, comment=comment))
        db.session.commit()
        [stats] = article_stats({"public-wifi": "Public Wi-Fi"}, utcnow() - timedelta(days=1))
    assert (stats.helpful, stats.not_helpful, stats.comments) == (2, 2, ["no screenshots"])


def test_the_refresh_command_builds_the_rollups(tmp_path):
    app = build_app(tmp_path)
    with app.app_context():
        flows = sorted(app.extensions["helpdesk.catalog"].flows.values(), key=lambda c: c.id)
        seed(flows, random.Random(4), 5)
    result = app.test_cli_runner().invoke(args=["analytics", "refresh"])
    assert result.exit_code == 0, result.output
    assert "day(s) rebuilt" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DiagnosisRollup))
