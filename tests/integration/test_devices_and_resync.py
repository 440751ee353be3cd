"""Devices, signing out everywhere, the clock-drift resync and the lost-phone way back in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from helpdesk.models import DiagnosisEvent
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_diagnosis_journey import begin
from tests.integration.test_fixes_in_flows import answer
from tests.integration.test_sign_in import PHONE_UA, sign_in
from tests.integration.test_two_factor import T0
from tests.mailbox import outbox, text_of
from tests.support import LAPTOP_UA, csrf_from


def events(app, kind: str) -> list[dict]:
    with app.app_context():
        return [
            e.detail for e in db.session.scalars(select(DiagnosisEvent).where(DiagnosisEvent.kind == kind))
        ]


def test_a_device_not_seen_before_gets_a_notice(app, account, outbox_dir):
    first = app.test_client()
    sign_in(first, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    assert outbox(outbox_dir) == []  # the very first device of an account is no news
    first.post("/logout", data={"csrf_token": csrf_from(first.get("/account").get_data(as_text=True))})
    sign_in(first, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    assert outbox(outbox_dir) == []  # the same browser again: remembered by its cookie
    sign_in(app.test_client(), "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    [notice] = outbox(outbox_dir)
    assert notice["Subject"] == "New sign-in to your account"
    assert "Chrome on Android" in text_of(notice) and "/diagnose/someone-else-signed-in" in text_of(notice)


def test_one_browser_signs_in_to_two_accounts(app, account):
    with app.app_context():
        other = directory().create("sam@example.org", DEMO_PASSWORD)
    browser = app.test_client()
    assert sign_in(browser, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA}).status_code == 303
    browser.post("/logout", data={"csrf_token": csrf_from(browser.get("/account").get_data(as_text=True))})
    second = sign_in(browser, "sam@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    assert second.status_code == 303 and second.location == "/account"
    with app.app_context():
        assert [d.summary for d in directory().devices(account.id)] == ["Firefox on Linux"]
        assert [d.summary for d in directory().devices(other.id)] == ["Firefox on Linux"]


def test_a_device_remembered_under_the_old_shared_key_is_still_known(app, account, outbox_dir):
    import hashlib

    from helpdesk.models import Device

    browser = app.test_client()
    sign_in(browser, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    cookie = browser.get_cookie("helpdesk_device").value
    with app.app_context():  # as the row was stored before keys were per account
        [device] = db.session.scalars(select(Device)).all()
        device.token_hash = hashlib.sha256(cookie.encode()).hexdigest()
        db.session.commit()
    browser.post("/logout", data={"csrf_token": csrf_from(browser.get("/account").get_data(as_text=True))})
    sign_in(app.test_client(), "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    assert len(outbox(outbox_dir)) == 1  # the phone is new
    sign_in(browser, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    assert len(outbox(outbox_dir)) == 1  # the laptop is not
    with app.app_context():
        assert sorted(d.summary for d in directory().devices(account.id)) == [
            "Chrome on Android",
            "Firefox on Linux",
        ]


def test_removing_a_device_signs_it_out_at_once(app, account):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": LAPTOP_UA})
    sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox on Linux" in page and "Chrome on Android" in page
    with app.app_context():
        phone_device = next(d for d in directory().devices(account.id) if d.summary == "Chrome on Android")
    removed = laptop.post(f"/account/devices/{phone_device.id}/remove", data={"csrf_token": csrf_from(page)})
    assert removed.status_code == 303
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 200
    devices_section = laptop.get("/account").get_data(as_text=True).split('id="history"')[0]
    assert "Chrome on Android" not in devices_section and "Firefox on Linux" in devices_section


def test_sign_out_everywhere_keeps_only_this_browser(app, account):
    browsers = [app.test_client() for _ in range(3)]
    for browser in browsers:
        sign_in(browser, "pat@example.org", DEMO_PASSWORD)
    page = browsers[0].get("/account").get_data(as_text=True)
    browsers[0].post("/account/sign-out-everywhere", data={"csrf_token": csrf_from(page)})
    assert "2 other sessions ended" in browsers[0].get("/account").get_data(as_text=True)
    assert [b.get("/account").status_code for b in browsers] == [200, 302, 302]


def through_to_resync(client) -> None:
    begin(client, "two-factor-rejected")
    answer(client, "two-factor-rejected", "which-entry", answer="right-entry")
    answer(client, "two-factor-rejected", "timing", answer="right-away")
    assert answer(client, "two-factor-rejected", "clock", answer="already-on").location.endswith(
        "/resync-authenticator"
    )


def test_resync_measures_the_drift_then_a_fresh_code_signs_in(app, client, with_2fa):
    secret, _ = with_2fa
    phone = pyotp.TOTP(secret)
    with time_machine.travel(T0, tick=False) as clock:
        through_to_resync(client)
        fast = T0 + timedelta(seconds=150)  # the phone's clock is 2½ minutes fast
        measured = answer(
            client,
            "two-factor-rejected",
            "resync-authenticator",
            email="pat@example.org",
            password=DEMO_PASSWORD,
            code=phone.at(fast - timedelta(seconds=30)),
            code2=phone.at(fast),
        )
        assert measured.location.endswith("/fresh-code")
        page = client.get(measured.location).get_data(as_text=True)
        assert "your phone is about 2 minutes 30 seconds fast" in page and "automatic date and time" in page
        [resync] = events(app, "action")
        assert (
            resync["answer"] == "success" and resync["drift_seconds"] == 150 and resync["offset_steps"] == 5
        )
        clock.shift(timedelta(seconds=60))
        fresh = phone.at(fast + timedelta(seconds=60))  # what the phone shows a minute later
        done = answer(
            client,
            "two-factor-rejected",
            "fresh-code",
            email="pat@example.org",
            password=DEMO_PASSWORD,
            code=fresh,
        )
        assert done.location.endswith("/signed-in")
        assert events(app, "checked")[0]["signed_in"] is True


def test_codes_from_another_entry_lead_to_the_wrong_entry_branch(app, client, with_2fa):
    other = pyotp.TOTP(pyotp.random_base32())
    through_to_resync(client)
    wrong = answer(
        client,
        "two-factor-rejected",
        "resync-authenticator",
        email="pat@example.org",
        password=DEMO_PASSWORD,
        code=other.at(datetime.now(UTC) - timedelta(seconds=30)),
        code2=other.now(),
    )
    assert wrong.location.endswith("/wrong-entry")
    assert events(app, "action")[0]["drift"] == "no-match"


def test_an_expired_code_is_told_apart(app, client, with_2fa):
    secret, _ = with_2fa
    with time_machine.travel(T0, tick=False):
        through_to_resync(client)
        stale = pyotp.TOTP(secret).at(T0 - timedelta(minutes=5))
        refused = answer(
            client,
            "two-factor-rejected",
            "resync-authenticator",
            email="pat@example.org",
            password=DEMO_PASSWORD,
            code=stale,
            code2="000000",
        )
    assert refused.status_code == 400 and "That code had expired" in refused.get_data(as_text=True)


def test_five_failed_resyncs_lock_the_account_like_five_wrong_codes(app, with_2fa):
    statuses = []
    for _ in range(6):
        client = app.test_client()
        through_to_resync(client)
        statuses.append(
            answer(
                client,
                "two-factor-rejected",
                "resync-authenticator",
                email="pat@example.org",
                password=DEMO_PASSWORD,
                code="111111",
                code2="222222",
            ).status_code
        )
    assert statuses[:5] == [303] * 5 and statuses[5] == 400  # refused like any sign-in: locked
    with app.app_context():
        locked = directory().find("pat@example.org")
    assert locked.failed_count == 5 and locked.locked_until is not None


def test_lost_phone_recovery_code_then_a_new_authenticator(app, client, with_2fa, outbox_dir):
    _, codes = with_2fa
    path, _ = begin(client, "lost-phone")
    while not path.endswith("/sign-in-with-recovery-code"):
        step = path.rsplit("/", 1)[1]
        choice = _choice(client, "lost-phone", step, "sign-in-with-recovery-code")
        path = answer(client, "lost-phone", step, answer=choice).location
    signed = answer(
        client,
        "lost-phone",
        "sign-in-with-recovery-code",
        email="pat@example.org",
        password=DEMO_PASSWORD,
        code=codes[3],
    )
    assert signed.location.endswith("/enrol-new-phone")
    assert "/account/two-factor?new=1" in client.get(signed.location).get_data(as_text=True)
    # the person sets up a new phone in this browser, then comes back
    page = client.get("/account/two-factor?new=1").get_data(as_text=True)
    key = re.search(r'class="code key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    client.post("/account/two-factor", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(key).now()})
    answer(client, "lost-phone", "enrol-new-phone")
    done = answer(client, "lost-phone", "check-new-phone")
    assert done.location.endswith("/moved-after-recovery")
    assert events(app, "checked")[-1]["two_factor"] is True
    assert any(m["Subject"] == "A recovery code was used to sign in" for m in outbox(outbox_dir))


def _choice(client, flow: str, step: str, leading_to: str) -> str:
    """The answer on this page from which the sample flow can reach the step *leading_to*."""
    compiled = client.application.extensions["helpdesk.catalog"].flows[flow]
    for choice in compiled.step(step).choices:
        if _reaches(compiled, choice.next, leading_to, set()):
            return choice.id
    raise AssertionError(f"no way from {step} to {leading_to}")


def _reaches(compiled, start: str, target: str, seen: set[str]) -> bool:
    if start == target:
        return True
    seen.add(start)
    return any(
        _reaches(compiled, nxt, target, seen)
        for _, nxt in compiled.step(start).transitions()
        if nxt not in seen
    )


def test_someone_else_signed_in_walks_every_real_fix(app, account, outbox_dir):
    """Review sign-ins, sign out everywhere, reset the password, turn on two-step: each recorded."""
    from tests.integration.test_password_reset import NEW_PASSWORD, choose, open_link
    from tests.mailbox import link_in

    intruder = app.test_client()
    sign_in(intruder, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA})
    client = app.test_client()
    flow = "someone-else-signed-in"
    begin(client, flow)
    answer(client, flow, "what-happened", answer="not-sure")
    answer(client, flow, "can-you-sign-in", answer="yes")
    assert answer(
        client, flow, "prove-it-is-you", email="pat@example.org", password=DEMO_PASSWORD
    ).location.endswith("/review-sign-ins")
    assert "/account#history" in client.get(f"/diagnose/{flow}/review-sign-ins").get_data(as_text=True)
    answer(client, flow, "review-sign-ins")
    answer(client, flow, "check-devices", answer="unknown")
    assert answer(client, flow, "sign-out-everywhere").location.endswith("/reset-password")
    assert intruder.get("/account").status_code == 302  # thrown out at once
    answer(client, flow, "reset-password", email="pat@example.org")
    choose(client, open_link(client, link_in(outbox(outbox_dir)[-1], "/password/reset/")), NEW_PASSWORD)
    answer(client, flow, "check-reset-email")
    answer(client, flow, "confirm-new-password", email="pat@example.org", password=NEW_PASSWORD)
    answer(client, flow, "two-step-on", answer="no")
    answer(client, flow, "enable-two-step")
    assert answer(client, flow, "check-two-step").location.endswith("/two-step-not-on")
    page = client.get("/account/two-factor").get_data(as_text=True)
    key = re.search(r'class="code key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    client.post("/account/two-factor", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(key).now()})
    answer(client, flow, "two-step-not-on", answer="set-up")
    answer(client, flow, "enable-two-step")
    assert answer(client, flow, "check-two-step").location.endswith("/secured")
    actions = [(e["action"], e["answer"]) for e in events(app, "action")]
    assert actions == [("sign-out-everywhere", "success"), ("send-reset-link", "pending")]
    assert events(app, "action")[0]["ended"] == 1
    checks = [(e["action"], e["answer"]) for e in events(app, "checked")]
    assert checks == [
        ("verify-sign-in", "success"),
        ("verify-sign-in", "success"),
        ("two-factor-enrolled", "failure"),
        ("two-factor-enrolled", "success"),
    ]
