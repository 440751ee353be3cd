"""send-unlock-link: a single-use unlock link mailed to the account, the same answer for anyone."""

from __future__ import annotations

from datetime import timedelta

from helpdesk.accounts.directory import directory
from helpdesk.accounts.recovery import unlock_account
from helpdesk.accounts.tokens import TokenStatus, check_token
from helpdesk.actions import ActionContext, get_action
from helpdesk.models import utcnow
from tests.mailbox import link_in, outbox, text_of
from tests.support import action_context

UNLOCK = "send-unlock-link"


def context(*, sandbox: bool = False, ip: str = "203.0.113.9") -> ActionContext:
    return action_context("locked-out", "send-unlock", remote_addr=ip, sandbox=sandbox)


def submit(email: str, **ctx: object):
    return get_action(UNLOCK).submit(context(**ctx), {"email": email})  # type: ignore[arg-type]


def unlock_token(mail) -> str:
    return link_in(mail, "/unlock/").rsplit("/", 1)[1]


def test_a_locked_account_is_mailed_a_link_that_unlocks_it(app, account, outbox_dir):
    with app.test_request_context():
        for _ in range(5):
            directory().record_failure(account.id)
        assert directory().lock(account.id, utcnow() + timedelta(minutes=10), 5)
        outcome = submit("pat@example.org")
        [mail] = outbox(outbox_dir)
        assert outcome.status == "pending"
        assert mail["Subject"] == "Unlock your account" and "You asked to unlock" in text_of(mail)
        assert unlock_account(unlock_token(mail)).was_locked
        assert directory().get(account.id).failed_count == 0


def test_an_account_that_is_not_locked_is_told_so_with_a_link_anyway(app, account, outbox_dir):
    with app.test_request_context():
        submit("pat@example.org")
        [mail] = outbox(outbox_dir)
        assert "it is not locked at the moment" in text_of(mail)
        assert check_token(unlock_token(mail), "unlock").status is TokenStatus.VALID


def test_an_unknown_address_gets_a_note_and_the_asker_sees_the_same(app, account, outbox_dir):
    with app.test_request_context():
        known = submit("pat@example.org")
        unknown = submit("nobody@example.org")
    assert (unknown.status, unknown.detail) == (known.status, known.detail)
    assert unknown.message == known.message.replace("pat@example.org", "nobody@example.org")
    note = outbox(outbox_dir)[1]
    assert note["Subject"] == "About your request" and "an unlock link" in text_of(note)


def test_in_the_sandbox_no_link_is_mailed(app, account, outbox_dir):
    with app.test_request_context():
        outcome = submit("pat@example.org", sandbox=True)
    assert (outcome.status, outcome.detail) == ("pending", {"sandbox": True})
    assert outbox(outbox_dir) == []


def test_its_limit_per_address_is_its_own_not_the_reset_links(app, account, outbox_dir):
    reset = get_action("send-reset-link")
    with app.test_request_context():
        for _ in range(5):
            reset.submit(context(), {"email": "pat@example.org"})
        assert reset.submit(context(), {"email": "pat@example.org"}).http_status == 429
        assert submit("pat@example.org").status == "pending"


def test_a_sixth_unlock_link_within_the_hour_is_refused(app, account, outbox_dir):
    with app.test_request_context():
        outcomes = [submit("pat@example.org") for _ in range(6)]
    assert [o.status for o in outcomes] == ["pending"] * 5 + ["retry"]
    assert outcomes[-1].http_status == 429
    assert len(outbox(outbox_dir)) == 5
