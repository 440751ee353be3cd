"""Asking for a verified recovery: the request, the contact code, the answers, finding it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from helpdesk.cases.verification import asking
from helpdesk.cases.verification.asking import ContactCodeCheck
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, VerificationStatus
from tests.mailbox import outbox
from tests.unit.cases.verification.steps import (
    ACCOUNT,
    CONTACT,
    fetched,
    last_mail,
    mailed_code,
    outbox_of,
    proved_request,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_a_new_request_is_collecting_and_its_contact_address_gets_a_six_digit_code(app):
    with app.app_context():
        request = asking.start(" Pat@Example.org ", "New@Example.net")
        assert fetched(request.id).status == VerificationStatus.COLLECTING
        assert (request.account_email, request.contact_email) == (ACCOUNT, CONTACT)
        mail = last_mail(app)
        assert mail["To"] == CONTACT and request.reference in mail.get_body().get_content()
        assert len(mailed_code(app)) == 6
        assert request.contact_code_hash and mailed_code(app) not in request.contact_code_hash


def test_the_mailed_code_proves_the_contact_address_once_and_for_all(app):
    with app.app_context():
        request = asking.start(ACCOUNT, CONTACT)
        assert asking.confirm_contact(request, mailed_code(app)) is ContactCodeCheck.OK
        assert fetched(request.id).contact_verified_at is not None
        assert asking.confirm_contact(request, "000000") is ContactCodeCheck.OK  # already proved
        actions = list(db.session.scalars(select(AuditEntry.action)))
        assert "recovery.contact-proved" in actions


def test_a_code_typed_with_spaces_is_taken(app):
    with app.app_context():
        request = asking.start(ACCOUNT, CONTACT)
        code = mailed_code(app)
        assert asking.confirm_contact(request, f" {code[:3]} {code[3:]} ") is ContactCodeCheck.OK


def test_five_wrong_codes_use_up_the_code_even_for_the_right_one(app):
    with app.app_context():
        request = asking.start(ACCOUNT, CONTACT)
        right = mailed_code(app)
        wrong = "111111" if right != "111111" else "222222"
        tries = [asking.confirm_contact(request, wrong) for _ in range(asking.CODE_TRIES)]
        assert tries == [ContactCodeCheck.WRONG] * (asking.CODE_TRIES - 1) + [ContactCodeCheck.TOO_MANY]
        assert asking.confirm_contact(request, right) is ContactCodeCheck.TOO_MANY
        assert fetched(request.id).contact_verified_at is None


def test_a_code_expires_after_ten_minutes(app):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = asking.start(ACCOUNT, CONTACT)
        clock.shift(timedelta(minutes=asking.CODE_MINUTES, seconds=1))
        assert asking.confirm_contact(request, mailed_code(app)) is ContactCodeCheck.EXPIRED


def test_a_new_code_replaces_the_old_one_and_gives_back_the_tries(app):
    with app.app_context():
        request = asking.start(ACCOUNT, CONTACT)
        old = mailed_code(app)
        for _ in range(asking.CODE_TRIES):
            asking.confirm_contact(request, "not a code")
        asking.send_contact_code(request)
        new = mailed_code(app)
        assert len(outbox(outbox_of(app))) == 2
        if old != new:
            assert asking.confirm_contact(request, old) is ContactCodeCheck.WRONG
        assert asking.confirm_contact(request, new) is ContactCodeCheck.OK


def test_submitting_sends_the_request_to_staff_with_the_answers(app):
    with app.app_context():
        request = proved_request(app)
        asking.submit(request, {"last_sign_in": "2026-11-20", "device": "Android phone", "other": ""})
        stored = fetched(request.id)
        assert stored.status == VerificationStatus.SUBMITTED and stored.submitted_at is not None
        assert stored.answers["device"] == "Android phone"


def test_a_request_is_found_by_its_reference_only_with_its_contact_address(app):
    with app.app_context():
        request = asking.start(ACCOUNT, CONTACT)
        assert asking.find(request.reference.lower(), "NEW@example.net").id == request.id
        assert asking.find(request.reference, "other@example.net") is None
        assert asking.find("not a reference", CONTACT) is None


def test_answers_from_a_form_are_cut_to_the_lengths_kept():
    answers = asking.answers_from_form({"last_sign_in": "2" * 50, "device": "d" * 500})
    assert answers == {"last_sign_in": "2" * 20, "device": "d" * 200, "other": "", "consent": ""}
