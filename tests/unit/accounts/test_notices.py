"""Mails to an account's own address: who gets them, what they say, and links that work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from helpdesk.accounts import notices
from helpdesk.accounts.tokens import TokenStatus, use_token
from helpdesk.links import WellKnownFlow
from tests.conftest import build_app
from tests.mailbox import outbox, text_of

SITE = "https://help.example.org"
SUSPICIOUS_LINK = f"{SITE}/diagnose/{WellKnownFlow.SOMEONE_ELSE_SIGNED_IN}"


@pytest.fixture
def site_app(tmp_path: Path):
    """An app whose configured address differs from the test client's host."""
    app = build_app(tmp_path, site_url=SITE + "/", token_minutes=20)
    yield app
    from helpdesk.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pat(site_app: Flask):
    from helpdesk.accounts.directory import directory

    with site_app.app_context():
        return directory().create("pat@example.org", "violet-harbor-lantern-42")


def _only_mail(app: Flask):
    mails = outbox(app.extensions["helpdesk.settings"].outbox_dir)
    assert len(mails) == 1, f"expected one mail, found {len(mails)}"
    return mails[0]


def _links(message) -> list[str]:
    return re.findall(r"https?://\S+", text_of(message))


def _token(message, prefix: str) -> str:
    found = re.search(rf"{re.escape(SITE + prefix)}([A-Za-z0-9_-]+)", text_of(message))
    assert found, f"no {prefix} link in:\n{text_of(message)}"
    return found.group(1)


def test_a_reset_link_goes_to_the_account_address_only(site_app, pat):
    with site_app.app_context():
        notices.send_reset_link(pat)
    mail = _only_mail(site_app)
    assert (mail["To"], mail["Subject"]) == ("pat@example.org", "Reset your password")
    assert mail["Cc"] is None and mail["Bcc"] is None


def test_the_reset_link_is_absolute_on_the_configured_site(site_app, pat):
    with site_app.test_request_context(base_url="http://evil.example"):
        notices.send_reset_link(pat)
    links = _links(_only_mail(site_app))
    assert links and all(link.startswith(SITE + "/") for link in links)
    assert any(link.startswith(f"{SITE}/password/reset/") for link in links)


def test_the_reset_link_carries_a_token_that_works_once(site_app, pat):
    with site_app.app_context():
        notices.send_reset_link(pat)
        token = _token(_only_mail(site_app), "/password/reset/")
        first, second = use_token(token, "reset"), use_token(token, "reset")
    assert (first.status, first.account_id) == (TokenStatus.VALID, pat.id)
    assert second.status is TokenStatus.USED


def test_the_reset_mail_tells_how_long_the_link_lasts(site_app, pat):
    with site_app.app_context():
        notices.send_reset_link(pat)
    assert "for 20 minutes" in text_of(_only_mail(site_app))


def test_a_new_reset_link_supersedes_the_one_before(site_app, pat):
    with site_app.app_context():
        notices.send_reset_link(pat)
        notices.send_reset_link(pat)
        first, second = (
            _token(m, "/password/reset/") for m in outbox(site_app.extensions["helpdesk.settings"].outbox_dir)
        )
        assert use_token(first, "reset").status is TokenStatus.SUPERSEDED
        assert use_token(second, "reset").status is TokenStatus.VALID


def test_the_unlock_link_carries_an_unlock_token_that_works_once(site_app, pat):
    with site_app.app_context():
        notices.send_unlock_link(pat, locked=True)
        mail = _only_mail(site_app)
        token = _token(mail, "/unlock/")
        assert use_token(token, "reset").status is TokenStatus.UNKNOWN  # not a reset token
        assert use_token(token, "unlock").status is TokenStatus.VALID
        assert use_token(token, "unlock").status is TokenStatus.USED
    assert (mail["To"], mail["Subject"]) == ("pat@example.org", "Unlock your account")


def test_a_lock_notice_asks_was_this_you_and_links_someone_else_signed_in(site_app, pat):
    with site_app.app_context():
        notices.send_unlock_link(pat, locked=True, lock_notice=True)
    mail = _only_mail(site_app)
    assert mail["Subject"] == "Was this you? Your account was locked"
    assert SUSPICIOUS_LINK in _links(mail)


