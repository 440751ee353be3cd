"""compose() and send(): one plain recipient, an RFC 5322 file in the outbox or a real SMTP delivery."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.smtp import AuthResult
from flask import Flask

from helpdesk.extensions import db
from helpdesk.mail import MailError, compose, pages_in, send
from tests.conftest import build_app
from tests.mailbox import SmtpServer, free_port, outbox, text_of


@contextmanager
def mailing_app(tmp_path: Path, mail_url: str) -> Iterator[Flask]:
    app = build_app(tmp_path, mail_url=mail_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _notice(to: str = "pat@example.org", subject: str = "About your request"):
    return compose("no_account", to, subject, what="a reset link", url="http://localhost/")


# compose


@pytest.mark.parametrize(
    "to",
    [
        "pat@example.org\r\nBcc: eve@example.net",
        "pat@example.org\nBcc: eve@example.net",
        "pat@example.org\x00",
        "pat@example.org, eve@example.net",
        "pat@example.org; eve@example.net",
        "Pat <pat@example.org>",
        "pat@example.org eve@example.net",
        "pat",
        "",
    ],
)
def test_compose_refuses_anything_but_one_plain_address(app, to):
    with app.app_context(), pytest.raises(MailError, match="not one plain address"):
        _notice(to)


def test_compose_addresses_the_mail_from_the_site_to_the_person(app):
    with app.app_context():
        message = _notice()
    assert (message["From"], message["To"], message["Subject"]) == (
        "Example Help <help@example.org>",
        "pat@example.org",
        "About your request",
    )


def test_compose_marks_the_mail_automatic_and_gives_it_an_id_and_date(app):
    with app.app_context(), time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
        message = _notice()
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"] == "Wed, 25 Nov 2026 09:00:00 -0000"


def test_compose_has_a_text_and_an_html_part_from_the_templates(app):
    with app.app_context():
        message = _notice()
    assert message.get_content_type() == "multipart/alternative"
    assert "Example Help" in text_of(message)  # the site name comes with every template
    assert "a reset link" in message.get_body(preferencelist=("html",)).get_content()


def test_compose_writes_the_mail_in_the_language_asked_in_even_outside_a_request(app):
    from flask_babel import lazy_gettext

    with app.app_context():  # a later mail (a job, a staff decision): the stored language decides
        spanish = compose(
            "no_account",
            "pat@example.org",
            lazy_gettext("About your request"),
            language="es",
            what="a reset link",
            url="http://localhost/",
        )
        unknown = compose(
            "no_account",
            "pat@example.org",
            "About your request",
            language="fr",
            what="a reset link",
            url="http://localhost/",
        )
    assert spanish["Subject"] == "Sobre tu solicitud" and spanish["Content-Language"] == "es"
    assert "Hola:" in text_of(spanish) and "Hello," not in text_of(spanish)
    assert 'lang="es" dir="ltr"' in spanish.get_body(preferencelist=("html",)).get_content()
    # a language not offered: the default one (English here), never an error
    assert unknown["Content-Language"] == "en" and "Hello," in text_of(unknown)


def _reset_mail(language: str):
    return compose(
        "reset_link",
        "pat@example.org",
        "Reset your password",
        language=language,
        url="http://localhost/password/reset/abc",
        minutes=30,
    )


@pytest.mark.parametrize(
    ("language", "direction", "side", "hello"),
    [("ar", "rtl", "right", "مرحبًا،"), ("es", "ltr", "left", "Hola:")],
)
def test_the_html_part_reads_in_the_mail_s_language_and_direction(app, language, direction, side, hello):
    """lang and dir on <html>, and again on <body> and the table inside (mail clients often drop
    <html> and <body>); text-align names the side, as mail clients ignore CSS's "start"."""
    with app.app_context():
        message = _reset_mail(language)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert f'<body lang="{language}" dir="{direction}"' in html
    assert f'<table role="presentation" lang="{language}" dir="{direction}"' in html
    other_side = {"left": "right", "right": "left"}[side]
    assert f"text-align: {side};" in html and f"text-align: {other_side}" not in html
    assert text_of(message).startswith(hello) and "Hello," not in text_of(message)
    assert '<span dir="ltr">http://localhost/' in html  # an address stays left to right in Arabic


def test_a_mail_s_links_open_the_site_s_pages_in_its_language(app):
    with app.app_context():
        arabic, english = _reset_mail("ar"), _reset_mail("en")
    for part in (text_of(arabic), arabic.get_body(preferencelist=("html",)).get_content()):
        assert "http://localhost/ar/password/reset/abc" in part
        assert "http://localhost/password/reset/abc" not in part
    # the default language keeps the unprefixed address, the fixed one
    assert "http://localhost/password/reset/abc" in text_of(english)


@pytest.mark.parametrize(
    "value",
    [
        "http://localhost.example.net/password/reset/abc",  # another site that starts alike
        "https://localhost/password/reset/abc",  # not the configured scheme
        "http://localhost",  # the bare site, no page
        "the site http://localhost/",
        42,
    ],
)
def test_only_links_to_the_site_s_own_pages_take_the_language(app, value):
    with app.app_context():
        assert pages_in("es", value) == value
        assert pages_in("es", "http://localhost/articles/x") == "http://localhost/es/articles/x"
        assert pages_in("fr", "http://localhost/articles/x") == "http://localhost/articles/x"  # not offered


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/Madrid", "Europe/Madrid"),
        ("America/Mexico_City", "America/Mexico_City"),
        ("UTC", "UTC"),
        ("", None),
        (None, None),
        ("europe/madrid", None),  # the database's names are exact
        ("Europe/Atlantis", None),
        ("../../../etc/passwd", None),
        ("America/Mexico_City" * 4, None),
    ],
)
def test_a_time_zone_is_kept_only_when_it_is_one_we_know(name, known):
    from helpdesk.mail import known_time_zone

    assert known_time_zone(name) == known


