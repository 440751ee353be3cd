"""A flow as a diagram an editor can read: laid out by Graphviz `dot`, drawn as SVG.

Why Graphviz: `dot` is the layered (Sugiyama) layout engine the others are measured against,
packaged by every distribution (Debian: `graphviz`), and it places edge labels as nodes of their
own, so no label overprints another and edges are routed around the steps they pass, never
through them. It runs once per flow version (the DOT source is the cache key), never per view.

Without Graphviz the page says how to install it and keeps the text table of every way through.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from .engine import CompiledFlow
from .spec import Flow

KIND_FILL = {
    "question": "#e8f1fb",
    "info": "#f3f6f9",
    "action": "#fff4d6",
    "check": "#e9f7ec",
    "end": "#ececec",
}
INK, FAILURE, START = "#4a5560", "#b00020", "#0b57a4"
NOT_OFFERED, NOT_OFFERED_FILL = "#6b6b6b", "#f4f4f4"  # a fix the configured directory can't do
FONT = "DejaVu Sans"
DOT_SECONDS = 10
LABEL_WIDTH = 22  # characters on a line of an edge label before it wraps


class DiagramUnavailable(RuntimeError):
    """Graphviz is missing or failed; the message says what to do."""


def edges_of(compiled: CompiledFlow) -> list[tuple[str, str, str]]:
    """(source, target, trigger) for every transition the Machine knows."""
    found: list[tuple[str, str, str]] = []
    for trigger, event in compiled.machine.events.items():
        for source, transitions in event.transitions.items():
            # compile_flow gives every transition a step as its dest (None would be an internal one)
            found.extend((source, t.dest, trigger) for t in transitions if t.dest is not None)
    return sorted(found)


def _reachable(flow: Flow, edges: list[tuple[str, str, str]]) -> set[str]:
    following: dict[str, list[str]] = {}
    for source, target, _ in edges:
        following.setdefault(source, []).append(target)
    seen = {flow.start}
    stack = [flow.start]
    while stack:
        for target in following.get(stack.pop(), []):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _quoted(text: str) -> str:
    """A DOT string: backslashes and quotes escaped, so `\\N` or `"` in a label stays text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _lines(text: str, width: int) -> str:
    """*text* wrapped for a label: DOT's centred line breaks between the escaped lines."""
    return "\\n".join(_quoted(line)[1:-1] for line in textwrap.wrap(text, width) or [""])


