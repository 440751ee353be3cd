"""A plain answer to a diagnosis step (web/answer_fast_path.py) is the answer Flask gives: the same
status, redirect, headers, rows and transcript; every other POST is Flask's, with its body intact."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from werkzeug.test import Client
from werkzeug.wrappers import Response

from helpdesk.extensions import db
from helpdesk.models import Diagnosis, DiagnosisEvent
from helpdesk.web.fast_paths import FastPaths
from tests.conftest import FIXTURES, build_app
from tests.integration.test_api import give, is_problem, start
from tests.support import csrf_from

FLOW = "fix-it"
WHAT, EXPLAIN, APPLY = (f"/diagnose/{FLOW}/{step}" for step in ("what", "explain", "apply"))
DIFFERS = {"X-Request-Id"}  # drawn anew for every answer
FROZEN = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)  # one instant: timestamps, windows and Retry-After alike
FAST_ADDRESS, FLASK_ADDRESS = "192.0.2.10", "192.0.2.20"  # a rate-limit window each


class Flask_:
    """Flask behind the fast paths, remembering the requests that reach it (and their bodies)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str, bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = b""
        if environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
            environ["wsgi.input"] = io.BytesIO(body)
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], body))
        return self.inner(environ, start_response)

    @property
    def posts(self) -> list[str]:
        return [path for method, path, _ in self.seen if method == "POST"]


def fast_layer(app: Flask) -> FastPaths:
    found = app.wsgi_app
    while not isinstance(found, FastPaths):
        found = found.app  # type: ignore[attr-defined]  (inside ProxyFix, LanguagePrefix)
    return found


def behind(app: Flask) -> tuple[Flask_, Client]:
    """The requests that reach Flask, and a client asking Flask alone (no fast path)."""
    layer = fast_layer(app)
    flask_alone = Flask_(layer.inner)
    layer.inner = flask_alone
    return flask_alone, Client(flask_alone, Response, use_cookies=False)


def headers_of(answer: Response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in answer.headers.items() if k not in DIFFERS)


def started(app: Flask, address: str) -> tuple[Any, str, dict[str, str]]:
    """A browser (from *address*) that began the flow: its client, its CSRF token, its cookie."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    first = browser.get(f"/diagnose/{FLOW}", follow_redirects=True)
    assert first.status_code == 200
    cookie = {"Cookie": f"helpdesk_session={browser.get_cookie('helpdesk_session').value}"}
    return browser, csrf_from(first.get_data(as_text=True)), cookie


def recorded(app: Flask, diagnosis_id: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The diagnosis's row and its transcript, without what differs between two diagnoses."""
    with app.app_context():
        row = db.session.get(Diagnosis, diagnosis_id)
        assert row is not None
        kept = (row.step, row.path, row.answers, row.status, row.revision, row.updated_at, row.running_step)
        lines = db.session.scalars(
            select(DiagnosisEvent)
            .where(DiagnosisEvent.diagnosis_id == diagnosis_id)
            .order_by(DiagnosisEvent.id)
        ).all()
        return kept, [(e.at, e.kind, e.step, e.detail) for e in lines]


def diagnosis_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Diagnosis.id).order_by(Diagnosis.id)))


@pytest.fixture
def app(tmp_path):
    app = build_app(
        tmp_path,
        content_dir=FIXTURES / "good" / "content",
        flows_dir=FIXTURES / "good" / "flows",
        log_format="json",
    )
    yield app
    with app.app_context():
        db.session.remove()


# (step page, form) in order: an answer, an info step's Continue, the same answer again on an
# earlier page (nothing changes), another answer there (a rewind to an end), and back again
PLAIN_ANSWERS = [
    (WHAT, {"answer": "broken"}),
    (EXPLAIN, {}),
    (WHAT, {"answer": "broken"}),
    (WHAT, {"answer": "dunno"}),
    (WHAT, {"answer": "broken"}),
    (EXPLAIN, {"answer": "continue"}),
]


