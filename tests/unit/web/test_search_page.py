"""The results page for everyone not signed in: its results put in a frame rendered once per
language and address root, the very bytes search.html renders for the whole page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import render_template, request

from helpdesk.content.live import catalog
from helpdesk.links import ENTRY_FLOW
from helpdesk.search import search
from helpdesk.web import search_page
from helpdesk.web.search_page import FRAMES_KEY, framed, results_html

QUERIES = [
    "password",  # results
    "pasword",  # corrected
    "pasword <i>&amp;",  # corrected, the query and the one shown escaped in its notice
    "password zebra",  # some of the words
    "zqxvw",  # nothing: the entry flow and the articles read most
    "<script>alert(1)</script> password",
    "a&b \"c\" 'd' password",
    "%EE%80%82 password",  # what the frame's places look like, quoted
    "\ue002query\ue003 password",  # and as they are: dropped from queries
    "contraseñas olvidadas",
    "نسيت كلمة المرور",
]


def _both(app, path: str, language: str) -> tuple[str, str]:
    """The page as the frame gives it, and as search.html renders it whole, for one request."""
    with app.test_request_context(path, headers={"Accept-Language": language}):
        found = search(request.args.get("q", ""), language=language)
        assert found.query
        current = catalog()
        entry = {f.id: f for f in current.public_flows()}.get(ENTRY_FLOW)
        top = list(current.public_articles()[:3]) if not found.hits else []
        whole = render_template("search.html", results=found, entry=entry, top_articles=top)
        return framed(found.query, results_html(found, entry, top)), whole


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_a_framed_page_is_the_page_search_html_renders(app, language):
    for query in QUERIES:
        path = f"/search?q={quote(query)}&other=%22%3C&x"  # the address, as the links show it
        in_frame, whole = _both(app, path, language)
        assert in_frame == whole, query


def test_the_frame_is_rendered_once_per_language(app, monkeypatch):
    client = app.test_client(use_cookies=False)
    client.get("/search?q=password")
    rendered = []
    real = search_page.render_template
    monkeypatch.setattr(search_page, "render_template", lambda *a, **k: rendered.append(a) or real(*a, **k))
    for query in ("locked", "phone", "codes"):
        assert client.get(f"/search?q={query}").status_code == 200
    assert rendered == []  # the results were rendered into the frame kept
    spanish = client.get("/es/search?q=bloqueo").get_data(as_text=True)
    assert rendered == [("search.html",)]  # the Spanish frame, once
    assert '<html lang="es"' in spanish and 'value="bloqueo"' in spanish
    frames = app.extensions[FRAMES_KEY]
    assert {key[-1] for key in frames} == {"en", "es"}


def test_each_page_carries_its_own_query_and_address(app):
    client = app.test_client(use_cookies=False)
    first = client.get("/search?q=locked").get_data(as_text=True)
    second = client.get("/search?q=phone+lost").get_data(as_text=True)
    assert 'value="locked"' in first and 'value="phone lost"' in second
    assert 'hreflang="es" href="http://localhost/es/search?q=phone+lost"' in second
    assert "next=/search%3Fq%3Dphone%2Blost" in second
    assert "<title>phone lost: search" in second


def _renders(app, monkeypatch) -> list[str]:
    """The names of the templates rendered from now on (by `render_template` or directly)."""
    rendered: list[str] = []
    real = app.jinja_env.get_template

    def counting(name, *args, **kwargs):
        template = real(name, *args, **kwargs)
        if "render" not in vars(template):  # (Jinja keeps the template: its render wrapped once)
            original = template.render
            counted = lambda *a, **k: rendered.append(name) or original(*a, **k)  # noqa: E731
            monkeypatch.setattr(template, "render", counted)
        return template

    monkeypatch.setattr(app.jinja_env, "get_template", counting)
    return rendered


def test_each_result_is_rendered_once_per_page_found_and_language(app, monkeypatch):
    client = app.test_client(use_cookies=False)
    first = client.get("/search?q=password").get_data(as_text=True)
    rendered = _renders(app, monkeypatch)
    again = client.get("/search?q=password+reset").get_data(as_text=True)  # pages found before
    assert "_search_hit.html" not in rendered
    # each item with this query's own snippet
    assert again.count('<li class="result-') >= 1 and "<mark>reset</mark>" in again.lower()
    assert "<mark>reset</mark>" not in first.lower()
    client.get("/es/search?q=password")  # the same pages, shown on a Spanish page: their own items
    assert "_search_hit.html" in rendered


def test_the_results_block_is_rendered_once_per_language_and_number_of_results(app, monkeypatch):
    client = app.test_client(use_cookies=False)
    first = client.get("/search?q=password").get_data(as_text=True)
    rendered = _renders(app, monkeypatch)
    again = client.get("/search?q=PASSWORD+password").get_data(as_text=True)  # the same pages found
    assert rendered == []
    assert 'value="PASSWORD password"' in again and again.count("<li ") == first.count("<li ")
    client.get("/search?q=pasword")  # corrected: a block of another kind
    assert rendered == ["_search_results.html"]
