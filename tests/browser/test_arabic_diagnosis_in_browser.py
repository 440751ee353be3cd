"""A whole diagnosis in Arabic on a 320 px phone in Chromium (issue 18): from /ar/ through the
"can't sign in" questions to the reset link, the mail (real SMTP) in Arabic, the new password, the
flow's sign-in check and its end. Every page: <html lang="ar" dir="rtl">, nothing sideways, axe
finds nothing serious, and no English word shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.test_accessibility_in_browser import SCREENSHOTS, findings
from tests.browser.test_phone_layout_in_browser import OVERFLOWING
from tests.conftest import DEMO_PASSWORD, build_app
from tests.mailbox import SmtpServer, link_in, text_of

WIDTH = 320
EMAIL = "pat@example.org"
NEW_PASSWORD = "emerald canyon drift 55"
SITE_NAME = "Example Help"

# What a person sees and hears on the page: the text of every visible element (screen-reader-only
# text included), its labels and the tab's title; text marked as another language (the switch's
# "English") is not the page's own words.
SHOWN_WORDS = """() => {
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const foreign = (el) => {
    const marked = el.closest('[lang]');
    return marked && !marked.getAttribute('lang').startsWith('ar');
  };
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, template') || foreign(el)) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [alt], [title]')) {
    if (foreign(el) || !el.checkVisibility({visibilityProperty: true})) continue;
    for (const name of ['aria-label', 'placeholder', 'alt', 'title']) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  return parts.join(' ');
}"""
SHOTS = SCREENSHOTS / "arabic-journey"  # one a page, to look at the mirrored layout
# how the mail's HTML part lays out in a browser engine: each paragraph's direction and side
MAIL_LAYOUT = """() => [...document.querySelectorAll('p')].map((p) => {
  const style = getComputedStyle(p);
  return [style.direction, style.textAlign];
})"""
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b")
ADDRESS = re.compile(r"\S+@\S+")
LINK = re.compile(r"https?://\S+")
# the site's name is configuration, not a word to translate
ALLOWED = set(SITE_NAME.split())
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{4,}\b")  # \b is Unicode-aware: "Español" is not "Espa"



def english_words(text: str) -> set[str]:
    text = ADDRESS.sub(" ", REFERENCE.sub(" ", text))
    return set(ENGLISH_WORD.findall(text)) - ALLOWED


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailing_app(tmp_path: Path, smtp: SmtpServer) -> Iterator[Flask]:
    app = build_app(tmp_path, mail_url=smtp.url, site_name=SITE_NAME)
    with app.app_context():
        directory().create(EMAIL, DEMO_PASSWORD)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_a_whole_diagnosis_in_arabic_on_a_small_phone(browser, mailing_app, smtp):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, object] = {}
    seen: list[str] = []

    def look(page, name: str) -> None:
        """The checks every page of the journey must pass, kept by page so all are reported."""
        page.wait_for_load_state()
        seen.append(name)
        page.screenshot(path=str(SHOTS / f"{len(seen):02d}-{name}.png"), full_page=True)
        if not urlsplit(page.url).path.startswith("/ar/"):
            problems[f"{name}: left Arabic"] = page.url
        html = page.locator("html")
        if (html.get_attribute("lang"), html.get_attribute("dir")) != ("ar", "rtl"):
            problems[f"{name}: lang/dir"] = (html.get_attribute("lang"), html.get_attribute("dir"))
        found = page.evaluate(OVERFLOWING)
        if found["out"] or found["scrollWidth"] > WIDTH:
            problems[f"{name}: sideways"] = (found["scrollWidth"], found["out"])
        serious = findings(page)
        if serious:
            problems[f"{name}: axe"] = serious
        english = english_words(page.evaluate(SHOWN_WORDS))
        if english:
            problems[f"{name}: English"] = sorted(english)

    def answer(page, choice: str) -> None:
        page.locator(f"input[name=answer][value='{choice}']").check()
        page.locator("form button.primary").click()

    with LiveServer(mailing_app) as server:
        # bypass_csp: axe is put into each page by the test; the site's own CSP forbids inline scripts
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 640}, bypass_csp=True, is_mobile=True, has_touch=True
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            page.goto(server.url + "/ar/")
            look(page, "home")
            page.locator(".button.primary[href$='/diagnose/cant-sign-in']").click()
            assert "/ar/diagnose/cant-sign-in/" in page.url
            look(page, "what-happens")
            answer(page, "password-refused")  # handed over to the wrong-password flow
            assert "/ar/diagnose/wrong-password/" in page.url
            look(page, "show-password")
            answer(page, "forgotten")
            look(page, "email-access")
            answer(page, "yes")
            look(page, "send-reset-link")
            page.locator("input[name=email]").fill(EMAIL)
            page.locator("form button.primary").click()
            look(page, "check-your-email")

            [mail] = smtp.recorder.messages  # in Arabic: its subject, its text part, its HTML part
            assert (mail["Subject"], mail["Content-Language"]) == ("أعد تعيين كلمة المرور", "ar")
            text = text_of(mail)
            assert text.startswith("مرحبًا،") and not english_words(LINK.sub(" ", text)), text
            html = mail.get_body(preferencelist=("html",)).get_content()
            assert '<html lang="ar" dir="rtl">' in html and "اختر كلمة مرور جديدة</a>" in html
            reading = context.new_page()  # the HTML part as a mail client's browser engine lays it out
            reading.set_content(html)
            reading.screenshot(path=str(SHOTS / "mail.png"), full_page=True)
            assert set(map(tuple, reading.evaluate(MAIL_LAYOUT))) == {("rtl", "right")}
            assert not english_words(LINK.sub(" ", reading.evaluate(SHOWN_WORDS)))
            reading.close()

            page.goto(server.url + link_in(mail, "/ar/password/reset/"))
            look(page, "reset")
            page.locator("input[name=new_password]").fill(NEW_PASSWORD)
            page.locator("form button.primary").click()
            look(page, "password-changed")
            page.locator("a[href$='/diagnose/wrong-password']").click()  # back to the diagnosis
            look(page, "back-to-check-your-email")
            page.locator("form button.primary").click()
            look(page, "confirm-sign-in")
            page.locator("input[name=password]").fill(NEW_PASSWORD)
            page.locator("form button.primary").click()
            # the check signed the person in with the new password: the flow's end
            assert page.url.endswith("/ar/diagnose/wrong-password/signed-in-after-fix")
            assert page.locator("h1").inner_text() == "كل شيء جاهز"
            look(page, "end")
            notice = smtp.recorder.messages[-1]  # the password changed: its owner is told, in Arabic
            assert (notice["Subject"], notice["Content-Language"]) == ("غُيّرت كلمة المرور", "ar")
        finally:
            context.close()
    assert problems == {}, problems
