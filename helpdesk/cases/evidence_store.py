"""Where sealed evidence is kept: somewhere every machine of the site reaches, never one machine's
disk. A store sees sealed bytes alone (cases/evidence.py encrypts before `put` and decrypts after
`get`), so neither the database nor the bucket holds an ID photo anyone can open without the keys.

HELPDESK_EVIDENCE_STORE picks the store:
- `database` (the default): the `evidence_files` table, written in the same transaction as the
  evidence row, so an upload is kept whole or not at all;
- `s3`: an S3-compatible object store (HELPDESK_S3_URL, HELPDESK_S3_BUCKET, HELPDESK_S3_PREFIX,
  HELPDESK_S3_ACCESS_KEY, HELPDESK_S3_SECRET_KEY, HELPDESK_S3_REGION), through boto3
  (`pip install boto3`, pinned in pyproject's `s3` extra). Objects are written at once, outside
  the database transaction: an upload whose row then fails to commit leaves one sealed object
  nobody names, and a purge whose commit fails leaves rows whose files read as deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import delete, select

from ..config import Settings, SettingsError, settings
from ..extensions import db
from ..models import EvidenceFile

_S3_CLIENT = "helpdesk.evidence-s3"


class EvidenceStore(Protocol):
    """Sealed files by name (the evidence row's random stored_name)."""

    def put(self, name: str, sealed: bytes) -> None:
        """Keep *sealed* under *name*, replacing what was there."""

    def get(self, name: str) -> bytes | None:
        """The sealed bytes under *name*; None when there are none (deleted)."""

    def delete(self, name: str) -> None:
        """Forget *name*; nothing happens when it is not there."""

    def names(self) -> Iterator[str]:
        """Every name kept."""


class DatabaseStore:
    """The `evidence_files` table, in the current session: the caller commits."""

    def put(self, name: str, sealed: bytes) -> None:
        row = db.session.get(EvidenceFile, name)
        if row is None:
            db.session.add(EvidenceFile(name=name, sealed=sealed))
        else:
            row.sealed = sealed

    def get(self, name: str) -> bytes | None:
        sealed = db.session.scalar(select(EvidenceFile.sealed).where(EvidenceFile.name == name))
        return None if sealed is None else bytes(sealed)

    def delete(self, name: str) -> None:
        db.session.execute(delete(EvidenceFile).where(EvidenceFile.name == name))

    def names(self) -> Iterator[str]:
        yield from db.session.scalars(select(EvidenceFile.name).order_by(EvidenceFile.name))


class S3Store:
    """One bucket (and a key prefix) of an S3-compatible object store."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def put(self, name: str, sealed: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.prefix + name, Body=sealed, ContentType="application/octet-stream"
        )

    def get(self, name: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
        except self.client.exceptions.NoSuchKey:
            return None
        return bytes(answer["Body"].read())

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def names(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]


def s3_client(config: Settings) -> Any:
    """A boto3 S3 client for the settings (credentials: HELPDESK_S3_ACCESS_KEY and
    HELPDESK_S3_SECRET_KEY, else boto3's own chain: AWS_* variables, an instance role)."""
    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]
    except ImportError as exc:
        raise SettingsError("HELPDESK_EVIDENCE_STORE is s3: install boto3 (pip install '.[s3]')") from exc
    return boto3.client(
        "s3",
        endpoint_url=config.s3_url or None,
        region_name=config.s3_region or None,
        aws_access_key_id=config.s3_access_key or None,
        aws_secret_access_key=config.s3_secret_key or None,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
    )


def evidence_store() -> EvidenceStore:
    """The store the settings name (inside an app context). The S3 client is made once per app
    (boto3 clients may be shared between threads)."""
    config = settings()
    if config.evidence_store == "s3":
        client = current_app.extensions.get(_S3_CLIENT)
        if client is None:
            client = current_app.extensions[_S3_CLIENT] = s3_client(config)
        return S3Store(client, config.s3_bucket, config.s3_prefix)
    return DatabaseStore()
