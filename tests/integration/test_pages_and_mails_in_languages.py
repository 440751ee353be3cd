"""The pages' own words and the mails in the reader's language (issue 18): the catalogs in
helpdesk/translations, chosen by the address's prefix (/es/, /ar/), and a mail written in the
language the person asked in, also when it is sent later, outside their request."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpdesk.cases.verification.asking import send_contact_code
from helpdesk.extensions import db
from helpdesk.models import VerificationRequest
from tests.conftest import DEMO_PASSWORD, build_app
from tests.mailbox import SmtpServer, outbox, text_of
from tests.support import csrf_from

PAGES = [
    # (path, English words, Spanish, Arabic)
    ("/", "Trouble signing in?", "¿Problemas para iniciar sesión?", "هل تواجه مشكلة في تسجيل الدخول؟"),
    ("/login", "Forgot your password?", "¿Olvidaste tu contraseña?", "نسيت كلمة المرور؟"),
    ("/password/forgot", "Send me a link", "Envíame un enlace", "أرسل إليّ رابطًا"),
    (
        "/unlock",
        "Email me an unlock link",
        "Envíame un enlace para desbloquearla",
        "أرسل إليّ رابط إلغاء القفل",
    ),
    ("/recovery/request", "Send me a code", "Envíame un código", "أرسل إليّ رمزًا"),
    (
        "/check-link",
        "Is this link really ours?",
        "¿De verdad es nuestro este enlace?",
        "هل هذا الرابط لنا حقًا؟",
    ),
    ("/articles/", "Articles", "Artículos", "المقالات"),
    ("/search?q=zzqqxx", "Nothing matched", "No encontramos nada para", "لم نجد شيئًا يطابق"),
]


@pytest.mark.parametrize(("path", "english", "spanish", "arabic"), PAGES)
def test_a_page_s_own_words_are_in_the_language_of_its_address(client, path, english, spanish, arabic):
    assert english in client.get(path).get_data(as_text=True)
    in_spanish = client.get(f"/es{path}").get_data(as_text=True)
    in_arabic = client.get(f"/ar{path}").get_data(as_text=True)
    assert spanish in in_spanish and english not in in_spanish
    assert arabic in in_arabic and english not in in_arabic
    assert "Buscar en el centro de ayuda" in in_spanish  # base.html's words too


def test_an_error_page_is_in_the_reader_s_language(client):
    assert "Página no encontrada" in client.get("/es/articles/no-such-article").get_data(as_text=True)
    assert "الصفحة غير موجودة" in client.get("/ar/articles/no-such-article").get_data(as_text=True)


def test_a_count_takes_the_language_s_plural_form(client):
    """The home page's "All N articles" (ngettext through {% trans count %}): Spanish's plural, and
    Arabic's form for more than two, which names the count in brackets."""
    count = int(re.search(r"All (\d+) articles", client.get("/").get_data(as_text=True)).group(1))
    assert count > 2
    assert f"Los {count} artículos</a>" in client.get("/es/").get_data(as_text=True)
    assert f"كل المقالات ({count})</a>" in client.get("/ar/").get_data(as_text=True)


def test_a_signed_in_page_and_its_flash_are_in_spanish(client, account):
    page = client.get("/es/login").get_data(as_text=True)
    signed_in = client.post(
        "/es/login",
        data={
            "csrf_token": csrf_from(page),
            "email": "pat@example.org",
            "password": DEMO_PASSWORD,
            "next": "",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Tu cuenta" in signed_in and "Revisión de seguridad" in signed_in
    assert "Has iniciado sesión como <strong>pat@example.org</strong>." in signed_in


def test_a_reset_link_asked_for_in_spanish_is_mailed_in_spanish(tmp_path):
    from helpdesk.accounts.directory import directory

    with SmtpServer() as smtp:
        app = build_app(tmp_path, mail_url=smtp.url)
        with app.app_context():
            directory().create("pat@example.org", DEMO_PASSWORD)
        client = app.test_client()
        page = client.get("/es/password/forgot").get_data(as_text=True)
        client.post("/es/password/forgot", data={"csrf_token": csrf_from(page), "email": "pat@example.org"})
        client.get("/password/forgot")  # an English page afterwards changes nothing already sent
    mail = smtp.recorder.messages[-1]
    assert mail["Subject"] == "Restablece tu contraseña"
    assert mail["Content-Language"] == "es"
    assert "Elige una contraseña nueva aquí" in text_of(mail)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert 'lang="es"' in html and "Elige una contraseña nueva</a>" in html


def test_a_recovery_asked_in_arabic_keeps_its_language_for_later_mails(app, client, account, outbox_dir):
    page = client.get("/ar/recovery/request").get_data(as_text=True)
    client.post(
        "/ar/recovery/request",
        data={
            "csrf_token": csrf_from(page),
            "account_email": "pat@example.org",
            "contact_email": "new@example.net",
        },
    )
    first = outbox(outbox_dir)[-1]
    assert first["Subject"] == "رمزك لطلب الاسترداد"
    with app.app_context():  # later, outside the person's request: a new code, from the stored language
        request = db.session.scalars(select(VerificationRequest)).one()
        assert request.language == "ar"
        send_contact_code(request)
    again = outbox(outbox_dir)[-1]
    assert again["Subject"] == "رمزك لطلب الاسترداد" and again["Content-Language"] == "ar"
    html = again.get_body(preferencelist=("html",)).get_content()
    assert 'lang="ar" dir="rtl"' in html
