"""schemathesis against the running app: requests generated from /api/openapi.json (valid and
invalid ones, in every phase: examples, coverage, fuzzing, stateful) never meet a 5xx, and every
response conforms to the document."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from helpdesk.extensions import db
from tests.conftest import build_app

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",  # data the document forbids is refused with a 4xx
    "missing_required_header",
    "ignored_auth",  # a diagnosis without its token is refused
    "unsupported_method",
    "allow_header_conformance",
)
# Not positive_data_acceptance: valid JSON can still name a step or choice that does not exist,
# and that is a 422 by design.


@pytest.fixture
def live_api(tmp_path: Path) -> Iterator[str]:
    """The shipped sample content served on a real port; rate limits off, so the run is not cut short."""
    serving: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: serving["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = build_app(tmp_path, rate_limits=False, site_url=url)
    serving["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def start_diagnosis(url: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 (http, to our own test server)
        url + "/api/v1/diagnoses",
        data=json.dumps({"flow": "locked-out"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.load(response)


def test_schemathesis_finds_no_server_error_and_no_response_outside_the_document(live_api, tmp_path):
    started = start_diagnosis(live_api)
    config = tmp_path / "schemathesis.toml"
    # every request carries a real diagnosis's token and reference, so its calls get past 401/404
    config.write_text(
        f'headers = {{ Authorization = "Bearer {started["token"]}" }}\n'
        f'[parameters]\n"path.reference" = "{started["reference"]}"\n'
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "--no-color",
            "run",
            live_api + "/api/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            "40",
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--generation-database",
            "none",
            "--report-dir",
            str(tmp_path / "report"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    assert "11 selected / 11 total" in run.stdout  # every operation of the document was tried
