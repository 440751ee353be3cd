"""In Chromium: request -> staff approves -> the hold passes -> reset -> sign in -> re-enrol."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import time_machine
from playwright.sync_api import expect

from helpdesk.accounts.directory import directory
from helpdesk.cases.verification.hold import run_due
from tests.conftest import DEMO_PASSWORD, make_staff
from tests.integration.test_verified_recovery import jpeg_with_location, png
from tests.mailbox import link_in, outbox, text_of
from tests.support import a_step_ahead


def context_page(browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    return context, context.new_page()


def test_no_factor_left_to_a_new_password_and_two_step_again(browser, live_app, live_server):
    with live_app.test_request_context():
        account = directory().create("pat@example.org", DEMO_PASSWORD)
        from helpdesk.accounts.two_factor import enable_without_confirmation

        enable_without_confirmation(account)  # the phone and codes are lost: no factor left
    secret = make_staff(live_app, "agent@example.org", "staff")
    out = live_app.extensions["helpdesk.settings"].outbox_dir
    person_context, person = context_page(browser)
    staff_context, staff = context_page(browser)
    try:
        with time_machine.travel(a_step_ahead(), tick=True) as clock:
            person.goto(live_server.url + "/recovery/request")
            person.get_by_label("Your account's email address").fill("pat@example.org")
            person.get_by_label("An email address you can read now").fill("new@example.net")
            person.get_by_role("button", name="Send me a code").click()
            code = re.search(r"^\s+(\d{6})$", text_of(outbox(out)[-1]), re.M).group(1)
            person.get_by_label("Code").fill(code)
            person.get_by_role("button", name="Continue").click()
            person.get_by_label(re.compile("photo of an official ID")).set_input_files(
                {"name": "id.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_location()}
            )
            person.get_by_label(re.compile("A selfie")).set_input_files(
                {"name": "me.png", "mimeType": "image/png", "buffer": png()}
            )
            person.get_by_label(re.compile("With what device")).fill("my laptop")
            person.get_by_label(re.compile("I agree that support staff look at these photos")).check()
            person.get_by_role("button", name="Send my request").click()
            reference = person.locator(".code").first.inner_text()
            expect(person.get_by_role("heading", name="Request sent")).to_be_visible()

            staff.goto(live_server.url + "/staff/")
            staff.get_by_label("Email address").fill("agent@example.org")
            staff.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
            staff.get_by_role("button", name="Sign in", exact=True).click()
            staff.get_by_label("Code").fill(pyotp.TOTP(secret).now())
            staff.get_by_role("button", name="Sign in", exact=True).click()
            staff.get_by_role("link", name=reference).click()
            expect(staff.locator("figure.evidence img")).to_have_count(2)  # the ID photo and the selfie
            for image in staff.locator("figure.evidence img").all():  # an attachment in a sandbox still shows
                # decode() waits for the image (a loaded machine may still be fetching it) and
                # fails for a broken one
                assert image.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)") > 0
            staff.get_by_label(re.compile("Reason")).fill("ID matches; history matches")
            staff.get_by_role("button", name=re.compile("Approve")).click()
            # the page may still be loading when the click returns: the text is waited for
            expect(staff.locator("body")).to_contain_text("the hold has started")

            clock.shift(timedelta(hours=72, minutes=5))
            with live_app.test_request_context():
                assert run_due() == 1  # what cron runs
            person.goto(live_server.url + link_in(outbox(out)[-1], "/recovery/complete/"))
            person.get_by_label("New password").fill("fresh canyon drift 55")
            person.get_by_role("button", name="Set the password").click()
            person.get_by_label("Email address").fill("pat@example.org")
            person.get_by_label("Password", exact=True).fill("fresh canyon drift 55")
            person.get_by_role("button", name="Sign in", exact=True).click()
            assert person.url.endswith("/account/two-factor")  # re-enrolment comes first
            key = person.locator(".key").inner_text().replace(" ", "")
            person.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
            person.get_by_role("button", name="Turn on two-step verification").click()
            expect(person.locator(".recovery-codes li")).to_have_count(10)
            person.goto(live_server.url + "/account")
            expect(person.get_by_role("heading", name="Your account")).to_be_visible()
    finally:
        person_context.close()
        staff_context.close()