def test_plain_answers_are_given_before_flask_exactly_as_flask_gives_them(app):
    flask_alone, by_flask = behind(app)
    with time_machine.travel(FROZEN, tick=False):
        fast_browser, fast_token, _ = started(app, FAST_ADDRESS)
        _, slow_token, slow_cookie = started(app, FLASK_ADDRESS)
        fast_id, slow_id = diagnosis_ids(app)
        for page, fields in PLAIN_ANSWERS:
            reached = len(flask_alone.seen)
            fast = fast_browser.post(page, data={"csrf_token": fast_token, **fields})
            assert len(flask_alone.seen) == reached, f"{page} {fields} was answered by Flask"
            slow = by_flask.post(
                page,
                data={"csrf_token": slow_token, **fields},
                headers=slow_cookie,
                environ_base={"REMOTE_ADDR": FLASK_ADDRESS},
            )
            assert fast.status_code == slow.status_code == 303
            assert fast.location == slow.location
            assert fast.get_data() == slow.get_data()
            assert headers_of(fast) == headers_of(slow)
            assert "Set-Cookie" not in fast.headers and fast.headers["Cache-Control"] == "no-store"
        assert recorded(app, fast_id) == recorded(app, slow_id)
    row, transcript = recorded(app, fast_id)
    assert row[:5] == ("apply", ["what", "explain", "apply"], ["broken", "continue"], "active", 5)
    assert [line[1] for line in transcript] == [
        "started", "answered", "answered", "went_back", "answered", "escalated",
        "went_back", "answered", "answered",
    ]  # fmt: skip
    assert fast.headers["X-RateLimit-Remaining"] == str(120 - len(PLAIN_ANSWERS))


def test_the_next_page_follows_a_fast_answer(app):
    browser, token, _ = started(app, FAST_ADDRESS)
    answered = browser.post(WHAT, data={"csrf_token": token, "answer": "broken"}, follow_redirects=True)
    assert answered.status_code == 200 and answered.request.path == EXPLAIN
    assert "Here is why." in answered.get_data(as_text=True)


def test_a_forged_token_gets_flasks_400_and_changes_nothing(app):
    flask_alone, by_flask = behind(app)
    browser, token, cookie = started(app, FAST_ADDRESS)
    forged = {"csrf_token": token[:-2] + ("xx" if not token.endswith("xx") else "yy"), "answer": "broken"}
    refused = browser.post(WHAT, data=forged)
    assert flask_alone.posts == [WHAT]
    assert refused.status_code == 400 and "sent from somewhere else" in refused.get_data(as_text=True)
    same = by_flask.post(WHAT, data=forged, headers=cookie, environ_base={"REMOTE_ADDR": FAST_ADDRESS})
    assert same.status_code == 400 and same.get_data() == refused.get_data()
    assert headers_of(same) == headers_of(refused)
    for missing in ({"answer": "broken"}, {"csrf_token": "", "answer": "broken"}):
        assert browser.post(WHAT, data=missing).status_code == 400
    (diagnosis_id,) = diagnosis_ids(app)
    row, transcript = recorded(app, diagnosis_id)
    assert row[0] == "what" and [line[1] for line in transcript] == ["started"]


def test_a_token_of_another_browser_is_refused(app):
    flask_alone, _ = behind(app)
    browser, _, _ = started(app, FAST_ADDRESS)
    _, someone_elses, _ = started(app, FAST_ADDRESS)
    refused = browser.post(WHAT, data={"csrf_token": someone_elses, "answer": "broken"})
    assert refused.status_code == 400 and flask_alone.posts == [WHAT]


def test_a_token_signed_by_another_worker_is_accepted(app):
    """Flask-WTF's tokens carry the time they were signed: another worker's differ from the one
    this worker keeps, and are valid all the same."""
    from itsdangerous import URLSafeTimedSerializer

    flask_alone, _ = behind(app)
    browser, _, _ = started(app, FAST_ADDRESS)
    data, _ = app.session_interface.read_main_cookie(app, browser.get_cookie("helpdesk_session").value)
    secret = data["csrf_token"]
    with time_machine.travel(datetime.now(UTC) - timedelta(minutes=7)):
        elsewhere = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(secret)
    answered = browser.post(WHAT, data={"csrf_token": elsewhere, "answer": "broken"})
    assert answered.status_code == 303 and answered.location == EXPLAIN
    assert flask_alone.posts == []


def test_an_answer_the_step_does_not_take_gets_flasks_400_page(app):
    flask_alone, _ = behind(app)
    browser, token, _ = started(app, FAST_ADDRESS)
    for fields in ({"answer": "no-such-answer"}, {}):
        refused = browser.post(WHAT, data={"csrf_token": token, **fields})
        assert refused.status_code == 400
        assert "Please choose one of the answers." in refused.get_data(as_text=True)
    assert flask_alone.posts == [WHAT, WHAT]


