"""The strength hint of new-password fields: the server's own rules, over a CSRF-protected POST."""

from __future__ import annotations

from tests.support import csrf_from


def _check(client, password: str, token: str | None = None):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/password/strength",
        data={"password": password},
        headers={"X-CSRFToken": csrf_from(page) if token is None else token},
    )


def test_a_weak_password_gets_the_reason_the_form_would_give(client):
    answer = _check(client, "password1234")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.get_json() == {
        "ok": False,
        "problem": "This password is on a list of common passwords that attackers try first. Choose another.",
    }
    assert _check(client, "short").get_json()["problem"].startswith("Use at least 12 characters")


def test_a_strong_password_is_strong_enough(client):
    assert _check(client, "quiet-ferry-marble-91").get_json() == {"ok": True, "problem": ""}


def test_the_check_needs_the_page_s_csrf_token(client):
    assert _check(client, "quiet-ferry-marble-91", token="").status_code == 400
