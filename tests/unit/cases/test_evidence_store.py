"""The evidence stores: the database table and an S3-compatible object store (tested against
moto's standalone server, a real S3 HTTP endpoint), each holding only sealed bytes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpdesk.cases.evidence import MAGIC, read, remove_files, reseal_all, store, version_of
from helpdesk.cases.evidence_store import DatabaseStore, S3Store, evidence_store
from helpdesk.config import Settings, SettingsError
from helpdesk.extensions import db
from helpdesk.keys import add_version, keyring
from helpdesk.models import EvidenceFile
from tests.conftest import build_app
from tests.mailbox import free_port
from tests.unit.cases.verification.steps import submitted_request

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
BUCKET = "helpdesk-evidence"


@pytest.fixture(scope="module")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on a free port, with the bucket made."""
    try:
        import boto3
        import moto.server  # noqa: F401
    except ImportError:
        message = "boto3 and moto not installed: `pip install -e '.[test,s3]'` runs the S3 store tests"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run them", pytrace=False)
        pytest.skip(message)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=tmp_path_factory.mktemp("moto"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError("moto's S3 server did not start") from None
            time.sleep(0.05)
    client = boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    client.create_bucket(Bucket=BUCKET)
    yield url
    server.terminate()
    server.wait(timeout=10)


def s3_app(tmp_path: Path, url: str, prefix: str):
    return build_app(
        tmp_path,
        evidence_store="s3",
        s3_url=url,
        s3_bucket=BUCKET,
        s3_prefix=prefix,
        s3_region="us-east-1",
        s3_access_key="k",
        s3_secret_key="s",
    )


@pytest.fixture(params=["database", "s3"])
def store_app(request, tmp_path: Path):
    if request.param == "database":
        return build_app(tmp_path)
    return s3_app(tmp_path, request.getfixturevalue("s3_url"), f"{tmp_path.name}/")


def test_a_store_keeps_replaces_lists_and_deletes(store_app):
    with store_app.app_context():
        files = evidence_store()
        assert files.get("a" * 32) is None
        files.put("a" * 32, b"sealed one")
        files.put("b" * 32, b"sealed two")
        files.put("a" * 32, b"sealed again")
        db.session.commit()
        assert files.get("a" * 32) == b"sealed again"
        assert sorted(files.names()) == ["a" * 32, "b" * 32]
        files.delete("a" * 32)
        files.delete("c" * 32)  # not there: no harm
        db.session.commit()
        assert files.get("a" * 32) is None and list(files.names()) == ["b" * 32]


def test_evidence_in_either_store_is_sealed_read_resealed_and_purged(store_app, account):
    with store_app.app_context():
        request_id = submitted_request(store_app).id
        item = store(request_id, "id-document", PDF, "application/pdf")
        db.session.commit()
        kept = evidence_store().get(item.stored_name)
        assert kept.startswith(MAGIC) and b"%PDF" not in kept
        assert read(item) == PDF
        add_version(keyring(), store_app.extensions["helpdesk.settings"].keyring_file)
        assert reseal_all() == 1
        assert version_of(evidence_store().get(item.stored_name)) == "v2" and read(item) == PDF
        assert remove_files(request_id) == 1
        db.session.commit()
        assert list(evidence_store().names()) == []


def test_with_the_s3_store_the_database_holds_no_file(tmp_path: Path, s3_url: str, account):
    app = s3_app(tmp_path, s3_url, "only-s3/")
    with app.app_context():
        assert isinstance(evidence_store(), S3Store)
        item = store(submitted_request(app).id, "selfie", PDF, "application/pdf")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0
        assert list(evidence_store().names()) == [item.stored_name]


def test_the_database_is_the_default_store(app):
    with app.app_context():
        assert isinstance(evidence_store(), DatabaseStore)


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({"HELPDESK_EVIDENCE_STORE": "disk"}, "must be database or s3"),
        ({"HELPDESK_EVIDENCE_STORE": "s3"}, "set HELPDESK_S3_BUCKET"),
    ],
)
def test_an_evidence_store_that_cannot_be_used_stops_the_start(environ, says):
    with pytest.raises(SettingsError, match=says):
        Settings.from_env({"HELPDESK_SECRET_KEY": "k", **environ})
