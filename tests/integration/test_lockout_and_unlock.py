"""Locks that grow, notices to the owner, and unlocking by emailed link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine

from helpdesk.accounts.devices import describe_device
from helpdesk.accounts.directory import directory
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_sign_in import PHONE_UA, sign_in
from tests.mailbox import link_in, outbox, text_of
from tests.support import LAPTOP_UA, csrf_from

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


_FORM = re.compile(r'<form method="post" action="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def press_unlock(client, page: str):
    """Press "Unlock my account" on the page the mailed link opened: post its form as it is."""
    return client.post(_FORM.search(page).group(1), data=dict(_HIDDEN.findall(page)))


def fail(client, times: int) -> None:
    for _ in range(times):
        assert sign_in(client, "pat@example.org", "not-the-password-at-all").status_code == 400


def test_five_failures_lock_for_a_minute_then_two(app, client, account):
    elsewhere = from_address(app, "198.51.100.7")
    with time_machine.travel(START, tick=False) as clock:
        fail(client, 5)
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 400  # locked
        clock.shift(timedelta(seconds=61))
        fail(elsewhere, 5)  # the lock ended; five more failures lock it again, for longer
        clock.shift(timedelta(seconds=61))
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 400
        clock.shift(timedelta(seconds=60))
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303


def test_an_unlock_does_not_restart_the_doubling(app, client, account, outbox_dir):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, 5)  # a one-minute lock
        unlock_by_mail(client, outbox_dir)
        fail(client, 5)  # the second lock in a row: two minutes, not one again
        clock.shift(timedelta(seconds=61))
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 400
        unlock_by_mail(client, outbox_dir)
        fail(client, 5)  # the third: four minutes
        clock.shift(timedelta(seconds=181))
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 400
        clock.shift(timedelta(seconds=60))
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303


def test_a_quiet_day_forgives_one_doubling(app, client, account, outbox_dir):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, 5)
        unlock_by_mail(client, outbox_dir)
        fail(client, 5)  # the second lock: two minutes
        clock.shift(timedelta(days=1, minutes=3))
        fail(client, 5)  # a day later the level is down by one: two minutes again, not four
        clock.shift(timedelta(seconds=121))
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303


def test_one_address_cannot_lock_sixty_accounts(app):
    with app.app_context():
        for n in range(60):
            directory().create(f"person{n}@example.org", DEMO_PASSWORD)
    attacker = from_address(app, "203.0.113.66")
    with time_machine.travel(START, tick=False) as clock:
        for n in range(60):
            clock.shift(timedelta(seconds=30))  # within the page's own rate limit: only ours acts
            for _ in range(5):
                refused = sign_in(attacker, f"person{n}@example.org", "not-the-password-at-all")
                assert refused.status_code == 400
    with app.app_context():
        counts = [directory().find(f"person{n}@example.org").failed_count for n in range(60)]
    # five accounts pressed (three failures each) and the address is refused everywhere, without
    # a check and without counting: four accounts locked (for a minute), none of the other 56
    assert counts[:5] == [5, 5, 5, 5, 3] and set(counts[5:]) == {0}
    owner = from_address(app, "198.51.100.20")
    assert sign_in(owner, "person59@example.org", DEMO_PASSWORD).status_code == 303


def from_address(app, ip: str):
    """A browser at another address (the test client's own is 127.0.0.1)."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    return browser


def unlock_by_mail(client, outbox_dir) -> None:
    url = link_in(outbox(outbox_dir)[-1], "/unlock/")
    assert press_unlock(client, client.get(url).get_data(as_text=True)).status_code == 200


def test_a_success_resets_the_count(app, client, account):
    fail(client, 4)
    assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").get_data(as_text=True))})
    fail(client, 4)
    assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303


def test_attempts_during_a_lock_are_not_counted(app, client, account):
    fail(client, 5)
    fail(client, 3)
    with app.app_context():
        assert directory().get(account.id).failed_count == 5


def test_a_lock_mails_the_owner_a_was_this_you_notice(app, client, account, outbox_dir):
    fail(client, 5)
    [notice] = outbox(outbox_dir)
    assert notice["To"] == "pat@example.org"
    assert notice["Subject"] == "Was this you? Your account was locked"
    assert link_in(notice, "/unlock/")
    assert "/diagnose/someone-else-signed-in" in text_of(notice)
    assert notice.get_body(preferencelist=("html",)) is not None


def test_the_unlock_link_unlocks_and_says_how_long_the_lock_had_left(app, client, account, outbox_dir):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, 5)
        url = link_in(outbox(outbox_dir)[0], "/unlock/")
        clock.shift(timedelta(seconds=20))
        page = client.get(url).get_data(as_text=True)
        assert "Unlock my account" in page  # opening the link alone changes nothing
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 400
        done = press_unlock(client, page)
        assert done.status_code == 200
        text = done.get_data(as_text=True)
        assert "Your account is unlocked" in text and "another 40 seconds" in text
        assert done.headers["Referrer-Policy"] == "no-referrer"
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303


