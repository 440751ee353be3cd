"""`{{ fixed_url('public.home') }}`: the address of a page that takes no arguments, built once.

Every page links to the same few pages (home, search, the index, sign-in, your account): their
addresses depend on nothing but the app and the script root it is served under, so building them
with `url_for` on every request (about a tenth of a diagnosis step page's time) is work repeated
for nothing. Addresses with arguments still use `url_for`.
"""

from __future__ import annotations

from flask import Flask, current_app, request, url_for

KEY = "helpdesk.fixed_urls"


def fixed_url(endpoint: str) -> str:
    """`url_for(endpoint)` for an endpoint without arguments, kept per app and script root."""
    kept: dict[tuple[str, str], str] = current_app.extensions[KEY]
    key = (endpoint, request.script_root)
    found = kept.get(key)
    if found is None:
        found = kept[key] = url_for(endpoint)
    return found


def register(app: Flask) -> None:
    app.extensions[KEY] = {}
    app.jinja_env.globals["fixed_url"] = fixed_url
