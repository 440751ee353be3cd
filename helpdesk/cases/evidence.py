"""Uploaded evidence: checked by content, images re-encoded without metadata, stored privately and
encrypted (AES-256-GCM under the keyring's evidence key, which is not in the database, so a copy of
the database and the files together still reveals nothing without the site's keys). Sealed here,
kept in the evidence store every machine reaches (cases/evidence_store.py: the database by
default, or an S3-compatible bucket), which sees sealed bytes alone."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..config import settings
from ..errors import DomainError
from ..extensions import db
from ..keys import Purpose, keyring
from ..models import Evidence
from .evidence_store import EvidenceStore, evidence_store
from .virus_scan import scan

MAX_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
Image.MAX_IMAGE_PIXELS = 40_000_000  # a photo of an ID needs far less; more is a decompression bomb
# each kind of evidence (its stored name) in the reader's words, for the messages about it
KINDS = {"id-document": _l("a photo of an official ID"), "selfie": _l("a selfie")}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
# a sealed file: MAGIC, the key version and a newline, a 12-byte nonce, then the AES-GCM ciphertext
# (the file's stored name is the associated data, so a file moved under another row won't open)
MAGIC = b"helpdesk-evidence-1\n"
NONCE_BYTES = 12


def old_evidence_dir() -> Path:
    """Where one machine kept its evidence files before the evidence store (migration 0017):
    `flask cases import-evidence` moves what is left there into the store."""
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


def _sentence(what: str) -> str:
    """*what* starting a sentence: its first letter a capital, the rest as written ("ID" stays)."""
    return what[:1].upper() + what[1:]


def read_upload(upload: FileStorage | None, what: str, photo_only: bool = False) -> tuple[bytes, str]:
    """The checked, cleaned bytes of one upload and their type. Nothing is stored yet."""
    what = str(what)  # a KINDS entry, in the language of the request
    if upload is None or not upload.filename:
        raise EvidenceRefused(gettext("Choose %(what)s to upload.", what=what))
    buffer = bytearray()
    while chunk := upload.stream.read(CHUNK):
        buffer.extend(chunk)
        if len(buffer) > MAX_BYTES:
            raise EvidenceRefused(
                gettext("%(what)s is larger than 10 MB. Take a smaller photo or scan.", what=_sentence(what))
            )
    data = bytes(buffer)
    kind = sniff(data[:8])
    if kind is None:
        raise EvidenceRefused(
            gettext("%(what)s must be a JPEG or PNG photo, or a PDF.", what=_sentence(what))
        )
    if kind == "application/pdf":
        if photo_only:
            raise EvidenceRefused(gettext("%(what)s must be a photo (JPEG or PNG).", what=_sentence(what)))
        if b"%%EOF" not in data[-2048:]:
            raise EvidenceRefused(gettext("%(what)s is not a complete PDF.", what=_sentence(what)))
    _check_for_viruses(data, kind, what)
    if kind == "application/pdf":
        return data, kind
    return _reencode(data, kind, what), kind


class EvidenceInfected(EvidenceRefused):
    """The virus scanner recognised the file; `signature` says what it found (for staff only)."""

    def __init__(self, message: str, signature: str) -> None:
        super().__init__(message)
        self.signature = signature


def _check_for_viruses(data: bytes, kind: str, what: str) -> None:
    """Every upload goes past the virus scanner when one is set (HELPDESK_CLAMD), before any
    cleaning. Without one, a photo is still decoded and written anew (which leaves no room for a
    payload), but a PDF cannot be: it is refused, with the way on (a photo of the document)."""
    scanner = settings().clamd
    if not scanner:
        if kind == "application/pdf":
            raise EvidenceRefused(
                gettext(
                    "%(what)s can't be a PDF here. Take a photo of the document instead (JPEG or PNG).",
                    what=_sentence(what),
                )
            )
        return
    verdict = scan(data, scanner)  # ScannerUnavailable (503) when it can't be asked: nothing is kept
    if not verdict.clean:
        raise EvidenceInfected(
            gettext(
                "%(what)s can't be accepted: our virus check found something harmful in the file. "
                "If it came from your own camera or scanner, check that device, then take a new photo.",
                what=_sentence(what),
            ),
            verdict.signature,
        )


def _reencode(data: bytes, kind: str, what: str) -> bytes:
    """Decode and write the image anew: location, camera and other metadata are left behind."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                clean = image.convert("RGB") if kind == "image/jpeg" else image.copy()
    except Exception as exc:
        raise EvidenceRefused(
            gettext("%(what)s could not be read as an image.", what=_sentence(what))
        ) from exc
    clean.info = {}  # comments, EXIF, ICC and text chunks ride in .info: none of them is written back
    out = io.BytesIO()
    if kind == "image/jpeg":
        clean.save(out, format="JPEG", quality=90)
    else:
        clean.save(out, format="PNG")
    return out.getvalue()


