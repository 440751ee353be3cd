"""The checkup's devices item: devices signed in or only remembered, signing out everywhere else,
and buttons whose accessible names begin with what they show."""

from __future__ import annotations

from html.parser import HTMLParser

from helpdesk.accounts.devices import describe_device
from helpdesk.accounts.directory import directory
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_account_checkup import checkup_of, session_id_of, submit
from tests.integration.test_sign_in import PHONE_UA, sign_in
from tests.mailbox import outbox, text_of
from tests.support import LAPTOP_UA, csrf_from

DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
NEW_SIGN_IN = "New sign-in to your account"


def signed_in(app, user_agent: str):
    browser = app.test_client()
    assert sign_in(browser, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": user_agent}).status_code == 303
    return browser


def sign_out(browser) -> None:
    page = browser.get("/account").get_data(as_text=True)
    assert browser.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 303


def device_named(app, account_id: int, summary: str):
    with app.app_context():
        return next((d for d in directory().devices(account_id) if d.summary == summary), None)


def test_a_device_remembered_but_signed_out_needs_attention_until_confirmed(app, account):
    laptop = signed_in(app, LAPTOP_UA)
    here = session_id_of(laptop)
    sign_out(signed_in(app, PHONE_UA))  # it signed out itself, but the account still knows it
    checkup = checkup_of(app, account.id, here)
    item = checkup.item("devices")
    assert not item.ok
    assert item.status.startswith("1 device you haven't confirmed is remembered from an earlier sign-in")
    [remembered] = checkup.unknown_devices
    assert remembered.summary == "Chrome on Android" and not remembered.signed_in
    page = laptop.get("/account").get_data(as_text=True)
    assert "remembered, not signed in now" in page
    assert 'aria-label="Remove: Chrome on Android, last active' in page  # nothing left to sign out
    confirmed = submit(laptop, f"/account/devices/{remembered.device_id}/confirm", then="checkup")
    assert confirmed.location == "/account#checkup"
    assert checkup_of(app, account.id, here).item("devices").ok


def test_sign_out_everywhere_else_forgets_unconfirmed_devices_and_mails_their_next_sign_in(
    app, account, outbox_dir
):
    laptop = signed_in(app, LAPTOP_UA)
    here = session_id_of(laptop)  # the newest session: before the others sign in
    phone, desktop = signed_in(app, PHONE_UA), signed_in(app, DESKTOP_UA)
    mine = device_named(app, account.id, describe_device(DESKTOP_UA))
    submit(laptop, f"/account/devices/{mine.id}/confirm")
    mailed = len(outbox(outbox_dir))

    ended = submit(laptop, "/account/sign-out-everywhere", then="checkup")
    assert ended.location == "/account#checkup"
    page = laptop.get(ended.location).get_data(as_text=True)
    assert "2 other sessions ended; 1 device you hadn&#39;t confirmed was forgotten" in page
    assert checkup_of(app, account.id, here).item("devices").ok
    assert phone.get("/account").status_code == 302 and desktop.get("/account").status_code == 302
    assert device_named(app, account.id, "Chrome on Android") is None  # forgotten
    assert device_named(app, account.id, describe_device(DESKTOP_UA)).confirmed_at is not None  # kept
    assert device_named(app, account.id, "Firefox on Linux") is not None  # this one, kept

    # the forgotten phone, same browser and cookie, signs in again: news to the owner
    assert sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA}).status_code == 303
    notices = outbox(outbox_dir)[mailed:]
    assert [m["Subject"] for m in notices] == [NEW_SIGN_IN] and "Chrome on Android" in text_of(notices[0])
    assert not checkup_of(app, account.id, here).item("devices").ok
    # the confirmed desktop is still known: no mail
    assert sign_in(desktop, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": DESKTOP_UA}).status_code == 303
    assert len(outbox(outbox_dir)) == mailed + 1


def test_with_nothing_to_forget_signing_out_everywhere_says_only_what_ended(app, account):
    laptop = signed_in(app, LAPTOP_UA)
    signed_in(app, PHONE_UA)
    with app.app_context():
        for device in directory().devices(account.id):
            directory().confirm_device(account.id, device.id)
    submit(laptop, "/account/sign-out-everywhere")
    flashed = laptop.get("/account").get_data(as_text=True).split('id="checkup"')[0]
    assert "Signed out everywhere else: 1 other session ended." in flashed and "forgotten" not in flashed
    with app.app_context():
        assert len(directory().devices(account.id)) == 2  # confirmed devices stay known


def test_a_session_with_no_remembered_device_ends_only_by_signing_out_everywhere(app, account):
    laptop = signed_in(app, LAPTOP_UA)
    here = session_id_of(laptop)
    with app.app_context():  # signed in without a device (by another adapter, say)
        directory().start_session(account.id, "203.0.113.9", "Unknown device")
    checkup = checkup_of(app, account.id, here)
    [session_only] = checkup.unknown_devices
    assert session_only.device_id is None and session_only.ip == "203.0.113.9" and session_only.signed_in
    assert checkup.item("devices").status == (
        "1 device you haven't confirmed is signed in. "
        "A session we can't tie to a device ends when you sign out everywhere else."
    )
    checkup_html = laptop.get("/account").get_data(as_text=True).split('id="two-factor"')[0]
    assert "signing out everywhere else ends it" in checkup_html
    assert "This is mine" not in checkup_html and "Remove" not in checkup_html  # nothing to act on
    submit(laptop, "/account/sign-out-everywhere", then="checkup")
    assert "1 other session ended." in laptop.get("/account").get_data(as_text=True)
    assert checkup_of(app, account.id, here).item("devices").ok


class _Buttons(HTMLParser):
    """Every <button>: its aria-label (None without one) and its visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str | None, str]] = []
        self._open: list | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "button":
            self._open = [dict(attrs).get("aria-label"), ""]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._open is not None:
            self.found.append((self._open[0], " ".join(self._open[1].split())))
            self._open = None


def test_every_button_s_accessible_name_begins_with_its_visible_label(app, account):
    """WCAG 2.5.3 Label in Name: a voice user says what they see, "click This is mine"."""
    laptop = signed_in(app, LAPTOP_UA)
    signed_in(app, PHONE_UA)
    sign_out(signed_in(app, DESKTOP_UA))
    parser = _Buttons()
    parser.feed(laptop.get("/account").get_data(as_text=True))
    labelled = [(name, text) for name, text in parser.found if name is not None]
    # in the checkup: phone and desktop, two buttons each; in the device list: the same again
    assert len(labelled) == 8
    for name, text in labelled:
        assert name.startswith(text + ": "), (name, text)
    names = {name for name, _ in labelled}
    assert any(n.startswith("This is mine: Chrome on Android, last active ") for n in names)
    assert any(n.startswith("Remove and sign out: Chrome on Android, last active ") for n in names)
    assert any(n.startswith("Remove: Chrome on Android, first seen ") for n in names)


def test_removing_another_accounts_device_signs_nobody_out(app, account):
    with app.app_context():
        directory().create("sam@example.org", DEMO_PASSWORD)
    victim = signed_in(app, PHONE_UA)
    victim_device = device_named(app, account.id, describe_device(PHONE_UA))
    assert victim_device is not None
    other = app.test_client()
    assert sign_in(other, "sam@example.org", DEMO_PASSWORD, **{"User-Agent": DESKTOP_UA}).status_code == 303
    page = other.get("/account").get_data(as_text=True)
    other.post(f"/account/devices/{victim_device.id}/remove", data={"csrf_token": csrf_from(page)})
    assert victim.get("/account").status_code == 200  # still signed in
    assert device_named(app, account.id, describe_device(PHONE_UA)) is not None  # and still remembered


def test_removing_devices_is_rate_limited(app, account):
    browser = signed_in(app, PHONE_UA)
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    statuses = [
        browser.post(f"/account/devices/{999000 + n}/remove", data={"csrf_token": token}).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [303] * 30
    assert statuses[30] == 429
