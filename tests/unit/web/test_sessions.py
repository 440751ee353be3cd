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
