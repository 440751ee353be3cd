"""Hardening headers: HSTS and the __Host- cookie under https, no-store on everything private."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import DEMO_PASSWORD, build_app
from tests.integration.test_sign_in import sign_in


@pytest.fixture
def https_app(tmp_path) -> Flask:
    return build_app(tmp_path, site_url="https://help.example.org")


def test_https_sites_send_hsts_for_a_year_on_every_response(https_app: Flask):
    client = https_app.test_client()
    for path in ("/", "/articles/app-vs-web", "/static/site.css", "/no-such-page"):
        hsts = client.get(path, base_url="https://help.example.org").headers.get("Strict-Transport-Security")
        assert hsts == "max-age=31536000; includeSubDomains", path


def test_plain_http_sites_send_no_hsts(app: Flask):
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


def test_under_https_the_session_cookie_has_the_host_prefix_and_is_secure(https_app: Flask):
    response = https_app.test_client().get("/diagnose/cant-sign-in", base_url="https://help.example.org")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "helpdesk_session" in h)
    assert cookie.startswith("__Host-helpdesk_session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


@pytest.mark.parametrize(
    "path", ["/login", "/password/forgot", "/unlock", "/recovery/request", "/account", "/staff/", "/editor/"]
)
def test_account_staff_and_recovery_pages_are_never_cached(client, path: str):
    assert client.get(path).headers.get("Cache-Control") == "no-store"


def test_public_pages_may_be_cached_for_someone_signed_out(client):
    for path in ("/", "/articles/", "/articles/app-vs-web"):
        shown = client.get(path)
        assert shown.headers.get("Cache-Control") == "public, max-age=60", path
        assert "Set-Cookie" not in shown.headers and "Cookie" in shown.headers["Vary"], path


def test_every_page_shown_to_a_signed_in_person_is_never_cached(app: Flask, client, account):
    assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303
    for path in ("/", "/articles/app-vs-web", "/search?q=password", "/check-link"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    styles = client.get("/static/site.css")
    assert styles.headers.get("Cache-Control") != "no-store"  # they hold nothing of anyone's


def test_the_sign_in_cookie_is_http_only_same_site_and_ends_with_the_browser(client, account):
    signed_in = sign_in(client, "pat@example.org", DEMO_PASSWORD)
    cookie = next(h for h in signed_in.headers.getlist("Set-Cookie") if h.startswith("helpdesk_signin="))
    attributes = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in attributes and "SameSite=Lax" in attributes and "Path=/" in attributes
    assert not any(a.startswith(("Expires=", "Max-Age=")) for a in attributes)  # a browser-session cookie