class EvidenceUnreadable(DomainError):
    """A stored file that does not open under any key of the keyring (altered, or its key lost)."""

    http_status = 410


def seal(data: bytes, name: str) -> bytes:
    """*data* as written to disk under *name*: encrypted with the current evidence key."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.derive(Purpose.EVIDENCE)).encrypt(nonce, data, name.encode())
    return MAGIC + ring.current.encode() + b"\n" + nonce + sealed


def version_of(raw: bytes) -> str:
    """The key version a stored file was sealed under ("" for a file stored before encryption)."""
    if not raw.startswith(MAGIC):
        return ""
    return raw[len(MAGIC) :].partition(b"\n")[0].decode("ascii", "replace")


def unseal(raw: bytes, name: str) -> bytes:
    """The uploaded bytes of a stored file. A file stored before encryption (it starts with the
    JPEG, PNG or PDF signature, never with MAGIC) is returned as it is."""
    if not raw.startswith(MAGIC):
        return raw
    version, _, rest = raw[len(MAGIC) :].partition(b"\n")
    ring = keyring()
    label = version.decode("ascii", "replace")
    if not ring.has(label) or len(rest) <= NONCE_BYTES:
        raise EvidenceUnreadable(f"evidence {name} is sealed under key {label!r}, not in the keyring")
    try:
        return AESGCM(ring.derive(Purpose.EVIDENCE, label)).decrypt(
            rest[:NONCE_BYTES], rest[NONCE_BYTES:], name.encode()
        )
    except InvalidTag as exc:
        raise EvidenceUnreadable(f"evidence {name} does not open: altered, or under another key") from exc


def read(item: Evidence) -> bytes | None:
    """The uploaded bytes of *item*, decrypted; None once the file is deleted."""
    raw = evidence_store().get(item.stored_name)
    return None if raw is None else unseal(raw, item.stored_name)


def reseal_all() -> int:
    """Seal every stored file under the current evidence key (files stored before encryption
    too); returns how many were rewritten. Safe to run again: current files are left alone."""
    current = keyring().current
    files = evidence_store()
    resealed = 0
    for name in db.session.scalars(select(Evidence.stored_name).order_by(Evidence.id)).all():
        raw = files.get(name)
        if raw is None or (raw.startswith(MAGIC) and version_of(raw) == current):
            continue
        files.put(name, seal(unseal(raw, name), name))
        db.session.commit()  # one file at a time: each is readable under its old key or the new one
        resealed += 1
    return resealed


def store(request_id: int, kind: str, data: bytes, content_type: str) -> Evidence:
    """Keep *data* encrypted under a random name; the row records its size and plaintext hash.
    With the database store, the file is kept when the caller commits the row."""
    name = secrets.token_hex(16)
    evidence_store().put(name, seal(data, name))
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


def remove_files(request_id: int) -> int:
    """Delete a request's evidence files and rows; the decision and audit entries stay."""
    files = evidence_store()
    rows = db.session.query(Evidence).filter_by(request_id=request_id).all()
    for row in rows:
        files.delete(row.stored_name)
        db.session.delete(row)
    return len(rows)


def import_files(directory: Path, into: EvidenceStore | None = None) -> tuple[int, int]:
    """Move this machine's evidence files kept before the evidence store (in *directory*) into the
    store: each file an evidence row names is copied (unless the store has it already), the copies
    are committed, and a file is deleted only once the store gives back its bytes (exactly, or
    sealed anew by a rotation since: the same upload inside). Files no row names are left alone.
    Returns (copied, deleted)."""
    files = into or evidence_store()
    if not directory.is_dir():
        return 0, 0
    names = set(db.session.scalars(select(Evidence.stored_name)))
    found = sorted(path for path in directory.iterdir() if path.is_file() and path.name in names)
    copied = 0
    for path in found:
        if files.get(path.name) is None:
            files.put(path.name, path.read_bytes())
            copied += 1
    db.session.commit()
    deleted = 0
    for path in found:
        if _same_upload(files.get(path.name), path.read_bytes(), path.name):
            path.unlink()
            deleted += 1
    return copied, deleted


def _same_upload(kept: bytes | None, raw: bytes, name: str) -> bool:
    if kept is None:
        return False
    if kept == raw:
        return True
    try:
        return unseal(kept, name) == unseal(raw, name)
    except EvidenceUnreadable:
        return False
