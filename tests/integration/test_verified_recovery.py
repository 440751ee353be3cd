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
from helpdesk.models import AuditEntry, Evidence, VerificationRequest, VerificationStatus
from tests.conftest import DEMO_PASSWORD, make_staff, staff_client
from tests.integration.test_sign_in import sign_in
from tests.mailbox import link_in, outbox, text_of
from tests.scanner import clamd_address, scanning  # noqa: F401 (fixtures)
from tests.support import csrf_from

pytestmark = pytest.mark.usefixtures("scanning")  # PDFs are taken only past a virus scanner

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def from_now():
    """Time that runs on from the real clock, to be shifted; staff signed in by fixtures stay valid
    (a session cookie signed "in the future" of a clock set back would not be)."""
    return time_machine.travel(datetime.now(UTC), tick=True)


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


def last_to(outbox_dir, address: str):
    """The latest mail to *address* (an approval mails the owner, then the person who asked)."""
    return [m for m in outbox(outbox_dir) if m["To"] == address][-1]


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
        "consent": answers.get("consent", "yes"),
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
    from helpdesk.cases import evidence
    from helpdesk.cases.evidence_store import evidence_store

    request_until_evidence(client, outbox_dir)
    send_evidence(client)
    folder = app.extensions["helpdesk.settings"].instance_dir / "evidence"
    with app.app_context():
        files = {e.kind: e for e in db.session.scalars(select(Evidence))}
        id_document = evidence.read(files["id-document"])
        kept = evidence_store().get(files["id-document"].stored_name)
    assert not kept.startswith(b"\xff\xd8\xff") and b"JFIF" not in kept  # encrypted at rest
    assert not folder.exists()  # in the database, not on this machine's disk
    stored = Image.open(io.BytesIO(id_document))
    assert stored.format == "JPEG" and not stored.getexif()
    assert files["selfie"].content_type == "image/png"
    assert re.fullmatch(r"[0-9a-f]{32}", files["selfie"].stored_name)


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
    assert shown.data.startswith(b"\xff\xd8\xff")  # decrypted for the staff member
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


def test_the_decision_form_carries_the_account_shown_and_another_one_is_refused(
    app, client, account, helper, outbox_dir
):
    request_id = submitted_request(app, client, outbox_dir)
    page = helper.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    shown = re.search(r'<input type="hidden" name="account_id" value="([^"]+)">', page)
    assert shown is not None and shown.group(1) == account.id
    refused = helper.post(
        f"/staff/requests/{request_id}/decision",
        data={
            "csrf_token": csrf_from(page),
            "decision": "approve",
            "reason": "ok",
            "account_id": "someone-else",
        },
        follow_redirects=True,
    )
    assert "names a different account than the one shown to you" in refused.get_data(as_text=True)
    assert only_request(app).status == VerificationStatus.SUBMITTED and only_request(app).account_id is None
    approved = helper.post(
        f"/staff/requests/{request_id}/decision",
        data={"csrf_token": csrf_from(page), "decision": "approve", "reason": "ok", "account_id": account.id},
    )
    assert approved.status_code == 303
    assert (
        only_request(app).status == VerificationStatus.ON_HOLD and only_request(app).account_id == account.id
    )


def test_approval_holds_then_the_contact_sets_a_password_and_must_re_enrol(
    app, client, account, helper, outbox_dir
):
    from helpdesk.accounts.two_factor import enable_without_confirmation

    with app.test_request_context():
        enable_without_confirmation(account)
    with from_now() as clock:
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "approve")
        notice, to_asker = outbox(outbox_dir)[-2:]  # the owner's notice, then the asker's
        assert notice["To"] == "pat@example.org" and to_asker["To"] == "new@example.net"
        assert notice["Subject"] == "A recovery of your account was approved"
        assert link_in(notice, "/recovery/cancel/")
        with app.app_context():
            from helpdesk.cases.verification.hold import run_due

            assert run_due() == 0  # the hold is running
        clock.shift(timedelta(hours=72, minutes=1))
        with app.test_request_context():
            from helpdesk.cases.verification.hold import run_due

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
    from helpdesk.cases.verification.completion import CompletionState, check_completion
    from helpdesk.cases.verification.hashing import keyed_hash

    with from_now():
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "approve")
        with app.test_request_context():
            found = db.session.get(VerificationRequest, request_id)
            found.reset_token_hash = keyed_hash("early-token")
            db.session.commit()
            assert check_completion("early-token")[1] is CompletionState.NOT_YET