def test_an_unlock_link_works_once(app, client, account, outbox_dir):
    fail(client, 5)
    url = link_in(outbox(outbox_dir)[0], "/unlock/")
    page = client.get(url).get_data(as_text=True)
    assert press_unlock(client, page).status_code == 200
    again = press_unlock(client, page)
    assert again.status_code == 410
    assert "This link was already used" in again.get_data(as_text=True)


def test_an_unlock_link_expires_after_30_minutes(app, client, account, outbox_dir):
    with time_machine.travel(START, tick=False) as clock:
        fail(client, 5)
        url = link_in(outbox(outbox_dir)[0], "/unlock/")
        clock.shift(timedelta(minutes=31))
        expired = client.get(url)
        assert expired.status_code == 410
        assert "This link has expired" in expired.get_data(as_text=True)


def test_the_hard_stop_waits_for_the_owner(tmp_path):
    from tests.conftest import build_app

    app = build_app(tmp_path, lock_threshold=1000, lock_hard_stop=12, rate_limits=False)
    with app.app_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        fail(client, 12)
        clock.shift(timedelta(days=30))
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 400
        request_unlock(client, "pat@example.org")  # the owner asks for a fresh link
        url = link_in(outbox(app.extensions["helpdesk.settings"].outbox_dir)[-1], "/unlock/")
        page = client.get(url).get_data(as_text=True)
        done = press_unlock(client, page).get_data(as_text=True)
        assert "locked until you unlocked it yourself" in done
        assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303


def request_unlock(client, email: str):
    page = client.get("/unlock").get_data(as_text=True)
    return client.post("/unlock", data={"csrf_token": csrf_from(page), "email": email})


def test_asking_for_an_unlock_link_answers_the_same_for_any_address(app, client, account, outbox_dir):
    known = request_unlock(client, "pat@example.org")
    unknown = request_unlock(app.test_client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 303
    assert known.location == unknown.location
    to = sorted(m["To"] for m in outbox(outbox_dir))
    assert to == ["nobody@example.org", "pat@example.org"]
    note = next(m for m in outbox(outbox_dir) if m["To"] == "nobody@example.org")
    assert "no Example Help account uses it" in text_of(note)


def test_a_newer_unlock_link_supersedes_the_older(app, client, account, outbox_dir):
    request_unlock(client, "pat@example.org")
    request_unlock(client, "pat@example.org")
    first, second = outbox(outbox_dir)
    old = client.get(link_in(first, "/unlock/"))
    assert old.status_code == 410 and "A newer link was sent" in old.get_data(as_text=True)
    assert client.get(link_in(second, "/unlock/")).status_code == 200


def test_the_sign_in_page_and_the_lock_say_nothing_more_to_others(app, account):
    fail(app.test_client(), 5)
    answer = sign_in(app.test_client(), "pat@example.org", DEMO_PASSWORD).get_data(as_text=True)
    assert "locked" not in answer.split("There is a problem")[1].split("</div>")[0].replace(
        "an account is locked for a while", ""
    )


def test_the_unlocked_page_leads_back_to_the_diagnosis_only_when_there_is_one(app, account, outbox_dir):
    def unlock(client) -> str:
        fail(client, 5)
        url = link_in(outbox(outbox_dir)[-1], "/unlock/")
        page = client.get(url).get_data(as_text=True)
        return press_unlock(client, page).get_data(as_text=True)

    without = app.test_client()
    assert "Back to your diagnosis" not in unlock(without)
    diagnosing = app.test_client()
    assert diagnosing.get("/diagnose/locked-out").status_code == 303  # this browser now holds one
    with app.app_context():
        directory().clear_failures(account.id)
    page = unlock(diagnosing)
    assert '<a class="button" href="/diagnose/locked-out" rel="nofollow">Back to your diagnosis</a>' in page


def test_the_owners_confirmed_browser_signs_in_through_a_lock_others_caused(app, account):
    laptop, phone = from_address(app, "192.0.2.10"), from_address(app, "192.0.2.10")
    for browser, agent in ((laptop, LAPTOP_UA), (phone, PHONE_UA)):
        assert sign_in(browser, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": agent}).status_code == 303
        page = browser.get("/account").get_data(as_text=True)
        browser.post("/logout", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        [mine] = [d for d in directory().devices(account.id) if d.summary == describe_device(LAPTOP_UA)]
        directory().confirm_device(account.id, mine.id)
    fail(from_address(app, "203.0.113.66"), 5)
    assert sign_in(phone, "pat@example.org", DEMO_PASSWORD).status_code == 400  # known, not confirmed
    assert sign_in(laptop, "pat@example.org", DEMO_PASSWORD).status_code == 303
