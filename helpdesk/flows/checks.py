"""Checks of a loaded flow against itself and everything it refers to."""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Callable, Collection, Mapping

from ..problems import Problem
from .spec import Flow, Step


def check_flow(
    flow: Flow,
    *,
    article_exists: Callable[[str, str], bool],
    action_names: Collection[str],
    flow_ids: Collection[str],
) -> list[Problem]:
    """Every problem of *flow*: targets, reachability, dead ends, actions, articles.

    `article_exists(slug, section)` answers for a section ("" = the whole article).
    """
    problems: list[Problem] = []

    def report(at: int, message: str) -> None:
        problems.append(Problem(flow.path, at, message))

    steps = flow.steps
    if flow.start not in steps:
        report(flow.line_of("start"), f"start step '{flow.start}' does not exist")

    for step in steps.values():
        for trigger, target in step.transitions():
            if target not in steps:
                report(_target_line(step, trigger), _unknown_target(step, target, steps))
        if step.kind in ("action", "check") and step.action not in action_names:
            known = ", ".join(sorted(action_names)) or "none registered"
            report(
                step.line_of("action"),
                f"step '{step.id}': unknown action '{step.action}' (known: {known})",
            )
        if step.kind == "end" and step.outcome == "flow" and step.flow:
            if step.flow not in flow_ids:
                report(step.line_of("flow"), f"step '{step.id}': no flow with id '{step.flow}'")
            elif step.flow == flow.id:
                report(step.line_of("flow"), f"step '{step.id}' links to its own flow")
        if step.article:
            slug, _, section = step.article.partition("#")
            if not article_exists(slug, ""):
                report(step.line_of("article"), f"step '{step.id}': no article '{slug}'")
            elif section and not article_exists(slug, section):
                report(
                    step.line_of("article"),
                    f"step '{step.id}': article '{slug}' has no section '#{section}'",
                )

    if flow.start in steps:
        problems.extend(_graph_problems(flow))
    return problems


def capability_warnings(flow: Flow, not_offered: Mapping[str, str], directory: str) -> list[Problem]:
    """A warning for each fix step of *flow* the configured *directory* cannot do (*not_offered*:
    step id -> the capability it lacks): the step is never offered, its failure branch is taken."""
    return [
        Problem(
            flow.path,
            flow.steps[sid].line_of("action"),
            f"step '{sid}': action '{flow.steps[sid].action}' needs the directory's "
            f"'{capability}', which the configured directory ({directory}) lacks: it is never "
            f"offered and a diagnosis takes its failure branch ('{flow.steps[sid].on_failure}')",
        )
        for sid, capability in not_offered.items()
        if sid in flow.steps
    ]


def _target_line(step: Step, trigger: str) -> int:
    if step.kind == "question":
        for choice in step.choices:
            if choice.id == trigger:
                return choice.line
    field = {
        "continue": "next",
        "success": "on_success",
        "failure": "on_failure",
        "pending": "on_pending",
    }.get(trigger, "")
    return step.line_of(field)


def _unknown_target(step: Step, target: str, steps: dict[str, Step]) -> str:
    message = f"step '{step.id}' goes to unknown step '{target}'"
    close = [s for s in steps if _similar(s, target)]
    if close:
        message += f" (did you mean '{close[0]}'?)"
    return message


def _similar(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def _graph_problems(flow: Flow) -> list[Problem]:
    steps = flow.steps
    problems: list[Problem] = []
    edges = {sid: [t for _, t in step.transitions() if t in steps] for sid, step in steps.items()}
    reachable = _walk(flow.start, edges)
    for sid, step in steps.items():
        if sid not in reachable:
            problems.append(Problem(flow.path, step.line, f"step '{sid}' is unreachable from '{flow.start}'"))
    for sid, step in steps.items():
        if step.kind != "end" and not step.transitions():
            problems.append(
                Problem(flow.path, step.line, f"step '{sid}' is a dead end: no way on and not an end")
            )
    # steps from which no end can be reached: a cycle (or chain) with no way out
    reverse: dict[str, list[str]] = {sid: [] for sid in steps}
    for sid, targets in edges.items():
        for t in targets:
            reverse[t].append(sid)
    can_finish = _walk_many([s for s, st in steps.items() if st.kind == "end"], reverse)
    for sid, step in steps.items():
        if sid in reachable and sid not in can_finish and step.transitions():
            problems.append(
                Problem(
                    flow.path,
                    step.line,
                    f"step '{sid}' is in a loop with no way out: no end can be reached from it",
                )
            )
    if not any(s.kind == "end" for s in steps.values()):
        problems.append(Problem(flow.path, flow.line_of("steps"), "the flow has no end step"))
    return problems


def _walk(start: str, edges: dict[str, list[str]]) -> set[str]:
    return _walk_many([start], edges)


def _walk_many(starts: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
