"""check_flow(): every problem of a loaded flow, each at the line of the file it is about."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from textwrap import dedent

from helpdesk.flows.checks import check_flow
from helpdesk.flows.loader import load_flow
from helpdesk.flows.spec import Flow

ARTICLES = {"strong-passwords": {"use-a-passphrase"}}
ACTIONS = {"send-reset-link", "verify-sign-in"}
FLOWS = {"test-flow", "locked-out"}


def _load(tmp_path: Path, text: str) -> Flow:
    path = tmp_path / "test-flow.yaml"
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    flow, problems = load_flow(path, display_path="flows/test-flow.yaml")
    assert flow is not None and problems == [], problems
    return flow


def _article_exists(slug: str, section: str) -> bool:
    return slug in ARTICLES and (not section or section in ARTICLES[slug])


def _problems(flow: Flow, *, actions=ACTIONS, flows=FLOWS) -> list[str]:
    found = check_flow(flow, article_exists=_article_exists, action_names=actions, flow_ids=flows)
    return [str(p) for p in found]


GOOD = """
    id: test-flow
    title: Test
    start: ask
    steps:
      ask:
        kind: question
        text: What happens?
        article: strong-passwords#use-a-passphrase
        choices:
          - id: fix
            label: Fix it
            next: send
          - id: elsewhere
            label: Something else
            next: other
      send:
        kind: action
        action: send-reset-link
        on_success: done
        on_failure: done
      other:
        kind: end
        outcome: flow
        flow: locked-out
      done:
        kind: end
        outcome: resolved
"""


def test_a_sound_flow_has_no_problems(tmp_path):
    assert _problems(_load(tmp_path, GOOD)) == []


def test_a_missing_start_step_is_reported_at_the_start_key(tmp_path):
    flow = _load(tmp_path, GOOD.replace("start: ask", "start: begin"))
    assert _problems(flow) == ["flows/test-flow.yaml:3: start step 'begin' does not exist"]


def test_an_unknown_choice_target_is_reported_at_the_choices_next_with_a_suggestion(tmp_path):
    flow = _load(tmp_path, GOOD.replace("next: send", "next: sendd"))
    assert "flows/test-flow.yaml:12: step 'ask' goes to unknown step 'sendd' (did you mean 'send'?)" in (
        _problems(flow)
    )


def test_an_unknown_target_with_nothing_close_gets_no_suggestion(tmp_path):
    flow = _load(tmp_path, GOOD.replace("on_failure: done", "on_failure: escalate-to-support"))
    assert "flows/test-flow.yaml:20: step 'send' goes to unknown step 'escalate-to-support'" in (
        _problems(flow)
    )


def test_an_unknown_action_is_reported_at_the_action_key_naming_the_known_ones(tmp_path):
    flow = _load(tmp_path, GOOD.replace("action: send-reset-link", "action: send-magic-link"))
    assert _problems(flow) == [
        "flows/test-flow.yaml:18: step 'send': unknown action 'send-magic-link' "
        "(known: send-reset-link, verify-sign-in)"
    ]


def test_with_no_actions_registered_the_message_says_so(tmp_path):
    assert _problems(_load(tmp_path, GOOD), actions=set()) == [
        "flows/test-flow.yaml:18: step 'send': unknown action 'send-reset-link' (known: none registered)"
    ]


def test_an_unknown_check_is_reported_at_the_check_key(tmp_path):
    flow = _load(
        tmp_path,
        GOOD.replace(
            "kind: action\n        action: send-reset-link",
            "kind: check\n        check: verify-sign-out",
        ),
    )
    assert _problems(flow) == [
        "flows/test-flow.yaml:18: step 'send': unknown action 'verify-sign-out' "
        "(known: send-reset-link, verify-sign-in)"
    ]


def test_an_end_handing_over_to_an_unknown_flow_is_reported_at_its_flow_key(tmp_path):
    flow = _load(tmp_path, GOOD.replace("flow: locked-out", "flow: locked-in"))
    assert _problems(flow) == ["flows/test-flow.yaml:24: step 'other': no flow with id 'locked-in'"]


def test_an_end_handing_over_to_its_own_flow_is_reported(tmp_path):
    flow = _load(tmp_path, GOOD.replace("flow: locked-out", "flow: test-flow"))
    assert _problems(flow) == ["flows/test-flow.yaml:24: step 'other' links to its own flow"]


def test_a_missing_article_is_reported_at_the_article_key(tmp_path):
    flow = _load(tmp_path, GOOD.replace("article: strong-passwords#", "article: weak-passwords#"))
    assert _problems(flow) == ["flows/test-flow.yaml:8: step 'ask': no article 'weak-passwords'"]


def test_a_missing_section_is_reported_at_the_article_key(tmp_path):
    flow = _load(tmp_path, GOOD.replace("#use-a-passphrase", "#use-a-password"))
    assert _problems(flow) == [
        "flows/test-flow.yaml:8: step 'ask': article 'strong-passwords' has no section '#use-a-password'"
    ]


def test_a_whole_article_without_a_section_is_fine(tmp_path):
    assert _problems(_load(tmp_path, GOOD.replace("#use-a-passphrase", ""))) == []


def test_an_unreachable_step_is_reported_at_its_id(tmp_path):
    flow = _load(tmp_path, GOOD + "      orphan:\n        kind: end\n        outcome: escalate\n")
    assert _problems(flow) == ["flows/test-flow.yaml:28: step 'orphan' is unreachable from 'ask'"]


def test_a_step_with_no_way_on_that_is_not_an_end_is_a_dead_end(tmp_path):
    flow = _load(tmp_path, GOOD)
    stuck = dataclasses.replace(flow.steps["send"], on_success="", on_failure="")  # the loader refuses this
    flow = dataclasses.replace(flow, steps={**flow.steps, "send": stuck})
    assert "flows/test-flow.yaml:16: step 'send' is a dead end: no way on and not an end" in _problems(flow)


LOOP = """
    id: test-flow
    title: Loop
    start: ask
    steps:
      ask:
        kind: question
        text: Which?
        choices:
          - id: round
            label: Round and round
            next: spin
          - id: out
            label: Out
            next: done
      spin:
        kind: info
        text: Spinning
        next: turn
      turn:
        kind: info
        text: Turning
        next: spin
      done:
        kind: end
        outcome: resolved
