"""Hostile input on anonymous pages: a clear 4xx, never a 500, and no mail to anyone else."""

from __future__ import annotations

import pytest

from helpdesk.extensions import db
from helpdesk.models import DiagnosisEvent
from tests.conftest import DEMO_PASSWORD, FIXTURES, build_app
from tests.integration.test_diagnosis_journey import begin, post
from tests.integration.test_password_reset import ask_for_link
from tests.mailbox import SmtpServer, outbox
from tests.support import PRETEND_FIX, at_once, csrf_from

BAD_ADDRESSES = [
    "pat@example.org\r\nBcc: victim@example.test",
    "v1@victim.test, v2@victim.test, v3@victim.test",
    "pat@example.org\x00",
    '"Pat" <pat@example.org>',
    "pat@localhost",
    "x" * 400 + "@example.org",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_only_one_plain_address_is_accepted_for_links(app, client, outbox_dir, address):
    for path in ("/password/forgot", "/unlock"):
        page = client.get(path).get_data(as_text=True)
        refused = client.post(path, data={"csrf_token": csrf_from(page), "email": address})
        assert refused.status_code == 400
        assert "Enter the email address your account uses." in refused.get_data(as_text=True)
    assert outbox(outbox_dir) == []


def test_a_flow_action_refuses_a_list_of_addresses(app, client, outbox_dir):
    begin(client, "locked-out")
    for step, choice in (("was-it-you", "yes"), ("wait-or-unlock", "unlock-now")):
        page = client.get(f"/diagnose/locked-out/{step}").get_data(as_text=True)
        post(client, f"/diagnose/locked-out/{step}", page, answer=choice)
    page = client.get("/diagnose/locked-out/unlock-by-email").get_data(as_text=True)
    refused = post(client, "/diagnose/locked-out/unlock-by-email", page, email=BAD_ADDRESSES[1])
    assert refused.status_code == 400 and outbox(outbox_dir) == []


@pytest.mark.parametrize(
    "target",
    ["//evil.test/x", "/\t/evil.test", "/\\evil.test", "https://evil.test/", "/ok\n"],
)
def test_sign_in_never_sends_anyone_off_the_site(client, account, target):
    page = client.get("/login").get_data(as_text=True)
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_from(page),
            "email": "pat@example.org",
            "password": DEMO_PASSWORD,
            "next": target,
        },
    )
    assert answer.status_code == 303
    assert answer.location == "/account"  # every one of these would leave the site: refused


def test_an_encoded_newline_stays_an_ordinary_path_on_this_site(client, account):
    page = client.get("/login").get_data(as_text=True)
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_from(page),
            "email": "pat@example.org",
            "password": DEMO_PASSWORD,
            "next": "/%0d%0aSet-Cookie:x",
        },
    )
    assert answer.location == "/%0d%0aSet-Cookie:x" and "Set-Cookie" not in answer.headers.get(
        "Set-Cookie", "x="
    )


def test_a_reset_whose_notice_cannot_be_mailed_still_succeeds(tmp_path):
    from helpdesk.accounts.directory import directory
    from tests.integration.test_password_reset import NEW_PASSWORD, choose, open_link
    from tests.mailbox import link_in

    with SmtpServer() as smtp:
        app = build_app(tmp_path, mail_url=smtp.url)
        with app.app_context():
            directory().create("pat@example.org", DEMO_PASSWORD)
        client = app.test_client()
        ask_for_link(client, "pat@example.org")
        url = link_in(smtp.recorder.messages[-1], "/password/reset/")
        page = open_link(client, url)
        smtp.recorder.refuse_next = 10  # the server fails from now on
        done = choose(client, page, NEW_PASSWORD)
    assert done.status_code == 303 and done.location == "/login"


def test_start_over_is_rate_limited(fixture_client):
    _, page = begin(fixture_client)
    token = csrf_from(page)
    codes = [
        fixture_client.post("/diagnose/fix-it/restart", data={"csrf_token": token}).status_code
        for _ in range(31)
    ]
    assert codes[:30] == [303] * 30 and codes[30] == 429


def test_concurrent_submissions_of_one_action_run_it_once(tmp_path):
    app = build_app(
        tmp_path, content_dir=FIXTURES / "good" / "content", flows_dir=FIXTURES / "good" / "flows"
    )
    client = app.test_client()
    url, page = begin(client)
    post(client, url, page, answer="broken")
    page = client.get("/diagnose/fix-it/explain").get_data(as_text=True)
    post(client, "/diagnose/fix-it/explain", page)
    page = client.get("/diagnose/fix-it/apply").get_data(as_text=True)
    cookie = client.get_cookie("helpdesk_session").value
    before = len(PRETEND_FIX.calls)

    def submit() -> int:
        browser_tab = app.test_client()
        browser_tab.set_cookie("helpdesk_session", cookie)
        answer = browser_tab.post(
            "/diagnose/fix-it/apply", data={"csrf_token": csrf_from(page), "word": "fixed"}
        )
        return answer.status_code

    statuses = at_once(6, submit)
    assert statuses == [303] * 6
    assert len(PRETEND_FIX.calls) == before + 1
    with app.app_context():
        assert db.session.query(DiagnosisEvent).filter_by(kind="action").count() == 1


def test_the_diagnosis_cookie_outlives_the_browser(fixture_client):
    begin(fixture_client)
    cookie = fixture_client.get_cookie("helpdesk_session")
    assert cookie.expires is not None


def test_the_entry_page_counts_the_pages_of_the_flow_it_hands_over_to(client):
    """The entry flow is short, but the flows it hands over to are not: no promise is made."""
    _, page = begin(client, "cant-sign-in")
    assert "last step" not in page and "steps to go" not in page and "Step 1" in page
