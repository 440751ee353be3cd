"""In Chromium: the after-recovery diagnosis sends the person to the checkup, they fix what is
open, each item turns green, and the diagnosis's check passes."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from helpdesk.accounts.directory import directory
from helpdesk.accounts.two_factor import enable_without_confirmation
from tests.conftest import DEMO_PASSWORD
from tests.support import LAPTOP_UA

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def new_page(browser, user_agent: str):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, user_agent=user_agent
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


def sign_in(page, password: str, code: str) -> None:
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if code:
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Sign in", exact=True).click()


def item(page, item_id: str):
    return page.locator(f"#checkup-{item_id}")


def test_the_checkup_turns_green_item_by_item_and_the_diagnosis_checks_it(browser, live_app, live_server):
    with live_app.test_request_context():
        account = directory().create("pat@example.org", DEMO_PASSWORD)
        uri, codes = enable_without_confirmation(account)
    phone_context, phone = new_page(browser, PHONE_UA)
    laptop_context, laptop = new_page(browser, LAPTOP_UA)
    try:
        # someone else's phone got in with a recovery code; a wrong password was tried too
        phone.goto(live_server.url + "/login")
        sign_in(phone, DEMO_PASSWORD, codes[0])
        laptop.goto(live_server.url + "/login")
        sign_in(laptop, "not the right password", "")
        expect(laptop.locator("body")).to_contain_text("don't match an account")

        laptop.goto(live_server.url + "/diagnose/after-recovery")
        laptop.get_by_role("link", name="Open your security checkup").click()
        sign_in(laptop, DEMO_PASSWORD, pyotp.parse_uri(uri).now())  # the page asks, then brings back
        assert laptop.url == live_server.url + "/account?back=/diagnose/after-recovery"
        assert "3 of 5 items are green" in laptop.locator(".checkup-summary").inner_text()
        assert "Needs attention" in item(laptop, "devices").inner_text()
        assert "Chrome on Android" in item(laptop, "devices").inner_text()

        # each button's accessible name begins with what it shows (WCAG 2.5.3)
        devices = item(laptop, "devices")
        mine = re.compile(r"^This is mine: Chrome on Android, last active ")
        expect(devices.get_by_role("button", name=mine)).to_have_count(1)
        # one click: the phone is removed and signed out
        devices.get_by_role("button", name=re.compile(r"^Remove and sign out: Chrome on Android")).click()
        assert "Done" in item(laptop, "devices").inner_text()
        assert "4 of 5 items are green" in laptop.locator(".checkup-summary").inner_text()
        phone.goto(live_server.url + "/account")
        assert "/login" in phone.url

        # the failed sign-in: reviewed, then green
        item(laptop, "failed-sign-ins").get_by_role("link", name="Review failed sign-ins").click()
        assert "Wrong password" in laptop.locator("table").inner_text()
        assert "Firefox on Linux" in laptop.locator("table").inner_text()
        laptop.get_by_role("button", name="I've reviewed these").click()
        assert "Done" in item(laptop, "failed-sign-ins").inner_text()
        assert "All 5 items are green" in laptop.locator(".checkup-summary").inner_text()

        # back to the diagnosis, whose check now passes
        laptop.get_by_role("link", name="go back to your diagnosis").click()
        laptop.get_by_role("button", name="I've done the checkup").click()
        laptop.get_by_role("button", name="Check my account").click()
        assert laptop.locator("h1").inner_text() == "You're all set"
        # said once, by the flow's end (a check that worked adds no notice repeating it)
        assert "Every item of your checkup is green" in laptop.locator(".prose").first.inner_text()
        assert laptop.locator(".notice").count() == 0
    finally:
        phone_context.close()
        laptop_context.close()


def test_turning_on_two_step_from_the_checkup_comes_back_to_it_green(browser, live_app, live_server):
    with live_app.app_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
    context, page = new_page(browser, LAPTOP_UA)
    try:
        page.goto(live_server.url + "/login")
        sign_in(page, DEMO_PASSWORD, "")
        assert "Needs attention" in item(page, "two-factor").inner_text()
        item(page, "two-factor").get_by_role("link", name="Turn on two-step verification").click()
        key = page.locator(".key").inner_text().replace(" ", "")
        page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
        page.get_by_role("button", name="Turn on two-step verification").click()
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        page.get_by_role("link", name="I've saved them").click()
        assert page.url == live_server.url + "/account#checkup"
        assert "Done" in item(page, "two-factor").inner_text()
        assert "Done" in item(page, "recovery-codes").inner_text()
        assert "All 5 items are green" in page.locator(".checkup-summary").inner_text()
    finally:
        context.close()
