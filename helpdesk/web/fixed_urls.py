"""`{{ fixed_url('public.home') }}`: the address of a page that takes no arguments, built once.

Every page links to the same few pages (home, search, the index, sign-in, your account): their
addresses depend on nothing but the app and the script root it is served under, so building them
with `url_for` on every request (about a tenth of a diagnosis step page's time) is work repeated
for nothing. So are the addresses of the content's own pages (a search result's article or flow).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, url_for

KEY = "helpdesk.fixed_urls"


def fixed_url(endpoint: str, **values: Any) -> str:
    """`url_for(endpoint, **values)`, kept per app and script root. The values must come from the
    app or its content (a slug, a flow id), never from a request: what is kept stays bounded."""
    kept: dict[tuple[object, ...], str] = current_app.extensions[KEY]
    key = (endpoint, request.script_root, *sorted(values.items()))
    found = kept.get(key)
    if found is None:
        found = kept[key] = url_for(endpoint, **values)
    return found


def register(app: Flask) -> None:
    app.extensions[KEY] = {}
    app.jinja_env.globals["fixed_url"] = fixed_url
