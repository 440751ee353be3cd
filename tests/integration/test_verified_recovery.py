"""Identity-verified recovery: request, contact code, evidence, staff decision, hold, reset."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Evidence, VerificationRequest
from tests.conftest import DEMO_PASSWORD, make_staff, staff_client
from tests.integration.test_sign_in import sign_in
from tests.mailbox import link_in, outbox, text_of
from tests.support import csrf_from

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def jpeg_with_location() -> bytes:
    image = Image.new("RGB", (64, 48), "navy")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x8825] = {2: (52.0, 22.0, 1.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def post(client, path: str, **fields):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_from(page), **fields})


def contact_code(outbox_dir) -> str:
    return re.search(r"^\s+(\d{6})$", text_of(outbox(outbox_dir)[-1]), re.M).group(1)


def request_until_evidence(client, outbox_dir, account_email="pat@example.org"):
    started = post(client, "/recovery/request", account_email=account_email, contact_email="new@example.net")
    assert started.location == "/recovery/request/contact"
    assert (
        post(client, "/recovery/request/contact", code=contact_code(outbox_dir)).location
        == "/recovery/request/evidence"
    )


def send_evidence(client, id_document=None, selfie=None, **answers):
    id_document = id_document or (jpeg_with_location(), "id.jpg")
    selfie = selfie or (png(), "me.png")
    page = client.get("/recovery/request/evidence").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "id-document": (io.BytesIO(id_document[0]), id_document[1]),
        "selfie": (io.BytesIO(selfie[0]), selfie[1]),
        "last_sign_in": answers.get("last_sign_in", ""),
        "device": answers.get("device", ""),
    }
    return client.post("/recovery/request/evidence", data=data, content_type="multipart/form-data")


def only_request(app) -> VerificationRequest:
    with app.app_context():
        found = db.session.scalar(select(VerificationRequest))
        db.session.expunge(found)
        return found


def test_a_person_sends_a_request_with_evidence(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    sent = send_evidence(client, last_sign_in="2026-11-20", device="Android phone")
    assert sent.location == "/recovery/request/done"
    page = client.get(sent.location).get_data(as_text=True)
    reference = only_request(app).reference
    assert reference in page
    status = post(client, "/recovery/status", reference=reference.lower(), contact_email="new@example.net")
    assert "waiting for support to check it" in status.get_data(as_text=True)
    wrong = post(client, "/recovery/status", reference=reference, contact_email="other@example.net")
    assert wrong.status_code == 404


def test_photos_are_re_encoded_without_metadata_and_stored_privately(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    send_evidence(client)
    folder = app.extensions["helpdesk.settings"].instance_dir / "evidence"
    with app.app_context():
        files = {e.kind: e for e in db.session.scalars(select(Evidence))}
    stored = Image.open(folder / files["id-document"].stored_name)
    assert stored.format == "JPEG" and not stored.getexif()
    assert files["selfie"].content_type == "image/png"
    assert "static" not in str(folder) and re.fullmatch(r"[0-9a-f]{32}", files["selfie"].stored_name)


@pytest.mark.parametrize(
    ("id_document", "message"),
    [
        ((b"<html><script>alert(1)</script></html>", "photo.jpg"), "must be a JPEG or PNG photo, or a PDF"),
        ((b"\xff\xd8\xff" + b"x" * (12 * 1024 * 1024), "huge.jpg"), "larger than 10 MB"),
        ((b"\xff\xd8\xff\xe0 not really a jpeg", "broken.jpg"), "could not be read as an image"),
        ((b"%PDF-1.4 cut off", "cut.pdf"), "not a complete PDF"),
    ],
)
def test_bad_uploads_are_refused_before_anything_is_stored(
    app, client, account, outbox_dir, id_document, message
):
    request_until_evidence(client, outbox_dir)
    refused = send_evidence(client, id_document=id_document)
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Evidence).count() == 0
    assert only_request(app).status == "collecting"


def test_a_png_named_pdf_and_a_real_pdf_are_taken_by_their_content(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    assert (
        send_evidence(client, id_document=(PDF, "scan.pdf"), selfie=(png(), "selfie.pdf")).status_code == 303
    )
    with app.app_context():
        kinds = {e.kind: e.content_type for e in db.session.scalars(select(Evidence))}
    assert kinds == {"id-document": "application/pdf", "selfie": "image/png"}


def test_a_body_over_the_limit_is_refused_unread(app, client, account, outbox_dir):
    request_until_evidence(client, outbox_dir)
    refused = send_evidence(client, id_document=(b"\xff\xd8\xff" + b"x" * (22 * 1024 * 1024), "big.jpg"))
    assert refused.status_code == 413


def test_the_contact_code_allows_five_tries_and_ten_minutes(app, client, account, outbox_dir):
    with time_machine.travel(T0, tick=False) as clock:
        post(client, "/recovery/request", account_email="pat@example.org", contact_email="new@example.net")
        for _ in range(5):
            assert post(client, "/recovery/request/contact", code="000000").status_code == 400
        right = contact_code(outbox_dir)
        too_many = post(client, "/recovery/request/contact", code=right)
        assert "Too many wrong codes" in too_many.get_data(as_text=True)
        post(client, "/recovery/request/contact", resend="1")
        clock.shift(timedelta(minutes=11))
        late = post(client, "/recovery/request/contact", code=contact_code(outbox_dir))
        assert "has expired" in late.get_data(as_text=True)


def test_an_unknown_account_is_accepted_the_same_way_and_denied_as_no_match(app, client, helper, outbox_dir):
    request_until_evidence(client, outbox_dir, account_email="nobody@example.org")
    assert send_evidence(client).location == "/recovery/request/done"
    request_id = only_request(app).id
    page = helper.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    assert "no account uses this address" in page
    token = csrf_from(page)
    approve = helper.post(
        f"/staff/requests/{request_id}/decision",
        data={"csrf_token": token, "decision": "approve", "reason": "ok"},
    )
    assert "deny it as" in helper.get(approve.location).get_data(as_text=True)
    helper.post(
        f"/staff/requests/{request_id}/decision",
        data={"csrf_token": token, "decision": "deny", "reason": "no match"},
    )
    assert only_request(app).status == "denied"


def submitted_request(app, client, outbox_dir, **answers) -> int:
    request_until_evidence(client, outbox_dir)
    send_evidence(client, **answers)
    return only_request(app).id


def test_staff_see_evidence_and_the_history_comparison(app, client, account, helper, outbox_dir):
    sign_in(
        app.test_client(),
        "pat@example.org",
        DEMO_PASSWORD,
        **{"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile"},
    )
    today = datetime.now(UTC).date().isoformat()
    request_id = submitted_request(app, client, outbox_dir, last_sign_in=today, device="android phone")
    console = helper.get("/staff/").get_data(as_text=True)
    assert only_request(app).reference in console
    page = helper.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    assert page.count("✓ yes") == 2
    image = re.search(r'<img src="(/staff/evidence/\d+)"', page).group(1)
    shown = helper.get(image)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/jpeg"
    assert shown.headers["Cache-Control"] == "no-store"
    assert app.test_client().get(image).status_code == 302  # nobody else
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEntry))]
    assert "recovery.view" in actions and "recovery.evidence-view" in actions


def decide(staff, request_id: int, decision: str, reason: str = "ID and history match"):
    page = staff.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    return staff.post(
        f"/staff/requests/{request_id}/decision",
        data={"csrf_token": csrf_from(page), "decision": decision, "reason": reason},
    )


def test_approval_holds_then_the_contact_sets_a_password_and_must_re_enrol(
    app, client, account, helper, outbox_dir
):
    from helpdesk.accounts.two_factor import enable_without_confirmation
    from helpdesk.cli import cases_run_due  # noqa: F401 (the command exists)

    with app.test_request_context():
        enable_without_confirmation(account)
    with time_machine.travel(T0, tick=False) as clock:
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "approve")
        notice = outbox(outbox_dir)[-1]
        assert notice["To"] == "pat@example.org"
        assert notice["Subject"] == "A recovery of your account was approved"
        assert link_in(notice, "/recovery/cancel/")
        with app.app_context():
            from helpdesk.cases.verification import run_due

            assert run_due() == 0  # the hold is running
        clock.shift(timedelta(hours=72, minutes=1))
        with app.test_request_context():
            from helpdesk.cases.verification import run_due

            assert run_due() == 1
            assert run_due() == 0  # once
        ready = outbox(outbox_dir)[-1]
        assert ready["To"] == "new@example.net"
        person = app.test_client()
        person.get(link_in(ready, "/recovery/complete/"))
        done = post(person, "/recovery/complete", new_password="fresh canyon drift 55")
        assert done.location == "/login"
    with app.app_context():
        recovered = directory().find("pat@example.org")
        assert not recovered.two_factor and recovered.must_enrol_2fa
        assert directory().recovery_codes_left(recovered.id) == 0
    signed = sign_in(app.test_client(), "pat@example.org", "fresh canyon drift 55")
    assert signed.location == "/account/two-factor"


def test_the_hold_is_checked_when_the_link_is_used(app, client, account, helper, outbox_dir):
    from helpdesk.cases import verification

    with time_machine.travel(T0, tick=False):
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "approve")
        with app.test_request_context():
            found = db.session.get(VerificationRequest, request_id)
            found.reset_token_hash = verification._hash("early-token")
            db.session.commit()
            assert verification.check_completion("early-token")[1] == "not-yet"


def test_the_owner_cancels_by_link_or_on_the_account_page(app, client, account, helper, outbox_dir):
    request_id = submitted_request(app, client, outbox_dir)
    decide(helper, request_id, "approve")
    owner = app.test_client()
    sign_in(owner, "pat@example.org", DEMO_PASSWORD)
    page = owner.get("/account").get_data(as_text=True)
    assert "A recovery of your account is pending" in page
    owner.post(f"/recovery/cancel-pending/{request_id}", data={"csrf_token": csrf_from(page)})
    assert only_request(app).status == "cancelled"
    # a second request, cancelled by the mailed one-click link
    client2 = app.test_client()
    request_until_evidence(client2, outbox_dir)
    send_evidence(client2)
    with app.app_context():
        second = (
            db.session.scalars(select(VerificationRequest).order_by(VerificationRequest.id.desc())).first().id
        )
    decide(helper, second, "approve")
    cancel = link_in(outbox(outbox_dir)[-1], "/recovery/cancel/")
    assert "Cancel the recovery" in owner.get(cancel).get_data(as_text=True)
    done = post(owner, cancel)
    assert "The recovery is cancelled" in done.get_data(as_text=True)


def test_the_two_person_rule_needs_a_second_staff_member(tmp_path, outbox_dir):
    from tests.conftest import build_app

    app = build_app(tmp_path, two_person_rule=True)
    with app.app_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
    first = staff_client(app, "one@example.org", make_staff(app, "one@example.org", "staff"))
    second = staff_client(app, "two@example.org", make_staff(app, "two@example.org", "staff"))
    out = app.extensions["helpdesk.settings"].outbox_dir
    request_id = submitted_request(app, app.test_client(), out)
    decide(first, request_id, "approve")
    assert only_request(app).status == "submitted"
    again = decide(first, request_id, "approve")
    assert "A second, different staff member" in first.get(again.location).get_data(as_text=True)
    decide(second, request_id, "approve")
    assert only_request(app).status == "on-hold"


def test_evidence_is_purged_after_the_decision_but_the_decision_stays(
    app, client, account, helper, outbox_dir
):
    from helpdesk.cases import verification

    with time_machine.travel(T0, tick=False) as clock:
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "deny", "not enough")
        folder = app.extensions["helpdesk.settings"].instance_dir / "evidence"
        assert len(list(folder.iterdir())) == 2
        with app.test_request_context():
            assert verification.purge(30) == 0
        clock.shift(timedelta(days=31))
        with app.test_request_context():
            assert verification.purge(30) == 1
    assert list(folder.iterdir()) == []
    found = only_request(app)
    assert found.status == "denied" and found.decision_reason == "not enough" and found.evidence_purged_at