def dot_source(compiled: CompiledFlow, not_offered: Mapping[str, str] | None = None) -> str:
    """The flow in Graphviz's DOT language: a box per step, an arrow per way on (answers that
    lead to the same step share one), failure branches red and dashed, problems marked, and the
    fix steps the configured directory can't do (*not_offered*: step id -> the capability it
    lacks) dotted, grey and labelled: a diagnosis takes their failure branch."""
    not_offered = not_offered or {}
    flow = compiled.flow
    edges = edges_of(compiled)
    reachable = _reachable(flow, edges)
    out = [
        "digraph flow {",
        f'  graph [rankdir=TB, nodesep=0.3, ranksep=0.45, fontname="{FONT}", bgcolor="transparent"];',
        f'  node [shape=box, style=filled, fontname="{FONT}", fontsize=11, margin="0.14,0.07"];',
        f'  edge [fontname="{FONT}", fontsize=10, color="{INK}", fontcolor="{INK}", arrowsize=0.7];',
    ]
    for sid, step in flow.steps.items():
        dead_end = step.kind != "end" and not step.transitions()
        problem = sid not in reachable or dead_end
        note = " (unreachable)" if sid not in reachable else (" (dead end)" if dead_end else "")
        lacking = not_offered.get(sid)
        if lacking and not note:
            note = f" (not offered: the directory can't {lacking})"
        detail = (step.action or step.outcome or step.kind) + note
        style = ("rounded,filled" if step.kind == "end" else "filled") + (",dashed" if problem else "")
        if lacking and not problem:
            style += ",dotted"
        colour = FAILURE if problem else (NOT_OFFERED if lacking else (START if sid == flow.start else INK))
        label = _quoted(sid)[1:-1] + "\\n" + _lines(detail, 28)
        classes = f"step {step.kind}" + (" problem" if problem else "") + (" not-offered" if lacking else "")
        fill = NOT_OFFERED_FILL if lacking else KIND_FILL[step.kind]
        out.append(
            f"  {_quoted(sid)} [id={_quoted('step-' + sid)}, class={_quoted(classes)}, "
            f'label="{label}", fillcolor="{fill}", color="{colour}", '
            f"style={_quoted(style)}, "
            f"penwidth={2.5 if sid == flow.start else 1.3}];"
        )
    labels = {(s.id, c.id): c.label for s in flow.steps.values() for c in s.choices}
    grouped: dict[tuple[str, str], list[str]] = {}
    for source, target, trigger in edges:
        grouped.setdefault((source, target), []).append(trigger)
    for number, ((source, target), triggers) in enumerate(sorted(grouped.items())):
        failure = triggers == ["failure"]
        label = " / ".join(labels.get((source, t), t) for t in triggers)
        look = f'color="{FAILURE}", fontcolor="{FAILURE}", style=dashed' if failure else ""
        out.append(
            f'  {_quoted(source)} -> {_quoted(target)} [id="edge-{number}", '
            f'class="edge{" failure" if failure else ""}", label="{_lines(label, LABEL_WIDTH)}"'
            f"{', ' + look if look else ''}];"
        )
    out.append("}")
    return "\n".join(out)


@lru_cache(maxsize=128)
def run_dot(source: str, output: str = "svg") -> str:
    """Graphviz's layout of *source* as *output* (svg, json); cached per source, so per version."""
    binary = shutil.which("dot")
    if binary is None:
        raise DiagramUnavailable("Graphviz is not installed: `sudo apt-get install graphviz` draws diagrams")
    try:
        done = subprocess.run(  # noqa: S603 (our own DOT text on stdin, a fixed argument list)
            [binary, f"-T{output}"], input=source, capture_output=True, text=True, timeout=DOT_SECONDS
        )
    except subprocess.TimeoutExpired as exc:
        raise DiagramUnavailable(f"Graphviz took more than {DOT_SECONDS} s to lay the flow out") from exc
    if done.returncode != 0:
        raise DiagramUnavailable(f"Graphviz could not lay the flow out: {done.stderr.strip()[:300]}")
    return done.stdout


def layout(compiled: CompiledFlow) -> dict[str, Any]:
    """Where Graphviz put every step, arrow and label (its JSON output), as the SVG shows them."""
    found: dict[str, Any] = json.loads(run_dot(dot_source(compiled), "json"))
    return found


def svg(compiled: CompiledFlow, not_offered: Mapping[str, str] | None = None) -> Markup:
    """The diagram to put in a page: Graphviz's SVG at its natural size (it scrolls, it is not
    shrunk to illegible text on a phone), titled for screen readers; or a note saying why not."""
    title = escape(f"Diagram of the flow {compiled.flow.title}")
    try:
        drawn = run_dot(dot_source(compiled, not_offered))
    except DiagramUnavailable as missing:
        note = Markup('<p class="notice" role="note">The diagram can\'t be drawn here: {}.</p>')
        return note.format(missing)
    start = drawn.find("<svg")
    head_end = drawn.find(">", start)
    opening = drawn[start:head_end].replace(
        "<svg", '<svg class="flow-diagram" role="img" aria-labelledby="diagram-title" focusable="false"', 1
    )
    body = drawn[head_end + 1 :]
    # Graphviz escapes every text and attribute it writes; the title is escaped above
    return Markup(f'{opening}><title id="diagram-title">{title}</title>{body}')  # noqa: S704
