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
    "passkey-trouble",
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



def _page_pairs(flow_id: str) -> list[tuple[str, str, str, str | None]]:
    """Every move between two pages a person can make in *flow_id*, an end that hands over
    leading to the next flow's first page: (this page's progress hint, its kind, how it was
    left, the next page's hint or None when an end page comes next). Every path of the flow
    is made of these moves, so checking each checks every path, however long or looped."""
    compiled = CATALOG.flows[flow_id]
    pairs = []
    for step_id, step in compiled.flow.steps.items():
        if step.kind == "end":
            continue
        hint = compiled.outlook[step_id].hint()
        for trigger, target_id in step.transitions():
            target = compiled.step(target_id)
            after: str | None = None
            if target.kind != "end":
                after = compiled.outlook[target_id].hint()
            elif target.outcome == "flow":
                following = CATALOG.flows[target.flow]
                after = following.outlook[following.flow.start].hint()
            pairs.append((hint, step.kind, trigger, after))
    return pairs


def _steps_to_go(hint: str | None) -> int | None:
    if hint is None:
        return 0
    if hint.startswith("last step"):
        return 1
    return int(hint.split()[2]) if hint.startswith("up to ") else None


@pytest.mark.parametrize("flow_id", sorted(CATALOG.flows))
def test_the_progress_hint_never_misleads_on_any_path(flow_id):
    """Page by page, handovers included: "last step" is followed by an end page whatever
    happens; "last step if this works" by an end page when the fix works; the count of steps
    to go never rises, and an estimate never gives way to none, unless a fix just failed."""
    pairs = _page_pairs(flow_id)
    assert pairs
    for hint, kind, left_by, after in pairs:
        move = f"{flow_id}: {hint!r} --{left_by}--> {after!r}"
        if hint == "last step":
            assert after is None, move
        if hint == "last step if this works":
            assert kind in ("action", "check"), move
            assert after is None or left_by == "failure", move
        before, next_count = _steps_to_go(hint), _steps_to_go(after)
        if before is not None and left_by != "failure":
            assert next_count is not None and next_count < before, move


def test_the_progress_hint_gives_an_estimate_on_most_pages():
    """A plain "Step N" is the exception: most pages of the shipped flows say how far it is."""
    hints = [
        compiled.outlook[sid].hint()
        for compiled in CATALOG.flows.values()
        for sid, step in compiled.flow.steps.items()
        if step.kind != "end"
    ]
    assert sum(bool(h) for h in hints) > len(hints) / 2
