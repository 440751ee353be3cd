"""Past one process: two app servers with one database and one Redis share their rate-limit counters."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.support import app_servers, run_flask

START_LIMIT = 60  # POST /api/v1/diagnoses: "60 per hour" per address, as the flow pages


def start_diagnosis(url: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url + "/api/v1/diagnoses",
        data=json.dumps({"flow": "wrong-password"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.timeout(300)  # two servers start and take 62 requests: slow on a loaded machine
def test_two_app_servers_count_one_limit_together(tmp_path: Path, redis_url: str) -> None:
    env = {
        "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "HELPDESK_INSTANCE_DIR": str(tmp_path / "instance"),
        "HELPDESK_SECRET_KEY": "shared-counters-test-key",
        "HELPDESK_REDIS_URL": redis_url,
        "HELPDESK_RELOAD_SECONDS": "-1",
        "HELPDESK_ANSWER_FLOOR_MS": "0",
    }
    migrated = run_flask("db", "upgrade", env=env)
    assert migrated.returncode == 0, migrated.stderr
    with app_servers([env, env]) as (first, second):
        # half of the allowance on each server: neither alone has reached the limit
        statuses = [start_diagnosis(first if n % 2 else second) for n in range(START_LIMIT)]
        assert statuses == [201] * START_LIMIT
        # together they have, so the next start is refused wherever it lands
        assert start_diagnosis(first) == 429
        assert start_diagnosis(second) == 429
    # the counter was in Redis, not in a process
    assert any(b"diagnosis-start" in key for key in redis.Redis.from_url(redis_url).scan_iter())
