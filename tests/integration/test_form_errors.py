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


def _to_resync(client) -> None:
    begin(client, "two-factor-rejected")
    answer(client, "two-factor-rejected", "which-entry", answer="right-entry")
    answer(client, "two-factor-rejected", "timing", answer="right-away")
    answer(client, "two-factor-rejected", "clock", answer="already-on")


def test_a_fix_form_missing_a_code_links_to_it_and_keeps_the_email(client):
    _to_resync(client)
    refused = answer(
        client, "two-factor-rejected", "resync-authenticator", email="pat@example.org", password="x" * 12
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert _title(page).startswith("Error: ")
    assert _summary_link(page) == "code"
    assert 'aria-invalid="true"' in _input(page, "code") and "code-error" in _input(page, "code")
    assert 'value="pat@example.org"' in _input(page, "email")  # kept
    assert "aria-invalid" not in _input(page, "email")
    assert "novalidate" in page  # the site's own messages, not the browser's bubbles


def test_a_password_or_a_code_typed_on_a_refused_form_is_never_sent_back(client):
    _to_resync(client)
    refused = answer(
        client, "two-factor-rejected", "resync-authenticator", password="typed-secret-123", code="493817"
    )
    page = refused.get_data(as_text=True)
    assert _summary_link(page) == "email" and "typed-secret-123" not in page
    assert "493817" not in page  # a code is typed afresh: the old one has likely expired


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
