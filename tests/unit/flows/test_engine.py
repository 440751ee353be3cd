"""Loading a flow and running its compiled state machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.flows.engine import InvalidMove, compile_flow
from helpdesk.flows.loader import load_flow

GOOD = Path(__file__).resolve().parents[2] / "fixtures" / "good" / "flows"


def compiled():
    flow, problems = load_flow(GOOD / "fix-it.yaml")
    assert problems == []
    return compile_flow(flow)


def test_labels_keep_the_text_as_written(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        "id: f\ntitle: F\nstart: a\nsteps:\n  a:\n    kind: question\n    text: Sure?\n"
        "    choices:\n      - id: yes\n        label: Yes\n        next: b\n"
        "  b:\n    kind: end\n    outcome: resolved\n"
    )
    flow, problems = load_flow(path)
    assert problems == []
    assert flow.steps["a"].choices[0].label == "Yes" and flow.steps["a"].choices[0].id == "yes"


def test_answers_and_outcomes_move_between_steps():
    flow = compiled()
    assert flow.move("what", "broken") == "explain"
    assert flow.move("explain", "continue") == "apply"
    assert flow.move("apply", "success") == "confirm"
    assert flow.move("apply", "failure") == "ask-support"
    assert flow.move("apply", "pending") == "wait"
    assert flow.move("confirm", "success") == "done"


@pytest.mark.parametrize(
    ("step", "trigger"), [("what", "success"), ("done", "continue"), ("what", "nope"), ("gone", "broken")]
)
def test_a_move_that_does_not_exist_is_refused(step, trigger):
    with pytest.raises(InvalidMove):
        compiled().move(step, trigger)


def test_a_move_is_fired_on_the_machine_once_then_kept():
    flow = compiled()
    fired = []
    fire = flow._fire
    flow._fire = lambda step, trigger: fired.append((step, trigger)) or fire(step, trigger)  # type: ignore[method-assign]
    assert [flow.move("what", "broken") for _ in range(3)] == ["explain"] * 3
    assert fired == [("what", "broken")]
    for _ in range(2):  # a move the flow lacks is refused every time, and never kept
        with pytest.raises(InvalidMove):
            flow.move("what", "no-such-answer")
    assert fired.count(("what", "no-such-answer")) == 2 and ("what", "no-such-answer") not in flow.moves


def test_the_machine_has_no_automatic_transitions():
    machine = compiled().machine
    assert not any(name.startswith("to_") for name in machine.events)


def test_remaining_pages_are_the_shortest_way_to_an_end():
    remaining = compiled().remaining
    assert remaining["done"] == 0 and remaining["ask-support"] == 0
    assert remaining["what"] == 1  # "I don't know" ends at once
    assert remaining["explain"] == 2  # explain -> apply -> an end
    assert remaining["confirm"] == 1
