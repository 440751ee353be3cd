"""check-link: the "is this link really ours?" verdict as a fix's outcome."""

from __future__ import annotations

from helpdesk.actions import ActionContext, get_action
from helpdesk.extensions import db
from tests.conftest import build_app
from tests.support import action_context

CHECK = get_action("check-link")


def context() -> ActionContext:
    return action_context("is-this-site-ours", "check")


def test_the_form_asks_for_the_link():
    form = str(CHECK.render_form(context()))
    assert 'name="link"' in form and "<textarea" in form


def test_one_of_our_addresses_is_a_success_that_says_why(app):
    with app.app_context():
        outcome = CHECK.submit(context(), {"link": "https://login.example.org/reset"})
    assert (outcome.status, outcome.detail) == ("success", {"official": True})
    assert outcome.message.startswith("Yes, this is one of our addresses.")
    assert len(outcome.message) > len("Yes, this is one of our addresses. ")  # the reasons follow


def test_a_lookalike_is_a_failure_that_warns_and_says_why(app):
    with app.app_context():
        outcome = CHECK.submit(context(), {"link": "https://example.org.evil.test/login"})
    assert (outcome.status, outcome.detail) == ("failure", {"official": False})
    assert outcome.message.startswith("Don't trust this link.") and "decoration" in outcome.message


def test_our_domain_over_plain_http_is_not_trusted(app):
    with app.app_context():
        outcome = CHECK.submit(context(), {"link": "http://example.org/reset"})
    assert outcome.status == "failure" and "http://" in outcome.message


def test_the_official_domains_come_from_the_settings(tmp_path):
    app = build_app(tmp_path, official_domains=("example-help.net",))
    with app.app_context():
        ours = CHECK.submit(context(), {"link": "https://example-help.net/"})
        default = CHECK.submit(context(), {"link": "https://example.org/"})
        db.engine.dispose()
    assert (ours.status, default.status) == ("success", "failure")


def test_nothing_pasted_is_a_retry_that_asks_for_a_link(app):
    with app.app_context():
        outcome = CHECK.submit(context(), {"link": "   "})
    assert (outcome.status, outcome.http_status) == ("retry", 400)
    assert outcome.message == "Paste a link or a site's address."


def test_no_field_at_all_is_a_retry_too(app):
    with app.app_context():
        assert CHECK.submit(context(), {}).status == "retry"
