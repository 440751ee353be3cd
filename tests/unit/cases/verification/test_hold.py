"""The hold after an approval: the owner cancels (by link or signed in); after it, one mailed link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
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
    owner_notice_and_asker_mail,
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
        # the code, the approval notice, the asker's "approved", the link
        assert len(outbox(outbox_of(app))) == 4


def test_a_cancelled_hold_never_sends_the_link(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        hold.cancel_for_owner(account, request.id)
        clock.shift(AFTER_THE_HOLD)
        assert hold.run_due() == 0
        assert fetched(request.id).reset_sent_at is None


def test_the_owner_signing_in_pauses_a_recovery_on_hold_and_support_is_told(app, account):
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        untouched = submitted_request(app)  # not approved: nothing to pause
        assert [r.id for r in hold.owner_signed_in(account, ip="198.51.100.7")] == [request.id]
        assert fetched(request.id).status == VerificationStatus.PAUSED
        assert fetched(untouched.id).status == VerificationStatus.SUBMITTED
        alert = last_mail(app)
        assert alert["To"] == "help@example.org" and request.reference in text_of(alert)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recovery.paused"))
        assert (entry.actor, entry.target, entry.ip) == (account.email, request.reference, "198.51.100.7")
        assert [r.id for r in hold.pending_for(account)] == [request.id]  # the owner still sees it
        assert hold.owner_signed_in(account) == []  # paused once
        clock.shift(AFTER_THE_HOLD)
        assert hold.run_due() == 0  # no link while paused
        assert review.paused() == [fetched(request.id)]


def test_a_link_mailed_before_the_pause_does_not_work_while_paused(app, account):
    from helpdesk.cases.verification.completion import CompletionState, check_completion

    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app)
        clock.shift(AFTER_THE_HOLD)
        assert hold.run_due() == 1
        token = mailed_token(app, "/recovery/complete/")
        hold.owner_signed_in(account)
        assert check_completion(token) == (fetched(request.id), CompletionState.PAUSED)


def test_the_owner_may_cancel_a_paused_recovery(app, account):
    with app.test_request_context():
        request = approved_request(app)
        hold.owner_signed_in(account)
        assert hold.cancel_for_owner(account, request.id).status == VerificationStatus.CANCELLED


def test_staff_deny_a_paused_recovery_or_start_a_new_hold(app, account):
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        denied = approved_request(app)
        resumed = approved_request(app)
        hold.owner_signed_in(account)
        with pytest.raises(review.DecisionRefused, match="reason"):
            review.decide(denied, STAFF, "deny", " ")
        assert (
            review.decide(denied, STAFF, "deny", "the owner says it was not them")
            is review.DecisionOutcome.DENIED
        )
        assert fetched(denied.id).status == VerificationStatus.DENIED
        clock.shift(timedelta(hours=10))
        assert (
            review.decide(resumed, STAFF, "approve", "the owner confirmed") is review.DecisionOutcome.APPROVED
        )
        again = fetched(resumed.id)
        assert again.status == VerificationStatus.ON_HOLD and again.hold_until == T0 + timedelta(hours=82)
        notice, _ = owner_notice_and_asker_mail(app)
        assert notice["To"] == account.email  # told again, with a new cancel link
        with pytest.raises(review.DecisionRefused):
            review.reconsider(again, STAFF, "approve", "again")  # no longer paused
