"""A real Chromium, JavaScript off, phone-sized: a person walks a flow to its end."""

from __future__ import annotations

import re

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def phone_page(browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def test_a_person_walks_the_entry_flow_to_an_end_without_javascript(browser, live_server, tmp_path):
    context, page = phone_page(browser)
    try:
        page.goto(live_server.url + "/")
        page.get_by_role("link", name=re.compile("start here", re.I)).click()
        reference = page.locator(".reference .code").inner_text()
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", reference)
        page.screenshot(path=str(tmp_path / "first-step.png"), full_page=True)
        steps = 0
        while page.locator("form button.primary").count() and steps < 40:
            steps += 1
            radios = page.locator("input[type=radio]")
            if page.locator("input[name=email]").count():  # a real fix: give it an address
                page.locator("input[name=email]").fill("someone@example.org")
            if page.locator("input[name=password]").count():
                page.locator("input[name=password]").fill("not the right password")
            if radios.count():
                # choose by keyboard: focus the first answer; arrow keys wrap round to the last
                radios.first.focus()
                page.keyboard.press("Space")
                if radios.count() > 1:
                    page.keyboard.press("ArrowUp")
                assert radios.last.is_checked()
            page.locator("form button.primary").first.click()
            expect(page.locator("h1")).to_have_count(1)
        heading = page.locator("h1").inner_text()
        assert heading in ("You're all set", "Let's get you to a person"), heading
        # the reference is kept across flows handed over to
        expect(page.locator(".reference .code")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "end.png"), full_page=True)
    finally:
        context.close()


def test_back_keeps_the_answer_and_double_submit_is_harmless(browser, fixture_live_server):
    context, page = phone_page(browser)
    try:
        page.goto(fixture_live_server.url + "/diagnose/fix-it")
        page.get_by_label("It is broken").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Here is why.")).to_be_visible()  # waits for the next page
        page.get_by_role("link", name="Back").click()
        assert page.get_by_label("It is broken").is_checked()
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_label("Type a word")).to_be_visible()
        page.go_back()  # the browser's own back button: the info page again
        expect(page.get_by_text("You answered this before")).to_be_visible()
        page.get_by_role("button", name="Continue").click()  # submitted a second time
        assert page.url.endswith("/diagnose/fix-it/apply")
        expect(page.get_by_label("Type a word")).to_be_visible()
        page.go_back()
        page.go_back()  # the first question, from history
        page.get_by_label("It is broken").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Here is why.")).to_be_visible()  # waits for the next page
        page.goto(fixture_live_server.url + "/diagnose/fix-it")  # resumes where the person is
        assert page.url.endswith("/diagnose/fix-it/apply")
        page.goto(fixture_live_server.url + "/diagnose/fix-it/what")
        # the article section is below the step on a phone
        box_step = page.locator(".step").bounding_box()
        box_article = page.locator(".step-article").bounding_box()
        assert box_article["y"] >= box_step["y"] + box_step["height"] - 1
    finally:
        context.close()


def test_the_article_is_beside_the_step_on_a_wide_screen(browser, fixture_live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(fixture_live_server.url + "/diagnose/fix-it")
        box_step = page.locator(".step").bounding_box()
        box_article = page.locator(".step-article").bounding_box()
        assert box_article["x"] > box_step["x"] + box_step["width"] - 1
        # keyboard users see where they are
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
    finally:
        context.close()
