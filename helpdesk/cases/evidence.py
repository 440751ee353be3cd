"""Uploaded evidence: checked by content, images re-encoded without metadata, stored privately."""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from pathlib import Path

from PIL import Image
from werkzeug.datastructures import FileStorage

from ..config import settings
from ..errors import DomainError
from ..extensions import db
from ..models import Evidence

MAX_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
Image.MAX_IMAGE_PIXELS = 40_000_000  # a photo of an ID needs far less; more is a decompression bomb
KINDS = {"id-document": "a photo of an official ID", "selfie": "a selfie"}


def evidence_dir() -> Path:
    """Where evidence files are kept: under the instance folder, never under static/."""
    return settings().instance_dir / "evidence"


class EvidenceRefused(DomainError, ValueError):
    """The file cannot be taken; the message says why, in words for the person."""


def sniff(head: bytes) -> str | None:
    """The file's type from its first bytes (what it is, whatever its name says)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def read_upload(upload: FileStorage | None, what: str, photo_only: bool = False) -> tuple[bytes, str]:
    """The checked, cleaned bytes of one upload and their type. Nothing is stored yet."""
    if upload is None or not upload.filename:
        raise EvidenceRefused(f"Choose {what} to upload.")
    buffer = bytearray()
    while chunk := upload.stream.read(CHUNK):
        buffer.extend(chunk)
        if len(buffer) > MAX_BYTES:
            raise EvidenceRefused(f"{what.capitalize()} is larger than 10 MB. Take a smaller photo or scan.")
    data = bytes(buffer)
    kind = sniff(data[:8])
    if kind is None:
        raise EvidenceRefused(f"{what.capitalize()} must be a JPEG or PNG photo, or a PDF.")
    if kind == "application/pdf":
        if photo_only:
            raise EvidenceRefused(f"{what.capitalize()} must be a photo (JPEG or PNG).")
        if b"%%EOF" not in data[-2048:]:
            raise EvidenceRefused(f"{what.capitalize()} is not a complete PDF.")
        return data, kind
    return _reencode(data, kind, what), kind


def _reencode(data: bytes, kind: str, what: str) -> bytes:
    """Decode and write the image anew: location, camera and other metadata are left behind."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                clean = image.convert("RGB") if kind == "image/jpeg" else image.copy()
    except Exception as exc:
        raise EvidenceRefused(f"{what.capitalize()} could not be read as an image.") from exc
    clean.info = {}  # comments, EXIF, ICC and text chunks ride in .info: none of them is written back
    out = io.BytesIO()
    if kind == "image/jpeg":
        clean.save(out, format="JPEG", quality=90)
    else:
        clean.save(out, format="PNG")
    return out.getvalue()


def store(directory: Path, request_id: int, kind: str, data: bytes, content_type: str) -> Evidence:
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (directory / name).write_bytes(data)
    evidence = Evidence(
        request_id=request_id,
        kind=kind,
        stored_name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db.session.add(evidence)
    return evidence


def remove_files(directory: Path, request_id: int) -> int:
    """Delete a request's evidence files and rows; the decision and audit entries stay."""
    rows = db.session.query(Evidence).filter_by(request_id=request_id).all()
    for row in rows:
        (directory / row.stored_name).unlink(missing_ok=True)
        db.session.delete(row)
    return len(rows)
