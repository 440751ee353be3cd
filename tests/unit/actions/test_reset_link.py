"""send-reset-link: a single-use reset link mailed to the account, the same answer for anyone."""

from __future__ import annotations

from helpdesk.accounts.tokens import TokenStatus, check_token
from helpdesk.actions import ActionContext, get_action
from tests.mailbox import link_in, outbox, text_of
from tests.support import action_context

RESET = "send-reset-link"


def context(*, sandbox: bool = False, ip: str = "203.0.113.8") -> ActionContext:
    return action_context("wrong-password", "send-link", remote_addr=ip, sandbox=sandbox)


def submit(email: str, **ctx: object):
    return get_action(RESET).submit(context(**ctx), {"email": email})  # type: ignore[arg-type]


def test_the_account_is_mailed_a_reset_link_that_works_for_it(app, account, outbox_dir):
    with app.test_request_context():
        outcome = submit("pat@example.org")
        [mail] = outbox(outbox_dir)
        token = link_in(mail, "/password/reset/").rsplit("/", 1)[1]
        checked = check_token(token, "reset")
    assert outcome.status == "pending"
    assert mail["To"] == "pat@example.org" and mail["Subject"] == "Reset your password"
    assert (checked.status, checked.account_id) == (TokenStatus.VALID, account.id)


def test_the_link_is_for_a_reset_only_not_an_unlock(app, account, outbox_dir):
    with app.test_request_context():
        submit("pat@example.org")
        token = link_in(outbox(outbox_dir)[0], "/password/reset/").rsplit("/", 1)[1]
        assert check_token(token, "unlock").status is TokenStatus.UNKNOWN


def test_an_address_no_account_uses_is_told_so_and_the_asker_sees_the_same(app, account, outbox_dir):
    with app.test_request_context():
        known = submit("pat@example.org")
        unknown = submit("nobody@example.org")
    assert (unknown.status, unknown.detail) == (known.status, known.detail)
    assert unknown.message == known.message.replace("pat@example.org", "nobody@example.org")
    note = outbox(outbox_dir)[1]
    assert note["To"] == "nobody@example.org" and note["Subject"] == "About your request"
    assert "a password reset" in text_of(note) and "/password/reset/" not in text_of(note)


def test_a_newer_link_supersedes_the_one_before(app, account, outbox_dir):
    with app.test_request_context():
        submit("pat@example.org")
        submit("pat@example.org")
        first, second = (link_in(m, "/password/reset/").rsplit("/", 1)[1] for m in outbox(outbox_dir))
        assert check_token(first, "reset").status is TokenStatus.SUPERSEDED
        assert check_token(second, "reset").status is TokenStatus.VALID


def test_in_the_sandbox_no_link_is_mailed(app, account, outbox_dir):
    with app.test_request_context():
        outcome = submit("pat@example.org", sandbox=True)
    assert (outcome.status, outcome.detail) == ("pending", {"sandbox": True})
    assert outbox(outbox_dir) == []


def test_a_sixth_link_within_the_hour_for_one_address_is_refused(app, account, outbox_dir):
    with app.test_request_context():
        statuses = [submit("pat@example.org", ip=f"198.51.100.{n}").http_status for n in range(6)]
        last = submit("PAT@example.org", ip="198.51.100.99")
    assert statuses[-1] == 429 and last.status == "retry" and last.http_status == 429
    assert len(outbox(outbox_dir)) == 5
