"""In Chromium: forgotten password -> mail in the outbox -> reset -> sign in."""

from __future__ import annotations

from playwright.sync_api import expect

from helpdesk.accounts.directory import directory
from tests.conftest import DEMO_PASSWORD
from tests.mailbox import link_in, outbox


def test_forgotten_password_to_signed_in(browser, live_app, live_server):
    with live_app.app_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("Email address").fill("pat@example.org")
        page.get_by_role("button", name="Send me a link").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        [mail] = outbox(live_app.extensions["helpdesk.settings"].outbox_dir)
        page.goto(live_server.url + link_in(mail, "/password/reset/"))
        assert page.url.endswith("/password/reset")  # the token left the address bar
        page.get_by_label("New password").fill("password1234")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator(".error-summary")).to_contain_text("list of common passwords")
        page.get_by_label("New password").fill("emerald canyon drift 55")
        page.get_by_role("button", name="Change password").click()
        assert page.url.endswith("/login")
        page.get_by_label("Email address").fill("pat@example.org")
        page.get_by_label("Password", exact=True).fill("emerald canyon drift 55")
        page.get_by_role("button", name="Sign in", exact=True).click()
        assert page.url.endswith("/account")
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    finally:
        context.close()