def test_the_owner_cancels_by_link_or_on_the_account_page(app, client, account, helper, outbox_dir):
    request_id = submitted_request(app, client, outbox_dir)
    decide(helper, request_id, "approve")
    owner = app.test_client()
    sign_in(owner, "pat@example.org", DEMO_PASSWORD)
    page = owner.get("/account").get_data(as_text=True)
    assert "A recovery of your account is paused" in page  # signing in paused it
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
    cancel = link_in(last_to(outbox_dir, "pat@example.org"), "/recovery/cancel/")
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
    from helpdesk.cases.evidence_store import evidence_store
    from helpdesk.cases.verification.retention import purge

    with from_now() as clock:
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "deny", "not enough")
        with app.test_request_context():
            assert len(list(evidence_store().names())) == 2
            assert purge(30) == 0
        clock.shift(timedelta(days=31))
        with app.test_request_context():
            assert purge(30) == 1
            assert list(evidence_store().names()) == []
    found = only_request(app)
    assert found.status == "denied" and found.decision_reason == "not enough" and found.evidence_purged_at


def test_an_approval_is_not_recorded_when_the_owner_cannot_be_told(tmp_path):
    from tests.conftest import build_app
    from tests.mailbox import SmtpServer

    with SmtpServer() as smtp:
        app = build_app(tmp_path, mail_url=smtp.url)
        with app.app_context():
            directory().create("pat@example.org", DEMO_PASSWORD)
        staff = staff_client(app, "one@example.org", make_staff(app, "one@example.org", "staff"))
        person = app.test_client()
        post(person, "/recovery/request", account_email="pat@example.org", contact_email="new@example.net")
        code = re.search(r"^\s+(\d{6})\s*$", text_of(smtp.recorder.messages[-1]), re.M).group(1)
        post(person, "/recovery/request/contact", code=code)
        send_evidence(person)
        request_id = only_request(app).id
        smtp.recorder.refuse_next = 10  # the mail server is down now
        refused = decide(staff, request_id, "approve")
        assert "could not mail the account" in staff.get(refused.location).get_data(as_text=True)
    found = only_request(app)
    assert found.status == "submitted" and found.hold_until is None


def test_a_recovered_staff_account_loses_its_role(app, client, helper, outbox_dir):
    make_staff(app, "boss@example.org", "admin")
    request_until_evidence(client, outbox_dir, account_email="boss@example.org")
    send_evidence(client)
    request_id = only_request(app).id
    assert "a staff account (admin)" in helper.get(f"/staff/requests/{request_id}").get_data(as_text=True)
    with from_now() as clock:
        decide(helper, request_id, "approve")
        clock.shift(timedelta(hours=73))
        with app.test_request_context():
            from helpdesk.cases.verification.hold import run_due

            run_due()
        person = app.test_client()
        person.get(link_in(outbox(outbox_dir)[-1], "/recovery/complete/"))
        post(person, "/recovery/complete", new_password="fresh canyon drift 55")
    with app.app_context():
        assert directory().find("boss@example.org").role is None
        actions = [e.action for e in db.session.scalars(select(AuditEntry))]
    assert "staff.role-removed" in actions


def test_the_completion_page_checks_the_hold_and_the_link_age(app, client, account, helper, outbox_dir):
    with from_now() as clock:
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "approve")
        clock.shift(timedelta(hours=73))
        with app.test_request_context():
            from helpdesk.cases.verification.hold import run_due

            run_due()
        link = link_in(outbox(outbox_dir)[-1], "/recovery/complete/")
        with app.app_context():
            found = db.session.get(VerificationRequest, request_id)
            hold_end = found.hold_until
            found.hold_until = hold_end + timedelta(days=1)  # as if the hold had been extended
            db.session.commit()
        person = app.test_client()
        person.get(link)
        early = person.get("/recovery/complete")
        assert early.status_code == 409 and "waiting period hasn" in early.get_data(as_text=True)
        with app.app_context():
            db.session.get(VerificationRequest, request_id).hold_until = hold_end
            db.session.commit()
        clock.shift(timedelta(days=8))
        late = person.get("/recovery/complete")
        assert late.status_code == 409 and "links to set the password work for 7 days" in late.get_data(
            as_text=True
        )


def test_photo_comments_and_broken_images_are_handled(app, client, account, outbox_dir):
    from helpdesk.cases.evidence import EvidenceRefused, _reencode

    image = Image.new("RGB", (30, 30), "red")
    out = io.BytesIO()
    image.save(out, format="JPEG", comment=b"taken at 52.2N 21.0E by Pat")
    cleaned = _reencode(out.getvalue(), "image/jpeg", "a photo")
    assert b"52.2N" not in cleaned and b"Pat" not in cleaned
    broken_png = png()[:40] + b"\x00" * 20 + png()[60:]
    with pytest.raises(EvidenceRefused):
        _reencode(broken_png, "image/png", "a photo")
    request_until_evidence(client, outbox_dir)
    refused = send_evidence(client, selfie=(PDF, "selfie.pdf"))
    assert refused.status_code == 400 and "must be a photo" in refused.get_data(as_text=True)