def test_an_unlock_link_for_an_account_not_locked_offers_a_reset(site_app, pat):
    with site_app.app_context():
        notices.send_unlock_link(pat, locked=False)
    mail = _only_mail(site_app)
    assert "it is not locked at the moment" in text_of(mail)
    assert f"{SITE}/password/forgot" in _links(mail)


def test_no_account_mail_goes_to_the_address_asked_for_and_links_home(site_app):
    with site_app.app_context():
        notices.send_no_account("nobody@example.org", "a password reset link")
    mail = _only_mail(site_app)
    assert (mail["To"], mail["Subject"]) == ("nobody@example.org", "About your request")
    assert "asked us for a password reset link" in text_of(mail)
    assert _links(mail) == [f"{SITE}/"]


def test_password_changed_notice_links_a_reset_and_someone_else_signed_in(site_app, pat):
    with site_app.app_context():
        notices.send_password_changed(pat)
    mail = _only_mail(site_app)
    assert (mail["To"], mail["Subject"]) == ("pat@example.org", "Your password was changed")
    assert set(_links(mail)) == {f"{SITE}/password/forgot", SUSPICIOUS_LINK}


def test_recovery_code_notice_says_how_many_codes_are_left(site_app, pat):
    with site_app.app_context():
        notices.send_recovery_code_used(pat, left=1)
    mail = _only_mail(site_app)
    assert mail["Subject"] == "A recovery code was used to sign in"
    assert "You have 1 unused recovery code left." in text_of(mail)
    assert set(_links(mail)) == {f"{SITE}/account", SUSPICIOUS_LINK}


def test_new_device_notice_names_the_device_and_address(site_app, pat):
    with site_app.app_context():
        notices.send_new_device(pat, "Firefox on Linux", "203.0.113.9")
    mail = _only_mail(site_app)
    assert (mail["To"], mail["Subject"]) == ("pat@example.org", "New sign-in to your account")
    assert "Firefox on Linux, from 203.0.113.9" in text_of(mail)
    assert SUSPICIOUS_LINK in _links(mail)


def test_password_changed_notice_says_when_and_from_which_device_and_address(site_app, pat):
    with site_app.app_context():
        notices.send_password_changed(pat, ip="203.0.113.9", device="Firefox on Linux")
    text = text_of(_only_mail(site_app))
    assert "From: Firefox on Linux, address 203.0.113.9" in text and "When: " in text and " UTC" in text


@pytest.mark.parametrize("change", list(notices.FACTOR_CHANGES))
def test_a_factor_change_notice_says_what_when_from_where_and_what_to_do(site_app, pat, change):
    with site_app.app_context():
        notices.send_factor_changed(
            pat, change, ip="203.0.113.9", device="Firefox on Linux", subject_device="Safari on iOS"
        )
    mail = _only_mail(site_app)
    subject, what = notices.FACTOR_CHANGES[change]
    assert (mail["To"], mail["Subject"]) == ("pat@example.org", subject)
    text = text_of(mail)
    assert str(what) % {"subject": "Safari on iOS"} in " ".join(text.split())
    assert "From: Firefox on Linux, address 203.0.113.9" in text and "When: " in text
    assert "If it was NOT you" in text
    assert set(_links(mail)) == {f"{SITE}/password/forgot", SUSPICIOUS_LINK, f"{SITE}/account"}


def test_a_factor_change_notice_that_cannot_be_sent_is_logged_by_subject_and_raises_nothing(tmp_path, caplog):
    import logging

    from helpdesk.accounts.directory import HistoryResult, directory
    from tests.mailbox import free_port

    app = build_app(tmp_path, mail_url=f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    with app.app_context(), caplog.at_level(logging.ERROR):
        account = directory().create("pat@example.org", "violet-harbor-lantern-42")
        notices.tell_owner_of_change(account, HistoryResult.RECOVERY_CODES_NEW, ip="", device="")
    assert "New recovery codes were made" in caplog.text and "pat@example.org" not in caplog.text
