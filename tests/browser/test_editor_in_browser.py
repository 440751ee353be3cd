"""In Chromium: an editor opens a flow's diagram; the rendered SVG shows every step."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import sign_in_as
from tests.conftest import DEMO_PASSWORD, make_staff


def test_the_diagram_shows_every_step(browser, live_app, live_server):
    secret = make_staff(live_app, "ed@example.org", "editor")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in_as(page, live_server.url, "ed@example.org", DEMO_PASSWORD, secret)
        page.goto(live_server.url + "/editor/")
        page.get_by_role("link", name="wrong-password").click()
        diagram = page.locator("svg.flow-diagram")
        expect(diagram).to_be_visible()
        steps = live_app.extensions["helpdesk.catalog"].flows["wrong-password"].flow.steps
        drawn = {g.get_attribute("id") for g in page.locator("svg.flow-diagram g.step").all()}
        assert drawn == {f"step-{sid}" for sid in steps}
        for sid in steps:  # each box is laid out on screen, not just present in the markup
            box = page.locator(f'svg.flow-diagram [id="step-{sid}"]').bounding_box()
            assert box is not None and box["width"] > 50
        assert page.locator("svg.flow-diagram g.edge").count() >= len(steps) - 1
        expect(page.locator("svg.flow-diagram g.problem")).to_have_count(0)
    finally:
        context.close()


def test_on_a_phone_the_diagram_scrolls_in_its_box_with_text_big_enough_to_read(
    browser, live_app, live_server
):
    secret = make_staff(live_app, "ed@example.org", "editor")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in_as(page, live_server.url, "ed@example.org", DEMO_PASSWORD, secret)
        page.goto(live_server.url + "/editor/flows/locked-out")
        region = page.get_by_role("region", name="Diagram (scrolls)")
        expect(region).to_be_visible()
        heights = page.eval_on_selector_all(
            "svg.flow-diagram text", "texts => texts.map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 11  # not shrunk to 3 px to fit the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself stays put
        assert page.evaluate("document.querySelector('.diagram-scroll').scrollWidth") > 390  # the box scrolls
        region.focus()
        page.keyboard.press("ArrowRight")  # a keyboard can scroll it too
        for _ in range(40):  # scrolling is animated: look again for up to 2 s
            if page.evaluate("document.querySelector('.diagram-scroll').scrollLeft") > 0:
                break
            page.wait_for_timeout(50)
        assert page.evaluate("document.querySelector('.diagram-scroll').scrollLeft") > 0
    finally:
        context.close()
