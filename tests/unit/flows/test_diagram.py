"""The flow diagram, laid out by Graphviz: every step and way on drawn, problems and failure
branches marked, text escaped, and a layout an editor can read (no label over another label or
a step, no arrow through a step it does not join), for every shipped flow."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from itertools import combinations
from pathlib import Path

import pytest

from helpdesk.actions import action_names
from helpdesk.content.catalog import load_catalog
from helpdesk.flows import diagram
from helpdesk.flows.diagram import dot_source, edges_of, layout, run_dot, svg
from helpdesk.flows.engine import compile_flow
from helpdesk.flows.loader import load_flow

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
SHIPPED = load_catalog(ROOT / "content", ROOT / "flows", action_names()).flows
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def graphviz() -> None:
    if shutil.which("dot") is None:
        message = "Graphviz not found: `sudo apt-get install graphviz` runs the diagram tests"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run them", pytrace=False)
        pytest.skip(message)


def drawn(compiled) -> ET.Element:
    return ET.fromstring(str(svg(compiled)))  # noqa: S314 (our own SVG, made by the test)


def groups(root: ET.Element, kind: str) -> dict[str, set[str]]:
    """id -> classes of every <g> whose class list holds *kind*."""
    return {
        g.get("id", ""): set(g.get("class", "").split())
        for g in root.iter(SVG + "g")
        if kind in g.get("class", "").split()
    }


def fix_it():
    flow, problems = load_flow(FIXTURES / "good" / "flows" / "fix-it.yaml")
    assert problems == []
    return compile_flow(flow)


def test_the_diagram_draws_every_step_and_every_way_on():
    compiled = fix_it()
    root = drawn(compiled)
    steps = groups(root, "step")
    assert set(steps) == {f"step-{sid}" for sid in compiled.flow.steps}
    assert steps["step-apply"] >= {"step", "action"} and steps["step-done"] >= {"step", "end"}
    edges = edges_of(compiled)
    assert ("apply", "ask-support", "failure") in edges and ("what", "explain", "broken") in edges
    arrows = groups(root, "edge")
    assert len(arrows) == len({(source, target) for source, target, _ in edges})
    failures = [classes for classes in arrows.values() if "failure" in classes]
    assert len(failures) == 2  # apply and confirm fail towards ask-support
    text = " ".join("".join(t.itertext()) for t in root.iter(SVG + "text"))
    assert "It is broken" in text  # an answer is labelled with what the person clicks
    assert root.get("role") == "img" and root.find(SVG + "title").text == "Diagram of the flow Fix it"


def test_failure_branches_are_dashed_not_only_red():
    source = dot_source(fix_it())
    failure_lines = [line for line in source.splitlines() if 'class="edge failure"' in line]
    assert failure_lines and all("style=dashed" in line for line in failure_lines)


def test_unreachable_steps_and_dead_ends_are_marked():
    flow, _ = load_flow(FIXTURES / "broken" / "unreachable.yaml")
    root = drawn(compile_flow(flow))
    assert "problem" in groups(root, "step")["step-lonely"]
    assert "(unreachable)" in "".join(root.itertext())


def test_step_text_and_labels_are_escaped(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        "id: x\n"
        'title: "<script>alert(1)</script>"\n'
        "start: a\n"
        "steps:\n"
        "  a:\n"
        "    kind: question\n"
        "    text: Q?\n"
        "    choices:\n"
        '      - {id: b, label: "\\\\N <b>\\" & done", next: z}\n'
        "  z:\n"
        "    kind: end\n"
        "    outcome: resolved\n"
    )
    flow, problems = load_flow(path)
    assert problems == []
    markup = str(svg(compile_flow(flow)))
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "<b>" not in markup
    labels = "".join(ET.fromstring(markup).itertext())  # noqa: S314 (made by the test)
    assert '\\N <b>" & done' in labels  # DOT's \N escape stays text, not the step's name


def test_the_layout_is_made_once_per_flow_version():
    compiled = fix_it()
    run_dot.cache_clear()
    svg(compiled)
    svg(compiled)
    assert run_dot.cache_info().hits == 1 and run_dot.cache_info().misses == 1


def test_without_graphviz_the_page_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(diagram.shutil, "which", lambda _name: None)  # a machine without `dot`
    run_dot.cache_clear()
    markup = str(svg(fix_it()))
    run_dot.cache_clear()
    assert "apt-get install graphviz" in markup and "<svg" not in markup


def _box(x: float, y: float, width: float, height: float, margin: float = 0.0) -> tuple[float, ...]:
    return (x - width / 2 + margin, y - height / 2 + margin, x + width / 2 - margin, y + height / 2 - margin)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_box(ops: list[dict]) -> tuple[float, ...]:
    lines = [op for op in ops if op["op"] == "T"]
    size = next(op["size"] for op in ops if op["op"] == "F")
    left = min(op["pt"][0] - op["width"] / 2 for op in lines)
    right = max(op["pt"][0] + op["width"] / 2 for op in lines)
    bottom = min(op["pt"][1] for op in lines) - size * 0.25
    top = max(op["pt"][1] for op in lines) + size * 0.8
    return (left, bottom, right, top)


def _curve_points(points: list[list[float]]) -> list[tuple[float, float]]:
    """Points along a chain of cubic Béziers (Graphviz's edge splines)."""
    found = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        for step in range(21):
            t = step / 20
            found.append(
                tuple(
                    (1 - t) ** 3 * p0[k]
                    + 3 * (1 - t) ** 2 * t * p1[k]
                    + 3 * (1 - t) * t**2 * p2[k]
                    + t**3 * p3[k]
                    for k in (0, 1)
                )
            )
    return found


@pytest.mark.parametrize("flow_id", sorted(SHIPPED))
def test_no_label_overprints_and_no_arrow_runs_through_a_step(flow_id):
    placed = layout(SHIPPED[flow_id])
    nodes = {
        node["_gvid"]: _box(
            *map(float, node["pos"].split(",")), float(node["width"]) * 72, float(node["height"]) * 72
        )
        for node in placed["objects"]
    }
    labels = [_label_box(edge["_ldraw_"]) for edge in placed["edges"] if "_ldraw_" in edge]
    for a, b in combinations(labels, 2):
        assert not _overlap(a, b), f"{flow_id}: two labels overprint each other"
    for label in labels:
        for gvid, node in nodes.items():
            assert not _overlap(label, node), (
                f"{flow_id}: a label overprints {placed['objects'][gvid]['name']}"
            )
    for edge in placed["edges"]:
        curve = next(op["points"] for op in edge["_draw_"] if op["op"] == "b")
        for gvid, node in nodes.items():
            if gvid in (edge["tail"], edge["head"]):
                continue
            inner = _box(
                (node[0] + node[2]) / 2, (node[1] + node[3]) / 2, node[2] - node[0], node[3] - node[1], 2
            )
            crossing = [
                p for p in _curve_points(curve) if inner[0] < p[0] < inner[2] and inner[1] < p[1] < inner[3]
            ]
            assert not crossing, f"{flow_id}: an arrow runs through {placed['objects'][gvid]['name']}"


def test_a_step_the_configured_directory_cannot_do_is_marked_and_labelled():
    compiled = fix_it()
    root = ET.fromstring(str(svg(compiled, {"apply": "unlock"})))  # noqa: S314 (our own SVG)
    steps = groups(root, "step")
    assert "not-offered" in steps["step-apply"]
    assert not any("not-offered" in classes for sid, classes in steps.items() if sid != "step-apply")
    text = " ".join("".join(t.itertext()) for t in root.iter(SVG + "text"))
    assert "not offered" in text and "unlock" in text
    line = next(li for li in dot_source(compiled, {"apply": "unlock"}).splitlines() if "step-apply" in li)
    assert "dotted" in line
    assert "not-offered" not in dot_source(compiled)  # with every capability nothing is marked
