"""A diagnosis as staff read it: its lines in words of the flow it ran on, notes, related ones."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.cases.diagnoses import answer_step, move_on, start_diagnosis
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import DiagnosisNote, FlowVersion
from helpdesk.staff.transcripts import NOTE_LIMIT, add_note, find, read


def flow(flow_id: str = "fix-it"):
    return catalog().flows[flow_id]


def test_a_diagnosis_is_found_by_its_reference_however_it_is_typed(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        assert find(diagnosis.reference) == diagnosis
        assert find(" " + diagnosis.reference.lower().replace("-", "")) == diagnosis


def test_an_unknown_or_malformed_reference_finds_nothing(fixture_app):
    with fixture_app.app_context():
        start_diagnosis(flow())
        assert find("ZZZZ-ZZZZ") is None
        assert find("O0O0-I1I1") is None
        assert find("") is None


def test_the_lines_follow_the_events_in_order_in_the_flows_words(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken")
        answer_step(diagnosis, flow(), "explain", None)
        transcript = read(diagnosis, flow())
        assert transcript.flow_title == "Fix it"
        assert [(line.kind, line.step, line.step_text, line.answer) for line in transcript.lines] == [
            ("started", "what", "What happens?", ""),
            ("answered", "what", "What happens?", "It is broken"),
            ("answered", "explain", "Here is why.", "continue"),
        ]


def test_a_lines_detail_leaves_out_the_answer_and_the_next_step(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken")
        answer_step(diagnosis, flow(), "explain", None)
        move_on(diagnosis, flow(), "apply", "success", kind="action", message="It worked.", attempts=1)
        line = read(diagnosis, flow()).lines[-1]
        assert (line.kind, line.answer, line.detail) == (
            "action",
            "success",
            {"message": "It worked.", "attempts": 1},
        )
        assert read(diagnosis, flow()).lines[0].detail == {"flow_version": 1}


def test_a_step_without_text_is_named_by_its_action(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken")
        answer_step(diagnosis, flow(), "explain", None)
        move_on(diagnosis, flow(), "apply", "failure", kind="action")
        lines = read(diagnosis, flow()).lines
        assert [(line.step, line.step_text) for line in lines[-2:]] == [
            ("apply", "pretend-fix"),
            ("ask-support", "ask-support"),  # an end with no text: its id
        ]
        assert lines[-1].kind == "escalated"


def test_a_step_text_of_several_lines_is_shown_as_one_plain_line_shortened(app):
    with app.app_context():
        compiled = flow("wrong-password")
        diagnosis = start_diagnosis(compiled)
        answer_step(diagnosis, compiled, "show-password", "capitals")
        answer_step(diagnosis, compiled, "fix-caps-lock", "yes")
        last = read(diagnosis, compiled).lines[-1]
        assert (last.kind, last.step) == ("resolved", "signed-in")
        assert last.step_text.startswith(
            "Good, you're in. If your browser or password manager offers to save the "
        )
        assert "\n" not in last.step_text and len(last.step_text) <= 160


def test_the_transcript_is_read_in_the_version_the_diagnosis_ran_on(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken")
        transcript = read(diagnosis, None)  # the live flow changed or went: the stored version
        assert transcript.flow_title == "Fix it" and transcript.lines[1].answer == "It is broken"


def test_with_its_flow_version_lost_the_lines_show_ids(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        answer_step(diagnosis, flow(), "what", "broken")
        diagnosis.flow_digest = "lost-version-of-fix"
        db.session.execute(FlowVersion.__table__.delete())
        db.session.commit()
        transcript = read(diagnosis, flow())
        assert transcript.flow_title == "fix-it"
        assert (transcript.lines[1].step_text, transcript.lines[1].answer) == ("what", "broken")


def test_the_related_diagnoses_are_the_one_it_continued_from_and_those_it_continued_in(fixture_app):
    with fixture_app.app_context():
        parent = start_diagnosis(flow())
        child = answer_step(parent, flow(), "what", "elsewhere").diagnosis
        unrelated = start_diagnosis(flow())
        assert [d.id for d in read(parent, flow()).related] == [child.id]
        assert [d.id for d in read(child, flow("other-flow")).related] == [parent.id]
        assert read(unrelated, flow()).related == []


def test_notes_are_kept_in_order_with_their_author(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        add_note(diagnosis, "helper@example.org", "Called them back.")
        add_note(diagnosis, "admin@example.org", "Sent a link.")
        notes = read(diagnosis, flow()).notes
        assert [(n.author, n.text) for n in notes] == [
            ("helper@example.org", "Called them back."),
            ("admin@example.org", "Sent a link."),
        ]


def test_a_note_is_trimmed_and_loses_nul_characters(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        note = add_note(diagnosis, "helper@example.org", "  Called\x00 back.  \n")
        assert note.text == "Called back."


def test_an_empty_note_is_refused(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(ValueError, match=r"Write the note first\."):
            add_note(diagnosis, "helper@example.org", " \x00 \n")
        assert db.session.scalars(select(DiagnosisNote)).all() == []


def test_a_note_over_the_limit_is_refused_and_one_at_it_is_kept(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(flow())
        with pytest.raises(ValueError, match=f"under {NOTE_LIMIT} characters"):
            add_note(diagnosis, "helper@example.org", "x" * (NOTE_LIMIT + 1))
        assert len(add_note(diagnosis, "helper@example.org", "x" * NOTE_LIMIT).text) == NOTE_LIMIT


def test_notes_stay_with_their_own_diagnosis(fixture_app):
    with fixture_app.app_context():
        mine, other = start_diagnosis(flow()), start_diagnosis(flow())
        add_note(other, "helper@example.org", "Not about you.")
        assert read(mine, flow()).notes == []


def test_a_line_says_its_details_in_words():
    from datetime import UTC, datetime

    from helpdesk.staff.transcripts import Line

    line = Line(
        datetime(2026, 12, 4, tzinfo=UTC),
        "fixed",
        "check",
        "Check",
        "success",
        {"signed_in": True, "undone": 2},
    )
    assert line.details == ["signed in: yes", "answers undone: 2"]


def test_a_step_s_text_is_shown_without_markdown_marks():
    from helpdesk.staff.transcripts import _plain

    assert _plain("Did you type a **wrong** password or [code](https://example.org)?") == (
        "Did you type a wrong password or code?"
    )
