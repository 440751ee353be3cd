"""A search's results page for a browser without our cookies (web/search_fast_path.py) is the page
Flask gives: the same status, body and headers, in every language, with the same rate limit and
the same record of searches that found nothing; anything else is Flask's."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from flask import Flask, after_this_request
from sqlalchemy import func, select
from werkzeug.test import Client
from werkzeug.wrappers import Response

from helpdesk.extensions import db, limiter
from helpdesk.models import SearchMiss
from helpdesk.web import search_page
from helpdesk.web.language import LanguagePrefix
from tests.conftest import build_app
from tests.integration.test_answer_fast_path import FAST_ADDRESS, FLASK_ADDRESS, FROZEN, behind, headers_of

# a query that finds pages, one that finds nothing, one corrected, none at all, and one in Spanish
QUERIES = ["password", "zzqx wobble", "pasword", "", "contraseña olvidada"]
PLACES = [
    ("/search", {}),
    ("/es/search", {}),
    ("/ar/search", {}),
    ("/search", {"Accept-Language": "es-ES,es;q=0.9"}),
]


@pytest.fixture
def app(tmp_path):
    app = build_app(tmp_path, log_format="json")
    yield app
    with app.app_context():
        db.session.remove()


def flask_behind(app: Flask) -> tuple[Any, Client]:
    """The requests that reach Flask, and a client asking Flask alone, its language prefixes
    read as the outermost layer reads them."""
    flask_alone, _ = behind(app)
    languages = app.extensions["helpdesk.settings"].languages
    return flask_alone, Client(LanguagePrefix(flask_alone, languages), Response, use_cookies=False)


def misses(app: Flask) -> dict[str, int]:
    with app.app_context():
        totals = select(SearchMiss.query, func.sum(SearchMiss.count)).group_by(SearchMiss.query)
        rows = db.session.execute(totals)
        return {query: int(count) for query, count in rows}


def test_results_pages_are_given_before_flask_exactly_as_flask_gives_them(app):
    flask_alone, by_flask = flask_behind(app)
    fast_browser = app.test_client(use_cookies=False)
    answered = 0
    with time_machine.travel(FROZEN, tick=False):
        for place, headers in PLACES:
            for query in QUERIES:
                address = f"{place}?q={quote(query)}"
                reached, before = len(flask_alone.seen), misses(app)
                fast = fast_browser.get(address, headers=headers, environ_base={"REMOTE_ADDR": FAST_ADDRESS})
                assert len(flask_alone.seen) == reached, f"{address} was answered by Flask"
                between = misses(app)
                slow = by_flask.get(address, headers=headers, environ_base={"REMOTE_ADDR": FLASK_ADDRESS})
                # a search that found nothing is recorded as the view records it
                assert _added(before, between) == _added(between, misses(app)), address
                answered += 1
                assert fast.status_code == slow.status_code == 200, address
                assert fast.get_data(as_text=True) == slow.get_data(as_text=True), address
                assert headers_of(fast) == headers_of(slow), address
                assert "Set-Cookie" not in fast.headers
                assert fast.headers["Cache-Control"].startswith("public")
    assert fast.headers["X-RateLimit-Remaining"] == str(120 - answered)
    assert misses(app)["contraseña olvidada"] == 4  # in English, twice each way: it was recorded


def _added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        query: count - before.get(query, 0) for query, count in after.items() if count != before.get(query)
    }


def test_a_browser_holding_the_page_gets_the_same_304_and_head_gets_no_body(app):
    flask_alone, by_flask = flask_behind(app)
    browser = app.test_client(use_cookies=False)
    first = browser.get("/search?q=password")
    etag = first.headers["ETag"]
    reached = len(flask_alone.seen)
    again = browser.get("/search?q=password", headers={"If-None-Match": etag})
    head = browser.head("/search?q=password")
    assert len(flask_alone.seen) == reached  # neither reached Flask
    slow = by_flask.get("/search?q=password", headers={"If-None-Match": etag})
    assert again.status_code == slow.status_code == 304
    assert again.get_data() == slow.get_data() == b""
    counts = ("X-RateLimit-Remaining", "X-RateLimit-Reset")  # (the two asked one after the other)
    same = [h for h in headers_of(again) if h[0] not in counts]
    assert same == [h for h in headers_of(slow) if h[0] not in counts]
    assert "Last-Modified" not in again.headers
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == first.headers["Content-Length"]


def test_the_search_limit_is_shared_with_flask_and_the_api_and_counted_once(app):
    flask_alone, _ = behind(app)
    browser = app.test_client(use_cookies=False)
    with time_machine.travel(FROZEN, tick=False):
        for n in range(60):
            assert browser.get(f"/search?q=word{n}").status_code == 200
        for n in range(59):
            assert browser.get(f"/api/v1/search?q=word{n}").status_code == 200
        last = browser.get("/search?q=password")
        assert last.status_code == 200 and last.headers["X-RateLimit-Remaining"] == "0"
        reached = len(flask_alone.seen)
        refused = browser.get("/search?q=password")
        assert refused.status_code == 429  # counted by Flask, which answers its own page
        assert len(flask_alone.seen) == reached + 1
        assert browser.get("/api/v1/search?q=password").status_code == 429


def test_a_browser_with_our_cookie_gets_flasks_page(app):
    flask_alone, _ = behind(app)
    browser = app.test_client()
    browser.get("/diagnose/wrong-password", follow_redirects=True)  # a diagnosis: the session cookie
    assert browser.get_cookie("helpdesk_session") is not None
    reached = len(flask_alone.seen)
    assert browser.get("/search?q=password").status_code == 200
    assert len(flask_alone.seen) == reached + 1


def test_the_fast_answer_is_observed_under_the_views_endpoint(app, caplog):
    flask_alone, _ = behind(app)
    browser = app.test_client(use_cookies=False)
    with caplog.at_level("INFO"):
        answer = browser.get("/search?q=password", headers={"X-Request-Id": "ignored-untrusted"})
    assert flask_alone.seen == []  # the line below is this layer's, not Flask's
    lines = [r for r in caplog.records if getattr(r, "endpoint", None) == "search.results"]
    assert answer.headers["X-Request-Id"] != "ignored-untrusted"
    assert lines, [r.getMessage() for r in caplog.records]


def test_a_page_whose_view_left_work_for_after_the_request_is_flasks(app, monkeypatch):
    # nothing on the results page does so today; should it ever, Flask's hooks must run
    flask_alone, _ = behind(app)
    plain = search_page.everyones_results

    def with_a_header():
        @after_this_request
        def mark(response):
            response.headers["X-Marked"] = "yes"
            return response

        return plain()

    monkeypatch.setattr(search_page, "everyones_results", with_a_header)
    browser = app.test_client(use_cookies=False)
    reached = len(flask_alone.seen)
    answer = browser.get("/search?q=password")
    assert answer.status_code == 200 and answer.headers["X-Marked"] == "yes"
    assert len(flask_alone.seen) == reached + 1


def test_when_the_limits_storage_fails_flask_answers_with_its_own_page_and_headers(app, monkeypatch):
    flask_alone, _ = behind(app)

    def down(*args, **kwargs):
        raise ConnectionError("the rate limit storage is down")

    monkeypatch.setattr(limiter.limiter, "hit", down)
    browser = app.test_client(use_cookies=False)
    reached = len(flask_alone.seen)
    answer = browser.get("/search?q=password")
    assert len(flask_alone.seen) == reached + 1  # not a bare 500 from this layer: Flask's answer
    assert "Content-Security-Policy" in answer.headers and "X-Request-Id" in answer.headers


def test_a_fast_results_page_is_given_the_session_flask_would_open_without_reading_cookies(app, monkeypatch):
    flask_alone, _ = flask_behind(app)
    interface = app.session_interface
    with app.test_request_context("/search") as context:
        opened = interface.open_session(app, context.request)
    given = interface.without_cookies()
    assert (type(given), dict(given), given.signed_at, given.modified) == (
        type(opened),
        dict(opened),
        opened.signed_at,
        opened.modified,
    )

    def not_here(*args, **kwargs):
        raise AssertionError("the session was opened from the request")

    monkeypatch.setattr(interface, "open_session", not_here)
    browser = app.test_client(use_cookies=False)
    reached = len(flask_alone.seen)
    answer = browser.get("/search?q=password")
    assert answer.status_code == 200 and len(flask_alone.seen) == reached  # answered before Flask
