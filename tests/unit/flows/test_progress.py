"""The progress hint: "last step" only where every way on ends, and a count that never rises
unless a fix failed."""

from __future__ import annotations

import pytest
import yaml

from helpdesk.flows.loader import load_flow
from helpdesk.flows.progress import LONGEST_HINT, Outlook, outlooks, progress_text


def flow_from(**steps: dict):
    source = yaml.safe_dump({"id": "f", "title": "F", "start": "a", "steps": steps}, sort_keys=False)
    flow, problems = load_flow("f.yaml", source=source)
    assert problems == [], problems
    return flow


def question(*ways: str) -> dict:
    return {
        "kind": "question",
        "text": "Q?",
        "choices": [{"id": f"c{i}", "label": f"C{i}", "next": way} for i, way in enumerate(ways)],
    }


def fix(success: str, failure: str) -> dict:
    return {"kind": "action", "action": "a-fix", "on_success": success, "on_failure": failure}


END = {"kind": "end", "outcome": "resolved"}


def test_last_step_only_where_every_way_on_ends():
    flow = flow_from(a=question("b", "end"), b=question("end", "end"), end=END)
    found = outlooks(flow)
    assert found["b"].hint() == "last step"
    assert found["a"].hint() == "up to 2 steps to go"  # the longer way counts, not the shorter


def test_a_fix_whose_failure_goes_on_is_the_last_step_only_if_it_works():
    flow = flow_from(a=fix("end", "help"), help=question("a", "end"), end=END)
    found = outlooks(flow)
    assert found["a"] == Outlook(at_most=1, ends_for_sure=False)
    assert found["a"].hint() == "last step if this works"
    # after the failure the count rises, and the page says why: the fix did not work
    assert found["help"].hint() == "up to 2 steps to go"


def test_a_loop_without_a_failure_has_no_honest_bound():
    flow = flow_from(a=question("b", "end"), b=question("a", "end"), end=END)
    found = outlooks(flow)
    assert found["a"].at_most is None and found["b"].at_most is None
    assert progress_text(3, found["a"]) == "Step 3"


def test_the_count_goes_down_on_every_hoped_for_way():
    flow = flow_from(
        a=question("b", "c", "end"), b=question("c"), c=fix("d", "a"), d=question("end"), end=END
    )
    found = outlooks(flow)
    for step_id, step in flow.steps.items():
        for trigger, target in step.transitions():
            if trigger != "failure" and flow.steps[target].kind != "end":
                assert found[target].at_most < found[step_id].at_most, (step_id, target)


def test_an_end_that_hands_over_costs_the_pages_of_the_next_flow():
    handover = {"kind": "end", "outcome": "flow", "flow": "g"}
    flow = flow_from(a=question("next", "end"), next=handover, end=END)
    assert outlooks(flow, {"next": 3})["a"].hint() == "up to 4 steps to go"
    assert outlooks(flow, {"next": None})["a"].hint() == ""  # a chain of handovers that loops
    assert outlooks(flow)["a"].hint() == "last step"  # nothing known of the next flow


@pytest.mark.parametrize(
    ("at_most", "text"),
    [(LONGEST_HINT, f"Step 1 · up to {LONGEST_HINT} steps to go"), (LONGEST_HINT + 1, "Step 1")],
)
def test_a_bound_too_long_to_help_is_left_out(at_most, text):
    assert progress_text(1, Outlook(at_most=at_most, ends_for_sure=False)) == text
