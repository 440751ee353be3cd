"""Times in mails in the person's own time zone (issue 18): the forms that lead to a mail carry a
hidden `time_zone` field (static/times.js fills it in), a recovery request keeps it for its later
mails, and a mail names the zone with UTC beside it; without a zone we know, UTC as before."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import VerificationRequest
from tests.conftest import DEMO_PASSWORD, build_app, make_staff, staff_client
from tests.integration.test_password_reset import open_link
from tests.integration.test_verified_recovery import decide, send_evidence
from tests.mailbox import SmtpServer, link_in, outbox, text_of
from tests.support import csrf_from

MEXICO_CITY = "America/Mexico_City"


def post(client, path: str, **fields):
    page = client.get(path).get_data(as_text=True)
    assert 'name="time_zone"' in page, f"{path} carries no time zone field"
    return client.post(path, data={"csrf_token": csrf_from(page), **fields})


def only_request(app) -> VerificationRequest:
    with app.app_context():
        found = db.session.scalars(select(VerificationRequest)).one()
        db.session.expunge(found)
        return found


def test_a_recovery_asked_in_spanish_from_mexico_city_is_approved_in_that_zone_and_in_spanish(tmp_path):
    from helpdesk.accounts.directory import directory

    with SmtpServer() as smtp:
        app = build_app(tmp_path, mail_url=smtp.url)
        with app.app_context():
            directory().create("pat@example.org", DEMO_PASSWORD)
        staff = staff_client(app, "one@example.org", make_staff(app, "one@example.org", "staff"))
        person = app.test_client()
        post(
            person,
            "/es/recovery/request",
            account_email="pat@example.org",
            contact_email="new@example.net",
            time_zone=MEXICO_CITY,
        )
        code_mail = text_of(smtp.recorder.messages[-1])  # immediate: the form's zone, as stored
        assert re.search(rf"El código funciona hasta el .+ \({MEXICO_CITY}; .+ UTC\)\.", code_mail)
        code = re.search(r"^\s+(\d{6})\s*$", code_mail, re.M).group(1)
        post(person, "/es/recovery/request/contact", code=code)
        send_evidence(person)
        request = only_request(app)
        assert request.time_zone == MEXICO_CITY and request.language == "es"
        decide(staff, request.id, "approve")  # a staff member's request, in English, with no zone
        mails = smtp.recorder.messages
    asker = [m for m in mails if m["To"] == "new@example.net"][-1]
    assert asker["Subject"] == "Tu solicitud de recuperación fue aprobada"
    assert asker["Content-Language"] == "es"
    hold_until = only_request(app).hold_until
    there = hold_until.astimezone(ZoneInfo(MEXICO_CITY))  # UTC-6 in winter, UTC-5 never since 2022
    expected = f"{format_date(there, 'long', locale='es')}, {there:%H:%M} ({MEXICO_CITY}; " + (
        f"{hold_until:%H:%M} UTC)" if there.date() == hold_until.date() else ""
    )
    assert expected in text_of(asker)
    assert " de " in expected  # Spanish month words: "5 de diciembre de 2026"
    html = asker.get_body(preferencelist=("html",)).get_content()
    assert f"({MEXICO_CITY}; " in html
    # the owner's notice: the owner's zone (and language) are not known, so UTC alone, in English
    owner = [m for m in mails if m["To"] == "pat@example.org"][-1]
    assert MEXICO_CITY not in text_of(owner)
    assert f"{hold_until:%H:%M} UTC" in text_of(owner)


def test_a_request_keeps_only_a_zone_we_know(app, client, account):
    post(
        client,
        "/recovery/request",
        account_email="pat@example.org",
        contact_email="new@example.net",
        time_zone="Europe/Nowhere<script>",
    )
    assert only_request(app).time_zone is None  # ignored, not refused: the request was made


def test_a_request_without_a_zone_takes_the_one_a_later_page_sends(app, client, account, outbox_dir):
    post(client, "/recovery/request", account_email="pat@example.org", contact_email="new@example.net")
    assert only_request(app).time_zone is None
    post(client, "/recovery/request/contact", resend="1", time_zone="Asia/Tokyo")
    assert only_request(app).time_zone == "Asia/Tokyo"
    post(client, "/recovery/request/contact", resend="1", time_zone="Europe/Madrid")
    assert only_request(app).time_zone == "Asia/Tokyo"  # the first zone known stays


@pytest.mark.parametrize(
    ("time_zone", "written"),
    [("Europe/Madrid", "(Europe/Madrid; "), ("", " UTC"), ("Not/AZone", " UTC")],
)
def test_the_password_changed_notice_is_in_the_zone_the_reset_form_sent(
    app, account, outbox_dir, time_zone, written
):
    client = app.test_client()
    post(client, "/password/forgot", email="pat@example.org", time_zone=time_zone)
    link_mail = outbox(outbox_dir)[-1]
    until = re.search(r"^The link works until (.+)\.$", text_of(link_mail), re.M).group(1)
    assert written in until
    page = open_link(client, link_in(link_mail, "/password/reset/"))
    assert 'name="time_zone"' in page.get_data(as_text=True)
    response = client.post(
        "/password/reset",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "new_password": "emerald-canyon-drift-55",
            "time_zone": time_zone,
        },
    )
    assert response.status_code == 303
    notice = outbox(outbox_dir)[-1]
    assert notice["Subject"] == "Your password was changed"
    when = re.search(r"^When: (.+)$", text_of(notice), re.M).group(1)
    assert written in when
    if time_zone != "Europe/Madrid":
        assert "(" not in when
