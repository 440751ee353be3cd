"""In Chromium: every password field can be shown and hidden again, and is hidden when sent."""

from __future__ import annotations


def test_a_password_can_be_shown_to_check_what_was_typed(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/login")
        box = page.get_by_label("Password", exact=True)
        box.fill("violet harbor")
        show = page.get_by_role("button", name="Show password")
        assert show.get_attribute("aria-pressed") == "false"
        show.click()
        assert box.get_attribute("type") == "text"
        hide = page.get_by_role("button", name="Hide password")
        assert hide.get_attribute("aria-pressed") == "true"
        hide.click()
        assert box.get_attribute("type") == "password"
        assert page.evaluate("document.documentElement.scrollWidth") <= 320  # still fits
    finally:
        context.close()
