"""A right-to-left page (<html dir="rtl">, as Arabic pages are) in Chromium on a small phone: the
layout is mirrored, nothing overlaps or scrolls sideways, and axe finds nothing serious."""

from __future__ import annotations

import itertools

import pytest

from tests.browser.test_accessibility_in_browser import findings
from tests.browser.test_phone_layout_in_browser import OVERFLOWING

WIDTH = 320
PAGES = ["/", "/articles/locked-account", "/search?q=locked", "/diagnose/locked-out", "/login"]
RIGHT_TO_LEFT = "() => document.documentElement.setAttribute('dir', 'rtl')"
CHOICES = """() => [...document.querySelectorAll('.choice')].map((tile) => {
  const box = tile.getBoundingClientRect(), radio = tile.querySelector('input').getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, left: box.left, right: box.right,
          radioLeft: radio.left, radioRight: radio.right};
})"""


@pytest.fixture
def phone_page(browser):
    # bypass_csp: axe is put into each page by the test; the site's own CSP forbids inline scripts
    context = browser.new_context(viewport={"width": WIDTH, "height": 640}, bypass_csp=True)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.slow
def test_right_to_left_pages_fit_a_small_phone_without_serious_accessibility_findings(
    live_server, phone_page
):
    page = phone_page
    problems: dict[str, object] = {}
    for path in PAGES:
        page.goto(live_server.url + path)
        page.evaluate(RIGHT_TO_LEFT)
        found = page.evaluate(OVERFLOWING)
        if found["out"] or found["scrollWidth"] > WIDTH:
            problems[path] = (found["scrollWidth"], found["out"])
        serious = findings(page)
        if serious:
            problems[path + " (axe)"] = serious
    assert problems == {}


@pytest.mark.slow
def test_a_step_s_choices_are_mirrored_and_do_not_overlap_right_to_left(live_server, phone_page):
    page = phone_page
    page.goto(live_server.url + "/diagnose/locked-out")
    page.evaluate(RIGHT_TO_LEFT)
    tiles = page.evaluate(CHOICES)
    assert len(tiles) >= 2
    for tile in tiles:  # the radio sits at the tile's start: its right-hand side, right to left
        middle = (tile["left"] + tile["right"]) / 2
        assert tile["radioLeft"] > middle and tile["radioRight"] <= tile["right"]
        assert tile["left"] >= 0 and tile["right"] <= WIDTH
    for above, below in itertools.pairwise(tiles):
        assert above["bottom"] <= below["top"] + 0.5
