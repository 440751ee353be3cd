"""In Chromium, in Arabic on a small phone: search finds the Arabic pages first, the suggestions
as you type are Arabic pages under /ar/, and the results page fits (right to left, no sideways
scroll) with no serious axe finding."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility_in_browser import findings
from tests.browser.test_phone_layout_in_browser import OVERFLOWING

WIDTH = 320


@pytest.mark.slow
def test_arabic_search_at_phone_size(browser, live_server):
    context = browser.new_context(viewport={"width": WIDTH, "height": 640}, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/ar/search?q=كلمة المرور")
        assert page.evaluate("() => document.documentElement.dir") == "rtl"
        languages = page.locator(".search-results > li").evaluate_all(
            "(items) => items.map((i) => i.dataset.language)"
        )
        assert languages and languages[0] == "ar"
        first = page.locator(".search-results .result-title").first.get_attribute("href")
        assert first.startswith("/ar/")
        found = page.evaluate(OVERFLOWING)
        assert found["scrollWidth"] <= WIDTH and not found["out"]
        assert findings(page) == []

        box = page.locator("input[role=combobox]").first
        box.fill("")
        box.press_sequentially("كلمة", delay=30)
        options = page.locator("[role=listbox] [role=option]")
        options.first.wait_for(state="visible")
        target = options.first.get_by_role("link").get_attribute("href")
        assert target.startswith("/ar/")
    finally:
        context.close()
