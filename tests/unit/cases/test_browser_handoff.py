"""'Continue in a browser' tickets: signed, short-lived, single-use, and read without using them."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from helpdesk.cases.browser_handoff import (
    LIFETIME_SECONDS,
    Opened,
    TicketProblem,
    _serializer,
    open_ticket,
    read_ticket,
    ticket_for,
)
from helpdesk.cases.diagnoses import restart, start_diagnosis
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import DiagnosisEvent, utcnow


def started(**kwargs):
    return start_diagnosis(catalog().flows["fix-it"], **kwargs)


def event_kinds(diagnosis) -> list[str]:
    return list(
        db.session.scalars(select(DiagnosisEvent.kind).where(DiagnosisEvent.diagnosis_id == diagnosis.id))
    )


def test_a_ticket_opens_its_diagnosis_once_and_records_it(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        ticket = ticket_for(diagnosis)
        opened = open_ticket("fix-it", ticket)
        assert (opened.diagnosis, opened.problem) == (diagnosis, None)
        assert diagnosis.browser_handoffs == 1
        assert event_kinds(diagnosis)[-1] == "opened_in_browser"
        assert open_ticket("fix-it", ticket) == Opened(None, TicketProblem.USED)


def test_reading_a_ticket_changes_nothing(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        ticket = ticket_for(diagnosis)
        assert read_ticket("fix-it", ticket).diagnosis == diagnosis
        assert read_ticket("fix-it", ticket).diagnosis == diagnosis
        assert diagnosis.browser_handoffs == 0 and "opened_in_browser" not in event_kinds(diagnosis)
        assert open_ticket("fix-it", ticket).diagnosis == diagnosis


def test_making_a_ticket_writes_nothing(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        before = (diagnosis.revision, diagnosis.browser_handoffs, event_kinds(diagnosis))
        ticket_for(diagnosis)
        db.session.expire_all()
        assert (diagnosis.revision, diagnosis.browser_handoffs, event_kinds(diagnosis)) == before


def test_the_ticket_names_the_diagnosis_by_reference_not_its_row_id(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        assert _serializer().loads(ticket_for(diagnosis)) == {"r": diagnosis.reference, "n": 0}


def test_once_one_ticket_is_used_the_others_made_before_stop_working(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        first, second = ticket_for(diagnosis), ticket_for(diagnosis)
        assert open_ticket("fix-it", second).diagnosis == diagnosis
        assert read_ticket("fix-it", first).problem is TicketProblem.USED
        assert open_ticket("fix-it", ticket_for(diagnosis)).diagnosis == diagnosis  # a new one works


def test_a_ticket_expires_after_fifteen_minutes(fixture_app):
    start = utcnow()
    with fixture_app.app_context():
        with time_machine.travel(start, tick=False):
            ticket = ticket_for(started())
        with time_machine.travel(start + timedelta(seconds=LIFETIME_SECONDS), tick=False):
            assert read_ticket("fix-it", ticket).diagnosis is not None
        with time_machine.travel(start + timedelta(seconds=LIFETIME_SECONDS + 1), tick=False):
            assert open_ticket("fix-it", ticket).problem is TicketProblem.EXPIRED


def test_an_altered_ticket_opens_nothing(fixture_app):
    with fixture_app.app_context():
        ticket = ticket_for(started())
        tampered = ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB")
        assert open_ticket("fix-it", tampered).problem is TicketProblem.ALTERED
        assert open_ticket("fix-it", "not a ticket").problem is TicketProblem.ALTERED


def test_a_ticket_for_another_flows_address_opens_nothing(fixture_app):
    with fixture_app.app_context():
        ticket = ticket_for(started())
        assert open_ticket("other-flow", ticket).problem is TicketProblem.ALTERED


def test_a_ticket_signed_with_another_secret_opens_nothing(fixture_app, tmp_path):
    from tests.conftest import build_app

    with fixture_app.app_context():
        reference = started().reference
    other = build_app(tmp_path / "other", secret_key="another-secret-key")
    with other.app_context():
        foreign = _serializer().dumps({"r": reference, "n": 0})
        db.engine.dispose()
    with fixture_app.app_context():
        assert read_ticket("fix-it", foreign).problem is TicketProblem.ALTERED


def test_a_signed_payload_of_the_wrong_shape_is_not_a_ticket(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        for payload in (
            [diagnosis.reference, 0],
            {"r": diagnosis.reference, "n": False},  # a bool is not a count
            {"r": diagnosis.reference, "n": "0"},
            {"r": 7, "n": 0},
            {"r": "NOPE-NOPE", "n": 0},
        ):
            assert read_ticket("fix-it", _serializer().dumps(payload)).problem is TicketProblem.ALTERED


def test_a_sandbox_diagnosis_has_no_tickets(fixture_app):
    with fixture_app.app_context():
        ticket = ticket_for(started(sandbox=True))
        assert read_ticket("fix-it", ticket).problem is TicketProblem.ALTERED


def test_a_given_up_diagnosis_opens_no_more(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        ticket = ticket_for(diagnosis)
        restart(diagnosis)
        assert open_ticket("fix-it", ticket).problem is TicketProblem.ABANDONED
        assert diagnosis.browser_handoffs == 0


def test_an_expired_diagnosis_is_gone_even_with_a_fresh_ticket(fixture_app):
    start = utcnow()
    with fixture_app.app_context():
        with time_machine.travel(start, tick=False):
            diagnosis = started()
        with time_machine.travel(start + timedelta(days=31), tick=False):
            assert open_ticket("fix-it", ticket_for(diagnosis)).problem is TicketProblem.GONE
