"""Sign-ins end after the idle and absolute limits, whatever the browser keeps; a diagnosis in
progress outlives them, and the person is told why they must sign in again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import event, select, update

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, SignInSession, utcnow
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_sign_in import sign_in
from tests.support import csrf_from

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
IDLE_NOTICE = "You were signed out after 30 minutes without activity."


def _idle_for(app, minutes: int) -> None:
    """The browser's sign-in was last seen *minutes* ago (as if it had been left that long)."""
    with app.app_context():
        db.session.execute(update(SignInSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def _audited(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_sign_in_left_idle_sends_the_page_to_sign_in_with_why_and_back(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    _idle_for(app, 31)
    asked = client.get("/account/password")
    assert asked.status_code == 302 and asked.location == "/login?next=/account/password"
    login = client.get(asked.location).get_data(as_text=True)
    assert IDLE_NOTICE in login
    back = client.post(
        "/login",
        data={
            "csrf_token": csrf_from(login),
            "email": "pat@example.org",
            "password": DEMO_PASSWORD,
            "next": "/account/password",
        },
    )
    assert back.location == "/account/password"


def test_a_sign_in_seen_within_the_idle_limit_lasts(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    _idle_for(app, 29)
    assert client.get("/account").status_code == 200


def test_an_idle_sign_out_is_audited_once(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    _idle_for(app, 45)
    client.get("/account")
    client.get("/account")
    [entry] = _audited(app, "account.signed-out-idle")
    assert entry.target == "pat@example.org" and entry.detail["idle_minutes"] == "30"


def test_an_idle_sign_out_and_a_sign_out_by_hand_are_in_the_owner_s_history(app, client, account):
    from helpdesk.accounts.directory import HistoryResult, directory
    from tests.support import csrf_from

    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    _idle_for(app, 45)
    client.get("/account")
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    assert "Signed out after inactivity" in page
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        results = [line.result for line in directory().sign_ins(account.id)]
    assert results[:2] == [HistoryResult.SIGNED_OUT, HistoryResult.OK]
    assert HistoryResult.SIGNED_OUT_IDLE in results


def test_activity_keeps_a_sign_in_past_the_idle_limit_but_not_past_12_hours(app, account):
    client = app.test_client()
    with time_machine.travel(T0, tick=False):
        sign_in(client, "pat@example.org", DEMO_PASSWORD)
    for minutes in range(25, 12 * 60, 25):  # busy all day, never 30 minutes idle
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            assert client.get("/account").status_code == 200, minutes
    with time_machine.travel(T0 + timedelta(hours=12, minutes=1), tick=False):
        asked = client.get("/account")
        assert asked.location.startswith("/login")
        notice = client.get(asked.location).get_data(as_text=True)
    assert "You were signed out because a sign-in lasts at most 12 hours." in notice
    assert len(_audited(app, "account.signed-out-timed-out")) == 1


def test_an_anonymous_page_simply_shows_the_person_signed_out(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    _idle_for(app, 31)
    home = client.get("/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert '<a href="/login">Sign in</a>' in page and "Your account" not in page
    assert IDLE_NOTICE not in page  # nothing asked for a sign-in


def test_the_last_activity_is_written_at_most_once_a_minute(app, account):
    client = app.test_client()
    with time_machine.travel(T0, tick=False):
        sign_in(client, "pat@example.org", DEMO_PASSWORD)
    writes: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("UPDATE SIGN_IN_SESSIONS"):
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for seconds in range(5, 60, 5):  # eleven pages within the minute
            with time_machine.travel(T0 + timedelta(seconds=seconds), tick=False):
                assert client.get("/account").status_code == 200
        assert writes == []
        with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
            client.get("/account")
            client.get("/account")
        assert len(writes) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_diagnosis_in_progress_survives_the_sign_in_ending(app, client, account):
    started = client.get("/diagnose/cant-sign-in")
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    _idle_for(app, 31)
    assert client.get("/account").location.startswith("/login")
    assert client.get("/diagnose/cant-sign-in").location == started.location  # resumed, not new


def test_the_sign_in_cookie_ends_with_the_browser_though_the_diagnosis_is_remembered(app, client, account):
    client.get("/diagnose/cant-sign-in")  # remembers the diagnosis for 30 days
    signed_in = sign_in(client, "pat@example.org", DEMO_PASSWORD)
    cookies = {c.split("=", 1)[0]: c for c in signed_in.headers.getlist("Set-Cookie")}
    assert "Expires=" in cookies["helpdesk_session"]
    assert "Expires=" not in cookies["helpdesk_signin"] and "Max-Age" not in cookies["helpdesk_signin"]
    assert "HttpOnly" in cookies["helpdesk_signin"] and "SameSite=Lax" in cookies["helpdesk_signin"]
    # a browser restart keeps only the cookies with an expiry: the diagnosis, not the sign-in
    restarted = app.test_client()
    for name in ("helpdesk_session", "helpdesk_signin"):
        cookie = client.get_cookie(name)
        if cookie is not None and cookie.expires is not None:
            restarted.set_cookie(name, cookie.value)
    assert restarted.get("/account").location.startswith("/login")
    assert restarted.get("/diagnose/cant-sign-in").location == "/diagnose/cant-sign-in/what-happens"


def test_a_sign_in_inside_the_long_lived_cookie_counts_for_nothing(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    with app.test_request_context():
        token = app.session_interface._open_sign_in(app, _request_with(client))["_user_id"]
        legacy = app.session_interface.get_signing_serializer(app).dumps({"_user_id": token, "_fresh": True})
    old_browser = app.test_client()
    old_browser.set_cookie("helpdesk_session", legacy)  # as written before the sign-in moved out
    assert old_browser.get("/account").location.startswith("/login")


def _request_with(client):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    cookie = client.get_cookie("helpdesk_signin")
    return Request(EnvironBuilder(headers={"Cookie": f"helpdesk_signin={cookie.value}"}).get_environ())


def test_a_signed_out_browser_drops_the_sign_in_cookie(client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert client.get_cookie("helpdesk_signin") is None


def test_the_api_reads_no_sign_in_cookie(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    answer = client.get("/api/v1/flows")
    assert answer.status_code == 200
    assert not any("helpdesk_signin" in c for c in answer.headers.getlist("Set-Cookie"))


def test_staff_go_idle_at_their_own_stricter_limit_server_side(tmp_path):
    from tests.conftest import build_app, make_staff, staff_client

    app = build_app(tmp_path, staff_idle_minutes=10)
    helper = staff_client(app, "helper@example.org", make_staff(app, "helper@example.org", "staff"))
    assert helper.get("/staff/").status_code == 200  # staff pages visited just now
    _idle_for(app, 11)
    asked = helper.get("/staff/")
    assert asked.location == "/login?next=/staff/"
    assert "You were signed out after 10 minutes without activity." in helper.get(asked.location).get_data(
        as_text=True
    )
    assert [e.detail["reason"] for e in _audited(app, "staff.sign-out")] == ["idle"]


def test_under_https_the_sign_in_cookie_has_the_host_prefix_and_is_secure(tmp_path, account):
    from tests.conftest import build_app

    app = build_app(tmp_path, site_url="https://help.example.org")
    with app.app_context():
        from helpdesk.accounts.directory import directory

        directory().create("sam@example.org", DEMO_PASSWORD)
    client = app.test_client()
    site = "https://help.example.org"
    page = client.get("/login", base_url=site).get_data(as_text=True)
    signed_in = client.post(
        "/login",
        base_url=site,
        headers={"Referer": site + "/login"},  # CSRF protection checks it under https
        data={"csrf_token": csrf_from(page), "email": "sam@example.org", "password": DEMO_PASSWORD},
    )
    cookie = next(h for h in signed_in.headers.getlist("Set-Cookie") if "helpdesk_signin" in h)
    assert cookie.startswith("__Host-helpdesk_signin=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie and "Expires" not in cookie
    assert client.get("/account", base_url=site).status_code == 200


def test_an_anonymous_visitor_gets_no_sign_in_cookie(client):
    page = client.get("/login")
    assert client.get("/login").status_code == 200 and page.status_code == 200
    assert client.get_cookie("helpdesk_session") is not None  # the CSRF token
    assert client.get_cookie("helpdesk_signin") is None
