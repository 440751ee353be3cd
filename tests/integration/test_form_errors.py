"""Forms that help when they fail, on the forms that apply a fix: the site's own summary linking
to the exact field, the message beside that field with aria-invalid, "Error:" first in the title,
and what was typed kept (never a password)."""

from __future__ import annotations

import html
import re

from tests.integration.test_diagnosis_journey import begin
from tests.integration.test_fixes_in_flows import answer
from tests.support import csrf_from


def _title(page: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip())


def _summary_link(page: str) -> str:
    found = re.search(r'class="error-summary"[^>]*autofocus>.*?<a href="#([\w-]+)">', page, re.S)
    assert found, "no error summary that takes the focus and links to a field"
    return found.group(1)


def _input(page: str, name: str) -> str:
    found = re.search(rf'<input id="{name}"[^>]*>', page, re.S)
    assert found, name
    return found.group(0)


def test_a_sign_in_check_without_a_password_links_to_it_and_keeps_the_email(client):
    begin(client, "locked-out")
    answer(client, "locked-out", "was-it-you", answer="yes")
    answer(client, "locked-out", "wait-or-unlock", answer="forgot-password")
    refused = answer(client, "locked-out", "send-reset-link", email="pat@example.org")
    assert refused.status_code == 303  # the link was "sent": on to the check
    page = client.get("/diagnose/locked-out/check-your-email").get_data(as_text=True)
    checked = answer(client, "locked-out", "check-your-email")
    refused = answer(client, "locked-out", "confirm-sign-in", email="pat@example.org", password="")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and checked.status_code == 303
    assert _title(page).startswith("Error: ")
    assert _summary_link(page) == "password"
    assert 'aria-invalid="true"' in _input(page, "password") and "password-error" in _input(page, "password")
    assert 'value="pat@example.org"' in _input(page, "email")  # kept
    assert "aria-invalid" not in _input(page, "email")
    assert "novalidate" in page  # the site's own messages, not the browser's bubbles


def test_a_password_typed_on_a_refused_form_is_never_sent_back(client):
    begin(client, "locked-out")
    answer(client, "locked-out", "was-it-you", answer="yes")
    answer(client, "locked-out", "wait-or-unlock", answer="forgot-password")
    answer(client, "locked-out", "send-reset-link", email="pat@example.org")
    answer(client, "locked-out", "check-your-email")
    refused = answer(client, "locked-out", "confirm-sign-in", email="", password="typed-secret-123")
    page = refused.get_data(as_text=True)
    assert _summary_link(page) == "email" and "typed-secret-123" not in page


def test_a_recovery_request_names_the_address_that_is_wrong(client):
    page = client.get("/recovery/request").get_data(as_text=True)
    refused = client.post(
        "/recovery/request",
        data={
            "csrf_token": csrf_from(page),
            "account_email": "pat@example.org",
            "contact_email": "not an address",
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and _title(page).startswith("Error: ")
    assert _summary_link(page) == "contact_email"
    assert 'aria-invalid="true"' in _input(page, "contact_email")
    assert "aria-invalid" not in _input(page, "account_email") and 'value="pat@example.org"' in _input(
        page, "account_email"
    )


def test_an_unlock_request_links_to_its_address(client):
    page = client.get("/unlock").get_data(as_text=True)
    refused = client.post("/unlock", data={"csrf_token": csrf_from(page), "email": "nope"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and _summary_link(page) == "email"
    assert 'aria-invalid="true"' in _input(page, "email") and 'value="nope"' in _input(page, "email")
