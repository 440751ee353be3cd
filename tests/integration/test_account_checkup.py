"""The security checkup on /account: each item, its one-click fix, and the after-recovery check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from helpdesk.accounts.checkup import run_checkup
from helpdesk.accounts.directory import directory
from helpdesk.accounts.two_factor import recovery_code_hash
from helpdesk.extensions import db
from helpdesk.models import DiagnosisEvent, SignInSession
from tests.conftest import DEMO_PASSWORD, make_staff, staff_client
from tests.integration.test_devices_and_resync import LAPTOP_UA
from tests.integration.test_diagnosis_journey import begin
from tests.integration.test_fixes_in_flows import answer
from tests.integration.test_sign_in import PHONE_UA, sign_in
from tests.integration.test_verified_recovery import decide, from_now, post, submitted_request
from tests.mailbox import link_in, outbox
from tests.support import csrf_from

NEW_PASSWORD = "quiet lantern orchard 71"


def checkup_of(app, account_id: int, session_id: int | None = None):
    with app.app_context():
        return run_checkup(account_id, session_id)


def states(checkup) -> dict[str, bool]:
    return {item.id: item.ok for item in checkup.items}


def session_id_of(client) -> int:
    """The server-side session of a signed-in test browser (its newest)."""
    with client.application.app_context():
        return db.session.scalar(
            select(SignInSession.id).where(SignInSession.ended_at.is_(None)).order_by(SignInSession.id.desc())
        )


def sign_in_with_code(client, secret: str, user_agent: str = LAPTOP_UA) -> None:
    asked = sign_in(client, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": user_agent})
    done = client.post(
        "/login",
        data={"csrf_token": csrf_from(asked.get_data(as_text=True)), "code": pyotp.TOTP(secret).now()},
        headers={"User-Agent": user_agent},
    )
    assert done.status_code == 303, done.get_data(as_text=True)


def submit(client, path: str, **fields):
    page = client.get("/account").get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_from(page), **fields})


# the domain function, without HTTP


def test_a_new_account_needs_two_step_verification_and_its_codes(app, account):
    checkup = checkup_of(app, account.id)
    assert states(checkup) == {
        "two-factor": False,
        "recovery-codes": False,
        "devices": True,
        "password": True,
        "failed-sign-ins": True,
    }
    assert not checkup.all_green and [i.id for i in checkup.open_items] == ["two-factor", "recovery-codes"]


def test_two_step_on_with_ten_fresh_codes_is_all_green(app, account, with_2fa):
    checkup = checkup_of(app, account.id)
    assert checkup.all_green and checkup.codes_left == 10


def test_three_recovery_codes_left_are_too_few(app, account, with_2fa):
    _, codes = with_2fa
    with app.test_request_context():
        for code in codes[:6]:
            assert directory().use_recovery_code(account.id, recovery_code_hash(code))
    assert checkup_of(app, account.id).item("recovery-codes").ok  # four left
    with app.test_request_context():
        directory().use_recovery_code(account.id, recovery_code_hash(codes[6]))
    item = checkup_of(app, account.id).item("recovery-codes")
    assert not item.ok and item.status == "Only 3 unused codes left: make a new set."


# devices and sessions


def test_a_session_elsewhere_on_an_unconfirmed_device_needs_attention_until_confirmed(app, account):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    here = session_id_of(laptop)
    assert checkup_of(app, account.id, here).item("devices").ok  # this device is the owner's own
    sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    checkup = checkup_of(app, account.id, here)
    assert not checkup.item("devices").ok
    [unknown] = checkup.unknown_devices
    assert unknown.summary == "Chrome on Android" and unknown.ip == "127.0.0.1"
    page = laptop.get("/account").get_data(as_text=True)
    assert "1 device you haven&#39;t confirmed is signed in" in page
    confirmed = submit(laptop, f"/account/devices/{unknown.device_id}/confirm", then="checkup")
    assert confirmed.status_code == 303 and confirmed.location == "/account#checkup"
    assert checkup_of(app, account.id, here).item("devices").ok
    assert phone.get("/account").status_code == 200  # confirming signs nobody out
    # seen from the phone, the laptop is not confirmed yet
    assert not checkup_of(app, account.id, session_id_of(phone)).item("devices").ok


def test_sign_out_everywhere_else_or_removing_the_device_turns_the_item_green(app, account):
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    sign_in(laptop, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    here = session_id_of(laptop)
    sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    [unknown] = checkup_of(app, account.id, here).unknown_devices
    submit(laptop, f"/account/devices/{unknown.device_id}/remove", then="checkup")
    assert checkup_of(app, account.id, here).item("devices").ok
    assert phone.get("/account").status_code == 302
    sign_in(tablet, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    assert not checkup_of(app, account.id, here).item("devices").ok
    ended = submit(laptop, "/account/sign-out-everywhere", then="checkup")
    assert ended.location == "/account#checkup"
    assert checkup_of(app, account.id, here).item("devices").ok
    assert tablet.get("/account").status_code == 302


def test_another_accounts_device_cannot_be_confirmed(app, account, client):
    with app.app_context():
        other = directory().create("sam@example.org", DEMO_PASSWORD)
    sign_in(app.test_client(), "sam@example.org", DEMO_PASSWORD)
    with app.app_context():
        [theirs] = directory().devices(other.id)
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    refused = submit(client, f"/account/devices/{theirs.id}/confirm")
    assert refused.status_code == 303
    assert "no longer on your list" in client.get("/account").get_data(as_text=True)
    with app.app_context():
        assert directory().devices(other.id)[0].confirmed_at is None


def test_a_reset_by_email_forgets_which_devices_were_confirmed(app, account):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    with app.app_context():
        phone_device = next(d for d in directory().devices(account.id) if d.summary == "Chrome on Android")
    submit(laptop, f"/account/devices/{phone_device.id}/confirm")
    with app.test_request_context():
        from helpdesk.accounts.recovery import change_password

        assert any(d.confirmed_at for d in directory().devices(account.id))
        change_password(directory().get(account.id), NEW_PASSWORD, by="reset-link")
        assert all(d.confirmed_at is None for d in directory().devices(account.id))


# the password


def test_a_weak_password_seen_at_sign_in_asks_for_a_change_which_keeps_this_browser_in(
    app, client, outbox_dir
):
    with app.app_context():
        weak = directory().create("pat@example.org", "password1234")  # from before today's rules
    other = app.test_client()
    sign_in(other, "pat@example.org", "password1234", **{"User-Agent": PHONE_UA})
    sign_in(client, "pat@example.org", "password1234")
    item = checkup_of(app, weak.id).item("password")
    assert not item.ok and "too short, too common or easy to guess" in item.status
    assert 'href="/account/password"' in client.get("/account").get_data(as_text=True)
    changed = post(client, "/account/password", password="password1234", new_password=NEW_PASSWORD)
    assert changed.status_code == 303 and changed.location == "/account#checkup"
    assert checkup_of(app, weak.id).item("password").ok
    assert client.get("/account").status_code == 200  # still signed in here
    assert other.get("/account").status_code == 302  # signed out everywhere else
    assert outbox(outbox_dir)[-1]["Subject"] == "Your password was changed"
    assert sign_in(app.test_client(), "pat@example.org", NEW_PASSWORD).location == "/account"


def test_a_strong_password_seen_at_sign_in_clears_the_flag(app, client, account):
    with app.app_context():
        directory().note_password(account.id, weak=True)
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    assert checkup_of(app, account.id).item("password").ok


def test_the_password_change_refuses_clearly_and_changes_nothing(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    for fields, words in (
        ({"password": "not my password", "new_password": NEW_PASSWORD}, "isn&#39;t your current password"),
        ({"password": DEMO_PASSWORD, "new_password": "short"}, "at least 12 characters"),
        ({"password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD}, "That is your current password"),
    ):
        refused = post(client, "/account/password", **fields)
        assert refused.status_code == 400 and words in refused.get_data(as_text=True)
    assert client.post("/account/password", data={"password": DEMO_PASSWORD}).status_code == 400  # no CSRF
    with app.app_context():
        assert directory().check_password(account.id, DEMO_PASSWORD)


def test_a_password_set_by_a_staff_approved_recovery_must_be_changed(
    app, client, account, helper, outbox_dir
):
    with from_now() as clock:
        decide(helper, submitted_request(app, client, outbox_dir), "approve")
        clock.shift(timedelta(hours=72, minutes=1))
        with app.test_request_context():
            from helpdesk.cases.verification import run_due

            run_due()
        person = app.test_client()
        person.get(link_in(outbox(outbox_dir)[-1], "/recovery/complete/"))
        post(person, "/recovery/complete", new_password="fresh canyon drift 55")
    item = checkup_of(app, account.id).item("password")
    assert not item.ok and "recovery link sent to another address" in item.status
    sign_in(person, "pat@example.org", "fresh canyon drift 55")
    changed = post(person, "/account/password", password="fresh canyon drift 55", new_password=NEW_PASSWORD)
    assert changed.status_code == 303
    assert checkup_of(app, account.id).item("password").ok


# failed sign-ins


def test_failed_sign_ins_are_listed_for_review_until_new_ones_arrive(app, client, account):
    sign_in(app.test_client(), "pat@example.org", "a wrong guess here", **{"User-Agent": PHONE_UA})
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    item = checkup_of(app, account.id).item("failed-sign-ins")
    assert not item.ok and item.status.startswith("1 failed sign-in in the last 14 days")
    page = client.get("/account/failed-sign-ins")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Chrome on Android" in text and "127.0.0.1" in text and "Wrong password" in text
    assert "a wrong guess" not in text  # what was typed is never kept
    reviewed = client.post(
        "/account/failed-sign-ins",
        data={
            "csrf_token": csrf_from(text),
            "through": text.split('name="through" value="')[1].split('"')[0],
        },
    )
    assert reviewed.status_code == 303 and reviewed.location == "/account#checkup"
    assert checkup_of(app, account.id).item("failed-sign-ins").ok
    assert "You have reviewed all of these" in client.get("/account/failed-sign-ins").get_data(as_text=True)
    sign_in(app.test_client(), "pat@example.org", "another wrong guess")
    assert not checkup_of(app, account.id).item("failed-sign-ins").ok


def test_failed_sign_ins_older_than_fourteen_days_are_history(app, account):
    with time_machine.travel(datetime.now(UTC) - timedelta(days=15)):
        sign_in(app.test_client(), "pat@example.org", "an old wrong guess")
    assert checkup_of(app, account.id).item("failed-sign-ins").ok


def test_a_made_up_review_time_is_refused_with_400(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    for through in ("", "yesterday", "2026-11-25T10:00:00", "0001-01-01T00:00:00+05:00", "9" * 80):
        refused = submit(client, "/account/failed-sign-ins", through=through)
        assert refused.status_code == 400, through
    far_future = submit(client, "/account/failed-sign-ins", through="9999-12-31T23:59:59+00:00")
    assert far_future.status_code == 303
    with app.app_context():
        reviewed = directory().get(account.id).failures_reviewed_at
    assert reviewed <= datetime.now(UTC)  # never later than now: future failures still count


# the account page


def test_the_account_page_shows_each_item_with_its_fix(app, client, account):
    sign_in(client, "pat@example.org", "a wrong guess here")
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    assert "Security checkup" in page and "2 of 5 items are green" in page
    assert 'href="/account/two-factor">Turn on two-step verification' in page
    assert 'href="/account/failed-sign-ins">Review failed sign-ins' in page
    assert page.count("Needs attention") == 3


def test_the_checkup_page_needs_a_sign_in_and_brings_the_person_back(app, client, account):
    first = client.get("/account?back=/diagnose/after-recovery")
    assert first.status_code == 302 and first.location.startswith("/login")
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/diagnose/after-recovery">go back to your diagnosis' in page


def test_only_a_diagnosis_on_this_site_is_offered_as_the_way_back(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    for target in ("https://evil.test/diagnose/", "//evil.test", "/account/password", "/\t/evil.test"):
        page = client.get("/account", query_string={"back": target}).get_data(as_text=True)
        assert "go back to your diagnosis" not in page, target


# the after-recovery flow ends at the checkup


def test_the_after_recovery_flow_checks_every_item_is_green(app, client, account, with_2fa):
    secret, _ = with_2fa
    begin(client, "after-recovery")
    page = client.get("/diagnose/after-recovery/open-checkup").get_data(as_text=True)
    assert 'href="/account?back=/diagnose/after-recovery#checkup"' in page
    assert answer(client, "after-recovery", "open-checkup").location.endswith("/check-account")
    # not signed in yet: the check fails and says so
    failed = answer(client, "after-recovery", "check-account")
    assert failed.location.endswith("/checkup-not-done")
    assert "aren&#39;t signed in" in client.get(failed.location).get_data(as_text=True)
    answer(client, "after-recovery", "checkup-not-done", answer="back-to-checkup")
    sign_in_with_code(client, secret)
    sign_in(app.test_client(), "pat@example.org", "a wrong guess here")
    answer(client, "after-recovery", "open-checkup")
    failed = answer(client, "after-recovery", "check-account")
    assert failed.location.endswith("/checkup-not-done")
    assert "Still to do: failed sign-ins." in client.get(failed.location).get_data(as_text=True)
    # the fix: review the failure, then the check passes
    answer(client, "after-recovery", "checkup-not-done", answer="back-to-checkup")
    review = client.get("/account/failed-sign-ins").get_data(as_text=True)
    through = review.split('name="through" value="')[1].split('"')[0]
    client.post("/account/failed-sign-ins", data={"csrf_token": csrf_from(review), "through": through})
    answer(client, "after-recovery", "open-checkup")
    done = answer(client, "after-recovery", "check-account")
    assert done.location.endswith("/all-done")
    assert "You're all set" in client.get(done.location).get_data(as_text=True)
    with app.app_context():
        checks = [
            e.detail
            for e in db.session.scalars(select(DiagnosisEvent).where(DiagnosisEvent.kind == "checked"))
        ]
    assert [(c["checkup"], c.get("open")) for c in checks] == [
        ("not-signed-in", None),
        ("open", ["failed-sign-ins"]),
        ("green", None),
    ]


def test_the_sandbox_simulates_the_checkup(app, account):
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    assert editor.get("/editor/sandbox/after-recovery").location.endswith("/open-checkup")
    page = editor.get("/editor/sandbox/after-recovery/open-checkup").get_data(as_text=True)
    editor.post("/editor/sandbox/after-recovery/open-checkup", data={"csrf_token": csrf_from(page)})
    page = editor.get("/editor/sandbox/after-recovery/check-account").get_data(as_text=True)
    assert "Simulate success (to all-done)" in page and "Simulate failure (to checkup-not-done)" in page
    moved = editor.post(
        "/editor/sandbox/after-recovery/check-account",
        data={"csrf_token": csrf_from(page), "simulate": "failure"},
    )
    assert moved.location == "/editor/sandbox/after-recovery/checkup-not-done"
