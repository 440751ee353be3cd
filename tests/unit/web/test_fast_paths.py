"""The WSGI layer in front of Flask: what it answers itself is what Flask would have answered."""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from werkzeug.test import Client
from werkzeug.wrappers import Response

from helpdesk.extensions import db
from helpdesk.readership import flush_views
from helpdesk.web.fast_paths import FastPaths
from tests.conftest import build_app

ARTICLE = "/articles/forgotten-password"
DIFFERS = {"X-Request-Id"}  # drawn anew for every answer


class Counted:
    """Flask behind the fast paths, counting the requests that reach it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.paths.append(environ["PATH_INFO"])
        return self.inner(environ, start_response)


def fast_layer(app: Flask) -> FastPaths:
    found = app.wsgi_app
    while not isinstance(found, FastPaths):
        found = found.app  # type: ignore[attr-defined]  (inside ProxyFix)
    return found


def counted(app: Flask) -> tuple[Counted, Client]:
    """The app's fast paths with Flask behind them counted, and a client asking Flask alone."""
    layer = fast_layer(app)
    flask_alone = Counted(layer.inner)
    layer.inner = flask_alone
    return flask_alone, Client(flask_alone, Response, use_cookies=False)


def headers_of(answer: Response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in answer.headers.items() if k not in DIFFERS)


@pytest.fixture
def app(tmp_path: Path):
    app = build_app(tmp_path, log_format="json")
    yield app
    with app.app_context():
        db.session.remove()


def test_a_cached_article_is_answered_before_flask_as_flask_answers_it(app):
    flask_alone, by_flask = counted(app)
    client = app.test_client(use_cookies=False)
    first = client.get(ARTICLE)  # not cached yet: the view renders it
    assert first.status_code == 200 and flask_alone.paths == [ARTICLE]
    fast = client.get(ARTICLE)
    assert flask_alone.paths == [ARTICLE]  # the second one never reached Flask
    slow = by_flask.get(ARTICLE)
    assert fast.status_code == slow.status_code == 200
    assert fast.get_data() == slow.get_data() == first.get_data()
    assert headers_of(fast) == headers_of(slow)
    assert "Set-Cookie" not in fast.headers
    assert fast.headers["Vary"] == "Accept-Encoding, Accept-Language, Cookie"
    assert fast.headers["X-Request-Id"] != slow.headers["X-Request-Id"]


def test_a_browser_that_takes_gzip_gets_the_same_gzipped_page_and_304_from_either(app):
    flask_alone, by_flask = counted(app)
    client = app.test_client(use_cookies=False)
    packed = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    first = client.get(ARTICLE, headers=packed)  # rendered by the view
    fast = client.get(ARTICLE, headers=packed)
    assert flask_alone.paths == [ARTICLE]
    slow = by_flask.get(ARTICLE, headers=packed)
    assert fast.get_data() == slow.get_data() == first.get_data()
    assert headers_of(fast) == headers_of(slow) and fast.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(fast.get_data()) == client.get(ARTICLE).get_data()
    tag = {**packed, "If-None-Match": fast.headers["ETag"]}
    fast, slow = client.get(ARTICLE, headers=tag), by_flask.get(ARTICLE, headers=tag)
    assert fast.status_code == slow.status_code == 304 and headers_of(fast) == headers_of(slow)
    assert flask_alone.paths.count(ARTICLE) == 3  # the first, and the two asked of Flask


def test_a_revalidation_gets_the_same_304_from_either(app):
    flask_alone, by_flask = counted(app)
    client = app.test_client(use_cookies=False)
    etag = client.get(ARTICLE).headers["ETag"]
    fast = client.get(ARTICLE, headers={"If-None-Match": etag})
    slow = by_flask.get(ARTICLE, headers={"If-None-Match": etag})
    assert fast.status_code == slow.status_code == 304
    assert fast.get_data() == slow.get_data() == b""
    assert headers_of(fast) == headers_of(slow)
    assert flask_alone.paths.count(ARTICLE) == 2  # the first visit and the one asked of Flask


