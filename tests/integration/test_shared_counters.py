"""Past one process: two app servers with one database and one Redis share their rate-limit counters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.conftest import ROOT
from tests.mailbox import free_port
from tests.support import run_flask

START_LIMIT = 60  # POST /api/v1/diagnoses: "60 per hour" per address, as the flow pages


@contextmanager
def app_servers(env: dict[str, str], count: int) -> Iterator[list[str]]:
    """*count* `gunicorn wsgi:app` servers as deployed, one worker each, started side by side."""
    ports = set()
    while len(ports) < count:
        ports.add(free_port())
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--graceful-timeout",
                "5",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            _wait_until_healthy(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90  # a loaded CI machine imports slowly
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the app server did not start:\n" + process.communicate()[1][-3000:])
        time.sleep(0.1)


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
    with app_servers(env, 2) as (first, second):
        # half of the allowance on each server: neither alone has reached the limit
        statuses = [start_diagnosis(first if n % 2 else second) for n in range(START_LIMIT)]
        assert statuses == [201] * START_LIMIT
        # together they have, so the next start is refused wherever it lands
        assert start_diagnosis(first) == 429
        assert start_diagnosis(second) == 429
    # the counter was in Redis, not in a process
    assert any(b"diagnosis-start" in key for key in redis.Redis.from_url(redis_url).scan_iter())
