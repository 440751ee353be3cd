"""The fixed public addresses agree with the routes that serve them; well-known flows exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import url_for

from helpdesk import links
from helpdesk.extensions import db
from helpdesk.flows.loader import load_flow
from helpdesk.links import ENTRY_FLOW, TOP_PROBLEMS, WellKnownFlow
from tests.conftest import ROOT, build_app

TOKEN = "Ab3_x-9Zq"  # the alphabet of secrets.token_urlsafe

PAGES = [
    (links.home, (), "public.home", {}),
    (links.account_page, (), "account.overview", {}),
    (links.passkeys_page, (), "passkeys.overview", {}),
    (links.forgot_password_page, (), "account.forgot_password", {}),
    (links.reset_page, (TOKEN,), "account.reset_link", {"token": TOKEN}),
    (links.unlock_page, (TOKEN,), "account.unlock", {"token": TOKEN}),
    (links.recovery_cancel_page, (TOKEN,), "recovery.cancel", {"token": TOKEN}),
    (links.recovery_complete_page, (TOKEN,), "recovery.complete_link", {"token": TOKEN}),
    (links.diagnosis_page, ("lost-phone",), "diagnose.start", {"flow_id": "lost-phone"}),
    (links.article_page, ("strong-passwords",), "public.article", {"slug": "strong-passwords"}),
]


@pytest.mark.parametrize(("page", "args", "endpoint", "values"), PAGES, ids=[p[2] for p in PAGES])
def test_each_fixed_page_is_where_its_route_serves_it(app, page, args, endpoint, values):
    with app.test_request_context():
        assert page(*args) == "http://localhost" + url_for(endpoint, **values)


@pytest.mark.parametrize(("page", "args", "endpoint", "values"), PAGES, ids=[p[2] for p in PAGES])
def test_each_fixed_page_is_matched_by_its_route(app, page, args, endpoint, values):
    with app.app_context():
        path = page(*args).removeprefix("http://localhost")
    adapter = app.url_map.bind("localhost")
    assert adapter.match(path, method="GET") == (endpoint, values)


def test_links_are_on_the_configured_site_never_the_request_host(tmp_path):
    app = build_app(tmp_path, site_url="https://help.example.org/")
    with app.test_request_context(base_url="http://evil.example"):
        assert links.account_page() == "https://help.example.org/account"
        assert links.home() == "https://help.example.org/"
    with app.app_context():
        db.engine.dispose()


def test_a_token_is_one_path_segment_whatever_it_holds(app):
    with app.app_context():
        assert links.unlock_page("a/b?c#d e") == "http://localhost/unlock/a%2Fb%3Fc%23d%20e"


def _sample_flow_ids() -> set[str]:
    ids = set()
    for path in sorted((ROOT / "flows").glob("*.yaml")):
        flow, problems = load_flow(Path(path))
        assert flow is not None, problems
        ids.add(flow.id)
    return ids


def test_every_well_known_flow_is_a_sample_flow():
    assert {str(f) for f in WellKnownFlow} <= _sample_flow_ids()


def test_the_entry_flow_and_top_problems_name_every_well_known_flow_once():
    listed = [ENTRY_FLOW, *TOP_PROBLEMS]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(WellKnownFlow)
