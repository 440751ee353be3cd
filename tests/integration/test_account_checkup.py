"""The security checkup on /account: each item, its one-click fix, and the after-recovery check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from helpdesk.accounts.checkup import FAILURES_SHOWN, run_checkup
from helpdesk.accounts.directory import directory
from helpdesk.accounts.two_factor import use_recovery_code
from helpdesk.extensions import db
from helpdesk.models import DiagnosisEvent, SignInEvent, SignInSession, utcnow
from tests.conftest import DEMO_PASSWORD, make_staff, staff_client
from tests.integration.test_diagnosis_journey import begin
from tests.integration.test_fixes_in_flows import answer
from tests.integration.test_password_reset import ask_for_link, choose, open_link
from tests.integration.test_sign_in import PHONE_UA, sign_in, without_tokens
from tests.integration.test_verified_recovery import decide, from_now, post, submitted_request
from tests.mailbox import link_in, outbox
from tests.support import LAPTOP_UA, csrf_from

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
            assert use_recovery_code(account.id, code)
    assert checkup_of(app, account.id).item("recovery-codes").ok  # four left
    with app.test_request_context():
        use_recovery_code(account.id, codes[6])
    item = checkup_of(app, account.id).item("recovery-codes")
    assert not item.ok and item.status == "Only 3 unused codes left: make a new set."


def test_no_recovery_codes_left_says_none_left_and_offers_a_new_set(app, client, account, with_2fa):
    secret, codes = with_2fa
    with app.test_request_context():
        for code in codes:
            assert use_recovery_code(account.id, code)
    item = checkup_of(app, account.id).item("recovery-codes")
    assert not item.ok and item.status == "None left: make a new set."
    sign_in_with_code(client, secret)
    page = client.get("/account").get_data(as_text=True)
    assert "None left: make a new set." in page
    assert 'href="/account/two-factor#recovery-codes">Make new recovery codes' in page


CODE = re.compile(r"<li>([2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})</li>")


def test_making_new_codes_on_the_page_turns_the_item_green_and_leads_back_to_the_checkup(
    app, client, account, with_2fa
):
    secret, codes = with_2fa
    with app.test_request_context():
        for code in codes[:8]:
            use_recovery_code(account.id, code)
    sign_in_with_code(client, secret)
    assert not checkup_of(app, account.id).item("recovery-codes").ok
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'action="/account/recovery-codes"' in page
    made = client.post(
        "/account/recovery-codes", data={"csrf_token": csrf_from(page), "password": DEMO_PASSWORD}
    )
    shown = made.get_data(as_text=True)
    assert made.status_code == 200 and len(CODE.findall(shown)) == 10
    assert 'href="/account#checkup">I\'ve saved them' in shown
    item = checkup_of(app, account.id).item("recovery-codes")
    assert item.ok and item.status == "10 unused codes left."


def test_turning_on_two_step_on_the_page_turns_two_items_green_and_leads_back_to_the_checkup(
    app, client, account
):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/two-factor">Turn on two-step verification' in page
    enrol = client.get("/account/two-factor").get_data(as_text=True)
    key = re.search(r'class="code key">([A-Z2-7 ]+)<', enrol).group(1).replace(" ", "")
    done = client.post(
        "/account/two-factor", data={"csrf_token": csrf_from(enrol), "code": pyotp.TOTP(key).now()}
    )
    shown = done.get_data(as_text=True)
    assert done.status_code == 200 and len(CODE.findall(shown)) == 10
    assert 'href="/account#checkup">I\'ve saved them' in shown
    checkup = checkup_of(app, account.id)
    assert checkup.item("two-factor").ok and checkup.item("recovery-codes").ok
    page = client.get("/account").get_data(as_text=True)
    assert "All 5 items are green" in page


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
        person = recovered_by_staff(app, client, helper, outbox_dir, clock, "fresh canyon drift 55")
    item = checkup_of(app, account.id).item("password")
    assert not item.ok and "recovery link sent to another address" in item.status
    sign_in(person, "pat@example.org", "fresh canyon drift 55")
    changed = post(person, "/account/password", password="fresh canyon drift 55", new_password=NEW_PASSWORD)
    assert changed.status_code == 303
    assert checkup_of(app, account.id).item("password").ok


def recovered_by_staff(app, client, helper, outbox_dir, clock, password: str):
    """A staff-approved recovery, held and then completed: *password* is set by the recovery.
    Returns the browser that completed it."""
    decide(helper, submitted_request(app, client, outbox_dir), "approve")
    clock.shift(timedelta(hours=72, minutes=1))
    with app.test_request_context():
        from helpdesk.cases.verification.hold import run_due

        run_due()
    person = app.test_client()
    person.get(link_in(outbox(outbox_dir)[-1], "/recovery/complete/"))
    post(person, "/recovery/complete", new_password=password)
    return person


def test_a_reset_to_the_same_password_is_done_like_any_other_but_keeps_the_recovery_flag(
    app, client, account, helper, outbox_dir
):
    recovered = "fresh canyon drift 55"
    with from_now() as clock:
        recovered_by_staff(app, client, helper, outbox_dir, clock, recovered)
        assert not checkup_of(app, account.id).item("password").ok
        person = app.test_client()
        ask_for_link(person, "pat@example.org")
        page = open_link(person, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
        # the same answer as for a new password: a link must not tell whether a guess is the password
        assert choose(person, page, recovered).location == "/login"
        item = checkup_of(app, account.id).item("password")
        assert not item.ok and "recovery link sent to another address" in item.status
        ask_for_link(person, "pat@example.org")
        page = open_link(person, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
        assert choose(person, page, NEW_PASSWORD).location == "/login"  # really new: the flag clears
    assert checkup_of(app, account.id).item("password").ok
    with app.app_context():
        assert directory().check_password(account.id, NEW_PASSWORD)


def test_with_two_step_on_a_reset_says_nothing_about_the_password_before_the_code(
    app, client, account, with_2fa, outbox_dir
):
    _, codes = with_2fa
    ask_for_link(client, "pat@example.org")
    page = open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/"))
    token = csrf_from(page.get_data(as_text=True))
    same, new = choose(client, page, DEMO_PASSWORD), choose(client, page, NEW_PASSWORD)
    assert same.status_code == new.status_code == 400
    assert without_tokens(same.get_data(as_text=True)) == without_tokens(new.get_data(as_text=True))
    done = client.post(
        "/password/reset", data={"csrf_token": token, "new_password": DEMO_PASSWORD, "code": codes[0]}
    )
    assert done.location == "/login"


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


def test_wrong_codes_and_refusals_while_locked_count_as_failed_sign_ins(app, client, account, with_2fa):
    asked = sign_in(client, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    token = csrf_from(asked.get_data(as_text=True))
    wrong = client.post("/login", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 400
    with app.app_context():
        directory().lock(account.id, utcnow() + timedelta(hours=1), directory().get(account.id).failed_count)
    assert sign_in(app.test_client(), "pat@example.org", DEMO_PASSWORD).status_code == 400  # locked
    checkup = checkup_of(app, account.id)
    assert [f.result for f in checkup.failures] == ["locked", "wrong-code"]
    item = checkup.item("failed-sign-ins")
    assert not item.ok and item.status.startswith("2 failed sign-ins in the last 14 days")
    with app.app_context():
        directory().clear_failures(account.id)
    secret, _ = with_2fa
    sign_in_with_code(client, secret)
    page = client.get("/account/failed-sign-ins").get_data(as_text=True)
    assert "Wrong code" in page and "Refused: locked" in page


def test_more_failed_sign_ins_than_are_shown_are_counted_as_more(app, client, account):
    with app.app_context():
        db.session.add_all(
            SignInEvent(account_id=account.id, result="wrong-password", ip="198.51.100.7", device="Bot")
            for _ in range(FAILURES_SHOWN + 1)
        )
        db.session.commit()
    checkup = checkup_of(app, account.id)
    item = checkup.item("failed-sign-ins")
    assert item.status.startswith(f"More than {FAILURES_SHOWN} failed sign-ins in the last 14 days")
    assert len(checkup.failures) == FAILURES_SHOWN and checkup.more_failures
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account/failed-sign-ins").get_data(as_text=True)
    assert f"<strong>More than {FAILURES_SHOWN}</strong> are new" in page
    assert f"(the newest {FAILURES_SHOWN} only)" in page


def test_exactly_as_many_failed_sign_ins_as_are_shown_are_counted_exactly(app, client, account):
    with app.app_context():
        db.session.add_all(
            SignInEvent(account_id=account.id, result="wrong-password", ip="198.51.100.7", device="Bot")
            for _ in range(FAILURES_SHOWN)
        )
        db.session.commit()
    item = checkup_of(app, account.id).item("failed-sign-ins")
    assert item.status.startswith(f"{FAILURES_SHOWN} failed sign-ins in the last 14 days")
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account/failed-sign-ins").get_data(as_text=True)
    assert f"<strong>{FAILURES_SHOWN}</strong> are new" in page and "only)" not in page


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


# every checkup form needs its CSRF token


def test_every_checkup_form_refuses_a_post_without_its_token_and_changes_nothing(
    app, client, account, with_2fa
):
    secret, codes = with_2fa
    sign_in(app.test_client(), "pat@example.org", "a wrong guess here", **{"User-Agent": PHONE_UA})
    phone = app.test_client()
    asked = sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    phone.post(
        "/login",
        data={"csrf_token": csrf_from(asked.get_data(as_text=True)), "code": codes[0]},
        headers={"User-Agent": PHONE_UA},
    )
    sign_in_with_code(client, secret)
    with app.app_context():
        [phone_device] = [d for d in directory().devices(account.id) if d.summary == "Chrome on Android"]
    before = checkup_of(app, account.id)
    for path, fields in (
        (f"/account/devices/{phone_device.id}/remove", {"then": "checkup"}),
        (f"/account/devices/{phone_device.id}/confirm", {"then": "checkup"}),
        ("/account/sign-out-everywhere", {"then": "checkup"}),
        ("/account/failed-sign-ins", {"through": datetime.now(UTC).isoformat()}),
        ("/account/recovery-codes", {"password": DEMO_PASSWORD}),
    ):
        refused = client.post(path, data=fields)
        assert refused.status_code == 400, path
        bad_token = client.post(path, data={"csrf_token": "not-the-token", **fields})
        assert bad_token.status_code == 400, path
    with app.app_context():
        [still] = [d for d in directory().devices(account.id) if d.summary == "Chrome on Android"]
    assert still.confirmed_at is None  # neither removed nor confirmed
    assert phone.get("/account").status_code == 200  # still signed in
    after = checkup_of(app, account.id)
    assert after.failures == before.failures and after.codes_left == before.codes_left == 9


# the account page


def test_the_account_page_shows_each_item_with_its_fix(app, client, account):
    sign_in(client, "pat@example.org", "a wrong guess here")
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    assert "Security checkup" in page and "2 of 5 items are green" in page
    assert 'href="/account/two-factor">Turn on two-step verification' in page
    assert 'href="/account/failed-sign-ins">Review failed sign-ins' in page
    assert page.count("Needs attention") == 3


def test_each_item_says_done_or_needs_attention_before_its_title(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    page = client.get("/account").get_data(as_text=True)
    headings = {
        item_id: " ".join(re.sub(r"<[^>]+>", " ", heading).split())
        for item_id, heading in re.findall(r'id="checkup-([a-z-]+)">\s*<h3>(.*?)</h3>', page, re.S)
    }
    assert headings == {
        "two-factor": "! Needs attention: Two-step verification",
        "recovery-codes": "! Needs attention: Recovery codes",
        "devices": "✓ Done: Signed-in devices",
        "password": "✓ Done: Password",
        "failed-sign-ins": "✓ Done: Failed sign-ins",
    }
    assert page.count('<span aria-hidden="true">✓</span>') == 3  # the mark is not read out


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
    assert "You&#39;re all set" in client.get(done.location).get_data(as_text=True)
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


def test_a_check_failed_for_want_of_a_sign_in_does_not_claim_items_need_attention(app, client, account):
    begin(client, "after-recovery")
    answer(client, "after-recovery", "open-checkup")
    failed = answer(client, "after-recovery", "check-account")
    page = client.get(failed.location).get_data(as_text=True)
    assert "aren&#39;t signed in" in page and "The check didn't pass yet" in page
    assert "Some items still need attention" not in page


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