def test_a_head_request_gets_the_headers_without_the_body(app):
    _, by_flask = counted(app)
    client = app.test_client(use_cookies=False)
    client.get(ARTICLE)
    fast, slow = client.head(ARTICLE), by_flask.head(ARTICLE)
    assert fast.get_data() == slow.get_data() == b""
    assert headers_of(fast) == headers_of(slow)


def test_every_view_is_counted_the_fast_ones_too(app):
    client = app.test_client(use_cookies=False)
    for _ in range(3):
        client.get(ARTICLE)
    with app.app_context():
        assert flush_views() == 3


def test_the_fast_answer_is_observed_like_flasks(app, caplog):
    client = app.test_client(use_cookies=False)
    client.get(ARTICLE)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="helpdesk.access"):
        answer = client.get(ARTICLE, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    [line] = [r for r in caplog.records if r.name == "helpdesk.access"]
    assert (line.endpoint, line.path, line.status, line.client) == (
        "public.article",
        ARTICLE,
        200,
        "192.0.2.7",
    )
    assert line.request_id == answer.headers["X-Request-Id"]


def test_behind_a_trusted_proxy_the_fast_answer_logs_the_real_client(tmp_path, caplog):
    app = build_app(tmp_path, log_format="json", trusted_proxies=1)
    client = app.test_client(use_cookies=False)
    client.get(ARTICLE)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="helpdesk.access"):
        client.get(
            ARTICLE, headers={"X-Forwarded-For": "198.51.100.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
        )
    [line] = [r for r in caplog.records if r.name == "helpdesk.access"]
    assert line.client == "198.51.100.9"


def test_a_browser_with_our_cookie_is_answered_by_flask(app):
    flask_alone, _ = counted(app)
    client = app.test_client()
    client.get(ARTICLE)
    client.set_cookie("helpdesk_session", "anything")
    client.get(ARTICLE)
    assert flask_alone.paths == [ARTICLE, ARTICLE]


def test_a_cookie_not_ours_does_not_stop_the_fast_answer(app):
    flask_alone, _ = counted(app)
    client = app.test_client()
    client.get(ARTICLE)
    client.set_cookie("someone_elses", "1")
    assert client.get(ARTICLE).status_code == 200
    assert flask_alone.paths == [ARTICLE]


def test_unknown_articles_go_on_to_flask(app):
    flask_alone, _ = counted(app)
    client = app.test_client(use_cookies=False)
    assert client.get("/articles/no-such-article").status_code == 404
    assert client.get("/articles/no-such-article").status_code == 404
    assert flask_alone.paths == ["/articles/no-such-article"] * 2


def test_healthz_is_answered_before_flask(app):
    flask_alone, _ = counted(app)
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200 and json.loads(answer.get_data())["status"] == "ok"
    assert flask_alone.paths == []


def test_the_fast_path_looks_at_the_files_as_flask_does(tmp_path, content_copy):
    from helpdesk.content.live import LIVE_KEY

    content, flows = content_copy
    app = build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0)
    client = app.test_client(use_cookies=False)
    assert b"Edited meanwhile" not in client.get(ARTICLE).get_data()
    source = content / "forgotten-password.md"
    source.write_text(source.read_text().replace("\n---\n", "\n---\n\nEdited meanwhile.\n", 1))
    client.get(ARTICLE)  # the fast path's look starts the reload
    app.extensions[LIVE_KEY].settle(10)
    assert b"Edited meanwhile" in client.get(ARTICLE).get_data()


# -- a diagnosis step ---------------------------------------------------------------------------

FLOW = "wrong-password"
FIRST, SECOND = f"/diagnose/{FLOW}/show-password", f"/diagnose/{FLOW}/fix-caps-lock"


def cookie_of(client) -> dict[str, str]:
    return {"Cookie": f"helpdesk_session={client.get_cookie('helpdesk_session').value}"}


