"""The sample flows hand off to the real fixes, then check with a real sign-in."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import DiagnosisEvent
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_diagnosis_journey import begin, post
from tests.integration.test_lockout_and_unlock import press_unlock
from tests.integration.test_password_reset import NEW_PASSWORD, choose, open_link
from tests.integration.test_sign_in import sign_in
from tests.mailbox import link_in, outbox


def answer(client, flow: str, step: str, **fields: str):
    page = client.get(f"/diagnose/{flow}/{step}").get_data(as_text=True)
    return post(client, f"/diagnose/{flow}/{step}", page, **fields)


def transcript(app) -> list[tuple[str, str, dict]]:
    with app.app_context():
        return [(e.kind, e.step, e.detail) for e in db.session.scalars(select(DiagnosisEvent))]


def test_wrong_password_flow_resets_by_email_and_checks_the_sign_in(app, client, account, outbox_dir):
    begin(client, "wrong-password")
    assert answer(client, "wrong-password", "show-password", answer="forgotten").location.endswith(
        "/email-access"
    )
    assert answer(client, "wrong-password", "email-access", answer="yes").location.endswith(
        "/send-reset-link"
    )
    page = client.get("/diagnose/wrong-password/send-reset-link").get_data(as_text=True)
    assert 'name="email"' in page and "Email me a reset link" in page
    sent = answer(client, "wrong-password", "send-reset-link", email="pat@example.org")
    assert sent.location.endswith("/check-your-email")
    assert "If an account uses pat@example.org, we sent it a link" in client.get(sent.location).get_data(
        as_text=True
    )
    # the person opens the mail, sets a new password, and comes back
    choose(client, open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/")), NEW_PASSWORD)
    assert answer(client, "wrong-password", "check-your-email").location.endswith("/confirm-sign-in")
    failed = answer(
        client, "wrong-password", "confirm-sign-in", email="pat@example.org", password=DEMO_PASSWORD
    )
    assert failed.location.endswith("/sign-in-failed")
    assert answer(client, "wrong-password", "sign-in-failed", answer="try-again").location.endswith(
        "/confirm-sign-in"
    )
    done = answer(client, "wrong-password", "confirm-sign-in", email="pat@example.org", password=NEW_PASSWORD)
    assert done.location.endswith("/signed-in-after-fix")
    assert "all set" in client.get(done.location).get_data(as_text=True)
    assert client.get("/account").status_code == 200  # the check signed the person in
    events = transcript(app)
    action = next(e for e in events if e[0] == "action")
    assert action[2]["answer"] == "pending" and action[2]["action"] == "send-reset-link"
    checks = [e[2]["signed_in"] for e in events if e[0] == "checked"]
    assert checks == [False, True]
    assert NEW_PASSWORD not in str(events) and DEMO_PASSWORD not in str(events)


def test_locked_out_flow_unlocks_by_email_and_checks_the_sign_in(app, client, account, outbox_dir):
    for _ in range(5):
        sign_in(app.test_client(), "pat@example.org", "not-the-password-at-all")
    begin(client, "locked-out")
    answer(client, "locked-out", "was-it-you", answer="yes")
    assert answer(client, "locked-out", "wait-or-unlock", answer="unlock-now").location.endswith(
        "/unlock-by-email"
    )
    assert answer(client, "locked-out", "unlock-by-email", email="pat@example.org").location.endswith(
        "/check-unlock-email"
    )
    url = link_in(outbox(outbox_dir)[-1], "/unlock/")
    page = client.get(url).get_data(as_text=True)
    unlocked = press_unlock(client, page).get_data(as_text=True)
    assert "It would have stayed locked for another" in unlocked
    assert 'href="/diagnose/locked-out"' in unlocked  # back into the diagnosis
    answer(client, "locked-out", "check-unlock-email")
    done = answer(client, "locked-out", "confirm-sign-in", email="pat@example.org", password=DEMO_PASSWORD)
    assert done.location.endswith("/signed-in-after-fix")
    assert [e[2]["signed_in"] for e in transcript(app) if e[0] == "checked"] == [True]


def test_an_action_with_a_bad_address_stays_on_its_step(client):
    begin(client, "locked-out")
    answer(client, "locked-out", "was-it-you", answer="yes")
    answer(client, "locked-out", "wait-or-unlock", answer="unlock-now")
    refused = answer(client, "locked-out", "unlock-by-email", email="nope")
    assert refused.status_code == 400
    assert "Enter the email address your account uses." in refused.get_data(as_text=True)


def _flow_page_after(
    app, flow: str, steps: list[tuple[str, dict]], final: tuple[str, dict]
) -> tuple[int, str]:
    import re

    from tests.integration.test_sign_in import without_tokens

    client = app.test_client()
    begin(client, flow)
    for step, fields in steps:
        answer(client, flow, step, **fields)
    step, fields = final
    done = answer(client, flow, step, **fields)
    page = (
        client.get(done.location).get_data(as_text=True)
        if done.status_code == 303
        else done.get_data(as_text=True)
    )
    page = without_tokens(page)
    page = re.sub(r'class="code">[^<]+<', 'class="code">REF<', page)
    page = re.sub(r"Reference%20[A-Z0-9-]+", "Reference%20REF", page)
    for email in ("pat@example.org", "nobody@example.org"):
        page = page.replace(email, "EMAIL")
    return done.status_code, page


def test_flow_actions_answer_alike_for_existing_and_unknown_accounts(app, account):
    reset_steps = [("show-password", {"answer": "forgotten"}), ("email-access", {"answer": "yes"})]
    unlock_steps = [("was-it-you", {"answer": "yes"}), ("wait-or-unlock", {"answer": "unlock-now"})]
    for flow, steps, step in (
        ("wrong-password", reset_steps, "send-reset-link"),
        ("locked-out", unlock_steps, "unlock-by-email"),
    ):
        known = _flow_page_after(app, flow, steps, (step, {"email": "pat@example.org"}))
        unknown = _flow_page_after(app, flow, steps, (step, {"email": "nobody@example.org"}))
        assert known == unknown


def test_the_sign_in_check_answers_alike_for_unknown_and_wrong(app, account):
    steps = [
        ("show-password", {"answer": "forgotten"}),
        ("email-access", {"answer": "yes"}),
        ("send-reset-link", {"email": "pat@example.org"}),
        ("check-your-email", {}),
    ]
    wrong = _flow_page_after(
        app,
        "wrong-password",
        steps,
        ("confirm-sign-in", {"email": "pat@example.org", "password": "wrong one"}),
    )
    unknown = _flow_page_after(
        app,
        "wrong-password",
        steps,
        ("confirm-sign-in", {"email": "nobody@example.org", "password": "wrong one"}),
    )
    assert wrong == unknown
    assert "That sign-in did not work." in wrong[1]


def test_the_site_check_flow_uses_the_link_checker(app, client):
    begin(client, "is-this-site-ours")
    answer(client, "is-this-site-ours", "how-arrived", answer="email")
    assert answer(client, "is-this-site-ours", "link-warning").location.endswith("/paste-the-link")
    fake = answer(client, "is-this-site-ours", "paste-the-link", link="https://example.org.evil.test/login")
    assert fake.location.endswith("/typed-password")
    page = client.get(fake.location).get_data(as_text=True)
    assert "Don&#39;t trust this link" in page or "Don't trust this link" in page
    [event] = [e for e in transcript(app) if e[0] == "action"]
    assert event[2]["action"] == "check-link" and event[2]["official"] is False


def _typed_then_checked(client, link: str):
    begin(client, "is-this-site-ours")
    answer(client, "is-this-site-ours", "how-arrived", answer="typed")
    to_checker = answer(client, "is-this-site-ours", "check-https", answer="check-for-me")
    assert to_checker.location.endswith("/paste-the-link")
    return answer(client, "is-this-site-ours", "paste-the-link", link=link)


def test_an_address_typed_by_hand_can_be_checked_too(app, client):
    genuine = _typed_then_checked(client, "https://login.example.org/")
    assert genuine.location.endswith("/looks-genuine")
    assert "this is one of our addresses" in client.get(genuine.location).get_data(as_text=True)
    # a browser opens evil.test for this one: not ours
    hostile = _typed_then_checked(app.test_client(), "https://evil.test\\.example.org/")
    assert hostile.location.endswith("/typed-password")
    outcomes = [e[2]["official"] for e in transcript(app) if e[0] == "action"]
    assert sorted(outcomes) == [False, True]


def test_after_a_reset_from_a_diagnosis_the_page_leads_back_to_it(app, client, account, outbox_dir):
    begin(client, "wrong-password")
    answer(client, "wrong-password", "show-password", answer="forgotten")
    answer(client, "wrong-password", "email-access", answer="yes")
    answer(client, "wrong-password", "send-reset-link", email="pat@example.org")
    form = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    done = choose(client, form, NEW_PASSWORD)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "Your password was changed" in page
    assert 'href="/diagnose/wrong-password" rel="nofollow">Back to your diagnosis</a>' in page
    assert client.get("/diagnose/wrong-password").location.endswith("/check-your-email")  # resumed


def test_a_reset_outside_any_diagnosis_goes_to_the_sign_in_page(app, client, account, outbox_dir):
    from tests.integration.test_password_reset import ask_for_link

    ask_for_link(client, "pat@example.org")
    form = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    done = choose(client, form, NEW_PASSWORD)
    assert done.status_code == 303 and done.location == "/login"


def test_an_address_typed_on_one_fix_is_not_asked_again_on_the_next(app, client, account, outbox_dir):
    begin(client, "wrong-password")
    answer(client, "wrong-password", "show-password", answer="forgotten")
    answer(client, "wrong-password", "email-access", answer="yes")
    answer(client, "wrong-password", "send-reset-link", email="pat@example.org")
    form = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    choose(client, form, NEW_PASSWORD)
    answer(client, "wrong-password", "check-your-email")
    page = client.get("/diagnose/wrong-password/confirm-sign-in").get_data(as_text=True)
    assert "Signing in as <strong>pat@example.org</strong>" in page and 'id="email"' not in page
    with client.session_transaction() as held:  # what the cookie says, decoded
        assert "fix_email" in held and "pat@example.org" not in str(dict(held))  # sealed, not readable
    done = answer(client, "wrong-password", "confirm-sign-in", password=NEW_PASSWORD)
    assert done.location.endswith("/signed-in-after-fix")
    with client.session_transaction() as held:
        assert "fix_email" not in held  # signed in: a fresh session keeps only the diagnoses


def test_a_check_that_worked_is_told_once_by_the_flow_not_twice(app, client, account, outbox_dir):
    begin(client, "locked-out")
    answer(client, "locked-out", "was-it-you", answer="yes")
    answer(client, "locked-out", "wait-or-unlock", answer="unlock-now")
    answer(client, "locked-out", "unlock-by-email", email="pat@example.org")
    answer(client, "locked-out", "check-unlock-email")
    done = answer(client, "locked-out", "confirm-sign-in", password=DEMO_PASSWORD)
    page = client.get(done.location).get_data(as_text=True)
    assert page.count("signed in: the fix worked") == 1  # the end's own text, no notice repeating it
    checked = [e for e in transcript(app) if e[0] == "checked"]
    assert checked[-1][2]["message"] == "You are signed in: the fix worked."  # kept for staff
