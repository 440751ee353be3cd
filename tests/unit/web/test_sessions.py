"""web/sessions.py: the cookie session is sent back only when it changed, or an hour after it was signed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tests.conftest import DEMO_PASSWORD
from tests.integration.test_sign_in import sign_in
from tests.support import csrf_from

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STEP = "/diagnose/cant-sign-in/what-happens"


def set_cookies(response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def test_a_page_that_changes_nothing_sends_no_cookie_back(client):
    with time_machine.travel(T0, tick=False):
        assert client.get("/diagnose/cant-sign-in").location == STEP
        client.get(STEP)  # the first page gives the session its CSRF token
        again = client.get(STEP)
    assert again.status_code == 200
    assert set_cookies(again) == {}
    assert "Cookie" in again.headers["Vary"]


def test_the_diagnosis_cookie_is_signed_again_an_hour_after_it_was(client):
    with time_machine.travel(T0, tick=False):
        client.get("/diagnose/cant-sign-in")
        client.get(STEP)
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
        assert set_cookies(client.get(STEP)) == {}
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        refreshed = set_cookies(client.get(STEP))
    assert "Expires=Fri, 25 Dec 2026 10:01:00 GMT" in refreshed["helpdesk_session"]  # 30 days on
    with time_machine.travel(T0 + timedelta(minutes=62), tick=False):
        assert set_cookies(client.get(STEP)) == {}  # the refreshed cookie is fresh again


def test_a_change_to_the_session_is_sent_at_once(client):
    with time_machine.travel(T0, tick=False):
        client.get("/diagnose/cant-sign-in")
        client.get(STEP)
        restarted = client.post("/diagnose/cant-sign-in/restart", data={"csrf_token": csrf(client)})
    assert "helpdesk_session" in set_cookies(restarted)


def test_a_signed_in_browser_gets_no_cookie_on_a_page_that_changes_nothing(client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    client.get("/diagnose/cant-sign-in")
    client.get(STEP)
    again = client.get(STEP)
    assert again.status_code == 200
    assert set_cookies(again) == {}
    assert client.get("/account").status_code == 200  # still signed in


def csrf(client) -> str:
    return csrf_from(client.get(STEP).get_data(as_text=True))


def test_a_kept_cookie_is_refused_once_older_than_a_diagnosis_lasts(app, client):
    with time_machine.travel(T0, tick=False):
        client.get("/diagnose/cant-sign-in")
        raw = client.get_cookie("helpdesk_session").value
        data, signed_at = app.session_interface.read_main_cookie(app, raw)
    assert "diagnoses" in data and signed_at is not None
    with time_machine.travel(T0 + app.permanent_session_lifetime - timedelta(seconds=1), tick=False):
        assert app.session_interface.read_main_cookie(app, raw)[1] is not None  # kept, still young
    with time_machine.travel(T0 + app.permanent_session_lifetime + timedelta(seconds=1), tick=False):
        assert app.session_interface.read_main_cookie(app, raw) == ({}, None)


def test_a_kept_cookie_gives_each_request_values_of_its_own(app, client):
    client.get("/diagnose/cant-sign-in")
    raw = client.get_cookie("helpdesk_session").value
    first, _ = app.session_interface.read_main_cookie(app, raw)
    first["diagnoses"]["cant-sign-in"] = 999_999  # what one request changes…
    again, _ = app.session_interface.read_main_cookie(app, raw)
    assert again["diagnoses"]["cant-sign-in"] != 999_999  # …is not what the next one reads


def test_a_forged_cookie_is_never_kept(app, client):
    client.get("/diagnose/cant-sign-in")
    raw = client.get_cookie("helpdesk_session").value
    forged = raw[:-3] + ("aaa" if not raw.endswith("aaa") else "bbb")
    assert app.session_interface.read_main_cookie(app, forged) == ({}, None)
    assert app.session_interface.read_main_cookie(app, forged) == ({}, None)