def token_in(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1).decode()


def same_answers(fast: Response, slow: Response) -> None:
    assert fast.status_code == slow.status_code == 200
    assert fast.get_data() == slow.get_data()
    assert headers_of(fast) == headers_of(slow)
    assert "Set-Cookie" not in fast.headers and fast.headers["Cache-Control"] == "no-store"


def test_a_plain_step_page_is_answered_before_flask_as_flask_answers_it(app):
    flask_alone, by_flask = counted(app)
    browser = app.test_client()
    browser.get(f"/diagnose/{FLOW}", follow_redirects=True)  # Flask: starts it, keeps the page
    reached = len(flask_alone.paths)
    fast = browser.get(FIRST)
    assert len(flask_alone.paths) == reached  # not asked of Flask
    same_answers(fast, by_flask.get(FIRST, headers=cookie_of(browser)))
    assert b"Step 1" in fast.get_data() and b'class="back"' not in fast.get_data()  # no Back link


def test_every_shape_of_a_plain_step_page_is_the_same_from_either(app):
    flask_alone, by_flask = counted(app)
    browser = app.test_client()
    page = browser.get(f"/diagnose/{FLOW}", follow_redirects=True).get_data()
    browser.post(FIRST, data={"csrf_token": token_in(page), "answer": "capitals"})
    for path in (SECOND, FIRST):  # a Back link; an earlier step, its answer ticked
        browser.get(path)  # the first time: Flask renders it and keeps it
        reached = len(flask_alone.paths)
        fast = browser.get(path)
        assert len(flask_alone.paths) == reached
        same_answers(fast, by_flask.get(path, headers=cookie_of(browser)))
    assert b'href="/diagnose/wrong-password/show-password">Back' in browser.get(SECOND).get_data()
    assert b'value="capitals"\n              checked' in browser.get(FIRST).get_data()


def test_the_token_on_a_fast_page_is_accepted_as_an_answers(app):
    flask_alone, _ = counted(app)
    browser = app.test_client()
    browser.get(f"/diagnose/{FLOW}", follow_redirects=True)
    page = browser.get(FIRST).get_data()
    assert FIRST not in flask_alone.paths[2:]
    answered = browser.post(FIRST, data={"csrf_token": token_in(page), "answer": "capitals"})
    assert answered.status_code == 303 and answered.location.endswith(SECOND)
    refused = browser.post(FIRST, data={"csrf_token": token_in(page)[:-2] + "xx", "answer": "forgotten"})
    assert refused.status_code == 400


def test_a_message_waiting_is_shown_by_flask(app):
    flask_alone, _ = counted(app)
    browser = app.test_client()
    page = browser.get(f"/diagnose/{FLOW}", follow_redirects=True).get_data()
    browser.post(FIRST, data={"csrf_token": token_in(page), "answer": "capitals"})
    browser.get(SECOND)
    resumed = browser.get(f"/diagnose/{FLOW}", follow_redirects=True)  # "Welcome back" waits
    assert b"Welcome back" in resumed.get_data()
    assert flask_alone.paths[-1] == SECOND  # the page that showed it came from Flask
    reached = len(flask_alone.paths)
    assert b"Welcome back" not in browser.get(SECOND).get_data()  # shown once; now the fast page
    assert len(flask_alone.paths) == reached


def test_a_cookie_due_to_be_signed_again_goes_to_flask(app):
    flask_alone, _ = counted(app)
    browser = app.test_client()
    browser.get(f"/diagnose/{FLOW}", follow_redirects=True)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        answer = browser.get(FIRST)
    assert flask_alone.paths[-1] == FIRST and "helpdesk_session=" in answer.headers["Set-Cookie"]


def test_a_signed_in_browser_is_answered_by_flask(app):
    flask_alone, _ = counted(app)
    browser = app.test_client()
    browser.get(f"/diagnose/{FLOW}", follow_redirects=True)
    browser.set_cookie("helpdesk_signin", "a-sign-in")
    browser.get(FIRST)
    assert flask_alone.paths[-1] == FIRST


