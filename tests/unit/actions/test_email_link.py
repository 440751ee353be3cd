"""EmailLinkAction: ask for an address, mail a link, and answer every address alike."""

from __future__ import annotations

from helpdesk.accounts.recovery import BAD_ADDRESS, MAIL_FAILED, TOO_MANY, request_reset
from helpdesk.actions import ActionContext
from helpdesk.actions.email_link import EmailLinkAction
from helpdesk.extensions import db
from tests.conftest import build_app
from tests.mailbox import outbox
from tests.support import action_context

ACTION = EmailLinkAction(
    name="test-email-link",
    title="Email me",
    submit_label="Send",
    intro="A link by email.",
    send=request_reset,
)


def context(*, sandbox: bool = False, ip: str = "203.0.113.7") -> ActionContext:
    return action_context("wrong-password", "send-link", remote_addr=ip, sandbox=sandbox)


def test_the_form_asks_for_the_accounts_address(app):
    with app.test_request_context():
        form = str(ACTION.render_form(context()))
    assert 'name="email"' in form and 'type="email"' in form


def test_a_sent_link_is_pending_and_names_the_address_as_typed_normalised(app, account, outbox_dir):
    with app.test_request_context():
        outcome = ACTION.submit(context(), {"email": "  Pat@Example.ORG "})
    assert outcome.status == "pending"
    assert "If an account uses pat@example.org, we sent it a link" in outcome.message
    assert outcome.detail == {}
    [mail] = outbox(outbox_dir)
    assert mail["To"] == "pat@example.org"


def test_an_unknown_address_gets_the_same_outcome_as_a_known_one(app, account, outbox_dir):
    with app.test_request_context():
        known = ACTION.submit(context(), {"email": "pat@example.org"})
        unknown = ACTION.submit(context(), {"email": "nobody@example.org"})
    assert unknown.message == known.message.replace("pat@example.org", "nobody@example.org")
    assert (unknown.status, unknown.detail, unknown.http_status) == (
        known.status,
        known.detail,
        known.http_status,
    )
    assert [m["To"] for m in outbox(outbox_dir)] == ["pat@example.org", "nobody@example.org"]


def test_an_address_that_is_not_one_is_a_retry_with_400_and_mails_nothing(app, outbox_dir):
    with app.test_request_context():
        outcome = ACTION.submit(context(), {"email": "pat at example"})
    assert (outcome.status, outcome.message, outcome.http_status) == ("retry", BAD_ADDRESS, 400)
    assert outbox(outbox_dir) == []


def test_a_missing_address_is_a_retry(app):
    with app.test_request_context():
        assert ACTION.submit(context(), {}).status == "retry"


def test_in_the_sandbox_nothing_is_mailed_and_it_says_so(app, account, outbox_dir):
    with app.test_request_context():
        outcome = ACTION.submit(context(sandbox=True), {"email": "pat@example.org"})
    assert (outcome.status, outcome.detail) == ("pending", {"sandbox": True})
    assert "Sandbox" in outcome.message
    assert outbox(outbox_dir) == []


def test_too_many_links_for_one_address_is_a_retry_with_429(app, account, outbox_dir):
    with app.test_request_context():
        outcomes = [ACTION.submit(context(), {"email": "pat@example.org"}) for _ in range(6)]
    assert [o.status for o in outcomes] == ["pending"] * 5 + ["retry"]
    assert (outcomes[-1].message, outcomes[-1].http_status) == (TOO_MANY, 429)
    assert len(outbox(outbox_dir)) == 5


def test_the_limit_per_address_of_the_browser_counts_its_remote_addr(app, outbox_dir):
    with app.test_request_context():
        from_one_place = [
            ACTION.submit(context(ip="198.51.100.20"), {"email": f"person{n}@example.org"}).status
            for n in range(21)
        ]
        elsewhere = ACTION.submit(context(ip="198.51.100.21"), {"email": "person99@example.org"})
    assert from_one_place == ["pending"] * 20 + ["retry"]
    assert elsewhere.status == "pending"


def test_mail_that_cannot_be_sent_is_a_retry_with_503(tmp_path):
    app = build_app(tmp_path, mail_url="ftp://mail.example.org")  # refused at once: no SMTP, no wait
    with app.test_request_context():
        outcome = ACTION.submit(context(), {"email": "pat@example.org"})
        db.engine.dispose()
    assert (outcome.status, outcome.message, outcome.http_status) == ("retry", MAIL_FAILED, 503)