def test_a_step_not_reached_is_flasks_out_of_date_redirect_with_its_message(app):
    flask_alone, _ = behind(app)
    browser, token, _ = started(app, FAST_ADDRESS)
    stale = browser.post(EXPLAIN, data={"csrf_token": token})
    assert stale.status_code == 303 and stale.location == WHAT and flask_alone.posts == [EXPLAIN]
    assert "That page was out of date" in browser.get(WHAT).get_data(as_text=True)


def test_a_body_handed_on_to_flask_reaches_it_intact(app):
    flask_alone, _ = behind(app)
    browser, token, _ = started(app, FAST_ADDRESS)
    browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    browser.post(EXPLAIN, data={"csrf_token": token})
    assert flask_alone.posts == []  # both plain: the fast path read their bodies and answered
    sent = f"csrf_token={token}&word=fixed&answer=broken".encode()
    fixed = browser.post(APPLY, data=sent, content_type="application/x-www-form-urlencoded")
    assert flask_alone.seen[-1] == ("POST", APPLY, sent)  # read by the fast path, then Flask's
    assert fixed.status_code == 303 and fixed.location.endswith("/confirm")
    not_an_answer = f"csrf_token={token}&answer=nonsense".encode()
    refused = browser.post(WHAT, data=not_an_answer, content_type="application/x-www-form-urlencoded")
    assert flask_alone.seen[-1] == ("POST", WHAT, not_an_answer)
    assert refused.status_code == 400 and "Please choose one of the answers." in refused.get_data(
        as_text=True
    )


def test_answers_here_and_through_the_api_draw_on_one_allowance(app):
    flask_alone, _ = behind(app)
    browser, token, _ = started(app, "127.0.0.1")  # the API client's address, as the test client sends it
    client = app.test_client()
    body, auth = start(client)
    for n in range(120):
        if n % 2:
            assert give(client, body, auth, step="what", answer="broken").status_code == 200
        else:
            assert browser.post(WHAT, data={"csrf_token": token, "answer": "broken"}).status_code == 303
    assert flask_alone.posts.count(WHAT) == 0  # every page answer was the fast path's
    is_problem(give(client, body, auth, step="what", answer="broken"), 429, "too-many-requests")
    refused = browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    assert refused.status_code == 429 and "Too many tries" in refused.get_data(as_text=True)
    assert flask_alone.posts.count(WHAT) == 1  # the refusal is Flask's page


def test_the_fast_path_counts_against_the_apis_allowance(app):
    _, _ = behind(app)
    browser, token, _ = started(app, "127.0.0.1")
    for _ in range(120):
        assert browser.post(WHAT, data={"csrf_token": token, "answer": "broken"}).status_code == 303
    client = app.test_client()
    body, auth = start(client)
    is_problem(give(client, body, auth, step="what", answer="broken"), 429, "too-many-requests")


