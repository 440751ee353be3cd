"""Prints how long the content takes to load and check, and what one diagnosis step costs.

.venv/bin/python bench/engine.py [--articles 1000 --flows 200 --steps 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk import create_app  # noqa: E402
from helpdesk.actions import action_names  # noqa: E402
from helpdesk.cases.diagnoses import answer, flow_for, start_diagnosis  # noqa: E402
from helpdesk.content.catalog import load_catalog  # noqa: E402
from helpdesk.content.render import render_inline, render_markdown  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.flows.engine import compile_flow  # noqa: E402
from helpdesk.models import Diagnosis  # noqa: E402

WORDS = [
    "password",
    "account",
    "sign",
    "in",
    "code",
    "phone",
    "authenticator",
    "recovery",
    "email",
    "link",
    "reset",
    "lock",
    "device",
    "session",
    "browser",
    "clock",
    "time",
    "help",
    "support",
    "verify",
    "address",
    "security",
    "key",
    "app",
    "network",
]


def paragraph(rng: random.Random, n: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(directory: Path, articles: int, flows: int, steps: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    content, flow_dir = directory / "content", directory / "flows"
    content.mkdir()
    flow_dir.mkdir()
    for a in range(articles):
        sections = "\n\n".join(f"## Section {s}\n\n{paragraph(rng)}\n\n{paragraph(rng)}" for s in range(6))
        link = f"See [another](article-{(a + 1) % articles}.md#section-2)."
        (content / f"article-{a}.md").write_text(
            f"---\ntitle: Article {a}\nsummary: {paragraph(rng, 12)}\n"
            f"tags: [generated]\nupdated: 2026-11-25\n---\n{link}\n\n{sections}\n"
        )
    for f in range(flows):
        lines = [f"id: flow-{f}", f"title: Flow {f}", "version: 1", "start: s0", "steps:"]
        for s in range(steps - 2):
            later = [min(s + 1, steps - 3), min(s + 2, steps - 3)]
            lines += [
                f"  s{s}:",
                "    kind: question",
                f"    text: Question {s}?",
                f"    article: article-{rng.randrange(articles)}#section-{rng.randrange(6)}",
                "    choices:",
                "      - id: one",
                "        label: One",
                f"        next: s{later[0]}" if s < steps - 3 else "        next: done",
                "      - id: two",
                "        label: Two",
                f"        next: s{later[1]}" if s < steps - 3 else "        next: help",
                "      - id: unsure",
                "        label: I don't know",
                "        next: help",
            ]
        lines += [
            "  done:",
            "    kind: end",
            "    outcome: resolved",
            "  help:",
            "    kind: end",
            "    outcome: escalate",
        ]
        (flow_dir / f"flow-{f}.yaml").write_text("\n".join(lines) + "\n")


def timed(label: str, fn, repeat: int = 1) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    best = min(samples)
    print(f"{label:<58} {best * 1000:10.1f} ms" + (f"  (best of {repeat})" if repeat > 1 else ""))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--moves", type=int, default=2000)
    args = parser.parse_args()
    names = action_names()

    def clear_caches() -> None:
        render_markdown.cache_clear()
        render_inline.cache_clear()

    def sample() -> None:
        clear_caches()
        loaded = load_catalog(ROOT / "content", ROOT / "flows", names)
        assert not loaded.problems, loaded.problems

    sample_catalog = load_catalog(ROOT / "content", ROOT / "flows", names)
    print(f"sample content: {len(sample_catalog.articles)} articles, {len(sample_catalog.flows)} flows")
    timed("load + validate + compile the sample content (cold)", sample, repeat=5)

    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp)
        generate(generated, args.articles, args.flows, args.steps)

        def big() -> None:
            clear_caches()
            loaded = load_catalog(generated / "content", generated / "flows", names)
            assert not loaded.problems, loaded.problems[:3]
            assert len(loaded.flows) == args.flows

        print(f"generated: {args.articles} articles, {args.flows} flows of {args.steps} steps")
        timed("load + validate + compile the generated set (cold render)", big, repeat=3)
        timed(
            "the same, renders cached (an edit to one file)",
            lambda: load_catalog(generated / "content", generated / "flows", names),
            repeat=3,
        )
        catalog = load_catalog(generated / "content", generated / "flows", names)
        flow = catalog.flows["flow-0"]

        builds = []
        for _ in range(200):
            start = time.perf_counter()
            compile_flow(flow.flow)
            builds.append(time.perf_counter() - start)
        moves = []
        for _ in range(args.moves):
            start = time.perf_counter()
            flow.move("s0", "one")
            moves.append(time.perf_counter() - start)

        app = create_app(
            {
                "testing": True,
                "secret_key": "bench",
                "instance_dir": generated / "instance",
                "database_url": f"sqlite:///{generated / 'bench.sqlite3'}",
                "content_dir": generated / "content",
                "flows_dir": generated / "flows",
                "rate_limits": False,
            }
        )
        with app.app_context():
            db.create_all()
            live = app.extensions["helpdesk.catalog"].flows["flow-0"]
            step_costs = []
            for _ in range(max(1, args.moves // 20)):
                diagnosis_id = start_diagnosis(live).id
                db.session.remove()
                for _ in range(args.steps - 3):
                    start = time.perf_counter()
                    diagnosis = db.session.get(Diagnosis, diagnosis_id)  # restore
                    compiled = flow_for(diagnosis, live)
                    answer(diagnosis, compiled, diagnosis.step, "one")  # trigger + persist
                    db.session.remove()
                    step_costs.append(time.perf_counter() - start)
    us = 1e6

    def line(label: str, seconds: float, extra: str = "") -> None:
        print(f"{label:<58} {seconds * us:10.1f} µs median{extra}")

    line("build one Machine (compile a 40-step flow)", statistics.median(builds))
    line("fire one trigger on a restored model", statistics.median(moves))
    p95 = statistics.quantiles(step_costs, n=20)[-1] * us
    line(
        "one step: restore + trigger + persist (SQLite file)",
        statistics.median(step_costs),
        f", p95 {p95:.1f} µs",
    )


if __name__ == "__main__":
    main()
