"""GET /metrics: off (404), open, or behind a bearer token (401 without it); no cookie, no limit."""

from __future__ import annotations

import pytest

from helpdesk.config import SettingsError
from helpdesk.web.metrics_page import may_read
from tests.conftest import build_app

TOKEN = "a-scraper-token-of-some-length"


def test_metrics_are_off_by_default_and_the_page_is_a_404(client):
    assert client.get("/metrics").status_code == 404


def test_open_metrics_are_the_prometheus_text_format(tmp_path):
    client = build_app(tmp_path, metrics="open").test_client()
    client.get("/healthz")
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    text = answer.get_data(as_text=True)
    assert "# TYPE helpdesk_http_request_duration_seconds histogram" in text
    assert "# TYPE helpdesk_diagnoses_started_total counter" in text
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_token_is_asked_for_and_a_wrong_one_refused(tmp_path):
    client = build_app(tmp_path, metrics=TOKEN).test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "helpdesk_" not in missing.get_data(as_text=True)
    wrong = {"Authorization": "Bearer wrong-token-of-some-length"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200
    assert "helpdesk_http_request_duration_seconds" in allowed.get_data(as_text=True)


def test_the_token_is_compared_whole():
    assert may_read(f"Bearer {TOKEN}", TOKEN)
    assert may_read(f"bearer {TOKEN}", TOKEN)  # the scheme is case-insensitive (RFC 9110)
    assert not may_read(f"Bearer {TOKEN[:-1]}", TOKEN)
    assert not may_read(f"Bearer {TOKEN}x", TOKEN)
    assert not may_read(None, TOKEN)
    assert may_read(None, "open")


@pytest.mark.parametrize("value", ["short", "opn", "of"])
def test_a_token_too_short_to_be_secret_stops_the_start(tmp_path, value):
    with pytest.raises(SettingsError, match="HELPDESK_METRICS"):
        build_app(tmp_path, metrics=value)


def test_a_scrape_sets_no_cookie_and_is_not_rate_limited(tmp_path):
    client = build_app(tmp_path, metrics="open").test_client()
    for _ in range(3):
        answer = client.get("/metrics")
        assert answer.status_code == 200
        assert "Set-Cookie" not in answer.headers
        assert not any(name.startswith("X-RateLimit") for name, _ in answer.headers.items())


def test_a_scrape_is_not_timed_in_its_own_histogram(tmp_path):
    client = build_app(tmp_path, metrics="open").test_client()
    client.get("/metrics")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="metrics_page.metrics_text"' not in text
