"""Evidence at rest: encrypted under the keyring's evidence key, with the key version in the file,
kept in the evidence store (the database by default), never on the machine's disk."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import select, text

from helpdesk.cases.evidence import (
    MAGIC,
    EvidenceUnreadable,
    import_files,
    old_evidence_dir,
    read,
    remove_files,
    reseal_all,
    seal,
    store,
    version_of,
)
from helpdesk.cases.evidence_store import evidence_store
from helpdesk.extensions import db
from helpdesk.keys import add_version, keyring
from helpdesk.models import Evidence, EvidenceFile
from tests.unit.cases.verification.steps import submitted_request

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "navy").save(out, format="JPEG")
    return out.getvalue()


def in_the_table(name: str) -> bytes:
    """The bytes a copy of the database shows for a stored file."""
    return bytes(db.session.scalar(text("SELECT sealed FROM evidence_files WHERE name = :n"), {"n": name}))


def test_a_stored_file_is_encrypted_in_the_database_and_only_the_keyring_opens_it(app, account):
    with app.app_context():
        photo = jpeg()
        item = store(submitted_request(app).id, "id-document", photo, "image/jpeg")
        db.session.commit()
        kept = in_the_table(item.stored_name)
        assert kept.startswith(MAGIC) and version_of(kept) == "v1"
        assert b"\xff\xd8\xff" not in kept and photo[20:60] not in kept
        assert read(item) == photo
        assert item.size == len(photo)
        assert not old_evidence_dir().exists()  # nothing on this machine's disk


def test_a_file_is_kept_only_when_its_row_is(app, account):
    with app.app_context():
        request_id = submitted_request(app).id
        store(request_id, "selfie", jpeg(), "image/jpeg")
        db.session.rollback()  # the upload's transaction failed: neither the row nor the file stays
        assert db.session.scalars(select(EvidenceFile.name)).all() == []
        assert db.session.scalars(select(Evidence)).all() == []


def test_an_altered_or_moved_file_does_not_open(app, account):
    with app.app_context():
        request_id = submitted_request(app).id
        first = store(request_id, "id-document", PDF, "application/pdf")
        second = store(request_id, "selfie", jpeg(), "image/jpeg")
        db.session.commit()
        files = evidence_store()
        files.put(second.stored_name, files.get(first.stored_name))  # a file put under another row's name
        db.session.commit()
        with pytest.raises(EvidenceUnreadable):
            read(second)
        altered = bytearray(files.get(first.stored_name))
        altered[-1] ^= 1
        files.put(first.stored_name, bytes(altered))
        db.session.commit()
        with pytest.raises(EvidenceUnreadable):
            read(first)


def test_a_file_stored_before_encryption_still_reads_and_a_rotation_encrypts_it(app, account):
    with app.app_context():
        request_id = submitted_request(app).id
        old = store(request_id, "id-document", PDF, "application/pdf")
        newer = store(request_id, "selfie", PDF, "application/pdf")
        evidence_store().put(old.stored_name, PDF)  # as stored before encryption
        db.session.commit()
        assert read(old) == PDF
        assert reseal_all() == 1  # only the plaintext one: the other is current
        add_version(keyring(), app.extensions["helpdesk.settings"].keyring_file)
        assert reseal_all() == 2
        for item in (old, newer):
            kept = in_the_table(item.stored_name)
            assert version_of(kept) == "v2" and b"%PDF" not in kept
            assert read(item) == PDF
        assert reseal_all() == 0
        assert sorted(evidence_store().names()) == sorted([old.stored_name, newer.stored_name])


def test_a_deleted_file_reads_as_none(app, account):
    with app.app_context():
        item = store(submitted_request(app).id, "selfie", jpeg(), "image/jpeg")
        db.session.commit()
        evidence_store().delete(item.stored_name)
        db.session.commit()
        assert read(item) is None


def test_removing_a_requests_files_deletes_rows_and_files(app, account):
    with app.app_context():
        request_id = submitted_request(app).id
        store(request_id, "id-document", PDF, "application/pdf")
        store(request_id, "selfie", jpeg(), "image/jpeg")
        db.session.commit()
        assert remove_files(request_id) == 2
        db.session.commit()
        assert list(evidence_store().names()) == []
        assert db.session.scalars(select(Evidence)).all() == []


def test_files_kept_on_disk_before_the_store_move_into_it_and_leave_the_disk(app, account):
    with app.app_context():
        request_id = submitted_request(app).id
        sealed = store(request_id, "id-document", PDF, "application/pdf")
        plain = store(request_id, "selfie", PDF, "application/pdf")
        db.session.commit()
        folder = old_evidence_dir()
        folder.mkdir(parents=True)
        # as a machine kept them before: one sealed, one from before encryption, and a stray file
        (folder / sealed.stored_name).write_bytes(seal(PDF, sealed.stored_name))
        (folder / plain.stored_name).write_bytes(PDF)
        (folder / "not-evidence").write_bytes(b"left alone")
        for item in (sealed, plain):
            evidence_store().delete(item.stored_name)
        db.session.commit()
        assert read(sealed) is None

        assert import_files(folder) == (2, 2)
        assert read(sealed) == PDF and read(plain) == PDF
        assert os.listdir(folder) == ["not-evidence"]
        assert import_files(folder) == (0, 0)  # again: nothing to do


def test_a_file_the_store_already_holds_is_not_copied_again_but_leaves_the_disk(app, account):
    with app.app_context():
        item = store(submitted_request(app).id, "selfie", PDF, "application/pdf")
        db.session.commit()
        folder = old_evidence_dir()
        folder.mkdir(parents=True)
        # migration 0017 copied it into the table and left it on disk
        (folder / item.stored_name).write_bytes(evidence_store().get(item.stored_name))
        assert import_files(folder) == (0, 1)
        assert read(item) == PDF and not (folder / item.stored_name).exists()


def test_a_file_the_store_holds_sealed_anew_by_a_rotation_leaves_the_disk(app, account):
    with app.app_context():
        item = store(submitted_request(app).id, "selfie", PDF, "application/pdf")
        evidence_store().put(item.stored_name, PDF)  # from before encryption, as 0017 copied it
        db.session.commit()
        folder = old_evidence_dir()
        folder.mkdir(parents=True)
        (folder / item.stored_name).write_bytes(PDF)  # 0017 left it on disk
        assert reseal_all() == 1  # `flask keys rotate` ran before `cases import-evidence`
        assert import_files(folder) == (0, 1)
        assert not (folder / item.stored_name).exists()


def test_a_file_that_differs_from_the_stores_copy_stays_on_disk(app, account):
    with app.app_context():
        item = store(submitted_request(app).id, "selfie", PDF, "application/pdf")
        db.session.commit()
        folder = old_evidence_dir()
        folder.mkdir(parents=True)
        (folder / item.stored_name).write_bytes(b"other bytes")
        assert import_files(folder) == (0, 0)
        assert (folder / item.stored_name).exists()


def test_a_refusal_starts_its_sentence_without_lowering_the_rest(app):
    import io

    import pytest
    from werkzeug.datastructures import FileStorage

    from helpdesk.cases.evidence import EvidenceRefused, read_upload

    with app.app_context(), pytest.raises(EvidenceRefused) as refused:
        read_upload(FileStorage(io.BytesIO(b"not an image"), "x.txt"), "a photo of an official ID")
    assert str(refused.value).startswith("A photo of an official ID must be")


def test_the_import_command_says_what_it_moved_and_is_audited(app, account):
    from helpdesk.models import AuditEntry

    with app.app_context():
        item = store(submitted_request(app).id, "selfie", PDF, "application/pdf")
        db.session.commit()
        folder = old_evidence_dir()
        folder.mkdir(parents=True)
        (folder / item.stored_name).write_bytes(seal(PDF, item.stored_name))
        evidence_store().delete(item.stored_name)
        db.session.commit()
        evidence_id = item.id
    said = app.test_cli_runner().invoke(args=["cases", "import-evidence"])
    assert said.exit_code == 0, said.output
    assert f"1 evidence file(s) copied into the store, 1 deleted from {folder}" in said.output
    with app.app_context():
        assert read(db.session.get(Evidence, evidence_id)) == PDF
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recovery.evidence-import"))
        assert entry is not None and entry.actor == "command line"
    again = app.test_cli_runner().invoke(args=["cases", "import-evidence"])
    assert "0 evidence file(s) copied into the store, 0 deleted" in again.output
