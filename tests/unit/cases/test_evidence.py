"""Evidence at rest: encrypted under the keyring's evidence key, with the key version in the file."""

from __future__ import annotations

import io
import os
import stat

import pytest
from PIL import Image

from helpdesk.cases.evidence import (
    MAGIC,
    EvidenceUnreadable,
    evidence_dir,
    read,
    reseal_all,
    store,
    version_of,
)
from helpdesk.extensions import db
from helpdesk.keys import add_version, keyring
from tests.unit.cases.verification.steps import submitted_request

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "navy").save(out, format="JPEG")
    return out.getvalue()


def test_a_stored_file_is_encrypted_and_only_the_keyring_opens_it(app, account):
    with app.app_context():
        photo = jpeg()
        item = store(evidence_dir(), submitted_request(app).id, "id-document", photo, "image/jpeg")
        db.session.commit()
        path = evidence_dir() / item.stored_name
        on_disk = path.read_bytes()
        assert on_disk.startswith(MAGIC) and version_of(on_disk) == "v1"
        assert b"\xff\xd8\xff" not in on_disk and photo[20:60] not in on_disk
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert read(evidence_dir(), item) == photo
        assert item.size == len(photo)


def test_an_altered_or_moved_file_does_not_open(app, account):
    with app.app_context():
        request_id = submitted_request(app).id
        first = store(evidence_dir(), request_id, "id-document", PDF, "application/pdf")
        second = store(evidence_dir(), request_id, "selfie", jpeg(), "image/jpeg")
        db.session.commit()
        first_path, second_path = (evidence_dir() / e.stored_name for e in (first, second))
        second_path.write_bytes(first_path.read_bytes())  # a file put under another row's name
        with pytest.raises(EvidenceUnreadable):
            read(evidence_dir(), second)
        altered = bytearray(first_path.read_bytes())
        altered[-1] ^= 1
        first_path.write_bytes(bytes(altered))
        with pytest.raises(EvidenceUnreadable):
            read(evidence_dir(), first)


def test_a_file_stored_before_encryption_still_reads_and_a_rotation_encrypts_it(app, account):
    with app.app_context():
        request_id = submitted_request(app).id
        old = store(evidence_dir(), request_id, "id-document", PDF, "application/pdf")
        newer = store(evidence_dir(), request_id, "selfie", PDF, "application/pdf")
        db.session.commit()
        (evidence_dir() / old.stored_name).write_bytes(PDF)  # as stored before encryption
        assert read(evidence_dir(), old) == PDF
        assert reseal_all(evidence_dir()) == 1  # only the plaintext one: the other is current
        add_version(keyring(), app.extensions["helpdesk.settings"].keyring_file)
        assert reseal_all(evidence_dir()) == 2
        for item in (old, newer):
            on_disk = (evidence_dir() / item.stored_name).read_bytes()
            assert version_of(on_disk) == "v2" and b"%PDF" not in on_disk
            assert read(evidence_dir(), item) == PDF
        assert reseal_all(evidence_dir()) == 0
        assert sorted(os.listdir(evidence_dir())) == sorted([old.stored_name, newer.stored_name])


def test_a_deleted_file_reads_as_none(app, account):
    with app.app_context():
        item = store(evidence_dir(), submitted_request(app).id, "selfie", jpeg(), "image/jpeg")
        db.session.commit()
        (evidence_dir() / item.stored_name).unlink()
        assert read(evidence_dir(), item) is None


def test_a_refusal_starts_its_sentence_without_lowering_the_rest(app):
    import io

    import pytest
    from werkzeug.datastructures import FileStorage

    from helpdesk.cases.evidence import EvidenceRefused, read_upload

    with app.app_context(), pytest.raises(EvidenceRefused) as refused:
        read_upload(FileStorage(io.BytesIO(b"not an image"), "x.txt"), "a photo of an official ID")
    assert str(refused.value).startswith("A photo of an official ID must be")