def test_a_step_not_on_the_path_is_redirected_by_flask(app):
    flask_alone, _ = counted(app)
    browser = app.test_client()
    browser.get(f"/diagnose/{FLOW}", follow_redirects=True)
    answer = browser.get(SECOND)
    assert answer.status_code == 303 and answer.location.endswith(FIRST)
    assert flask_alone.paths[-1] == SECOND


# -- languages: the prefix, the switch's cookie and Accept-Language key what is served ---------

SPANISH_TITLE = "Contraseña incorrecta u olvidada".encode()


def test_a_prefixed_article_is_answered_fast_in_its_language(app):
    flask_alone, _ = counted(app)
    client = app.test_client(use_cookies=False)
    english = client.get(ARTICLE)
    first = client.get(f"/es{ARTICLE}")  # another page: the view renders it
    assert flask_alone.paths == [ARTICLE, ARTICLE]  # (Flask sees it below the prefix)
    fast = client.get(f"/es{ARTICLE}")
    assert len(flask_alone.paths) == 2
    assert fast.get_data() == first.get_data() and SPANISH_TITLE in fast.get_data()
    assert headers_of(fast) == headers_of(first) and fast.headers["Vary"] == "Accept-Encoding, Cookie"
    assert fast.headers["ETag"] != english.headers["ETag"]


@pytest.mark.parametrize(
    "asked",
    [{"Accept-Language": "es-ES,es;q=0.9"}, {"Cookie": "helpdesk_language=es"}],
    ids=["header", "cookie"],
)
def test_an_unprefixed_article_is_answered_fast_in_the_negotiated_language(app, asked):
    flask_alone, by_flask = counted(app)
    client = app.test_client(use_cookies=False)
    english = client.get(ARTICLE)
    assert SPANISH_TITLE not in client.get(ARTICLE).get_data()  # the English page, kept and fast
    client.get(ARTICLE, headers=asked)  # Spanish: not the English page kept; the view renders it
    assert len(flask_alone.paths) == 2
    fast = client.get(ARTICLE, headers=asked)
    assert len(flask_alone.paths) == 2
    slow = by_flask.get(ARTICLE, headers=asked)
    assert fast.get_data() == slow.get_data() and SPANISH_TITLE in fast.get_data()
    assert headers_of(fast) == headers_of(slow)
    assert fast.headers["Vary"] == "Accept-Encoding, Accept-Language, Cookie"
    assert fast.headers["ETag"] != english.headers["ETag"]


def test_a_plain_step_page_is_answered_fast_in_each_language(app):
    flask_alone, by_flask = counted(app)
    browser = app.test_client()
    browser.get(f"/es/diagnose/{FLOW}", follow_redirects=True)  # Flask: starts it, keeps the page
    reached = len(flask_alone.paths)
    fast = browser.get(f"/es{FIRST}")
    assert len(flask_alone.paths) == reached
    assert b'<html lang="es"' in fast.get_data() and f'action="/es{FIRST}"'.encode() in fast.get_data()
    assert fast.headers["Vary"] == "Cookie"
    # the same diagnosis, unprefixed, in Arabic by the switch's cookie: another page, kept apart
    arabic = {**cookie_of(browser), "Accept-Language": "es"}
    arabic["Cookie"] += "; helpdesk_language=ar"
    other = app.test_client(use_cookies=False)  # the cookies exactly as written here
    other.get(FIRST, headers=arabic)  # Flask keeps the Arabic page
    reached = len(flask_alone.paths)
    fast = other.get(FIRST, headers=arabic)
    assert len(flask_alone.paths) == reached
    same_answers(fast, by_flask.get(FIRST, headers=arabic))
    assert (
        b'<html lang="ar" dir="rtl"' in fast.get_data() and fast.headers["Vary"] == "Accept-Language, Cookie"
    )
