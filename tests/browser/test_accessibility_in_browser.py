"""axe-core (vendored: tests/browser/vendor/axe-core) in Chromium over every kind of page, on a
phone and on a laptop: no critical or serious finding. Each page is also saved as a screenshot in
build/screenshots/ (see the README), so a reviewer can look without running anything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in_as
from tests.conftest import DEMO_PASSWORD, make_staff

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

PUBLIC = [
    "/",
    "/articles",
    "/articles/locked-account",
    "/search?q=locked",
    "/search?q=zzzqqq",
    "/diagnose/locked-out",
    "/login",
    "/password/forgot",
    "/unlock",
    "/recovery/request",
    "/recovery/status",
    "/no-such-page",
]
SIGNED_IN = ["/account", "/account/two-factor", "/account/password", "/account/failed-sign-ins"]
STAFF = [
    "/staff/",
    "/staff/links/new",
    "/staff/audit",
    "/editor/",
    "/editor/flows/locked-out",
    "/editor/analytics",
]


def findings(page) -> list[str]:
    """axe's critical and serious violations on the page as it is now, one line each.

    A click that navigates returns once the new page has begun loading, when it may have no
    elements yet to put axe into: the page is checked once it has loaded."""
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]


def snap(page, size: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = (
        re.sub(r"[^a-z0-9]+", "-", page.url.split("//", 1)[1].split("/", 1)[1].lower()).strip("-") or "home"
    )
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_kind_of_page_has_no_serious_accessibility_finding(browser, live_app, live_server, size):
    admin = make_staff(live_app, "admin@example.org", "admin")
    with live_app.app_context():
        from helpdesk.accounts.directory import directory

        directory().create("pat@example.org", DEMO_PASSWORD)
    found: dict[str, list[str]] = {}
    # bypass_csp: axe is put into each page by the test; the site's own CSP forbids inline scripts
    context = browser.new_context(viewport=SIZES[size], bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        for path in PUBLIC:
            page.goto(live_server.url + path)
            found[path] = findings(page)
            snap(page, size)
        page.goto(live_server.url + "/diagnose/locked-out")
        page.get_by_text("Yes, I tried several times").click()
        page.get_by_role("button", name="Continue").click()
        page.get_by_text("No, I need to get in sooner").click()
        page.get_by_role("button", name="Continue").click()  # a fix step: the unlock request form
        page.wait_for_url("**/diagnose/locked-out/unlock-by-email")
        found["a fix step"] = findings(page)
        snap(page, size)
        sign_in_as(page, live_server.url, "pat@example.org", DEMO_PASSWORD)
        for path in SIGNED_IN:
            page.goto(live_server.url + path)
            found[path] = findings(page)
            snap(page, size)
        page.context.clear_cookies()
        sign_in_as(page, live_server.url, "admin@example.org", DEMO_PASSWORD, admin)
        for path in STAFF:
            page.goto(live_server.url + path)
            found[path] = findings(page)
            snap(page, size)
    finally:
        context.close()
    assert {path: lines for path, lines in found.items() if lines} == {}
