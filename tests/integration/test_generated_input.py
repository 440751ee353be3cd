"""Generated input through HTTP (the test client): search queries, pasted links and answers to
a diagnosis, on the pages and the API. Whatever is sent, the answer is never a 5xx; every /api/
answer also matches the OpenAPI document (the ContractClient checks it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, build_app
from tests.integration.test_diagnosis_journey import begin
from tests.support import csrf_from

TEXTS = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        [
            '"',
            "*",
            "NEAR(a b)",
            "a OR",
            "<script>alert(1)</script>",
            "%00",
            "\x00",
            "' OR 1=1 --",
            "https://@example.org",
            "javascript:alert(1)",
            "https://example.org\\@evil.test",
            "\ud7ff",
            "x" * 5000,
            "\u202e",
            "{{7*7}}",
            "../../etc/passwd",
            "\r\nSet-Cookie: x=1",
            "<img src=x onerror=alert(1)>",
            "reset <svg onload=alert(1)> password",
        ]
    ),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@pytest.fixture
def site(tmp_path: Path) -> Flask:
    return build_app(
        tmp_path,
        content_dir=FIXTURES / "good" / "content",
        flows_dir=FIXTURES / "good" / "flows",
        rate_limits=False,  # every example is one more request: the limits are tested elsewhere
    )


def no_server_error(answer, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.get_data(as_text=True)[:300]}"


def not_echoed_as_markup(answer, sent: str) -> None:
    """What was sent comes back on the page escaped, never as markup of the page."""
    for markup in ("<script>alert(1)", "<img src=x onerror", "<svg onload"):
        if markup in sent:
            assert markup not in answer.get_data(as_text=True), sent


@settings(max_examples=100)
@given(query=TEXTS)
def test_no_search_query_is_a_server_error(site: Flask, query: str) -> None:
    client = site.test_client()
    for path in ("/search", "/search/suggest", "/api/v1/search"):
        answer = client.get(path, query_string={"q": query})
        no_server_error(answer, f"{path}?q={query!r}")
        if path == "/search":
            not_echoed_as_markup(answer, query)


@settings(max_examples=100)
@given(link=TEXTS, body=JSON_VALUES)
def test_no_pasted_link_is_a_server_error(site: Flask, link: str, body: object) -> None:
    client = site.test_client()
    token = csrf_from(client.get("/check-link").get_data(as_text=True))
    page = client.post("/check-link", data={"csrf_token": token, "link": link})
    no_server_error(page, repr(link))
    not_echoed_as_markup(page, link)
    no_server_error(client.post("/api/v1/check-link", json={"link": link}), repr(link))
    no_server_error(client.post("/api/v1/check-link", json=body), repr(body))


@settings(max_examples=40)
@given(step=TEXTS, answer=TEXTS, body=JSON_VALUES)
def test_no_answer_is_a_server_error(site: Flask, step: str, answer: str, body: object) -> None:
    browser: FlaskClient = site.test_client()
    url, page = begin(browser)
    token = csrf_from(page)
    no_server_error(browser.post(url, data={"csrf_token": token, "answer": answer}), repr(answer))
    no_server_error(
        browser.post(
            "/diagnose/fix-it/" + step.replace("/", "_"), data={"csrf_token": token, "answer": answer}
        ),
        repr((step, answer)),
    )
    api = site.test_client()
    started = api.post("/api/v1/diagnoses", json={"flow": "fix-it"})
    assert started.status_code == 201
    auth = {"Authorization": f"Bearer {started.get_json()['token']}"}
    answers = started.get_json()["links"]["answers"].removeprefix("http://localhost")
    for sent in ({"step": step, "answer": answer}, {"step": "what", "answer": answer}, body):
        no_server_error(api.post(answers, json=sent, headers=auth), repr(sent))
