"""Uploaded evidence and the virus scanner (a real clamd, with the tests' own signature): a file
it recognises is refused and audited, a scanner that can't be asked refuses for now and keeps the
answers, and without a scanner a PDF (which can't be cleaned like a photo) is refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Evidence
from tests.integration.test_verified_recovery import (
    PDF,
    only_request,
    png,
    request_until_evidence,
    send_evidence,
)
from tests.scanner import MARKER, clamd_address, scanning  # noqa: F401 (fixtures)


def _evidence_count(app) -> int:
    with app.app_context():
        return db.session.query(Evidence).count()


@pytest.mark.usefixtures("scanning")
def test_a_file_the_scanner_recognises_is_refused_and_audited(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    infected = PDF.replace(b"endobj", b"endobj " + MARKER)
    refused = send_evidence(client, id_document=(infected, "scan.pdf"), selfie=(png(), "me.png"))
    assert refused.status_code == 400
    assert "our virus check found something harmful" in refused.get_data(as_text=True)
    assert _evidence_count(app) == 0 and only_request(app).status == "collecting"
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "recovery.upload-infected")
        ).one()
    assert entry.detail["signature"].startswith("Helpdesk.Test.Marker")


@pytest.mark.usefixtures("scanning")
def test_a_photo_is_scanned_as_sent_before_it_is_cleaned(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    tainted = png() + MARKER  # bytes after the image's end: re-encoding would drop them unseen
    refused = send_evidence(client, id_document=(tainted, "id.png"), selfie=(png(), "me.png"))
    assert refused.status_code == 400 and _evidence_count(app) == 0


def test_a_scanner_that_cannot_be_asked_refuses_for_now_and_keeps_the_answers(
    app, client, account, outbox_dir, tmp_path
):
    app.extensions["helpdesk.settings"] = replace(
        app.extensions["helpdesk.settings"], clamd=str(tmp_path / "gone.sock")
    )
    request_until_evidence(client, outbox_dir)
    answer = send_evidence(
        client, id_document=(png(), "id.png"), selfie=(png(), "me.png"), last_sign_in="last week"
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "can&#39;t check uploads for viruses right now" in page
    assert "last week" in page  # what was typed is still there
    assert _evidence_count(app) == 0


def test_without_a_scanner_a_pdf_is_refused_with_the_way_on_and_photos_are_taken(
    app, client, account, outbox_dir
):
    assert app.extensions["helpdesk.settings"].clamd == ""
    request_until_evidence(client, outbox_dir)
    refused = send_evidence(client, id_document=(PDF, "scan.pdf"), selfie=(png(), "me.png"))
    assert refused.status_code == 400 and "Take a photo of the document instead" in refused.get_data(
        as_text=True
    )
    assert send_evidence(client, id_document=(png(), "id.png"), selfie=(png(), "me.png")).status_code == 303


def test_photos_are_taken_only_with_the_person_s_agreement(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    page = client.get("/recovery/request/evidence").get_data(as_text=True)
    assert 'name="consent"' in page and "deleted 30 days after the decision" in page
    refused = send_evidence(client, id_document=(png(), "id.png"), consent="", device="Android phone")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Tick the box to agree" in text and "Android phone" in text
    assert _evidence_count(app) == 0
    assert send_evidence(client, id_document=(png(), "id.png")).status_code == 303
    assert only_request(app).answers["consent"] == "yes"
