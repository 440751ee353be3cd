"""Password fields work with password managers and paste (ASVS 2.1.11): named for what they hold,
nothing that blocks pasting or autofill, on every page that asks for a password."""

from __future__ import annotations

import re
from pathlib import Path

from flask import render_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "helpdesk" / "templates"
INPUT = re.compile(r"<input\b[^>]*>", re.S)


def password_inputs(html: str) -> list[str]:
    return [tag for tag in INPUT.findall(html) if 'type="password"' in tag]


def autocomplete(tag: str) -> str:
    found = re.search(r'autocomplete="([^"]*)"', tag)
    return found.group(1) if found else ""


def pages(app, client) -> dict[str, str]:
    """The sign-in page as served, and the new-password forms as rendered."""
    shown = {"/login": client.get("/login").get_data(as_text=True)}
    with app.test_request_context():
        shown["account/password.html"] = render_template("account/password.html")
        shown["account/reset.html"] = render_template("account/reset.html", needs_code=True)
    return shown


def test_password_fields_name_their_purpose_for_password_managers(app, client):
    shown = pages(app, client)
    login = shown["/login"]
    assert [autocomplete(t) for t in password_inputs(login)] == ["current-password"]
    assert 'autocomplete="username webauthn"' in login  # the manager knows the account; passkeys autofill
    assert [autocomplete(t) for t in password_inputs(shown["account/password.html"])] == [
        "current-password",
        "new-password",
    ]
    assert [autocomplete(t) for t in password_inputs(shown["account/reset.html"])] == ["new-password"]


def test_no_page_blocks_pasting_or_autofill(app, client):
    for name, html in pages(app, client).items():
        for tag in password_inputs(html):
            assert not re.search(r"\bon(paste|copy|drop|cut)\b", tag), name
            assert autocomplete(tag) != "off", name
    blockers = re.compile(r"on(paste|drop)\b|addEventListener\(\s*[\"'](paste|drop)")
    for path in [*TEMPLATES.rglob("*.html"), *(ROOT / "static").rglob("*.js")]:
        assert not blockers.search(path.read_text(encoding="utf-8")), path
