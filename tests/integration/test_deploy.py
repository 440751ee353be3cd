"""deploy/: gunicorn's config loads, and serves with two workers whose metrics /metrics adds up,
logging one JSON line a request; the systemd units are well formed."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.mailbox import free_port
from tests.support import run_flask

CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
HEALTHZ_COUNT = re.compile(
    r"helpdesk_http_request_duration_seconds_count"
    r'\{endpoint="[\w.]*healthz",method="GET",status="2xx"\} (\S+)'
)

pytestmark = pytest.mark.slow


def site_env(tmp_path: Path) -> dict[str, str]:
    env = {
        "HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "HELPDESK_INSTANCE_DIR": str(tmp_path / "instance"),
        "HELPDESK_SECRET_KEY": "deploy-test-key",
        "HELPDESK_RELOAD_SECONDS": "-1",
        "HELPDESK_VIEW_FLUSH_SECONDS": "1",
        "HELPDESK_METRICS": "open",
        "HELPDESK_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    migrated = run_flask("db", "upgrade", env=env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def gunicorn(*args: str) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), *args, "wsgi:app"]


@contextmanager
def served(env: dict[str, str], log: Path, *args: str) -> Iterator[str]:
    port = free_port()
    with log.open("w") as stderr:
        process = subprocess.Popen(
            gunicorn("--bind", f"127.0.0.1:{port}", *args),
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:  # noqa: S310
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    raise AssertionError("gunicorn did not start:\n" + log.read_text()[-3000:])
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=40)


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (loopback)
        return answer.status, answer.read().decode()


def healthz_count(url: str) -> float:
    status, text = get(url + "/metrics")
    assert status == 200
    found = HEALTHZ_COUNT.search(text)
    assert found, text[:2000]
    return float(found.group(1))


def test_the_config_loads_the_app(tmp_path):
    checked = subprocess.run(
        gunicorn("--check-config"),
        cwd=ROOT,
        env={**os.environ, **site_env(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.timeout(300)
def test_two_workers_serve_and_the_metrics_add_both_up(tmp_path):
    env = site_env(tmp_path)
    metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    log = tmp_path / "gunicorn.log"
    with served(env, log, "--workers", "2") as url:
        before = healthz_count(url)  # the start-up checks (a client may have given up on some)
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            while len(list(metrics_dir.glob("histogram_*.db"))) < 2:  # until both workers answered
                statuses = list(pool.map(lambda _: get(url + "/healthz")[0], range(16)))
                assert statuses == [200] * 16
                sent += 16
                assert sent < 4000, "one worker answered everything"
        after = healthz_count(url)
        assert after - before == sent  # both workers' counts, added up
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "helpdesk.access" and line["status"] == 200]
    assert len(access) == after  # one line a request; the scrapes that answered 200 are not logged
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in access)
    assert len({line["request_id"] for line in access}) == len(access)
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)


@pytest.mark.timeout(300)
def test_workers_forked_from_the_preloaded_app_flush_their_article_views(tmp_path):
    env = site_env(tmp_path)
    with served(env, tmp_path / "gunicorn.log", "--workers", "2") as url:
        for _ in range(6):
            assert get(url + "/articles/after-recovery")[0] == 200
        deadline = time.monotonic() + 20
        while views(tmp_path) < 6:  # each worker's flushing thread, every second here
            assert time.monotonic() < deadline, "the views stayed in the workers"
            time.sleep(0.2)


def views(tmp_path: Path) -> int:
    with closing(sqlite3.connect(tmp_path / "site.sqlite3")) as database:
        return database.execute("SELECT coalesce(sum(views), 0) FROM article_views").fetchone()[0]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_units_are_well_formed(tmp_path):
    names = ("helpdesk.service", "helpdesk-tasks.service", "helpdesk-tasks.timer")
    units = [ROOT / "deploy" / name for name in names]
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # the programs are where deploy/README.md installs them, not on this machine
    problems = [line for line in checked.stderr.splitlines() if "is not executable" not in line]
    assert not problems, checked.stderr