def test_the_two_person_rule_covers_denials(tmp_path):
    from tests.conftest import build_app

    app = build_app(tmp_path, two_person_rule=True)
    with app.app_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
    first = staff_client(app, "one@example.org", make_staff(app, "one@example.org", "staff"))
    second = staff_client(app, "two@example.org", make_staff(app, "two@example.org", "staff"))
    request_id = submitted_request(app, app.test_client(), app.extensions["helpdesk.settings"].outbox_dir)
    decide(first, request_id, "deny", "no match")
    assert only_request(app).status == "submitted"
    disagree = decide(second, request_id, "approve", "looks fine")
    assert "Agree on one decision first" in second.get(disagree.location).get_data(as_text=True)
    decide(second, request_id, "deny", "no match indeed")
    assert only_request(app).status == "denied"


def test_a_decision_needs_a_reason_and_nul_bytes_are_dropped(app, client, account, helper, outbox_dir):
    request_id = submitted_request(app, client, outbox_dir)
    empty = decide(helper, request_id, "deny", "   ")
    assert "Give the reason" in helper.get(empty.location).get_data(as_text=True)
    decide(helper, request_id, "deny", "bad\x00 photo")
    assert only_request(app).decision_reason == "bad photo"


def test_recovery_events_are_audited_with_where_from(app, client, account, helper, outbox_dir):
    request_id = submitted_request(app, client, outbox_dir)
    decide(helper, request_id, "deny", "no")
    with app.app_context():
        entries = {e.action: e for e in db.session.scalars(select(AuditEntry))}
    for action in ("recovery.started", "recovery.contact-proved", "recovery.submitted", "recovery.deny"):
        assert entries[action].ip == "127.0.0.1", action


def test_evidence_is_downloaded_as_a_sandboxed_attachment_never_shown_inline(
    app, client, account, helper, outbox_dir
):
    request_until_evidence(client, outbox_dir)
    send_evidence(client, id_document=(PDF, "scan.pdf"))
    with app.app_context():
        files = {e.kind: e.id for e in db.session.scalars(select(Evidence))}
    page = helper.get(f"/staff/requests/{only_request(app).id}").get_data(as_text=True)
    assert "<iframe" not in page and "<embed" not in page and "<object" not in page
    for kind, extension, body_start in (("id-document", "pdf", b"%PDF-"), ("selfie", "png", b"\x89PNG")):
        served = helper.get(f"/staff/evidence/{files[kind]}")
        assert served.status_code == 200 and served.data.startswith(body_start)
        disposition = f'attachment; filename="evidence-{files[kind]}.{extension}"'
        assert served.headers["Content-Disposition"] == disposition
        assert served.headers["Content-Security-Policy"].startswith("sandbox")
        assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_the_owner_signing_in_during_the_hold_pauses_the_recovery_until_staff_decide_again(
    app, client, account, helper, outbox_dir
):
    with from_now() as clock:
        request_id = submitted_request(app, client, outbox_dir)
        decide(helper, request_id, "approve")
        sign_in(app.test_client(), "pat@example.org", DEMO_PASSWORD)
        assert only_request(app).status == "paused"
        alert = outbox(outbox_dir)[-1]
        assert alert["To"] == "help@example.org"  # the support address
        assert only_request(app).reference in alert["Subject"] and "paused" in alert["Subject"]
        with app.app_context():
            paused = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recovery.paused"))
            assert paused.actor == "pat@example.org" and paused.target == only_request(app).reference
        console = helper.get("/staff/").get_data(as_text=True)
        assert "Paused: the owner signed in during the hold" in console
        review_page = helper.get(f"/staff/requests/{request_id}").get_data(as_text=True)
        assert "Paused: the account's owner signed in during the hold" in review_page
        clock.shift(timedelta(hours=73))
        with app.test_request_context():
            from helpdesk.cases.verification.hold import run_due

            assert run_due() == 0  # no link while paused
        clock.shift(-timedelta(hours=73))  # back, so the staff member's session is still active
        # staff look again and approve: a whole new hold, and the owner is told again
        decide(helper, request_id, "approve", "called the owner: they asked for it from a new phone")
        again = only_request(app)
        assert again.status == "on-hold" and again.hold_until > datetime.now(UTC) + timedelta(hours=71)
        assert [m["To"] for m in outbox(outbox_dir)[-2:]] == ["pat@example.org", "new@example.net"]
        with app.app_context():
            actions = [e.action for e in db.session.scalars(select(AuditEntry))]
        assert "recovery.resume" in actions
