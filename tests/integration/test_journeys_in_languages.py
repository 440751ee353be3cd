"""A whole diagnosis in Spanish through the test client (issue 18): from /es/ through the "can't
sign in" questions to the reset link, the mail (real SMTP) in Spanish with links to Spanish pages,
the new password, the flow's sign-in check and its end. Every page stays under /es/, says
lang="es", and shows none of the words the same page shows in English. (The same journey in
Arabic, in Chromium on a phone: tests/browser/test_arabic_diagnosis_in_browser.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from tests.conftest import DEMO_PASSWORD, build_app
from tests.mailbox import SmtpServer, link_in, text_of
from tests.support import csrf_from

EMAIL = "pat@example.org"
NEW_PASSWORD = "esmeralda cañón deriva 55"
# the same in every language: the site's name and address (configuration), the reference code,
# and each language's name in the switch
SAME_IN_EVERY_LANGUAGE = re.compile(
    r"Example Help|help@example\.org|pat@example\.org|[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}"
)


class ShownText(HTMLParser):
    """The text nodes and the labels (aria-label, placeholder, alt, title) a page shows, but not
    what is marked as another language than the page's (the switch's "English")."""

    LABELS = ("aria-label", "placeholder", "alt", "title")
    VOID = frozenset(
        ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr")
    )

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.open: list[tuple[str, bool]] = []  # (tag, not the page's language or not shown)
        self.texts: set[str] = set()

    def _aside(self) -> bool:
        return any(aside for _, aside in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        lang = found.get("lang")
        aside = tag in ("script", "style", "template") or (
            lang is not None and tag != "html" and lang != self.language
        )
        if not aside and not self._aside():
            self.texts.update(v.strip() for k, v in attrs if k in self.LABELS and v and v.strip())
        if tag not in self.VOID:
            self.open.append((tag, aside))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._aside():
            self.texts.add(text)


def shown(page: str, language: str) -> set[str]:
    parser = ShownText(language)
    parser.feed(page)
    return {
        t
        for t in parser.texts
        if re.search(r"[^\W\d_]", SAME_IN_EVERY_LANGUAGE.sub("", t))
    }


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailing_app(tmp_path: Path, smtp: SmtpServer) -> Iterator[Flask]:
    app = build_app(tmp_path, mail_url=smtp.url)
    with app.app_context():
        directory().create(EMAIL, DEMO_PASSWORD)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def in_spanish(client: FlaskClient, path: str, words: str) -> str:
    """The page at *path* (under /es/): in Spanish, with *words* on it, and not one text the same
    page shows in English (asked for again without the prefix: this client has no language
    cookie and no Accept-Language, so English)."""
    assert path.startswith("/es/"), path
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    page = answer.get_data(as_text=True)
    assert '<html lang="es" dir="ltr"' in page, path
    assert words in page, (path, words)
    english = client.get(path.removeprefix("/es")).get_data(as_text=True)
    assert '<html lang="en" dir="ltr"' in english, path
    left = shown(page, "es") & shown(english, "en")
    assert not left, (path, sorted(left))
    return page


def answer(client: FlaskClient, path: str, page: str, **fields: str) -> str:
    """Post the step's form; the next page's path, which must stay under /es/."""
    sent = client.post(path, data={"csrf_token": csrf_from(page), **fields})
    assert sent.status_code == 303, (path, sent.status_code)
    assert sent.location.startswith("/es/"), sent.location
    return sent.location


def test_a_whole_diagnosis_in_spanish_and_its_mail(mailing_app, smtp):
    client = mailing_app.test_client()
    home = in_spanish(client, "/es/", "¿Problemas para iniciar sesión?")
    assert 'href="/es/diagnose/cant-sign-in"' in home
    started = client.get("/es/diagnose/cant-sign-in")
    assert started.status_code == 303 and started.location == "/es/diagnose/cant-sign-in/what-happens"
    page = in_spanish(client, started.location, "¿Qué pasa cuando intentas iniciar sesión?")
    # handed over to the wrong-password flow, with the end's note in Spanish
    at = answer(client, started.location, page, answer="password-refused")
    assert at == "/es/diagnose/wrong-password/show-password"
    page = in_spanish(client, at, "Empecemos por tu contraseña.")
    at = answer(client, at, page, answer="forgotten")
    page = in_spanish(client, at, "¿Puedes abrir el correo de tu cuenta?")
    at = answer(client, at, page, answer="yes")
    page = in_spanish(client, at, "Envíame un enlace para restablecerla")
    at = answer(client, at, page, email=EMAIL)
    assert at == "/es/diagnose/wrong-password/check-your-email"
    page = in_spanish(client, at, "Abre el correo que acabamos de enviar")

    [mail] = smtp.recorder.messages
    assert (mail["Subject"], mail["Content-Language"]) == ("Restablece tu contraseña", "es")
    assert "Elige una contraseña nueva aquí" in text_of(mail) and "Hello" not in text_of(mail)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="es" dir="ltr">' in html and "Elige una contraseña nueva</a>" in html
    link = link_in(mail, "/es/password/reset/")  # the mail's link opens the page in Spanish
    assert link in html

    opened = client.get(link)
    assert opened.status_code == 303 and opened.location == "/es/password/reset"  # the token left
    form = in_spanish(client, opened.location, "Elige una contraseña nueva")
    changed = client.post(opened.location, data={"csrf_token": csrf_from(form), "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    done = changed.get_data(as_text=True)
    assert '<html lang="es" dir="ltr"' in done and 'href="/es/diagnose/wrong-password"' in done
    back = client.get("/es/diagnose/wrong-password")  # back to the diagnosis, where it was
    assert back.status_code == 303 and back.location == at
    page = in_spanish(client, at, "Abre el correo que acabamos de enviar")
    at = answer(client, at, page)
    assert at == "/es/diagnose/wrong-password/confirm-sign-in"
    page = in_spanish(client, at, "Iniciando sesión como <strong>pat@example.org</strong>")
    at = answer(client, at, page, password=NEW_PASSWORD)
    assert at == "/es/diagnose/wrong-password/signed-in-after-fix"
    in_spanish(client, at, "Todo listo")
    # and the notice that the password changed, sent on the way, is in Spanish too
    notice = smtp.recorder.messages[-1]
    assert (notice["Subject"], notice["Content-Language"]) == ("Se cambió tu contraseña", "es")
    assert "http://localhost/es/password/forgot" in text_of(notice)
