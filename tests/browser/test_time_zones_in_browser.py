"""In Chromium: static/times.js fills the forms' hidden time_zone field with the zone the browser
reports, so a recovery asked from Mexico City keeps that zone and its mails write their times in
it; without JavaScript the field stays empty and the mails keep UTC."""

from __future__ import annotations

import re

from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import VerificationRequest
from tests.mailbox import outbox, text_of

MEXICO_CITY = "America/Mexico_City"


def ask_for_recovery(browser, base: str, **context_options) -> None:
    context = browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(base + "/es/recovery/request")
        page.wait_for_load_state()
        page.locator("#account_email").fill("pat@example.org")
        page.locator("#contact_email").fill("new@example.net")
        page.get_by_role("button", name="Envíame un código").click()
        page.wait_for_url(re.compile(r"/recovery/request/contact$"))
    finally:
        context.close()


def stored_zone(app) -> str | None:
    with app.app_context():
        return db.session.scalars(select(VerificationRequest)).one().time_zone


def test_the_browser_s_zone_goes_with_the_request_and_into_its_mail(browser, live_app, live_server):
    context = browser.new_context(timezone_id=MEXICO_CITY)
    page = context.new_page()
    page.goto(live_server.url + "/es/recovery/request")
    page.wait_for_load_state()
    assert page.locator("input[name=time_zone]").input_value() == MEXICO_CITY
    context.close()

    ask_for_recovery(browser, live_server.url, timezone_id=MEXICO_CITY)
    assert stored_zone(live_app) == MEXICO_CITY
    mail = text_of(outbox(live_app.extensions["helpdesk.settings"].outbox_dir)[-1])
    assert re.search(rf"El código funciona hasta el .+ \({MEXICO_CITY}; .+ UTC\)\.", mail)


def test_without_javascript_the_field_stays_empty_and_the_mail_keeps_utc(browser, live_app, live_server):
    ask_for_recovery(browser, live_server.url, timezone_id=MEXICO_CITY, java_script_enabled=False)
    assert stored_zone(live_app) is None
    mail = text_of(outbox(live_app.extensions["helpdesk.settings"].outbox_dir)[-1])
    assert re.search(r"El código funciona hasta el [^()]+ UTC\.", mail)
