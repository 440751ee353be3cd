"""The language switch in Chromium, with JavaScript off: a plain link that takes the reader to
the same page in the language chosen, remembered for the unprefixed pages; Arabic right to left,
and no page of it scrolling sideways on a small phone."""

from __future__ import annotations

from tests.browser.test_phone_layout_in_browser import OVERFLOWING

ARTICLE = "/articles/forgotten-password"


def test_the_switch_works_without_javascript_and_is_remembered(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + ARTICLE)
        assert page.locator("html").get_attribute("lang") == "en"
        page.locator('.language-switch a[lang="ar"]').click()
        assert page.url == live_server.url + "/ar" + ARTICLE
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("h1").first.inner_text() == "كلمة مرور خاطئة أو منسية"
        page.goto(live_server.url + "/")  # unprefixed: the cookie says Arabic
        assert page.locator("html").get_attribute("lang") == "ar"
        page.locator('.language-switch a[lang="es"]').click()
        assert page.url == live_server.url + "/es/"
        assert page.locator("html").get_attribute("lang") == "es"
    finally:
        context.close()


def _sideways(browser, live_server, paths: tuple[str, ...]) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        for path in paths:
            page.goto(live_server.url + path)
            found = page.evaluate(OVERFLOWING)
            assert found["out"] == [], f"{path}: {found['out']}"
            assert found["scrollWidth"] <= 320, f"{path} is {found['scrollWidth']} px wide"
    finally:
        context.close()


def test_no_spanish_page_scrolls_sideways_on_a_small_phone(browser, live_server):
    _sideways(browser, live_server, ("/es/", "/es" + ARTICLE, "/es/diagnose/locked-out"))


def test_no_arabic_page_scrolls_sideways_on_a_small_phone(browser, live_server):
    _sideways(browser, live_server, ("/ar/", "/ar" + ARTICLE, "/ar/diagnose/locked-out"))
