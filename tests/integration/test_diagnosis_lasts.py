"""A diagnosis survives restarts and flow edits, and concurrent answers are settled by the database."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from sqlalchemy import select

from helpdesk.cases.diagnoses import answer, flow_for, start_diagnosis
from helpdesk.extensions import db
from helpdesk.models import Diagnosis, DiagnosisEvent, FlowVersion
from tests.conftest import FIXTURES, build_app
from tests.integration.test_diagnosis_journey import begin, post
from tests.support import csrf_from


def copy_good(tmp_path: Path) -> tuple[Path, Path]:
    content, flows = tmp_path / "content", tmp_path / "flows"
    shutil.copytree(FIXTURES / "good" / "content", content)
    shutil.copytree(FIXTURES / "good" / "flows", flows)
    return content, flows


def test_a_diagnosis_survives_an_app_restart(tmp_path):
    content, flows = copy_good(tmp_path)
    first = build_app(tmp_path, content_dir=content, flows_dir=flows)
    client = first.test_client()
    url, page = begin(client)
    post(client, url, page, answer="broken")
    with first.app_context():
        db.engine.dispose()
    second = build_app(tmp_path, content_dir=content, flows_dir=flows)  # same database, same key
    resumed = second.test_client()
    resumed.set_cookie("helpdesk_session", client.get_cookie("helpdesk_session").value)
    assert resumed.get("/diagnose/fix-it").location == "/diagnose/fix-it/explain"


def test_a_flow_edited_meanwhile_finishes_on_the_version_it_began(tmp_path):
    content, flows = copy_good(tmp_path)
    first = build_app(tmp_path, content_dir=content, flows_dir=flows)
    client = first.test_client()
    url, page = begin(client)
    post(client, url, page, answer="broken")
    # the editor renames the step the person is on
    edited = (flows / "fix-it.yaml").read_text().replace("explain", "why")
    (flows / "fix-it.yaml").write_text(edited)
    second = build_app(tmp_path, content_dir=content, flows_dir=flows)
    person = second.test_client()
    person.set_cookie("helpdesk_session", client.get_cookie("helpdesk_session").value)
    page = person.get("/diagnose/fix-it/explain")
    assert page.status_code == 200 and "Here is why." in page.get_data(as_text=True)
    moved = person.post(
        "/diagnose/fix-it/explain", data={"csrf_token": csrf_from(page.get_data(as_text=True))}
    )
    assert moved.location == "/diagnose/fix-it/apply"  # the old version's way on
    # a new diagnosis runs on the new version
    person.post("/diagnose/fix-it/restart", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert person.get("/diagnose/fix-it/what").status_code == 200
    with second.app_context():
        assert db.session.query(FlowVersion).filter_by(flow_id="fix-it").count() == 2


def test_a_diagnosis_whose_version_is_lost_is_told_to_start_again(tmp_path):
    content, flows = copy_good(tmp_path)
    app = build_app(tmp_path, content_dir=content, flows_dir=flows)
    client = app.test_client()
    url, _page = begin(client)
    with app.app_context():
        db.session.query(Diagnosis).update({"flow_digest": "gone"})
        db.session.commit()
    changed = client.get(url)
    assert changed.status_code == 409
    assert changed.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "This guide has changed since you started" in changed.get_data(as_text=True)


def test_two_concurrent_identical_answers_are_applied_once(tmp_path):
    app = build_app(
        tmp_path,
        content_dir=FIXTURES / "good" / "content",
        flows_dir=FIXTURES / "good" / "flows",
    )
    catalog = app.extensions["helpdesk.catalog"]
    with app.app_context():
        diagnosis_id = start_diagnosis(catalog.flows["fix-it"]).id
    barrier = threading.Barrier(8)
    results: list[str] = []

    def submit() -> None:
        with app.app_context():
            diagnosis = db.session.get(Diagnosis, diagnosis_id)
            compiled = flow_for(diagnosis, catalog.flows["fix-it"])
            barrier.wait()
            results.append(answer(diagnosis, compiled, "what", "broken").step)
            db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["explain"] * 8
    with app.app_context():
        answered = db.session.scalars(select(DiagnosisEvent).where(DiagnosisEvent.kind == "answered")).all()
        assert len(answered) == 1
        assert db.session.get(Diagnosis, diagnosis_id).path == ["what", "explain"]


def test_a_handover_to_a_diagnosis_whose_version_is_lost_says_so(tmp_path):
    content, flows = copy_good(tmp_path)
    app = build_app(tmp_path, content_dir=content, flows_dir=flows)
    client = app.test_client()
    url, page = begin(client)
    handed = post(client, url, page, answer="elsewhere")  # go-on: continues in other-flow
    assert handed.location == "/diagnose/other-flow/first"
    with app.app_context():
        child = db.session.scalar(select(Diagnosis).where(Diagnosis.flow_id == "other-flow"))
        child.flow_digest = "gone"  # the version it began on can't be found any more
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    again = post(client, url, page, answer="elsewhere")  # the same answer: the same handover
    assert again.location == "/diagnose/other-flow/first"
    changed = client.get(again.location)
    assert changed.status_code == 409
    assert "This guide has changed since you started" in changed.get_data(as_text=True)
    assert "Let&#39;s look at the other problem." in changed.get_data(as_text=True)  # the end's note
