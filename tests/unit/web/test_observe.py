"""Every request observed: an id on the response and its log lines, its latency by endpoint, and
one JSON access line that gives no secret away."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from flask.logging import default_handler

from helpdesk import metrics
from helpdesk.config import SettingsError
from helpdesk.web.logs import ToStderr
from helpdesk.web.observe import request_id_from
from tests.conftest import build_app
from tests.support import csrf_from

PROXY_ID = "0f3a9c2e-proxy-id-7"


@pytest.fixture
def json_logs() -> Iterator[None]:
    """Leave the process's loggers as they were (a JSON app changes the shared ones)."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, ToStderr)]:
        root.removeHandler(handler)
    logging.getLogger("helpdesk").addHandler(default_handler)
    logging.getLogger("helpdesk").setLevel(logging.NOTSET)
    logging.getLogger("werkzeug").setLevel(logging.NOTSET)


def lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


def test_every_answer_carries_a_fresh_request_id(client):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/no-such-page").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_without_a_trusted_proxy_the_clients_id_is_ignored(client):
    answer = client.get("/healthz", headers={"X-Request-Id": PROXY_ID})
    assert answer.headers["X-Request-Id"] != PROXY_ID


def test_the_id_a_trusted_proxy_gives_is_kept(tmp_path):
    client = build_app(tmp_path, trusted_proxies=1).test_client()
    assert client.get("/healthz", headers={"X-Request-Id": PROXY_ID}).headers["X-Request-Id"] == PROXY_ID


@pytest.mark.parametrize(
    "sent", ["short", "x" * 129, "id with spaces", "id\r\nSet-Cookie: a=b", "é-accent-id"]
)
def test_an_odd_id_even_from_a_trusted_proxy_is_replaced(sent):
    assert re.fullmatch(r"[0-9a-f]{32}", request_id_from(sent, trusted=True))


def test_latency_is_counted_by_endpoint_never_by_path(tmp_path):
    client = build_app(tmp_path, metrics="open").test_client()
    slugs = ("first-zqxv", "second-zqxv", "third-zqxv")
    for slug in slugs:
        client.get(f"/articles/{slug}")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="public.article"' in text
    assert "zqxv" not in text


def test_odd_methods_and_unrouted_paths_share_bounded_labels():
    def count(endpoint: str, method: str) -> float:
        sample = metrics.REGISTRY.get_sample_value(
            "helpdesk_http_request_duration_seconds_count",
            {"endpoint": endpoint, "method": method, "status": "4xx"},
        )
        return sample or 0.0

    before = count("none", "other")
    metrics.request_answered(None, "BREW", 405, 0.001)
    assert count("none", "other") == before + 1


def test_a_429_counts_as_a_refusal():
    before = metrics.REGISTRY.get_sample_value("helpdesk_rate_limited_total", {"endpoint": "x.y"}) or 0.0
    metrics.request_answered("x.y", "POST", 429, 0.002)
    assert metrics.REGISTRY.get_sample_value("helpdesk_rate_limited_total", {"endpoint": "x.y"}) == before + 1


def test_each_request_writes_one_json_access_line_with_its_id(tmp_path, capsys, json_logs):
    client = build_app(tmp_path, log_format="json").test_client()
    capsys.readouterr()
    answer = client.get("/articles/no-such-article?q=private")
    written = lines(capsys.readouterr().err)
    access = [line for line in written if line["logger"] == "helpdesk.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == answer.headers["X-Request-Id"]
    assert line["method"] == "GET" and line["status"] == 404 and line["endpoint"] == "public.article"
    assert line["path"] == "/articles/no-such-article"  # the query string is never logged
    assert isinstance(line["duration_ms"], float)
    assert {"time", "level", "message"} <= line.keys()


def test_the_apps_own_lines_carry_the_request_id(tmp_path, capsys, json_logs):
    client = build_app(tmp_path, log_format="json", trusted_proxies=1).test_client()
    capsys.readouterr()
    client.post("/login", data={"email": "a@example.org"}, headers={"X-Request-Id": PROXY_ID})
    written = lines(capsys.readouterr().err)
    assert {line["logger"] for line in written} == {"helpdesk", "helpdesk.access"}  # CSRF refusal
    assert all(line["request_id"] == PROXY_ID for line in written)


def test_no_token_or_password_reaches_a_log_line(tmp_path, capsys, json_logs):
    client = build_app(tmp_path, log_format="json").test_client()
    password, token, link = "correct horse battery", "Tok3nTok3nTok3n", "signed.support.link"
    page = client.get("/login").get_data(as_text=True)
    form = {"email": "nobody@example.org", "password": password}
    client.post("/login", data={"csrf_token": csrf_from(page), **form})
    client.post("/login", data=form)  # refused: no CSRF token
    client.get(f"/password/reset/{token}")
    client.get(f"/unlock/{token}\nforged line")
    client.get(f"/diagnose/locked-out?link={link}")
    captured = capsys.readouterr().err
    written = lines(captured)  # every line is one JSON object: nothing forged a line
    assert len([line for line in written if line["logger"] == "helpdesk.access"]) == 6
    for secret in (password, token, link):
        assert secret not in captured


def test_an_unknown_log_format_stops_the_start(tmp_path):
    with pytest.raises(SettingsError, match="HELPDESK_LOG_FORMAT"):
        build_app(tmp_path, log_format="yaml")


def test_healthz_answered_before_flask_is_observed_like_any_page(tmp_path, capsys, json_logs):
    app = build_app(tmp_path, log_format="json", trusted_proxies=1, metrics="open")
    client = app.test_client()

    def counted() -> float:
        sample = metrics.REGISTRY.get_sample_value(
            "helpdesk_http_request_duration_seconds_count",
            {"endpoint": "public.healthz", "method": "GET", "status": "2xx"},
        )
        return sample or 0.0

    before = counted()
    capsys.readouterr()
    answer = client.get("/healthz", headers={"X-Request-Id": PROXY_ID})
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok"
    assert answer.headers["X-Request-Id"] == PROXY_ID
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"  # every answer's headers
    assert "Set-Cookie" not in answer.headers
    access = [line for line in lines(capsys.readouterr().err) if line["logger"] == "helpdesk.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == PROXY_ID and access[0]["endpoint"] == "public.healthz"
    assert access[0]["status"] == 200 and access[0]["path"] == "/healthz"
    assert counted() == before + 1
