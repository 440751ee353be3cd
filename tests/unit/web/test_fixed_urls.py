"""web/fixed_urls.py: the addresses every page links to, built once per app and script root."""

from __future__ import annotations

import re

from tests.conftest import build_app


def test_links_of_every_page_follow_the_script_root_they_are_served_under(tmp_path):
    client = build_app(tmp_path).test_client()
    at_root = client.get("/").get_data(as_text=True)
    under = client.get("/", environ_overrides={"SCRIPT_NAME": "/help"}).get_data(as_text=True)
    again = client.get("/").get_data(as_text=True)
    assert 'href="/articles/"' in at_root and 'href="/login"' in at_root
    assert 'href="/help/articles/"' in under and 'href="/help/login"' in under
    assert re.search(r'href="/help/static/site\.[0-9a-f]{8}\.css"', under)
    assert 'href="/help/' not in again  # kept per script root: one never leaks into the other


def test_a_fixed_link_is_built_once(tmp_path):
    app = build_app(tmp_path)
    client = app.test_client()
    client.get("/")
    kept = dict(app.extensions["helpdesk.fixed_urls"])
    assert kept[("public.article_index", "")] == "/articles/"
    client.get("/articles/")
    assert app.extensions["helpdesk.fixed_urls"] == kept


def test_a_search_results_links_are_kept_and_follow_the_script_root(tmp_path):
    client = build_app(tmp_path).test_client()
    found = client.get("/search?q=password").get_data(as_text=True)
    help_root = {"SCRIPT_NAME": "/help"}
    under = client.get("/search?q=password", environ_overrides=help_root).get_data(as_text=True)
    assert 'href="/articles/' in found and 'href="/help/articles/' not in found
    assert 'href="/help/articles/' in under
