"""The diagnosis engine: starting, answering (and re-answering), fixes' outcomes, handovers,
where a step sits on the path, the one-runner claim on a step, and giving up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, select

from helpdesk.cases import diagnoses as diagnoses_module
from helpdesk.cases.diagnoses import (
    Abandoned,
    AtAnEnd,
    FlowChanged,
    InvalidMove,
    NotAnAnswer,
    NotReached,
    PreviousStep,
    RunsAsFix,
    StaleRevision,
    UnknownStep,
    answer_step,
    answer_to,
    claim_step,
    hand_over,
    last_visit,
    latest_child,
    move_on,
    position,
    read_diagnosis,
    release_step,
    restart,
    start_diagnosis,
    step_after,
)
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import Diagnosis, DiagnosisEvent, DiagnosisStatus, FlowVersion, utcnow
from tests.support import at_once


def flow(flow_id: str = "fix-it"):
    return catalog().flows[flow_id]


def events(diagnosis: Diagnosis) -> list[tuple[str, str, dict]]:
    rows = db.session.scalars(
        select(DiagnosisEvent).where(DiagnosisEvent.diagnosis_id == diagnosis.id).order_by(DiagnosisEvent.id)
    )
    return [(e.kind, e.step, e.detail) for e in rows]


def at_apply(compiled) -> Diagnosis:
    """A diagnosis of fix-it at its action step: what -> explain -> apply."""
    diagnosis = start_diagnosis(compiled)
    answer_step(diagnosis, compiled, "what", "broken")
    answer_step(diagnosis, compiled, "explain", None)
    return diagnosis


# starting


def test_a_new_diagnosis_is_active_at_the_flows_start_with_a_readable_reference(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        assert (diagnosis.flow_id, diagnosis.step, diagnosis.path, diagnosis.answers) == (
            "fix-it",
            "what",
            ["what"],
            [],
        )
        assert diagnosis.status == DiagnosisStatus.ACTIVE and diagnosis.revision == 0
        assert diagnosis.flow_digest == flow().digest
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", diagnosis.reference)
        assert events(diagnosis) == [("started", "what", {"flow_version": 1})]


def test_starting_stores_the_flow_version_once(fixture_app):
    with fixture_app.app_context():
        start_diagnosis(flow())
        start_diagnosis(flow())
        stored = db.session.scalars(select(FlowVersion).where(FlowVersion.flow_id == "fix-it")).all()
        assert [(v.digest, v.source) for v in stored] == [(flow().digest, flow().flow.source)]


def test_two_diagnoses_get_different_references(fixture_app):
    with fixture_app.app_context():
        assert start_diagnosis(flow()).reference != start_diagnosis(flow()).reference


def test_a_diagnosis_started_from_another_is_linked_to_it_and_holds_its_token(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        parent.api_token_hash = "a" * 64
        db.session.commit()
        child = start_diagnosis(flow("other-flow"), parent=parent)
        assert (child.parent_id, child.api_token_hash) == (parent.id, "a" * 64)
        assert events(child) == [
            ("started", "first", {"flow_version": 1, "continued_from": parent.reference})
        ]


def test_a_sandbox_diagnosis_is_marked_as_one(fixture_app):
    with fixture_app.app_context():
        assert start_diagnosis(flow(), sandbox=True).sandbox
        assert not start_diagnosis(flow()).sandbox


# answer_to: which trigger an answer is


def test_a_question_takes_one_of_its_choices(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        assert answer_to(diagnosis, flow().step("what"), "dunno") == "dunno"


def test_a_question_refuses_another_answer_listing_its_choices(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(NotAnAnswer) as refused:
            answer_to(diagnosis, flow().step("what"), "maybe")
        assert (refused.value.given, refused.value.choices) == ("maybe", ["broken", "elsewhere", "dunno"])


def test_a_question_refuses_no_answer(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(NotAnAnswer) as refused:
            answer_to(diagnosis, flow().step("what"), None)
        assert refused.value.given is None


def test_an_info_step_goes_on_with_continue_or_no_answer(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        assert answer_to(diagnosis, flow().step("explain"), None) == "continue"
        assert answer_to(diagnosis, flow().step("explain"), "continue") == "continue"


def test_an_info_step_refuses_any_other_answer(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(NotAnAnswer) as refused:
            answer_to(diagnosis, flow().step("explain"), "broken")
        assert refused.value.choices == ["continue"]


def test_a_fix_takes_no_answer_and_says_whether_it_is_the_current_step(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        with pytest.raises(RunsAsFix) as current:
            answer_to(diagnosis, flow().step("apply"), "success")
        with pytest.raises(RunsAsFix) as other:
            answer_to(diagnosis, flow().step("confirm"), "success")
        assert (current.value.step, current.value.current) == ("apply", True)
        assert (other.value.step, other.value.current) == ("confirm", False)


def test_an_end_takes_no_answer(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(AtAnEnd):
            answer_to(diagnosis, flow().step("done"), None)


# answer_step


def test_an_answer_moves_the_diagnosis_on_and_is_recorded(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answered = answer_step(diagnosis, flow(), "what", "broken")
        assert (answered.step, answered.diagnosis, answered.handed_over) == ("explain", diagnosis, False)
        assert (diagnosis.step, diagnosis.path, diagnosis.answers) == (
            "explain",
            ["what", "explain"],
            ["broken"],
        )
        assert diagnosis.revision == 1
        assert events(diagnosis)[-1] == ("answered", "what", {"answer": "broken", "next": "explain"})


def test_the_same_answer_again_changes_nothing(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken")
        answer_step(diagnosis, flow(), "explain", None)
        again = answer_step(diagnosis, flow(), "what", "broken")
        assert again.step == "explain"
        assert (diagnosis.step, diagnosis.revision) == ("apply", 2)
        assert [kind for kind, _, _ in events(diagnosis)] == ["started", "answered", "answered"]


def test_another_answer_at_an_earlier_step_rewinds_the_path(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        answered = answer_step(diagnosis, flow(), "what", "dunno")
        assert answered.step == "ask-support"
        assert (diagnosis.path, diagnosis.answers) == (["what", "ask-support"], ["dunno"])
        assert events(diagnosis)[-3:] == [
            ("went_back", "what", {"undone": 2}),
            ("answered", "what", {"answer": "dunno", "next": "ask-support"}),
            ("escalated", "ask-support", {}),
        ]


def test_reaching_an_end_sets_the_status_and_records_it(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "dunno")
        assert diagnosis.status == DiagnosisStatus.ESCALATED
        assert events(diagnosis)[-1] == ("escalated", "ask-support", {})


def test_rewinding_from_an_end_makes_the_diagnosis_active_again(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "dunno")
        answer_step(diagnosis, flow(), "what", "broken")
        assert diagnosis.status == DiagnosisStatus.ACTIVE


def test_an_answer_for_an_older_revision_is_refused(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken", revision=0)
        with pytest.raises(StaleRevision) as stale:
            answer_step(diagnosis, flow(), "explain", None, revision=0)
        assert (stale.value.given, stale.value.revision) == (0, 1)
        assert diagnosis.step == "explain"


def test_a_step_the_flow_does_not_have_is_refused(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(UnknownStep) as unknown:
            answer_step(diagnosis, flow(), "nowhere", "broken")
        assert unknown.value.step == "nowhere"


def test_a_step_not_reached_yet_is_refused_naming_the_current_one(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(NotReached) as not_reached:
            answer_step(diagnosis, flow(), "explain", None)
        assert (not_reached.value.step, not_reached.value.current_step) == ("explain", "what")


def test_a_given_up_diagnosis_takes_no_answer(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        restart(diagnosis)
        with pytest.raises(Abandoned):
            answer_step(diagnosis, flow(), "what", "broken")
        assert diagnosis.path == ["what"]


def test_answering_clears_a_claim_on_the_step(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        assert claim_step(diagnosis, "what")
        answer_step(diagnosis, flow(), "what", "broken")
        assert (diagnosis.running_step, diagnosis.running_since) == (None, None)


def test_two_identical_answers_at_once_move_the_diagnosis_once(fixture_app):
    with fixture_app.app_context():
        reference = start_diagnosis(flow()).reference

    def answer_in_own_request() -> bool:
        with fixture_app.app_context():
            diagnosis = db.session.scalar(select(Diagnosis).where(Diagnosis.reference == reference))
            return answer_step(diagnosis, flow(), "what", "broken").step == "explain"

    assert at_once(2, answer_in_own_request) == [True, True]
    with fixture_app.app_context():
        diagnosis = db.session.scalar(select(Diagnosis).where(Diagnosis.reference == reference))
        assert (diagnosis.revision, diagnosis.path) == (1, ["what", "explain"])
        assert [kind for kind, _, _ in events(diagnosis)].count("answered") == 1


# move_on: a fix's outcome


def test_a_fixs_outcome_moves_on_and_is_recorded_as_its_kind_with_its_detail(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        moved = move_on(diagnosis, flow(), "apply", "success", kind="action", attempts=1)
        assert moved.step == "confirm" and diagnosis.step == "confirm"
        assert events(diagnosis)[-1] == (
            "action",
            "apply",
            {"answer": "success", "next": "confirm", "attempts": 1},
        )


def test_an_outcome_the_step_has_no_way_for_is_an_invalid_move(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        with pytest.raises(InvalidMove):
            move_on(diagnosis, flow(), "apply", "broken")
        assert diagnosis.step == "apply"


def test_moving_on_from_a_step_the_flow_lacks_or_in_a_given_up_diagnosis_is_refused(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        with pytest.raises(UnknownStep):
            move_on(diagnosis, flow(), "nowhere", "success")
        restart(diagnosis)
        with pytest.raises(Abandoned):
            move_on(diagnosis, flow(), "apply", "success")


# handing over at an end that continues in another flow


def test_an_end_that_continues_elsewhere_hands_over_to_a_new_linked_diagnosis(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        answered = answer_step(parent, flow(), "what", "elsewhere")
        child = answered.diagnosis
        assert answered.handed_over and answered.note == "Let's look at the other problem."
        assert (child.flow_id, child.parent_id, answered.step) == ("other-flow", parent.id, "first")
        assert answered.compiled.id == "other-flow"
        assert parent.status == DiagnosisStatus.LINKED
        assert events(parent)[-1] == (
            "continued",
            "go-on",
            {"flow": "other-flow", "reference": child.reference},
        )


def test_the_same_handover_again_goes_on_in_the_same_diagnosis(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        first = answer_step(parent, flow(), "what", "elsewhere").diagnosis
        again = answer_step(parent, flow(), "what", "elsewhere").diagnosis
        assert again.id == first.id
        assert latest_child(parent, "other-flow") == first


def test_a_handover_after_the_child_was_given_up_starts_a_new_one(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        answer_step(parent, flow(), "what", "elsewhere")
        first = hand_over(parent, flow("other-flow"))
        restart(first)
        second = hand_over(parent, flow("other-flow"))
        assert second.id != first.id and second.status == DiagnosisStatus.ACTIVE
        assert latest_child(parent, "other-flow", active=True) == second


def test_a_handover_passes_the_api_token_on_and_releases_the_parents_claim(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        parent.api_token_hash = "b" * 64
        db.session.commit()
        child = answer_step(parent, flow(), "what", "elsewhere").diagnosis
        db.session.refresh(parent)
        assert child.api_token_hash == "b" * 64
        assert parent.running_step is None


def test_a_handover_to_a_diagnosis_whose_flow_version_is_lost_raises_flow_changed(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        child = answer_step(parent, flow(), "what", "elsewhere").diagnosis
        child.flow_digest = "0" * 64  # began on a version neither live nor stored
        db.session.commit()
        with pytest.raises(FlowChanged) as changed:
            answer_step(parent, flow(), "what", "elsewhere")
        assert changed.value.diagnosis.id == child.id


# where a step sits


def test_position_gives_a_steps_number_answer_back_link_and_pages_left(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        first = position(diagnosis, flow(), "what")
        current = position(diagnosis, flow(), "apply")
        assert (first.number, first.chosen, first.previous, first.is_current) == (1, "broken", None, False)
        assert (current.number, current.chosen, current.is_current) == (3, None, True)
        assert current.previous == PreviousStep(diagnosis.reference, "fix-it", "explain")
        assert (first.remaining, position(diagnosis, flow(), "explain").remaining, current.remaining) == (
            1,
            2,
            1,
        )


def test_the_first_step_of_a_handed_over_diagnosis_leads_back_to_the_parents_last_question(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        child = answer_step(parent, flow(), "what", "elsewhere").diagnosis
        assert position(child, flow("other-flow"), "first").previous == PreviousStep(
            parent.reference, "fix-it", "what"
        )


def test_step_after_is_where_the_diagnosis_went_from_a_step_or_the_step_itself_when_current(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        assert step_after(diagnosis, "what") == "explain"
        assert step_after(diagnosis, "apply") == "apply"


def test_last_visit_is_the_latest_of_a_step_that_was_visited_twice():
    assert last_visit(["a", "b", "a", "c"], "a") == 2
    with pytest.raises(ValueError):
        last_visit(["a"], "b")


# one runner per step


def test_only_one_claim_on_a_step_succeeds_until_it_is_released(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        assert claim_step(diagnosis, "apply")
        assert not claim_step(diagnosis, "apply")
        release_step(diagnosis)
        assert claim_step(diagnosis, "apply")


def test_a_step_the_diagnosis_is_not_at_cannot_be_claimed(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        assert not claim_step(diagnosis, "confirm")


def test_a_claim_left_for_longer_than_the_run_timeout_can_be_taken_over(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        start = utcnow()
        with time_machine.travel(start, tick=False):
            assert claim_step(diagnosis, "apply")
        with time_machine.travel(start + timedelta(seconds=119), tick=False):
            assert not claim_step(diagnosis, "apply")
        with time_machine.travel(start + timedelta(minutes=2, seconds=1), tick=False):
            assert claim_step(diagnosis, "apply")


def test_of_concurrent_claims_exactly_one_wins(fixture_app):
    with fixture_app.app_context():
        diagnosis_id = at_apply(flow()).id

    def claim() -> bool:
        with fixture_app.app_context():
            return claim_step(db.session.get(Diagnosis, diagnosis_id), "apply")

    assert sorted(at_once(3, claim)) == [False, False, True]


# giving up


def test_restarting_gives_an_active_diagnosis_up_and_records_it(fixture_app):
    with fixture_app.app_context():
        diagnosis = at_apply(flow())
        restart(diagnosis)
        assert diagnosis.status == DiagnosisStatus.ABANDONED
        assert events(diagnosis)[-1] == ("restarted", "apply", {})


def test_restarting_a_finished_diagnosis_keeps_how_it_ended(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "dunno")
        restart(diagnosis)
        assert diagnosis.status == DiagnosisStatus.ESCALATED
        assert "restarted" not in [kind for kind, _, _ in events(diagnosis)]


# the record the pages read (DiagnosisRecord)


def test_a_diagnosis_is_read_as_a_record_of_its_row(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken")
        record = read_diagnosis(diagnosis.id)
        assert record is not None
        assert (record.reference, record.flow_id, record.step, record.path, record.answers) == (
            diagnosis.reference,
            "fix-it",
            "explain",
            ["what", "explain"],
            ["broken"],
        )
        assert (record.status, record.revision, record.parent_id, record.sandbox) == (
            "active",
            1,
            None,
            False,
        )
        assert read_diagnosis(diagnosis.id + 1000) is None


def test_an_answer_to_a_record_holds_what_it_wrote_without_reading_the_row_back(fixture_app, monkeypatch):
    with fixture_app.app_context():
        record = read_diagnosis(start_diagnosis(flow()).id)
        assert record is not None
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        # (a record is read on the driver's cursor, which SQLAlchemy's events do not see)
        read = diagnoses_module._READ.first
        counted = lambda *a, **k: statements.append("SELECT (record)") or read(*a, **k)  # noqa: E731
        monkeypatch.setattr(diagnoses_module._READ, "first", counted)
        try:
            moved = move_on(record, flow(), "what", "dunno")
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
            monkeypatch.undo()
        assert (moved.step, moved.diagnosis) == ("ask-support", record)
        assert (record.step, record.path, record.answers, record.revision) == (
            "ask-support",
            ["what", "ask-support"],
            ["dunno"],
            1,
        )
        assert record.status == DiagnosisStatus.ESCALATED
        assert not [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert read_diagnosis(record.id) == record  # what it holds is what was written
        assert [kind for kind, _, _ in events(db.session.get(Diagnosis, record.id))] == [
            "started",
            "answered",
            "escalated",
        ]


def test_an_answer_to_a_record_another_request_moved_meanwhile_reads_it_again(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        record = read_diagnosis(diagnosis.id)
        assert record is not None
        answer_step(diagnosis, flow(), "what", "broken")  # another request, first
        moved = move_on(record, flow(), "what", "broken")  # the same answer: already applied
        assert moved.step == "explain"
        assert (record.revision, record.step) == (1, "explain")


def test_a_record_moved_on_a_connection_of_its_own_is_written_and_committed_there(fixture_app):
    with fixture_app.app_context():
        record = read_diagnosis(start_diagnosis(flow()).id)
        assert record is not None
        db.session.remove()
        with db.engine.connect() as connection:
            moved = move_on(record, flow(), "what", "dunno", connection=connection)
            assert not connection.in_transaction()  # committed on it
        assert (moved.step, record.step, record.revision) == ("ask-support", "ask-support", 1)
        assert read_diagnosis(record.id) == record
        assert [kind for kind, _, _ in events(db.session.get(Diagnosis, record.id))] == [
            "started",
            "answered",
            "escalated",
        ]


def test_a_record_moved_meanwhile_is_read_again_on_the_connection(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        record = read_diagnosis(diagnosis.id)
        assert record is not None
        answer_step(diagnosis, flow(), "what", "broken")  # another request, first
        with db.engine.connect() as connection:
            moved = move_on(record, flow(), "what", "dunno", connection=connection)
        assert (moved.step, record.revision, record.path) == ("ask-support", 2, ["what", "ask-support"])
        assert read_diagnosis(record.id) == record


def test_a_row_is_never_moved_on_another_connection_than_its_sessions(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with db.engine.connect() as connection, pytest.raises(TypeError):
            move_on(diagnosis, flow(), "what", "broken", connection=connection)
        assert read_diagnosis(diagnosis.id).step == "what"
