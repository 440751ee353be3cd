"""In Chromium: the search box on every page suggests as you type (keyboard and mouse), and the
plain form works with JavaScript off."""

from __future__ import annotations

from playwright.sync_api import expect


def test_suggestions_appear_as_you_type_and_the_keyboard_picks_one(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/articles/public-wifi")
        box = page.get_by_role("combobox", name="Search the help center")
        box.press_sequentially("authent", delay=30)  # a word not yet finished
        listbox = page.get_by_role("listbox", name="Suggestions")
        listbox.wait_for(state="visible")
        options = listbox.get_by_role("option")
        assert options.count() >= 2
        titles = options.all_inner_texts()
        assert any("Authenticator codes that don't work" in t for t in titles)
        assert box.get_attribute("aria-expanded") == "true"
        box.press("ArrowDown")
        first = options.first
        assert first.get_attribute("aria-selected") == "true"
        assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
        target = first.get_by_role("link").get_attribute("href")
        box.press("Enter")
        page.wait_for_url(lambda url: url.startswith(live_server.url + target))  # a flow starts
    finally:
        context.close()


def test_escape_closes_the_suggestions_and_enter_searches(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        box = page.get_by_role("combobox", name="Search the help center")
        box.press_sequentially("locked", delay=30)
        listbox = page.get_by_role("listbox", name="Suggestions")
        listbox.wait_for(state="visible")
        box.press("Escape")
        listbox.wait_for(state="hidden")
        assert box.input_value() == "locked"  # the first Escape closes the list, keeps the words
        box.press("Enter")  # nothing highlighted: the form is sent
        page.wait_for_url("**/search?q=locked")
        assert page.get_by_role("heading", level=1).inner_text() == "Search the help center"
        expect(page.get_by_role("link", name="My account is locked").first).to_be_visible()
    finally:
        context.close()


def test_a_suggestion_can_be_clicked(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/search")
        box = page.get_by_role("combobox", name="What do you need help with?")
        box.press_sequentially("phish", delay=30)
        option = page.get_by_role("option").filter(has_text="Spotting fake sign-in pages")
        option.click()
        page.wait_for_url(live_server.url + "/articles/spotting-phishing")
    finally:
        context.close()


def test_without_javascript_the_form_still_searches_and_corrects_typos(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/articles/")
        page.get_by_role("searchbox", name="Search the help center").fill("pasword")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**/search?q=pasword")
        assert "Showing results for" in page.get_by_role("status").inner_text()
        results = page.locator("ol.search-results > li")
        assert results.count() > 0
        assert page.locator("ol.search-results mark").first.inner_text().lower() == "password"
    finally:
        context.close()
