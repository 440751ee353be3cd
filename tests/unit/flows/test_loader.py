"""The flow loader: a value that cannot be read is a problem at its line, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.flows.loader import load_flow

GOOD = (Path(__file__).resolve().parents[2] / "fixtures" / "good" / "flows" / "fix-it.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("version: 1", "version: !!timestamp 2001-13-45", "month must be in 1..12"),
        ("version: 1", "version: !custom 1", "could not determine a constructor"),
        ("    action: pretend-fix", "    action: pretend-fix\n    params: {[a]: b}", "unhashable"),
    ],
)
def test_a_value_that_cannot_be_read_is_a_problem_at_its_line(old: str, new: str, reason: str):
    # found by the property tests (test_loader_properties.py): these raised out of load_flow
    source = GOOD.replace(old, new, 1)
    at = source[: source.index(new.strip().splitlines()[-1])].count("\n") + 1
    flow, problems = load_flow("flows/fix-it.yaml", source=source)
    assert flow is None
    assert [p.line for p in problems] == [at]
    assert reason in problems[0].message
    assert str(problems[0]).startswith(f"flows/fix-it.yaml:{at}: ")