def _factor_changed(zone):
    return compose(
        "factor_changed",
        "pat@example.org",
        "A passkey was added",
        time_zone=zone,
        what="A passkey was added.",
        when=datetime(2026, 12, 5, 13, 5, tzinfo=UTC),
        ip="",
        device="",
        account_url="http://localhost/account",
        suspicious_url="http://localhost/",
        reset_url="http://localhost/password/forgot",
    )


def test_compose_writes_times_in_the_zone_asked_for_else_in_the_one_the_form_sent(app):
    with app.test_request_context("/account", method="POST", data={"time_zone": "Asia/Tokyo"}):
        tokyo = _factor_changed(None)  # no zone stored: the form's
        stored = _factor_changed("Europe/Madrid")  # a stored zone wins over the form's
        utc = _factor_changed("")  # none known ("" stored): UTC, whatever the form sent
    with app.test_request_context("/account/passkeys", method="POST", json={"time_zone": "Asia/Tokyo"}):
        from_json = _factor_changed(None)  # a page's script that posts JSON may send it too
    with app.test_request_context("/account/passkeys", method="POST", json={"time_zone": ["Asia/Tokyo"]}):
        not_a_name = _factor_changed(None)
    with app.app_context():
        outside = _factor_changed(None)  # a job: no request, no zone
    assert "When: 5 December 2026 22:05 (Asia/Tokyo; 13:05 UTC)" in text_of(tokyo)
    assert "When: 5 December 2026 14:05 (Europe/Madrid; 13:05 UTC)" in text_of(stored)
    html = stored.get_body(preferencelist=("html",)).get_content()
    assert "<strong>5 December 2026 14:05 (Europe/Madrid; 13:05 UTC)</strong>" in html
    assert "When: 5 December 2026 13:05 UTC\n" in text_of(utc)
    assert "When: 5 December 2026 13:05 UTC\n" in text_of(outside)
    assert "(Asia/Tokyo; 13:05 UTC)" in text_of(from_json)
    assert "When: 5 December 2026 13:05 UTC\n" in text_of(not_a_name)


# the outbox


def test_without_smtp_send_writes_one_rfc5322_file_to_the_outbox(app, outbox_dir):
    with app.app_context():
        send(_notice())
    (path,) = outbox_dir.glob("*.eml")
    written = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert (written["To"], written["Subject"]) == ("pat@example.org", "About your request")
    assert "a reset link" in text_of(written)


def test_the_outbox_keeps_no_half_written_files(app, outbox_dir):
    with app.app_context():
        send(_notice())
    assert [p.suffix for p in outbox_dir.iterdir()] == [".eml"]


def test_outbox_files_sort_in_sending_order_under_a_frozen_clock(app, outbox_dir):
    with app.app_context(), time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
        for n in range(1, 13):
            send(_notice(subject=f"mail {n}"))
    assert [m["Subject"] for m in outbox(outbox_dir)] == [f"mail {n}" for n in range(1, 13)]


# SMTP


def test_with_smtp_send_delivers_to_the_server_and_writes_no_file(tmp_path):
    with SmtpServer() as smtp, mailing_app(tmp_path, smtp.url) as app:
        send(_notice())
        (received,) = smtp.recorder.messages
    assert (received["To"], received["Subject"]) == ("pat@example.org", "About your request")
    assert received.get_body(preferencelist=("html",)) is not None
    assert outbox(app.extensions["helpdesk.settings"].outbox_dir) == []


def test_smtp_credentials_in_the_url_are_decoded_and_used(tmp_path):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"p@ss word")

    with SmtpServer(authenticator=authenticator) as smtp:
        url = smtp.url.replace("smtp://", "smtp://mailer:p%40ss%20word@")
        with mailing_app(tmp_path, url):
            send(_notice())
        assert len(smtp.recorder.messages) == 1
    assert seen == [(b"mailer", b"p@ss word")]


def test_a_temporary_smtp_refusal_is_retried(tmp_path):
    with SmtpServer() as smtp, mailing_app(tmp_path, smtp.url):
        smtp.recorder.refuse_next = 2  # 451, twice; the third attempt goes through
        send(_notice())
        assert len(smtp.recorder.messages) == 1


def test_temporary_refusals_on_every_attempt_raise_mail_error(tmp_path):
    with SmtpServer() as smtp, mailing_app(tmp_path, smtp.url):
        smtp.recorder.refuse_next = 3
        with pytest.raises(MailError):
            send(_notice())
        assert smtp.recorder.messages == []


def test_a_permanent_smtp_refusal_raises_mail_error_without_retrying(tmp_path):
    with SmtpServer() as smtp, mailing_app(tmp_path, smtp.url):
        smtp.recorder.refuse_next, smtp.recorder.refusal = 3, "550 5.1.1 no such mailbox"
        with pytest.raises(MailError):
            send(_notice())
        assert smtp.recorder.refuse_next == 2  # asked once only


def test_an_smtp_server_that_is_down_raises_mail_error(tmp_path):
    with mailing_app(tmp_path, f"smtp://127.0.0.1:{free_port()}") as app:
        with pytest.raises(MailError):
            send(_notice())
        assert outbox(app.extensions["helpdesk.settings"].outbox_dir) == []  # never lost into a file


def test_a_mail_url_of_another_scheme_raises_mail_error(tmp_path):
    with mailing_app(tmp_path, "http://127.0.0.1:25"), pytest.raises(MailError, match="smtp://"):
        send(_notice())