"""


def test_steps_in_a_loop_with_no_way_out_are_reported_at_their_ids(tmp_path):
    assert _problems(_load(tmp_path, LOOP)) == [
        "flows/test-flow.yaml:15: step 'spin' is in a loop with no way out: no end can be reached from it",
        "flows/test-flow.yaml:19: step 'turn' is in a loop with no way out: no end can be reached from it",
    ]


def test_a_loop_with_a_way_out_is_fine(tmp_path):
    flow = _load(tmp_path, LOOP.replace("next: spin\n      done", "next: ask\n      done"))
    assert _problems(flow) == []


def test_a_flow_without_an_end_is_reported_at_its_steps_key(tmp_path):
    flow = _load(
        tmp_path,
        """
        id: test-flow
        title: Endless
        start: spin
        steps:
          spin:
            kind: info
            text: Spinning
            next: spin
        """,
    )
    assert _problems(flow) == [
        "flows/test-flow.yaml:5: step 'spin' is in a loop with no way out: no end can be reached from it",
        "flows/test-flow.yaml:4: the flow has no end step",
    ]


def test_reachability_is_not_judged_when_the_start_is_missing(tmp_path):
    flow = _load(tmp_path, GOOD.replace("start: ask", "start: nowhere"))
    assert not any("unreachable" in p for p in _problems(flow))


def test_a_step_the_configured_directory_cannot_do_is_a_warning_naming_its_failure_branch(tmp_path):
    from helpdesk.flows.checks import capability_warnings

    flow = _load(tmp_path, GOOD)
    warnings = [str(w) for w in capability_warnings(flow, {"send": "reset-password"}, "ldap")]
    assert len(warnings) == 1
    assert warnings[0].startswith("flows/test-flow.yaml:")
    assert (
        ": step 'send': action 'send-reset-link' needs the directory's 'reset-password'" in warnings[0]
    )
    assert "(ldap)" in warnings[0] and "failure branch ('done')" in warnings[0]
    assert capability_warnings(flow, {}, "sql") == []
