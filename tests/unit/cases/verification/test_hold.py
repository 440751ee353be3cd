"""The hold after an approval: the owner cancels (by link or signed in); after it, one mailed link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from helpdesk.accounts.directory import directory
from helpdesk.cases.verification import hold, review
from helpdesk.cases.verification.hashing import keyed_hash
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, VerificationStatus
from tests.conftest import DEMO_PASSWORD
from tests.mailbox import outbox, text_of
from tests.unit.cases.verification.steps import (
    CONTACT,
    STAFF,
    approved_request,
    fetched,
    last_mail,
    mailed_token,
    outbox_of,
    submitted_request,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AFTER_THE_HOLD = timedelta(hours=72, seconds=1)


def test_the_owner_sees_only_their_requests_on_hold(app, account):
    with app.app_context():
        waiting = approved_request(app)
        submitted_request(app)  # not approved: nothing to cancel yet
        other = directory().create("sam@example.org", DEMO_PASSWORD)
        approved_request(app, account_email=other.email)
        assert [r.id for r in hold.pending_for(account)] == [waiting.id]


def test_the_mailed_link_cancels_the_hold(app, account):
    with app.app_context():
        request = approved_request(app)
        cancelled = hold.cancel_with_token(mailed_token(app, "/recovery/cancel/"), ip="192.0.2.7")
        assert cancelled.id == request.id and fetched(request.id).status == VerificationStatus.CANCELLED
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recovery.cancel"))
        assert (entry.actor, entry.ip) == ("owner (cancel link)", "192.0.2.7")


def test_a_link_that_is_not_ours_cancels_nothing(app, account):
    with app.app_context():
        request = approved_request(app)
        assert hold.cancel_with_token("not-a-token") is None
        assert hold.cancel_with_token("") is None
        assert fetched(request.id).status == VerificationStatus.ON_HOLD


def test_the_signed_in_owner_cancels_only_their_own_request(app, account):
    with app.app_context():
        request = approved_request(app)
        stranger = directory().create("sam@example.org", DEMO_PASSWORD)
        assert hold.cancel_for_owner(stranger, request.id) is None
        assert hold.cancel_for_owner(account, 999_999) is None
        assert fetched(request.id).status == VerificationStatus.ON_HOLD
        assert hold.cancel_for_owner(account, request.id).status == VerificationStatus.CANCELLED


def test_a_request_that_is_not_on_hold_is_returned_unchanged_and_not_audited(app, account):
    with app.app_context():
        request = submitted_request(app)
        review.decide(request, STAFF, "deny", "no match")
        assert hold.cancel_for_owner(account, request.id).status == VerificationStatus.DENIED
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recovery.cancel")) is None


def test_after_the_hold_the_contact_address_gets_one_link(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        assert hold.run_due() == 0  # the hold is running
        clock.shift(AFTER_THE_HOLD)
        assert hold.run_due() == 1
        ready = last_mail(app)
        assert ready["To"] == CONTACT and "http://localhost/recovery/complete/" in text_of(ready)
        stored = fetched(request.id)
        assert stored.reset_sent_at == T0 + AFTER_THE_HOLD
        assert stored.reset_token_hash == keyed_hash(mailed_token(app, "/recovery/complete/"))
        assert hold.run_due() == 0  # once
        assert len(outbox(outbox_of(app))) == 3  # the code, the approval notice, the link


def test_a_cancelled_hold_never_sends_the_link(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        hold.cancel_for_owner(account, request.id)
        clock.shift(AFTER_THE_HOLD)
        assert hold.run_due() == 0
        assert fetched(request.id).reset_sent_at is None
