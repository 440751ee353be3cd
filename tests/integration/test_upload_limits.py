"""Limits on uploaded evidence beyond the size of the body: images that would unpack to far more
than a photo of an ID needs, and one submission per request (ASVS 12.1.2, 12.1.3)."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from helpdesk.cases.evidence_store import evidence_store
from helpdesk.extensions import db
from helpdesk.models import Evidence
from tests.integration.test_verified_recovery import png, request_until_evidence, send_evidence
from tests.support import csrf_from


def evidence_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Evidence))


def test_an_image_that_would_unpack_to_too_many_pixels_is_refused(app, client, account, outbox_dir):
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG")  # 48 million pixels in a few kilobytes
    bomb = out.getvalue()
    assert len(bomb) < 100_000
    request_until_evidence(client, outbox_dir)
    refused = send_evidence(client, selfie=(bomb, "me.png"))
    assert refused.status_code == 400
    assert "could not be read as an image" in refused.get_data(as_text=True)
    assert evidence_count(app) == 0
    with app.app_context():
        assert list(evidence_store().names()) == []  # no file kept either


def test_a_request_takes_evidence_once(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    assert send_evidence(client).location == "/recovery/request/done"
    assert evidence_count(app) == 2
    token = csrf_from(client.get("/recovery/request").get_data(as_text=True))  # the evidence page is gone
    again = client.post(
        "/recovery/request/evidence",
        data={
            "csrf_token": token,
            "id-document": (io.BytesIO(png()), "a.png"),
            "selfie": (io.BytesIO(png()), "b.png"),
        },
        content_type="multipart/form-data",
    )
    assert again.status_code == 303 and again.location == "/recovery/request/done"
    assert evidence_count(app) == 2