def test_an_answer_counted_then_handed_to_flask_is_not_counted_twice(app, monkeypatch):
    from helpdesk.web import answer_fast_path

    flask_alone, _ = behind(app)
    browser, token, _ = started(app, FAST_ADDRESS)

    def lost_a_race(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away meanwhile")

    monkeypatch.setattr(answer_fast_path, "move_on", lost_a_race)
    answered = browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    assert flask_alone.posts == [WHAT] and answered.status_code == 303  # Flask gave it
    monkeypatch.undo()
    again = browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    assert flask_alone.posts == [WHAT]
    assert again.headers["X-RateLimit-Remaining"] == "118"  # one each: the first not twice


def test_an_answer_under_a_language_prefix_leads_on_under_it(app):
    flask_alone, _ = behind(app)
    browser = app.test_client()
    first = browser.get(f"/es/diagnose/{FLOW}", follow_redirects=True)
    token = csrf_from(first.get_data(as_text=True))
    answered = browser.post(f"/es{WHAT}", data={"csrf_token": token, "answer": "broken"})
    assert flask_alone.posts == []
    assert answered.status_code == 303 and answered.location == f"/es{EXPLAIN}"
    assert answered.headers["Vary"] == "Cookie"
    unprefixed = browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    assert unprefixed.location == EXPLAIN and unprefixed.headers["Vary"] == "Accept-Language, Cookie"
    assert flask_alone.posts == []


def test_a_hand_over_to_another_flow_is_flasks(app):
    flask_alone, _ = behind(app)
    browser, token, _ = started(app, FAST_ADDRESS)
    handed = browser.post(WHAT, data={"csrf_token": token, "answer": "elsewhere"})
    assert flask_alone.posts == [WHAT]
    assert handed.status_code == 303 and handed.location == "/diagnose/other-flow/first"
    assert "helpdesk_session=" in handed.headers["Set-Cookie"]  # the new diagnosis remembered


def test_a_signed_in_browser_or_a_cookie_due_again_is_answered_by_flask(app):
    flask_alone, _ = behind(app)
    browser, token, _ = started(app, FAST_ADDRESS)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        answered = browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    assert flask_alone.posts == [WHAT] and "helpdesk_session=" in answered.headers["Set-Cookie"]
    browser.set_cookie("helpdesk_signin", "a-sign-in")
    browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    assert flask_alone.posts == [WHAT, WHAT]


def test_a_form_sent_another_way_is_flasks(app):
    flask_alone, _ = behind(app)
    browser, token, _ = started(app, FAST_ADDRESS)
    multipart = browser.post(
        WHAT, data={"csrf_token": token, "answer": "broken"}, content_type="multipart/form-data"
    )
    assert multipart.status_code == 303 and flask_alone.posts == [WHAT]
    in_header = browser.post(WHAT, data={"answer": "broken"}, headers={"X-CSRFToken": token})
    assert in_header.status_code == 303 and flask_alone.posts == [WHAT, WHAT]


def test_a_fast_answer_is_observed_like_flasks(app, caplog):
    browser, token, _ = started(app, FAST_ADDRESS)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="helpdesk.access"):
        answered = browser.post(WHAT, data={"csrf_token": token, "answer": "broken"})
    [line] = [r for r in caplog.records if r.name == "helpdesk.access"]
    assert (line.method, line.endpoint, line.path, line.status, line.client) == (
        "POST",
        "diagnose.submit",
        WHAT,
        303,
        FAST_ADDRESS,
    )
    assert line.request_id == answered.headers["X-Request-Id"]


def test_under_https_the_referrer_is_checked_as_flask_wtf_checks_it(tmp_path):
    app = build_app(
        tmp_path,
        content_dir=FIXTURES / "good" / "content",
        flows_dir=FIXTURES / "good" / "flows",
        site_url="https://help.example.org",
    )
    flask_alone, _ = behind(app)
    browser = app.test_client()
    https = {"base_url": "https://help.example.org"}
    first = browser.get(f"/diagnose/{FLOW}", follow_redirects=True, **https)
    token = csrf_from(first.get_data(as_text=True))
    form = {"csrf_token": token, "answer": "broken"}
    elsewhere = browser.post(WHAT, data=form, headers={"Referer": "https://elsewhere.example.net/"}, **https)
    assert elsewhere.status_code == 400 and flask_alone.posts == [WHAT]
    nowhere = browser.post(WHAT, data=form, **https)
    assert nowhere.status_code == 400 and flask_alone.posts == [WHAT, WHAT]
    here = browser.post(WHAT, data=form, headers={"Referer": f"https://help.example.org{WHAT}"}, **https)
    assert here.status_code == 303 and here.location == EXPLAIN and flask_alone.posts == [WHAT, WHAT]


class GoneAway(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise OSError("the client closed the connection")


def test_a_body_cut_short_or_lost_is_flasks_to_judge(app):
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    flask_alone, _ = behind(app)
    _, token, cookie = started(app, FAST_ADDRESS)
    sent = f"csrf_token={token}&answer=broken".encode()

    def posted(stream: io.BytesIO) -> str:
        environ = EnvironBuilder(
            path=WHAT,
            method="POST",
            input_stream=stream,
            content_type="application/x-www-form-urlencoded",
            headers=cookie,
        ).get_environ()
        environ["CONTENT_LENGTH"] = str(len(sent) + 50)  # the rest never came: the client went away
        _, status, _ = run_wsgi_app(app.wsgi_app, environ, buffered=True)
        return str(status)

    posted(io.BytesIO(sent))
    assert flask_alone.seen[-1] == ("POST", WHAT, sent)  # what came, handed on as it came
    assert posted(GoneAway()).startswith("400")  # not a crash: Flask finds no token
    assert flask_alone.posts == [WHAT, WHAT]
