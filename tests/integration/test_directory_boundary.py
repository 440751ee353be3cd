"""The help center on the directory boundary, through pages: a fix the configured directory
can't do is never offered, and a directory that does not answer gives a 503 page that loses
nothing (the diagnosis resumes where it was), and a 503 from /healthz."""

from __future__ import annotations

import html
from pathlib import Path

from sqlalchemy import select

from helpdesk import use_directory
from helpdesk.accounts.org_directory import Capability
from helpdesk.extensions import db
from helpdesk.models import Diagnosis, DiagnosisEvent
from tests.conftest import build_app
from tests.directories import Lacking, Switchable
from tests.integration.test_diagnosis_journey import begin, post
from tests.mailbox import outbox

FLOW = "wrong-password"
RESET_STEP = f"/diagnose/{FLOW}/send-reset-link"


def answer(client, step: str, **fields: str):
    url = f"/diagnose/{FLOW}/{step}"
    return post(client, url, client.get(url).get_data(as_text=True), **fields)


def to_the_reset_step(client) -> None:
    begin(client, FLOW)
    assert answer(client, "show-password", answer="forgotten").location.endswith("/email-access")
    assert answer(client, "email-access", answer="yes").location.endswith("/send-reset-link")


def current_step(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Diagnosis.step).where(Diagnosis.flow_id == FLOW))


def test_a_fix_the_directory_cannot_do_is_never_offered_the_failure_branch_is_taken(app, client, account):
    use_directory(app, Lacking(Capability.RESET_PASSWORD))
    to_the_reset_step(client)
    shown = client.get(RESET_STEP)
    assert shown.status_code == 303 and shown.location.endswith(f"/diagnose/{FLOW}/contact-support")
    page = client.get(shown.location).get_data(as_text=True)
    assert 'name="email"' not in page and "Email me a reset link" not in page
    assert current_step(app) == "contact-support"
    with app.app_context():
        event = db.session.scalars(select(DiagnosisEvent).where(DiagnosisEvent.kind == "action")).one()
        assert event.detail["not_offered"] == "reset-password" and event.detail["answer"] == "failure"


def test_with_the_capability_the_same_fix_is_offered(app, client, account):
    use_directory(app, Lacking(Capability.UNLOCK))  # lacking something else
    to_the_reset_step(client)
    page = client.get(RESET_STEP)
    assert page.status_code == 200 and "Email me a reset link" in page.get_data(as_text=True)


def test_a_directory_that_does_not_answer_gives_a_503_page_and_the_diagnosis_resumes(
    app, client, account, outbox_dir
):
    directory = Switchable()
    use_directory(app, directory)
    to_the_reset_step(client)
    directory.down = True
    refused = answer(client, "send-reset-link", email="pat@example.org")
    assert refused.status_code == 503
    text = html.unescape(refused.get_data(as_text=True))
    assert "We can't reach the account system right now" in text and "Nothing you did is lost" in text
    assert f'href="{RESET_STEP}"' in text  # the way back to where the person was
    assert current_step(app) == "send-reset-link" and not outbox(outbox_dir)
    # the account system is back: the same step is offered again and goes through
    directory.down = False
    assert client.get(RESET_STEP).status_code == 200
    sent = answer(client, "send-reset-link", email="pat@example.org")
    assert sent.status_code == 303 and sent.location.endswith("/check-your-email")
    assert len(outbox(outbox_dir)) == 1


def test_a_sign_in_while_the_directory_is_down_is_a_503_not_a_500(app, client, account):
    directory = Switchable()
    use_directory(app, directory)
    page = client.get("/login").get_data(as_text=True)
    directory.down = True
    refused = post(client, "/login", page, email="pat@example.org", password="whatever-it-is")
    assert refused.status_code == 503
    assert "We can't reach the account system right now" in html.unescape(refused.get_data(as_text=True))


def test_healthz_answers_503_while_the_directory_does_not_answer(tmp_path: Path):
    app = build_app(tmp_path, health_seconds=0)
    directory = Switchable()
    use_directory(app, directory)
    assert app.test_client().get("/healthz").json["checks"]["directory"] is True
    directory.down = True
    answer_ = app.test_client().get("/healthz")
    assert answer_.status_code == 503
    assert answer_.json["checks"] == {"database": True, "directory": False, "content": True}
    directory.down = False
    assert app.test_client().get("/healthz").status_code == 200
