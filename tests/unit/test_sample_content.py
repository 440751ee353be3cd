"""The shipped sample content: clean, and every flow walked along every path to an end."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.actions import action_names
from helpdesk.content.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent.parent
CATALOG = load_catalog(ROOT / "content", ROOT / "flows", action_names())
REQUIRED_FLOWS = {
    "cant-sign-in",
    "wrong-password",
    "two-factor-rejected",
    "lost-phone",
    "locked-out",
    "no-factor-left",
    "someone-else-signed-in",
    "is-this-site-ours",
    "after-recovery",
}


def all_paths(flow_id: str) -> list[list[str]]:
    """Every path from the start, each step at most twice on one path (loops are walked once)."""
    compiled = CATALOG.flows[flow_id]
    finished: list[list[str]] = []
    stack = [[compiled.flow.start]]
    while stack:
        path = stack.pop()
        step = compiled.step(path[-1])
        if step.kind == "end":
            finished.append(path)
            continue
        ways = step.transitions()
        assert ways, f"{flow_id}: step {step.id} has no way on"
        for trigger, _ in ways:
            target = compiled.move(step.id, trigger)
            if path.count(target) < 2:
                stack.append([*path, target])
    return finished


def test_the_sample_content_has_no_problems():
    assert [str(p) for p in CATALOG.problems] == []


def test_the_sample_covers_every_problem_of_the_guide():
    assert set(CATALOG.flows) >= REQUIRED_FLOWS


def test_the_entry_flow_hands_over_to_every_other_flow():
    entry = CATALOG.flows["cant-sign-in"].flow
    linked = {s.flow for s in entry.steps.values() if s.kind == "end" and s.outcome == "flow"}
    assert REQUIRED_FLOWS - {"cant-sign-in"} <= linked


@pytest.mark.parametrize("flow_id", sorted(CATALOG.flows))
def test_every_path_of_the_flow_reaches_an_end(flow_id):
    paths = all_paths(flow_id)
    assert paths
    compiled = CATALOG.flows[flow_id]
    ends = {p[-1] for p in paths}
    assert ends == {s.id for s in compiled.flow.steps.values() if s.kind == "end"}
    visited = {step for p in paths for step in p}
    assert visited == set(compiled.flow.steps)


@pytest.mark.parametrize("flow_id", sorted(CATALOG.flows))
def test_every_question_step_shows_an_article_section(flow_id):
    for step in CATALOG.flows[flow_id].flow.steps.values():
        if step.kind == "question":
            assert step.article, f"{flow_id}: {step.id} has no article beside it"
