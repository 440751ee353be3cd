"""A flow as an SVG diagram, drawn from its compiled state machine, no JavaScript or network."""

from __future__ import annotations

from collections import deque

from markupsafe import Markup, escape

from .engine import CompiledFlow
from .spec import Flow

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 190, 46, 30, 70, 20
KIND_FILL = {
    "question": "#e8f1fb",
    "info": "#f3f6f9",
    "action": "#fff4d6",
    "check": "#e9f7ec",
    "end": "#ececec",
}


def edges_of(compiled: CompiledFlow) -> list[tuple[str, str, str]]:
    """(source, target, trigger) for every transition the Machine knows."""
    found: list[tuple[str, str, str]] = []
    for trigger, event in compiled.machine.events.items():
        for source, transitions in event.transitions.items():
            # compile_flow gives every transition a step as its dest (None would be an internal one)
            found.extend((source, t.dest, trigger) for t in transitions if t.dest is not None)
    return sorted(found)


def _levels(flow: Flow, edges: list[tuple[str, str, str]]) -> tuple[dict[str, int], set[str]]:
    """Each step's row (its distance from the start) and the set of steps reachable at all."""
    following: dict[str, list[str]] = {}
    for source, target, _ in edges:
        following.setdefault(source, []).append(target)
    level = {flow.start: 0}
    queue = deque([flow.start])
    while queue:
        current = queue.popleft()
        for nxt in following.get(current, []):
            if nxt not in level:
                level[nxt] = level[current] + 1
                queue.append(nxt)
    reachable = set(level)
    last = max(level.values(), default=0) + 1
    for sid in flow.steps:
        level.setdefault(sid, last)  # unreachable steps sit on a row of their own, below
    return level, reachable


def svg(compiled: CompiledFlow) -> Markup:
    flow = compiled.flow
    edges = edges_of(compiled)
    level, reachable = _levels(flow, edges)
    rows: dict[int, list[str]] = {}
    for sid in flow.steps:  # file order within a row
        rows.setdefault(level[sid], []).append(sid)
    position = {}
    for row, ids in rows.items():
        for column, sid in enumerate(ids):
            position[sid] = (MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    width = MARGIN * 2 + max(len(ids) for ids in rows.values()) * (BOX_W + GAP_X)
    height = MARGIN * 2 + (max(rows) + 1) * (BOX_H + GAP_Y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="diagram-title" class="flow-diagram" font-family="sans-serif" font-size="12">',
        f'<title id="diagram-title">Diagram of the flow {escape(flow.title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#4a5560"/></marker></defs>',
    ]
    labels = {(s.id, c.id): c.label for s in flow.steps.values() for c in s.choices}
    grouped: dict[tuple[str, str], list[str]] = {}
    for source, target, trigger in edges:  # answers leading to the same step share one arrow
        grouped.setdefault((source, target), []).append(trigger)
    for (source, target), triggers in grouped.items():
        trigger = "failure" if triggers == ["failure"] else ""
        label = " / ".join(labels.get((source, t), t) for t in triggers)
        (x1, y1), (x2, y2) = position[source], position[target]
        start: tuple[float, float] = (x1 + BOX_W / 2, y1 + BOX_H)
        end: tuple[float, float] = (x2 + BOX_W / 2, y2)
        if level[target] <= level[source]:  # a way back up: around the side
            start, end = (x1 + BOX_W, y1 + BOX_H / 2), (x2 + BOX_W, y2 + BOX_H / 2)
            bend = max(x1, x2) + BOX_W + GAP_X * 0.8
            path = f"M {start[0]} {start[1]} C {bend} {start[1]}, {bend} {end[1]}, {end[0]} {end[1]}"
        else:
            path = f"M {start[0]} {start[1]} L {end[0]} {end[1]}"
        colour = "#b00020" if trigger == "failure" else "#4a5560"
        # the label sits a third of the way along, nearer its own step, so labels of arrows
        # leaving one step fan out instead of piling up in the middle
        label_x, label_y = start[0] + (end[0] - start[0]) / 3 + 4, start[1] + (end[1] - start[1]) / 3
        parts.append(
            f'<g class="edge" data-from="{escape(source)}" data-to="{escape(target)}">'
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.4" marker-end="url(#arrow)"/>'
            f'<text x="{label_x}" y="{label_y}" fill="{colour}" font-size="10">'
            f"{escape(_short(label, 34))}</text></g>"
        )
    for sid, step in flow.steps.items():
        x, y = position[sid]
        dead_end = step.kind != "end" and not step.transitions()
        problem = sid not in reachable or dead_end
        stroke = "#b00020" if problem else ("#0b57a4" if sid == flow.start else "#4a5560")
        dash = ' stroke-dasharray="5 3"' if problem else ""
        radius = 22 if step.kind == "end" else 6
        note = " (unreachable)" if sid not in reachable else (" (dead end)" if dead_end else "")
        detail = step.action or step.outcome or step.kind
        width_of_border = 2.5 if sid == flow.start else 1.5
        parts.append(
            f'<g class="step {step.kind}{" problem" if problem else ""}" id="step-{escape(sid)}">'
            f"<title>{escape(sid)}: {escape(step.kind)}{escape(note)}</title>"
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="{radius}" '
            f'fill="{KIND_FILL[step.kind]}" stroke="{stroke}" stroke-width="{width_of_border}"{dash}/>'
            f'<text x="{x + 10}" y="{y + 19}" font-weight="bold">{escape(_short(sid, 26))}</text>'
            f'<text x="{x + 10}" y="{y + 35}" fill="#4a5560">{escape(_short(detail + note, 30))}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
