"""Prints the editors' 30-day analytics time and peak memory for 10^4, 10^5 and 10^6 diagnoses.

.venv/bin/python bench/analytics.py [--sizes 10000,100000,1000000] [--database-url URL] [--http]

Each size runs in its own process (so its peak memory is its own): it fills a fresh database
(a SQLite file, or the PostgreSQL database given, emptied first) with diagnoses spread over 60
days, walked through the sample content's flows (paths, answers, statuses, action and check
events as the engine writes them; a tenth still going, some abandoned, some sandbox runs), then
times the analytics page's work: every flow's figures, the articles and the searches. "first"
includes building the daily rollups (once, or run `flask analytics refresh` from cron); "again"
is the page as editors get it after that: the rollups refreshed from what changed since, plus
today and the window's first partial day computed live. Memory: the process's peak RSS growth
during the analytics calls (ru_maxrss), and tracemalloc's peak of Python allocations. With
--http, also the page itself as a signed-in editor gets it (through Flask's test client); with
--compare, also the full computation the rollups replaced (the tests' oracle), for a ratio taken
on the same data in the same run.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from helpdesk import analytics, create_app  # noqa: E402
from helpdesk.content.live import KEY  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.flows.diagram import edges_of  # noqa: E402
from helpdesk.flows.engine import CompiledFlow  # noqa: E402
from helpdesk.models import Diagnosis, DiagnosisEvent  # noqa: E402

DAYS = 60
CHUNK = 5_000
OUTCOME_STATUS = {"resolved": "resolved", "escalate": "escalated", "flow": "linked"}


def walks(compiled: CompiledFlow, rng: random.Random, count: int = 60) -> list[tuple[list, list]]:
    """Random walks (path, answers) from the flow's start, each ending at an end or cut short."""
    following: dict[str, list[tuple[str, str]]] = {}
    for source, target, trigger in edges_of(compiled):
        following.setdefault(source, []).append((target, trigger))
    found = []
    for _ in range(count):
        path, answers = [compiled.flow.start], []
        while path[-1] in following and len(path) < 40:
            target, trigger = rng.choice(following[path[-1]])
            answers.append(trigger)
            path.append(target)
        found.append((path, answers))
    return found


def status_of(compiled: CompiledFlow, step_id: str) -> str:
    step = compiled.step(step_id)
    if step.kind != "end":
        return "active"
    return OUTCOME_STATUS.get(str(getattr(step, "outcome", "resolved")), "resolved")


def fill(count: int, flows: list[CompiledFlow], now: datetime, seed: int = 5) -> None:
    rng = random.Random(seed)
    routes = {c.id: walks(c, rng) for c in flows}
    weights = [1 / (rank + 1) for rank in range(len(flows))]  # a few flows walked most
    made = 0
    while made < count:
        diagnoses: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for n in range(made, min(count, made + CHUNK)):
            compiled = rng.choices(flows, weights=weights)[0]
            path, answers = rng.choice(routes[compiled.id])
            status = status_of(compiled, path[-1])
            if status == "active" or rng.random() < 0.15:  # stopped half way, or gave up
                cut = rng.randrange(1, len(path) + 1)
                path, answers = path[:cut], answers[: cut - 1]
                status = "abandoned" if rng.random() < 0.3 else "active"
            created = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
            taken = timedelta(seconds=rng.expovariate(1 / 400))
            updated = min(now, created + taken)
            diagnoses.append(
                {
                    "id": n + 1,
                    "reference": f"B{n:09d}",
                    "flow_id": compiled.id,
                    "flow_digest": compiled.digest if rng.random() < 0.8 else "0" * 64,  # versions
                    "step": path[-1],
                    "path": path,
                    "answers": answers,
                    "status": status,
                    "revision": len(answers),
                    "sandbox": rng.random() < 0.02,
                    "created_at": created,
                    "updated_at": updated,
                    "browser_handoffs": 0,
                }
            )
            for step_id, trigger in zip(path, answers, strict=False):
                kind = compiled.step(step_id).kind
                if kind in ("action", "check"):
                    events.append(
                        {
                            "diagnosis_id": n + 1,
                            "at": updated,
                            "kind": "action" if kind == "action" else "checked",
                            "step": step_id,
                            "detail": {"action": step_id, "answer": trigger, "next": "x"},
                        }
                    )
                events.append(
                    {
                        "diagnosis_id": n + 1,
                        "at": updated,
                        "kind": "answered",
                        "step": step_id,
                        "detail": {"answer": trigger},
                    }
                )
        db.session.execute(insert(Diagnosis), diagnoses)
        if events:
            db.session.execute(insert(DiagnosisEvent), events)
        db.session.commit()
        made += len(diagnoses)


