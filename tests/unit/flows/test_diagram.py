"""The flow diagram: every step and transition, problems marked."""

from __future__ import annotations

from pathlib import Path

from helpdesk.flows.diagram import edges_of, svg
from helpdesk.flows.engine import compile_flow
from helpdesk.flows.loader import load_flow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_the_diagram_draws_every_step_and_every_transition_of_the_machine():
    flow, _ = load_flow(FIXTURES / "good" / "flows" / "fix-it.yaml")
    compiled = compile_flow(flow)
    drawn = str(svg(compiled))
    for sid in flow.steps:
        assert f'id="step-{sid}"' in drawn
    edges = edges_of(compiled)
    assert ("apply", "ask-support", "failure") in edges and ("what", "explain", "broken") in edges
    assert len(edges) == sum(len(s.transitions()) for s in flow.steps.values())
    assert drawn.count('class="edge"') == len({(source, target) for source, target, _ in edges})
    assert "It is broken" in drawn  # choices are labelled with what the person clicks


def test_unreachable_steps_and_dead_ends_are_marked(tmp_path):
    flow, _ = load_flow(FIXTURES / "broken" / "unreachable.yaml")
    drawn = str(svg(compile_flow(flow)))
    assert 'class="step end problem" id="step-lonely"' in drawn and "(unreachable)" in drawn


def test_step_text_is_escaped(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        "id: x\n"
        'title: "<script>alert(1)</script>"\n'
        "start: a\n"
        "steps:\n"
        "  a:\n"
        "    kind: end\n"
        "    outcome: resolved\n"
        '    text: "<img src=x onerror=alert(1)>"\n'
    )
    flow, problems = load_flow(path)
    assert problems == []
    drawn = str(svg(compile_flow(flow)))
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn
