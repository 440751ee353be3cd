"""On a small phone in Chromium: no page scrolls sideways (WCAG 1.4.10 reflow at 320 CSS px) and
a tap anywhere on an answer's tile picks it."""

from __future__ import annotations

import pytest

PAGES = [
    "/",
    "/articles",
    "/articles/public-wifi",
    "/search?q=locked",
    "/diagnose/locked-out",
    "/diagnose/two-factor-rejected",
    "/login",
    "/password/forgot",
    "/unlock",
    "/recovery/request",
    "/recovery/status",
]

# every element whose right edge is past the viewport, unless a scrolling box holds it
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll') return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 0.5 && !scrolls(el)) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(box.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out};
}"""


@pytest.mark.parametrize("width", [320, 360])
def test_no_page_scrolls_sideways_on_a_small_phone(browser, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(live_server.url + path)
            found = page.evaluate(OVERFLOWING)
            assert found["out"] == [], f"{path} at {width} px: {found['out']}"
            assert found["scrollWidth"] <= width, f"{path} is {found['scrollWidth']} px wide at {width} px"
            search = page.locator(".site-search button")
            if search.count():  # the header's Search button is whole and on screen
                box = search.bounding_box()
                assert box is not None and box["x"] + box["width"] <= width
    finally:
        context.close()


def test_a_tap_anywhere_on_an_answer_tile_picks_it(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/diagnose/locked-out")
        tiles = page.locator(".choice")
        for index in range(tiles.count()):
            tile = tiles.nth(index)
            box = tile.bounding_box()
            assert box is not None
            # the far right corner: not the radio, not the label's text
            tile.click(position={"x": box["width"] - 4, "y": box["height"] - 4})
            assert tile.locator("input[type=radio]").is_checked(), f"tile {index} was not picked"
            radio = tile.locator("input[type=radio]").bounding_box()
            assert radio is not None and radio["width"] >= 24 and radio["height"] >= 24
    finally:
        context.close()


def test_times_are_shown_in_the_reader_s_time_zone(browser, live_app, live_server):
    from tests.browser.conftest import sign_in_as
    from tests.conftest import DEMO_PASSWORD

    with live_app.app_context():
        from helpdesk.accounts.directory import directory

        directory().create("pat@example.org", DEMO_PASSWORD)
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Pacific/Auckland")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in_as(page, live_server.url, "pat@example.org", DEMO_PASSWORD)
        page.goto(live_server.url + "/account")
        first = page.locator("#history ~ .table-scroll time").first
        shown, utc = first.inner_text(), first.get_attribute("title")
        assert utc.endswith(" UTC") and not shown.endswith("UTC"), (shown, utc)
        assert "NZ" in shown or "GMT+1" in shown  # the zone's own name: NZDT, NZST or GMT+13
    finally:
        context.close()


def test_a_fix_form_sent_empty_gets_the_site_s_summary_with_the_focus(browser, live_server):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/diagnose/locked-out")
        page.get_by_text("Yes, I tried several times").click()
        page.get_by_role("button", name="Continue").click()
        page.get_by_text("No, I need to get in sooner").click()
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Email me an unlock link").click()  # nothing typed
        summary = page.locator(".error-summary")
        summary.wait_for()  # the site's own summary, not a browser bubble: the form was sent
        assert page.title().startswith("Error: ")
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        summary.get_by_role("link").click()
        assert page.evaluate("document.activeElement.id") == "email"
    finally:
        context.close()


def test_the_progress_hint_never_rises_on_a_way_through_in_the_browser(browser, live_server):
    """Every move of every flow is checked without a browser (test_sample_content); here one whole
    way through, as a person on a phone reads it."""
    import re

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/diagnose/wrong-password")
        seen = []
        for choice in ("I.ve forgotten my password", "Yes, I can open it"):
            seen.append(page.locator("#progress").inner_text())
            page.get_by_text(re.compile(choice)).first.click()
            page.get_by_role("button", name="Continue").click()
        seen.append(page.locator("#progress").inner_text())
        counts = [int(m.group(1)) for text in seen if (m := re.search(r"up to (\d+) steps", text))]
        assert counts == sorted(counts, reverse=True) and len(set(counts)) == len(counts), seen
        assert not any("last step" in text for text in seen[:-1]), seen
    finally:
        context.close()