def page(app: Any, days: int) -> None:
    """What the analytics page computes."""
    since = analytics.utcnow() - timedelta(days=days)
    served = app.extensions[KEY]
    flows = sorted(served.flows.values(), key=lambda c: c.id)
    if hasattr(analytics, "flows_stats"):
        analytics.flows_stats(flows, since)
    else:  # the code before the rollups
        for compiled in flows:
            analytics.flow_stats(compiled, since)
    analytics.article_stats({a.slug: a.title for a in served.articles.values()}, since)
    analytics.searches_without_results(since)


def page_over_http(app: Any, days: int) -> float:
    """The analytics page as an editor's browser gets it (Flask's test client: the whole view)."""
    from tests.conftest import make_staff, staff_client

    secret = make_staff(app, "editor@example.org", "editor")
    assert secret is not None
    client = staff_client(app, "editor@example.org", secret)
    client.get("/editor/analytics?days=7")  # the templates compiled, as in a running worker
    started = time.perf_counter()
    response = client.get(f"/editor/analytics?days={days}")
    taken = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return taken


def one(size: int, url: str, days: int, with_http: bool, compare: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app(
            {"testing": True, "secret_key": "bench", "database_url": url, "instance_dir": Path(tmp) / "i"}
        )
        with app.app_context():
            db.drop_all()
            db.create_all()
            flows = sorted(app.extensions[KEY].flows.values(), key=lambda c: c.id)
            started = time.perf_counter()
            fill(size, flows, datetime.now(UTC))
            filled = time.perf_counter() - started
            db.session.remove()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            timings = []
            for _ in range(2):
                started = time.perf_counter()
                page(app, days)
                timings.append(time.perf_counter() - started)
                db.session.remove()
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
            old = ""
            if compare:  # the computation the rollups replaced, on the same data in the same run
                from tests.unit.test_analytics import reference_flow_stats

                since = analytics.utcnow() - timedelta(days=days)
                started = time.perf_counter()
                for compiled in flows:
                    reference_flow_stats(compiled, since)
                old = f" {time.perf_counter() - started:9.2f}"
                db.session.remove()
            http = ""
            if with_http:
                http = f" {page_over_http(app, days):9.2f}"
            tracemalloc.start()
            page(app, days)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            db.session.remove()
            print(
                f"{size:>10,} {db.engine.dialect.name:>10} {filled:8.1f} {timings[0]:9.2f} "
                f"{timings[1]:9.2f} {grown:12.0f} {peak:12.1f}{http}{old}",
                flush=True,
            )
            if db.engine.dialect.name != "sqlite":  # (the SQLite file goes with its folder)
                db.drop_all()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--database-url", default="", help="default: a SQLite file per size")
    parser.add_argument("--http", action="store_true", help="also time the page through the app")
    parser.add_argument(
        "--compare", action="store_true", help="also time the full computation the rollups replaced"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.one:
        one(options.one, options.database_url, options.days, options.http, options.compare)
        return
    print(f"{options.days}-day analytics; times in seconds, memory in MB")
    print(
        f"{'diagnoses':>10} {'database':>10} {'fill s':>8} {'first s':>9} {'again s':>9} "
        f"{'RSS growth':>12} {'py peak':>12}{'    page s' if options.http else ''}"
        f"{'     old s' if options.compare else ''}",
        flush=True,
    )
    for size in (int(s) for s in options.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(size), "--days", str(options.days)]
        if options.database_url:
            command += ["--database-url", options.database_url]
        command += ["--http"] * options.http + ["--compare"] * options.compare
        subprocess.run(command, check=True)  # noqa: S603 (this script, again)


if __name__ == "__main__":
    main()
