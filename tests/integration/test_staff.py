"""The staff console: roles, forced two-step, idle sign-out, transcripts, notes, links, audit."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select, update

from helpdesk import audit
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Diagnosis
from tests.conftest import DEMO_PASSWORD, make_staff, staff_client
from tests.integration.test_diagnosis_journey import begin, post
from tests.integration.test_sign_in import sign_in
from tests.support import csrf_from

STAFF_PAGES = ["/staff/", "/staff/diagnoses?reference=ABCD-EFGH", "/staff/links/new", "/staff/audit"]


def audit_actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.actor, e.action) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_people_without_a_staff_role_get_403_and_no_hint(app, client, account):
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    for page in STAFF_PAGES:
        answer = client.get(page)
        assert answer.status_code == 403
        assert "You don&#39;t have access to this page." in answer.get_data(as_text=True)


def test_anonymous_people_are_sent_to_sign_in(client):
    assert client.get("/staff/").location.startswith("/login?next=/staff/")


def test_staff_must_turn_on_two_step_first(app):
    make_staff(app, "new@example.org", "staff", two_factor=False)
    client = app.test_client()
    sign_in(client, "new@example.org", DEMO_PASSWORD)
    forced = client.get("/staff/")
    assert forced.location == "/account/two-factor"


def test_only_admins_read_the_audit_trail(app, helper, admin):
    assert helper.get("/staff/audit").status_code == 403
    page = admin.get("/staff/audit")
    assert page.status_code == 200 and "Every entry checks out" in page.get_data(as_text=True)


def test_staff_are_signed_out_after_30_idle_minutes(app, helper):
    assert helper.get("/staff/").status_code == 200
    with helper.session_transaction() as session:
        session["staff_active_at"] = time.time() - 31 * 60
    idle = helper.get("/staff/")
    assert idle.location.startswith("/login")
    assert helper.get("/account").status_code == 302  # the whole session ended


def test_staff_read_a_transcript_by_reference_and_add_a_note(app, helper):
    person = app.test_client()
    url, page = begin(person, "cant-sign-in")
    post(person, url, page, answer="password-refused")
    reference = re.search(r'class="code">([^<]+)<', page).group(1)
    found = helper.get(f"/staff/diagnoses?reference={reference.lower().replace('-', ' ')}")
    assert found.location == f"/staff/diagnoses/{reference}"
    transcript = helper.get(found.location).get_data(as_text=True)
    assert "what-happens" in transcript and "started" in transcript and "answered" in transcript
    added = helper.post(
        f"/staff/diagnoses/{reference}/notes",
        data={"csrf_token": csrf_from(transcript), "note": "Called back, all fine."},
    )
    assert added.status_code == 303
    assert "Called back, all fine." in helper.get(found.location).get_data(as_text=True)
    assert ("helper@example.org", "transcript.view") in audit_actions(app)
    assert ("helper@example.org", "transcript.note") in audit_actions(app)


def test_an_unknown_reference_is_a_clear_404(helper):
    missing = helper.get("/staff/diagnoses?reference=ZZZZ-ZZZZ")
    assert missing.status_code == 404 and "No diagnosis has the reference" in missing.get_data(as_text=True)


def make_link(helper, **fields: str):
    page = helper.get("/staff/links/new").get_data(as_text=True)
    return helper.post("/staff/links/new", data={"csrf_token": csrf_from(page), **fields})


def test_a_signed_link_opens_the_chosen_step_with_answers_prefilled(app, helper):
    made = make_link(
        helper, flow="wrong-password", answers="show-password=forgotten", days="7", note="ticket 42"
    )
    assert made.status_code == 200
    url = re.search(r'value="(http[^"]+)"', made.get_data(as_text=True)).group(1)
    path = url.split("localhost", 1)[1].replace("&amp;", "&")
    person = app.test_client()
    opened = person.get(path)
    assert opened.location == "/diagnose/wrong-password/email-access"
    back = person.get(opened.location).get_data(as_text=True)
    assert 'href="/diagnose/wrong-password/show-password">Back' in back
    with app.app_context():
        diagnosis = db.session.scalar(select(Diagnosis))
        assert diagnosis.link_id is not None and diagnosis.answers == ["forgotten"]
    console = helper.get("/staff/").get_data(as_text=True)
    assert "ticket 42" in console and diagnosis.reference in console
    assert ("helper@example.org", "link.create") in audit_actions(app)


def test_an_altered_or_expired_link_gets_a_clear_page_and_the_normal_start(app, helper):
    made = make_link(helper, flow="wrong-password", step="email-access", days="1")
    path = (
        re.search(r'value="http://localhost([^"]+)"', made.get_data(as_text=True))
        .group(1)
        .replace("&amp;", "&")
    )
    person = app.test_client()
    altered = person.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert altered.status_code == 410 and "t valid: it may have been changed" in altered.get_data(
        as_text=True
    )
    assert 'href="/diagnose/wrong-password"' in altered.get_data(as_text=True)
    with app.app_context():
        from helpdesk.models import StaffLink, utcnow

        db.session.execute(update(StaffLink).values(expires_at=utcnow()))
        db.session.commit()
    expired = person.get(path)
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)


def test_a_link_to_a_step_that_does_not_exist_is_refused(helper):
    refused = make_link(helper, flow="wrong-password", step="nowhere", days="7")
    assert refused.status_code == 400 and "the flow has no step" in refused.get_data(as_text=True)
    refused = make_link(helper, flow="wrong-password", answers="show-password=teleport", days="7")
    assert refused.status_code == 400 and "is not an answer of step" in refused.get_data(as_text=True)


def test_staff_sign_in_is_audited(app, helper):
    assert ("helper@example.org", "staff.sign-in") in audit_actions(app)


def test_the_audit_chain_detects_a_changed_entry(app, helper):
    with app.app_context():
        assert audit.verify() is None
        first = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id))
        # tampering by hand, past the code's append-only guard
        db.session.execute(update(AuditEntry).where(AuditEntry.id == first).values(actor="someone else"))
        db.session.commit()
        broken = audit.verify()
    assert broken is not None and broken.entry_id == first and "contents changed" in broken.reason


def test_audit_entries_cannot_be_changed_through_the_code(app, helper):
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry))
        entry.actor = "someone else"
        with pytest.raises(PermissionError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(PermissionError):
            db.session.delete(db.session.scalar(select(AuditEntry)))
            db.session.commit()


def test_concurrent_appends_keep_one_unbroken_chain(app):
    from tests.support import at_once

    def append() -> int:
        with app.app_context():
            entry_id = audit.record("test.append", actor="tester").id
            db.session.remove()
            return entry_id

    ids = at_once(10, append)
    assert len(set(ids)) == 10
    with app.app_context():
        assert audit.verify() is None
        assert db.session.query(AuditEntry).count() == 10


def test_concurrent_appends_inside_one_transaction_each_retry_instead_of_aborting(app):
    """A change and its audit entry commit together (extensions.one_transaction): losing the race
    for the end of the chain retries the entry, it does not roll the change back."""
    from helpdesk.extensions import one_transaction
    from tests.support import at_once

    def append() -> int:
        with app.app_context():
            with one_transaction():
                entry = audit.record("test.append", actor="tester")
            entry_id = entry.id
            db.session.remove()
            return entry_id

    assert len(set(at_once(10, append))) == 10
    with app.app_context():
        assert audit.verify() is None


def test_staff_are_signed_out_after_30_idle_minutes_by_the_clock(app):
    from datetime import UTC, datetime, timedelta

    import time_machine

    secret = make_staff(app, "clock@example.org", "staff")
    with time_machine.travel(datetime.now(UTC), tick=True) as clock:
        staff = staff_client(app, "clock@example.org", secret)
        assert staff.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=20))
        assert staff.get("/staff/").status_code == 200  # activity keeps the session
        clock.shift(timedelta(minutes=31))
        assert staff.get("/staff/").location.startswith("/login")


def test_editors_and_people_cannot_reach_requests_or_evidence(app, client, account):
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    for who in (editor, client):
        for page in ("/staff/requests/1", "/staff/evidence/1"):
            assert who.get(page).status_code == 403


def test_ids_out_of_range_are_a_404(helper):
    assert helper.get("/staff/requests/99999999999999999999").status_code == 404
    assert helper.get("/staff/evidence/99999999999999999999").status_code == 404


def test_removing_the_newest_entries_is_detected(app, helper):
    from sqlalchemy import delete

    helper.get("/staff/")
    with app.app_context():
        for n in range(3):
            audit.record("test.entry", actor="tester", target=str(n))
        newest = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
        db.session.execute(delete(AuditEntry).where(AuditEntry.id > newest - 2))  # by hand, around the code
        db.session.commit()
        broken = audit.verify()
    assert broken is not None and broken.entry_id == newest and "removed from the end" in broken.reason
