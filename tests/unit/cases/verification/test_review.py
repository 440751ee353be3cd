"""Staff review: the queue, the comparison with the account's history, and the decision."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk.accounts.directory import directory
from helpdesk.cases.verification import asking, review
from helpdesk.cases.verification.hashing import keyed_hash
from helpdesk.cases.verification.review import (
    Decision,
    DecisionOutcome,
    DecisionRefused,
    DecisionsDisagree,
)
from helpdesk.models import VerificationRequest, VerificationStatus
from tests.conftest import DEMO_PASSWORD, build_app
from tests.mailbox import SmtpServer, outbox, text_of
from tests.unit.cases.verification.steps import (
    ACCOUNT,
    CONTACT,
    STAFF,
    fetched,
    mailed_code,
    mailed_token,
    outbox_of,
    owner_notice_and_asker_mail,
    proved_request,
    submitted_request,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_the_queue_holds_submitted_requests_oldest_first(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        first = submitted_request(app)
        clock.shift(timedelta(minutes=5))
        second = submitted_request(app)
        proved_request(app)  # still collecting: not for staff yet
        review.decide(submitted_request(app), STAFF, "deny", "no match")  # decided: out of the queue
        assert [r.id for r in review.queue()] == [first.id, second.id]


def test_an_approval_starts_the_hold_and_mails_the_owner_a_cancel_link(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False):
        request = submitted_request(app)
        assert review.decide(request, STAFF, "approve", "ID matches") is DecisionOutcome.APPROVED
        stored = fetched(request.id)
        assert stored.status == VerificationStatus.ON_HOLD
        assert stored.hold_until == T0 + timedelta(hours=72)
        assert (stored.decided_by, stored.decision_reason) == (STAFF, "ID matches")
        notice, to_asker = owner_notice_and_asker_mail(app)
        assert notice["To"] == ACCOUNT and to_asker["To"] == CONTACT
        assert "http://localhost/recovery/cancel/" in notice.get_body(preferencelist=("plain",)).get_content()
        assert stored.cancel_token_hash == keyed_hash(mailed_token(app, "/recovery/cancel/"))



def test_the_person_who_asked_is_told_of_the_approval_in_their_language_and_time_zone(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False):
        request = asking.start(ACCOUNT, CONTACT, language="es", time_zone="America/Mexico_City")
        assert asking.confirm_contact(request, mailed_code(app)) is asking.ContactCodeCheck.OK
        asking.submit(request, {"last_sign_in": "", "device": "", "other": ""})
        review.decide(request, STAFF, "approve", "ID matches")
        notice, to_asker = owner_notice_and_asker_mail(app)
    assert to_asker["Subject"] == "Tu solicitud de recuperación fue aprobada"
    hold_until = T0 + timedelta(hours=72)  # T0 + 72 h in UTC, six hours behind in Mexico City
    there = hold_until - timedelta(hours=6)
    assert f"{there:%H:%M} (America/Mexico_City; {hold_until:%H:%M} UTC)" in text_of(to_asker)
    # the owner's notice: in the site's language and UTC, whoever asked
    assert "America/Mexico_City" not in text_of(notice) and f"{hold_until:%H:%M} UTC" in text_of(notice)


def test_a_denial_keeps_the_reason_without_nul_bytes_and_mails_nobody(app, account):
    with app.app_context():
        request = submitted_request(app)
        mails = len(outbox(outbox_of(app)))
        assert review.decide(request, STAFF, "deny", "  bad\x00 photo ") is DecisionOutcome.DENIED
        stored = fetched(request.id)
        assert stored.status == VerificationStatus.DENIED and stored.decision_reason == "bad photo"
        assert len(outbox(outbox_of(app))) == mails


@pytest.mark.parametrize(
    ("decision", "reason", "message"),
    [("maybe", "looks fine", "Choose approve or deny."), ("deny", " \x00 ", "Give the reason")],
)
def test_a_decision_needs_a_known_choice_and_a_reason(app, account, decision, reason, message):
    with app.app_context():
        request = submitted_request(app)
        with pytest.raises(DecisionRefused, match=message):
            review.decide(request, STAFF, decision, reason)
        assert fetched(request.id).status == VerificationStatus.SUBMITTED


def test_a_request_is_decided_only_once(app, account):
    with app.app_context():
        request = submitted_request(app)
        review.decide(request, STAFF, "deny", "no match")
        with pytest.raises(DecisionRefused, match="decided already"):
            review.decide(request, "other@example.org", "approve", "looks fine")
        assert fetched(request.id).status == VerificationStatus.DENIED


def test_a_request_for_an_address_with_no_account_can_only_be_denied(app):
    with app.app_context():
        request = submitted_request(app, account_email="nobody@example.org")
        with pytest.raises(DecisionRefused, match="No account uses this address"):
            review.decide(request, STAFF, "approve", "looks fine")
        assert review.decide(request, STAFF, "deny", "no match") is DecisionOutcome.DENIED


def test_an_approval_the_owner_cannot_be_told_of_is_not_recorded(tmp_path):
    with SmtpServer() as smtp:
        app = build_app(tmp_path, mail_url=smtp.url)
        with app.app_context():
            directory().create(ACCOUNT, DEMO_PASSWORD)
            request = submitted_request_by_smtp(smtp)
            smtp.recorder.refuse_next = 10  # the mail server is down now
            with pytest.raises(DecisionRefused, match="could not mail the account's owner"):
                review.decide(request, STAFF, "approve", "ID matches")
            stored = fetched(request.id)
            assert stored.status == VerificationStatus.SUBMITTED and stored.hold_until is None


def submitted_request_by_smtp(smtp: SmtpServer) -> VerificationRequest:
    request = asking.start(ACCOUNT, CONTACT)
    code = re.search(r"^\s+(\d{6})\s*$", text_of(smtp.recorder.messages[-1]), re.M).group(1)
    assert asking.confirm_contact(request, code) is asking.ContactCodeCheck.OK
    asking.submit(request, {})
    return request


def test_the_two_person_rule_needs_the_same_decision_from_a_second_staff_member(tmp_path):
    app = build_app(tmp_path, two_person_rule=True)
    with app.app_context():
        directory().create(ACCOUNT, DEMO_PASSWORD)
        request = submitted_request(app)
        first = review.decide(request, "one@example.org", "approve", "ID matches")
        assert first is DecisionOutcome.NEEDS_SECOND
        assert fetched(request.id).status == VerificationStatus.SUBMITTED
        with pytest.raises(DecisionRefused, match="second, different staff member"):
            review.decide(request, "one@example.org", "approve", "ID matches")
        with pytest.raises(DecisionsDisagree) as disagree:
            review.decide(request, "two@example.org", "deny", "selfie unclear")
        assert (disagree.value.first_approver, disagree.value.first_decision, disagree.value.chosen) == (
            "one@example.org",
            Decision.APPROVE,
            Decision.DENY,
        )
        assert "Agree on one decision first" in str(disagree.value) and disagree.value.http_status == 409
        assert review.decide(request, "two@example.org", "approve", "agreed") is DecisionOutcome.APPROVED
        assert fetched(request.id).status == VerificationStatus.ON_HOLD


def test_the_history_comparison_says_when_the_answers_agree(app, account):
    with app.app_context():
        directory().record_sign_in(account.id, "ok", "192.0.2.1", "Chrome on Android")
        today = datetime.now(UTC).date()
        near = submitted_request(
            app, last_sign_in=(today - timedelta(days=2)).isoformat(), device="android phone"
        )
        far = submitted_request(app, last_sign_in=(today - timedelta(days=30)).isoformat(), device="iPad")
        owner, rows = review.compare_with_history(near)
        assert owner.email == ACCOUNT
        assert [(r.question, r.agrees) for r in rows] == [
            ("Last successful sign-in", True),
            ("Device used", True),
        ]
        assert [r.agrees for r in review.compare_with_history(far)[1]] == [False, False]


def test_the_history_comparison_has_nothing_to_compare_without_sign_ins_or_answers(app, account):
    with app.app_context():
        rows = review.compare_with_history(submitted_request(app, last_sign_in="", device="Android"))[1]
        assert [(r.history, r.agrees) for r in rows] == [("none recorded", None), ("none recorded", None)]


def test_the_history_comparison_of_an_address_with_no_account_says_so(app):
    with app.app_context():
        owner, rows = review.compare_with_history(submitted_request(app, account_email="nobody@example.org"))
        assert owner is None
        assert [(r.history, r.agrees) for r in rows] == [("no account uses this address", False)]
