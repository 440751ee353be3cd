"""In Chromium with its DevTools virtual authenticator (a platform passkey: CTAP2, internal, resident
keys): add a passkey, sign out, sign in with it without typing an address; a passkey without user
verification leads to the code step; a bogus signature is refused; a reset removes the passkey and
the old credential is refused afterwards. WebAuthn needs a secure context, so the site is served as
http://localhost:<port> (localhost is one; 127.0.0.1 is refused as a relying party id)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from helpdesk.accounts.directory import directory
from helpdesk.accounts.two_factor import enable_without_confirmation
from helpdesk.extensions import db
from tests.browser.conftest import sign_in_as
from tests.conftest import DEMO_PASSWORD, build_app
from tests.mailbox import link_in, outbox

EMAIL = "pat@example.org"


class LocalhostSite:
    """The app on a free port of 127.0.0.1, its site URL (and so its passkeys' origin) localhost."""

    def __init__(self, tmp_path: Any) -> None:
        serving: dict[str, Any] = {}
        self.server = make_server(
            "127.0.0.1", 0, lambda environ, start: serving["app"](environ, start), threaded=True
        )
        self.url = f"http://localhost:{self.server.server_port}"
        self.app = build_app(tmp_path, site_url=self.url)
        serving["app"] = self.app
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def site(tmp_path) -> Iterator[LocalhostSite]:
    served = LocalhostSite(tmp_path)
    yield served
    served.close()


# the virtual authenticator answers an autofill (conditional) request at once, as a person picking
# the passkey in the email field would; the tests of the button turn autofill off to test the button
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"


@pytest.fixture
def page(browser, site):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    opened = context.new_page()
    opened.add_init_script(NO_AUTOFILL)
    yield opened
    context.close()


def virtual_authenticator(page, *, user_verification: bool = True, cdp: Any = None) -> tuple[Any, str]:
    """A platform authenticator in this page's browser (on the DevTools session *cdp*, or a new one)."""
    if cdp is None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": user_verification,
                "isUserVerified": user_verification,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def add_a_passkey(page, base: str) -> None:
    page.goto(base + "/account/passkeys")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("body")).to_contain_text("You can now sign in with it")
    expect(page.locator(".passkeys li")).to_have_count(1)


def sign_out(page, base: str) -> None:
    page.goto(base + "/account")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("body")).to_contain_text("You are signed out")


