"""In Chromium: the enrolment QR code decodes to the right URI; a drifted phone is resynced."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from playwright.sync_api import expect

from helpdesk.accounts.directory import directory
from helpdesk.accounts.two_factor import enable_without_confirmation
from tests.conftest import DEMO_PASSWORD
from tests.support import a_step_ahead


def new_page(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    return context, context.new_page()


def sign_in(page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_the_enrolment_qr_code_decodes_to_the_otpauth_uri(browser, live_app, live_server, tmp_path):
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is not installed: apt-get install zbar-tools")
    with live_app.app_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
    context, page = new_page(browser)
    try:
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/account/two-factor")
        key = page.locator(".key").inner_text().replace(" ", "")
        picture = tmp_path / "qr.png"
        page.locator(".qr svg").screenshot(path=str(picture))
        decoded = subprocess.run(
            [zbarimg, "--raw", "-q", str(picture)], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert decoded == (
            f"otpauth://totp/Example%20Help:pat%40example.org?secret={key}&issuer=Example%20Help"
        )
        # on the same phone: a link opens the app with the same key, which is shown grouped for typing
        app_link = page.get_by_role("link", name="Open in your authenticator app")
        assert app_link.get_attribute("href") == decoded
        assert re.fullmatch(r"(\w{4} )+\w{1,4}", page.locator(".key").inner_text())
        # the decoded key works: the code it gives switches two-step verification on
        page.get_by_label("Code from the app").fill(pyotp.parse_uri(decoded).now())
        page.get_by_role("button", name="Turn on two-step verification").click()
        expect(page.locator(".recovery-codes li")).to_have_count(10)
    finally:
        context.close()


def test_a_drifted_phone_is_resynced_then_signs_in(browser, live_app, live_server):
    with live_app.app_context(), live_app.test_request_context():
        account = directory().create("pat@example.org", DEMO_PASSWORD)
        uri, _ = enable_without_confirmation(account)
    phone = pyotp.parse_uri(uri)
    start = a_step_ahead()
    fast = timedelta(minutes=4)  # the phone's clock runs four minutes ahead
    context, page = new_page(browser)
    try:
        with time_machine.travel(start, tick=True) as clock:
            sign_in(page, live_server.url)
            page.get_by_label("Code").fill(phone.at(start + fast))
            page.get_by_role("button", name="Sign in", exact=True).click()
            expect(page.locator(".error-summary")).to_contain_text("That code didn")  # four minutes ahead
            page.get_by_role("link", name="My code is refused").click()
            for label in (
                "The one with this site's name and my email address",
                "Straight after it appeared",
                "Yes, it was already automatic",
            ):
                page.get_by_label(label).check()
                page.get_by_role("button", name="Continue").click()
            page.get_by_label("Email address").fill("pat@example.org")
            page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
            now = datetime.now(UTC)
            page.get_by_label("The code your app shows now").fill(
                phone.at(now + fast - timedelta(seconds=30))
            )
            page.get_by_label("The next code, once it appears").fill(phone.at(now + fast))
            page.get_by_role("button", name="Measure my phone's clock").click()
            notice = page.locator(".notice").inner_text()
            assert re.search(
                r"your phone is about (3 minutes 50 seconds|4 minutes( 10 seconds)?) fast", notice
            )
            clock.shift(timedelta(seconds=45))
            # the address typed for the resync is not asked again, and the code box is on screen
            assert "Signing in as pat@example.org" in page.locator(".signing-in-as").inner_text()
            code_box = page.get_by_label(re.compile("code from your authenticator app", re.I)).bounding_box()
            assert code_box is not None and code_box["y"] + code_box["height"] <= 844  # above the fold
            page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
            page.get_by_label(re.compile("code from your authenticator app", re.I)).fill(
                phone.at(datetime.now(UTC) + fast)
            )
            page.get_by_role("button", name="Sign in", exact=True).click()
            assert page.locator("h1").inner_text() == "You're all set"
            page.goto(live_server.url + "/account")
            expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    finally:
        context.close()


def test_replacing_the_authenticator_asks_to_confirm_it_is_you_then_goes_on(browser, live_app, live_server):
    with live_app.app_context(), live_app.test_request_context():
        account = directory().create("pat@example.org", DEMO_PASSWORD)
        uri, _ = enable_without_confirmation(account)
    phone = pyotp.parse_uri(uri)
    start = a_step_ahead()
    context, page = new_page(browser)
    try:
        with time_machine.travel(start, tick=True) as clock:
            sign_in(page, live_server.url)
            page.get_by_label("Code").fill(phone.now())
            page.get_by_role("button", name="Sign in", exact=True).click()
            clock.shift(timedelta(minutes=6))  # the sign-in is no longer a fresh proof
            page.goto(live_server.url + "/account/two-factor")
            page.get_by_role("link", name="Set up a new authenticator").click()
            expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
            page.get_by_label("Your password").fill(DEMO_PASSWORD)
            page.get_by_label("Code").fill(phone.now())
            page.get_by_role("button", name="Continue").click()
            assert page.url.endswith("/account/two-factor?new=1")
            expect(page.locator(".key")).to_be_visible()
    finally:
        context.close()
