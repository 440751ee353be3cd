"""A staff-approved recovery acts on the account staff approved: the approval binds the
directory's id of the account its address names, the hold and the owner's cancel find it by that
id under any of the account's addresses, and the completion refuses once the address names
another account. Against a directory of its own whose entries may have several addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from helpdesk import use_directory
from helpdesk.accounts.directory import directory
from helpdesk.cases.verification import completion, hold, review
from helpdesk.cases.verification.completion import CompletionState
from helpdesk.models import VerificationStatus
from tests.directories import InMemory
from tests.unit.cases.verification.steps import (
    approved_request,
    fetched,
    link_sent,
    owner_notice_and_asker_mail,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AFTER_THE_HOLD = timedelta(hours=72, seconds=1)
PASSWORD = "correct-horse-battery-staple"
NEW_PASSWORD = "fresh canyon drift 55"
ALIAS = "lee.alias@example.org"


@pytest.fixture
def own(app):
    """Lee, whose directory entry answers to two addresses."""
    found = InMemory()
    found.add("lee@example.org", PASSWORD, ALIAS)
    use_directory(app, found)
    return found


def lee(own: InMemory) -> str:
    return next(iter(own.entries))


def test_the_approval_binds_the_account_and_tells_its_own_address(app, own):
    with app.app_context():
        request = approved_request(app, ALIAS)
        assert fetched(request.id).account_id == lee(own)
        notice, _ = owner_notice_and_asker_mail(app)
        assert notice["To"] == "lee@example.org"  # the address the directory gives the entry


def test_the_owner_signed_in_under_another_of_its_addresses_sees_and_pauses_the_hold(app, own):
    with app.app_context():
        request = approved_request(app, ALIAS)
        owner = directory().find("lee@example.org")
        assert [r.id for r in hold.pending_for(owner)] == [request.id]
        assert [r.id for r in hold.owner_signed_in(owner)] == [request.id]
        assert fetched(request.id).status == VerificationStatus.PAUSED
        assert hold.cancel_for_owner(owner, request.id).status == VerificationStatus.CANCELLED


def test_an_address_given_to_another_account_before_completion_sets_no_password(app, own):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        request = approved_request(app, ALIAS)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        first = lee(own)
        own.entries[first].aliases = ()  # the alias goes to a newcomer's entry
        newcomer = own.add("sam@example.org", "another-long-passphrase", ALIAS)
        assert completion.check_completion(token)[1] is CompletionState.ACCOUNT_CHANGED
        assert completion.complete(token, NEW_PASSWORD) is CompletionState.ACCOUNT_CHANGED
        assert own.entries[first].password == PASSWORD
        assert own.entries[newcomer].password == "another-long-passphrase"
        assert fetched(request.id).status == VerificationStatus.ON_HOLD  # nothing was used up


def test_the_bound_account_gets_the_new_password_through_any_of_its_addresses(app, own):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        approved_request(app, ALIAS)
        clock.shift(AFTER_THE_HOLD)
        token = link_sent(app)
        assert completion.complete(token, NEW_PASSWORD) is CompletionState.DONE
        assert own.entries[lee(own)].password == NEW_PASSWORD


def test_a_paused_recovery_is_not_resumed_for_another_account(app, own):
    with app.app_context():
        request = approved_request(app, ALIAS)
        hold.owner_signed_in(directory().find("lee@example.org"))
        own.entries[lee(own)].aliases = ()
        own.add("sam@example.org", "another-long-passphrase", ALIAS)
        with pytest.raises(review.DecisionRefused, match="different account"):
            review.decide(fetched(request.id), "second@example.org", "approve", "looked again")
        assert fetched(request.id).status == VerificationStatus.PAUSED


def test_an_approval_of_an_account_other_than_the_one_shown_is_refused(app, own):
    from tests.unit.cases.verification.steps import STAFF, submitted_request

    with app.app_context():
        request = submitted_request(app, ALIAS)
        shown, _ = review.compare_with_history(request)
        own.entries[lee(own)].aliases = ()  # the address moves while the page is open
        newcomer = own.add("sam@example.org", "another-long-passphrase", ALIAS)
        with pytest.raises(review.DecisionRefused, match="different account than the one shown"):
            review.decide(fetched(request.id), STAFF, "approve", "ID matches", reviewed_account=shown.id)
        assert fetched(request.id).status == VerificationStatus.SUBMITTED
        assert fetched(request.id).account_id is None
        assert newcomer != shown.id


def test_the_first_of_two_approvals_binds_the_account_the_second_must_find(tmp_path):
    from helpdesk.config import settings
    from tests.conftest import build_app
    from tests.unit.cases.verification.steps import submitted_request

    app = build_app(tmp_path, two_person_rule=True)
    found = InMemory()
    found.add("lee@example.org", PASSWORD, ALIAS)
    use_directory(app, found)
    with app.app_context():
        assert settings().two_person_rule
        request = submitted_request(app, ALIAS)
        assert (
            review.decide(request, "one@example.org", "approve", "ID matches")
            is review.DecisionOutcome.NEEDS_SECOND
        )
        assert fetched(request.id).account_id == lee(found)
        found.entries[lee(found)].aliases = ()
        found.add("sam@example.org", "another-long-passphrase", ALIAS)
        with pytest.raises(review.DecisionRefused, match="approved before"):
            review.decide(fetched(request.id), "two@example.org", "approve", "agreed")
        assert fetched(request.id).status == VerificationStatus.SUBMITTED


def test_my_data_lists_the_recoveries_bound_to_me_not_those_of_an_address_i_was_given(app, own):
    from helpdesk.cases.my_data import export

    with app.app_context():
        request = approved_request(app, ALIAS)
        own.entries[lee(own)].aliases = ()
        newcomer = directory().get(own.add("sam@example.org", "another-long-passphrase", ALIAS))
        theirs = directory().find(ALIAS)
        assert theirs is not None and theirs.id == newcomer.id
        references = lambda account: [r["reference"] for r in export(account)["recovery_requests"]]  # noqa: E731
        assert references(theirs) == []
        assert references(directory().get(lee(own))) == [request.reference]


def test_no_notice_goes_to_an_account_gone_from_the_directory(app, own):
    from helpdesk.accounts.notices import send_code_reused
    from tests.mailbox import outbox

    with app.app_context():
        held = directory().find("lee@example.org")
        del own.entries[lee(own)]
        from helpdesk.accounts.sql import SqlAccountStore

        store = directory()
        assert isinstance(store, SqlAccountStore)
        store._asked.clear()  # as once SHADOW_FRESH has passed
        send_code_reused(held)
        assert outbox(app.extensions["helpdesk.settings"].outbox_dir) == []