def test_add_a_passkey_sign_out_and_sign_in_with_it_without_an_address(site, page):
    with site.app.app_context():
        directory().create(EMAIL, DEMO_PASSWORD)
    virtual_authenticator(page)
    sign_in_as(page, site.url, EMAIL, DEMO_PASSWORD)
    add_a_passkey(page, site.url)
    expect(page.locator(".passkeys li")).to_contain_text("not used yet")
    sign_out(page, site.url)
    page.goto(site.url + "/login")
    expect(page.get_by_label("Email address")).to_have_value("")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(site.url + "/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.locator("#history")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Signed in with a passkey")


@pytest.fixture
def with_autofill(browser, site):
    """A page whose browser offers autofill, signed out, with a passkey for Pat in its authenticator."""
    with site.app.app_context():
        directory().create(EMAIL, DEMO_PASSWORD)
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        virtual_authenticator(page)
        sign_in_as(page, site.url, EMAIL, DEMO_PASSWORD)
        add_a_passkey(page, site.url)
        sign_out(page, site.url)
        yield page
    finally:
        context.close()


def test_the_browser_offers_the_passkey_in_the_email_field_and_it_signs_in(site, with_autofill):
    """Autofill (conditional mediation on `autocomplete="username webauthn"`): the virtual
    authenticator picks the passkey offered there, as a person would; nothing typed, no button."""
    page = with_autofill
    page.goto(site.url + "/login")
    page.wait_for_url(site.url + "/account")
    expect(page.locator("body")).to_contain_text("Signed in with a passkey")


def test_a_passkey_without_user_verification_leads_to_the_code_step(site, page):
    with site.app.test_request_context():
        account = directory().create(EMAIL, DEMO_PASSWORD)
        uri, _ = enable_without_confirmation(account)
    virtual_authenticator(page, user_verification=False)
    sign_in_as(page, site.url, EMAIL, DEMO_PASSWORD, pyotp.parse_uri(uri).secret)
    add_a_passkey(page, site.url)
    sign_out(page, site.url)
    page.goto(site.url + "/login")
    # Chromium lets an authenticator without user verification answer only for listed passkeys:
    # the address typed first lists them
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(site.url + "/login/code")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert page.context.request.get(site.url + "/account", max_redirects=0).status == 302  # not in yet


def test_a_bogus_signature_is_refused_with_a_link_to_the_passkey_help(site, page):
    with site.app.app_context():
        directory().create(EMAIL, DEMO_PASSWORD)
    cdp, authenticator = virtual_authenticator(page)
    sign_in_as(page, site.url, EMAIL, DEMO_PASSWORD)
    add_a_passkey(page, site.url)
    sign_out(page, site.url)
    cdp.send("WebAuthn.setResponseOverrideBits", {"authenticatorId": authenticator, "isBogusSignature": True})
    page.goto(site.url + "/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    status = page.locator("[data-passkey-status]")
    expect(status).to_contain_text("That passkey didn't sign you in")
    expect(status.get_by_role("link")).to_have_attribute("href", "/diagnose/passkey-trouble")
    assert page.url == site.url + "/login"


def test_a_reset_removes_the_passkey_and_the_old_credential_is_refused_afterwards(site, page):
    with site.app.app_context():
        directory().create(EMAIL, DEMO_PASSWORD)
    cdp, authenticator = virtual_authenticator(page)
    sign_in_as(page, site.url, EMAIL, DEMO_PASSWORD)
    add_a_passkey(page, site.url)
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})  # the lost phone
    sign_out(page, site.url)
    page.goto(site.url + "/password/forgot")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    mails = outbox(site.app.extensions["helpdesk.settings"].outbox_dir)
    page.goto(site.url + link_in(mails[-1], "/password/reset/"))
    page.get_by_label("New password").fill("emerald canyon drift 55")
    page.get_by_role("button", name="Change password").click()
    changed = outbox(site.app.extensions["helpdesk.settings"].outbox_dir)[-1]
    assert "Every passkey of your account was removed" in changed.get_body(("plain",)).get_content()
    # the old passkey turns up again (found on the phone, or copied): it is refused, and says why
    _, again = virtual_authenticator(page, cdp=cdp)
    cdp.send("WebAuthn.addCredential", {"authenticatorId": again, "credential": credential})
    page.goto(site.url + "/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(site.url + "/login/passkey/removed")
    expect(page.get_by_role("heading", name="This passkey was removed from your account")).to_be_visible()
    expect(page.get_by_role("link", name="Help with passkeys: my passkey doesn't work")).to_be_visible()


def test_a_failed_passkey_ceremony_links_the_login_page_to_the_passkey_help(site, page):
    """The browser reports NotAllowedError (no passkey here, cancelled, timed out): the page says so
    and links to "My passkey doesn't work"; the password form is still there."""
    virtual_authenticator(page)  # a device with no passkey for this site
    page.goto(site.url + "/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    status = page.locator("[data-passkey-status]")
    expect(status).to_contain_text("this device has no passkey for this site")
    expect(status.get_by_role("link", name="Help: my passkey doesn't work")).to_have_attribute(
        "href", "/diagnose/passkey-trouble"
    )
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def test_without_javascript_the_login_page_says_passkeys_need_it(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site.url + "/login")
        expect(page.get_by_text("Signing in with a passkey needs JavaScript")).to_be_visible()
        expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    finally:
        context.close()


# every navigator.credentials.get is noted (its mediation) in sessionStorage, which outlives the
# navigation to the account page
NOTE_GETS = """
const ownGet = navigator.credentials.get.bind(navigator.credentials);
navigator.credentials.get = (options) => {
  const noted = JSON.parse(sessionStorage.getItem("gets") || "[]");
  noted.push(options.mediation || "modal");
  sessionStorage.setItem("gets", JSON.stringify(noted));
  return ownGet(options);
};
"""


def test_the_button_pressed_while_autofill_is_still_starting_stops_autofill_before_it_asks(
    site, with_autofill
):
    """Autofill's options are held on the way; the button is pressed meanwhile. The button's
    ceremony signs in, and the autofill request, once its options arrive, never reaches the
    browser (two requests at once would make the browser refuse one)."""
    page = with_autofill
    held: list[Any] = []

    def hold_autofill(route: Any) -> None:
        if route.request.post_data_json == {}:  # autofill asks with no address; the button with one
            held.append(route)
        else:
            route.continue_()

    page.route("**/login/passkey/options", hold_autofill)
    page.add_init_script(NOTE_GETS)
    page.goto(site.url + "/login")
    page.wait_for_function("() => !document.querySelector('[data-passkey-button]').hidden")
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "autofill asked for its options"
    page.get_by_role("button", name="Sign in with a passkey").click()
    held[0].continue_()
    page.wait_for_url(site.url + "/account")
    expect(page.locator("body")).to_contain_text("Signed in with a passkey")
    assert page.evaluate("JSON.parse(sessionStorage.getItem('gets'))") == ["modal"]
