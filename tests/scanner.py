"""A real ClamAV daemon for the tests, started here with a signature database of its own: one
signature, for MARKER, so no real malware sample (not even the EICAR file) lives in the repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MARKER = b"HELPDESK-TEST-SIGNATURE-7f3c9e1b-do-not-accept"
SIGNATURE = "Helpdesk.Test.Marker"


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Unix socket of a clamd started for this test session (Debian's clamav-daemon)."""
    binary = shutil.which("clamd") or ("/usr/sbin/clamd" if Path("/usr/sbin/clamd").is_file() else None)
    if binary is None:
        message = "clamd not found: `sudo apt-get install clamav-daemon` runs the virus-scan tests"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run them", pytrace=False)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("clamd")
    database = folder / "db"
    database.mkdir()
    (database / "helpdesk-test.ndb").write_text(f"{SIGNATURE}:0:*:{MARKER.hex()}\n")
    socket_path = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        "Foreground yes\n"
        f"LocalSocket {socket_path}\n"
        f"DatabaseDirectory {database}\n"
        f"LogFile {folder / 'clamd.log'}\n"
        "StreamMaxLength 25M\n"
    )
    server = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not socket_path.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            log = (folder / "clamd.log").read_text() if (folder / "clamd.log").exists() else ""
            pytest.fail(f"clamd did not start: {log[-2000:]}", pytrace=False)
        time.sleep(0.1)
    yield str(socket_path)
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture
def scanning(app, clamd_address: str) -> str:
    """The test's app checks uploads with the session's clamd (HELPDESK_CLAMD)."""
    from dataclasses import replace

    app.extensions["helpdesk.settings"] = replace(app.extensions["helpdesk.settings"], clamd=clamd_address)
    return clamd_address
