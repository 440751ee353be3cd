"""Which version of a flow a diagnosis runs on: the live one (drafts only in the sandbox), or the
stored source of the version it began on once the file has changed; None when that is lost."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from helpdesk.cases.diagnoses import answer_step, start_diagnosis
from helpdesk.cases.flow_versions import flow_for, flow_of, live_flow, remember_flow_version
from helpdesk.content.live import LIVE_KEY, catalog
from helpdesk.extensions import db
from helpdesk.models import FlowVersion
from tests.conftest import FIXTURES, build_app

DRAFT = """id: draft-flow
title: A draft
draft: true
start: ask
steps:
  ask:
    kind: question
    text: Is this a draft?
    choices:
      - id: "yes"
        label: "Yes"
        next: done
  done:
    kind: end
    outcome: resolved
"""

# fix-it without its "I don't know" answer, and with a new end
CHANGED_FIX_IT = """id: fix-it
title: Fix it, new edition
version: 2
start: what
steps:
  what:
    kind: question
    text: What happens now?
    choices:
      - id: broken
        label: It is broken
        next: new-end
  new-end:
    kind: end
    outcome: resolved
"""


@pytest.fixture
def editable(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """An app on a private copy of the test content, with a draft flow; fix-it's text is this
    test's own (so its version is unknown to every other test)."""
    content, flows = tmp_path / "content", tmp_path / "flows"
    shutil.copytree(FIXTURES / "good" / "content", content)
    shutil.copytree(FIXTURES / "good" / "flows", flows)
    fix_it = flows / "fix-it.yaml"
    fix_it.write_text(
        fix_it.read_text().replace(
            "summary: A small flow for the tests.", f"summary: Run {uuid.uuid4().hex}."
        )
    )
    (flows / "draft-flow.yaml").write_text(DRAFT)
    app = build_app(tmp_path, content_dir=content, flows_dir=flows)
    yield app, flows
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def edit(app: Flask, file: Path, text: str) -> None:
    """Change a flow file and let the app notice, as live reload does."""
    file.write_text(text)
    app.extensions[LIVE_KEY].refresh(app)
    app.extensions[LIVE_KEY].settle()


def test_a_published_flow_is_live(editable):
    app, _ = editable
    with app.app_context():
        assert live_flow("fix-it") is catalog().flows["fix-it"]


def test_a_flow_that_does_not_exist_is_not_live_even_in_the_sandbox(editable):
    app, _ = editable
    with app.app_context():
        assert live_flow("no-such-flow") is None
        assert live_flow("no-such-flow", sandbox=True) is None


def test_a_draft_is_hidden_from_the_public_but_runs_in_the_sandbox(editable):
    app, _ = editable
    with app.app_context():
        assert live_flow("draft-flow") is None
        sandboxed = live_flow("draft-flow", sandbox=True)
        assert sandboxed is not None and sandboxed.flow.draft and sandboxed.flow.title == "A draft"


def test_a_broken_edit_runs_in_the_sandbox_while_the_public_keeps_the_last_good_version(editable):
    app, flows = editable
    with app.app_context():
        before = live_flow("fix-it")
        broken = CHANGED_FIX_IT.replace("next: new-end", "next: missing-step")
        edit(app, flows / "fix-it.yaml", broken)
        assert live_flow("fix-it") is before
        sandboxed = live_flow("fix-it", sandbox=True)
        assert sandboxed is not None and sandboxed.flow.title == "Fix it, new edition"


def test_a_diagnosis_on_the_live_version_runs_on_the_live_flow(editable):
    app, _ = editable
    with app.app_context():
        diagnosis = start_diagnosis(live_flow("fix-it"))
        assert flow_of(diagnosis) is catalog().flows["fix-it"]


def test_after_the_file_changed_a_diagnosis_finishes_on_the_version_it_began_on(editable):
    app, flows = editable
    with app.app_context():
        began_on = live_flow("fix-it").digest
        diagnosis = start_diagnosis(live_flow("fix-it"))
        edit(app, flows / "fix-it.yaml", CHANGED_FIX_IT)
        assert live_flow("fix-it").flow.version == 2
        old = flow_of(diagnosis)
        assert old is not None and old.digest == began_on and old.flow.version == 1
        assert "dunno" in [c.id for c in old.step("what").choices]
        assert answer_step(diagnosis, old, "what", "dunno").step == "ask-support"


def test_a_version_that_was_never_stored_is_lost_once_the_file_changed(editable):
    app, flows = editable
    with app.app_context():
        diagnosis = start_diagnosis(live_flow("fix-it"))
        db.session.execute(FlowVersion.__table__.delete())
        db.session.commit()
        edit(app, flows / "fix-it.yaml", CHANGED_FIX_IT)
        assert flow_of(diagnosis) is None


def test_a_stored_version_without_a_step_the_diagnosis_visited_is_not_used(editable):
    app, flows = editable
    with app.app_context():
        diagnosis = start_diagnosis(live_flow("fix-it"))
        diagnosis.path = ["what", "a-step-of-no-version"]
        db.session.commit()
        edit(app, flows / "fix-it.yaml", CHANGED_FIX_IT)
        assert flow_of(diagnosis) is None


def test_a_sandbox_diagnosis_runs_on_the_draft_it_began_on(editable):
    app, _ = editable
    with app.app_context():
        diagnosis = start_diagnosis(live_flow("draft-flow", sandbox=True), sandbox=True)
        found = flow_of(diagnosis)
        assert found is not None and found.id == "draft-flow" and found.digest == diagnosis.flow_digest


def test_a_sandbox_run_of_a_broken_edit_is_found_while_the_edit_is_on_disk(editable):
    app, flows = editable
    with app.app_context():
        edit(app, flows / "fix-it.yaml", CHANGED_FIX_IT.replace("next: new-end", "next: missing-step"))
        diagnosis = start_diagnosis(live_flow("fix-it", sandbox=True), sandbox=True)
        assert flow_of(diagnosis) is live_flow("fix-it", sandbox=True)


def test_a_sandbox_run_of_a_broken_edit_is_lost_once_the_edit_is_fixed(editable):
    app, flows = editable
    with app.app_context():
        broken = CHANGED_FIX_IT.replace("next: new-end", f"next: missing-{uuid.uuid4().hex[:8]}")
        edit(app, flows / "fix-it.yaml", broken)
        diagnosis = start_diagnosis(live_flow("fix-it", sandbox=True), sandbox=True)
        edit(app, flows / "fix-it.yaml", CHANGED_FIX_IT)
        assert flow_of(diagnosis) is None  # its stored source never compiles


def test_flow_for_without_a_current_flow_reads_the_stored_version(editable):
    app, _ = editable
    with app.app_context():
        diagnosis = start_diagnosis(live_flow("fix-it"))
        found = flow_for(diagnosis, None)
        assert found is not None and found.digest == diagnosis.flow_digest


def test_a_stored_source_that_no_longer_reads_as_a_flow_is_lost(editable):
    app, _ = editable
    with app.app_context():
        compiled = live_flow("other-flow")
        diagnosis = start_diagnosis(compiled)
        diagnosis.flow_digest = f"gone-{uuid.uuid4().hex[:11]}"  # another version, stored unreadable
        db.session.add(
            FlowVersion(
                flow_id="other-flow", digest=diagnosis.flow_digest, path="x.yaml", source="id: [unclosed"
            )
        )
        db.session.commit()
        assert flow_of(diagnosis) is None


def test_a_flow_version_is_stored_only_once(editable):
    app, _ = editable
    with app.app_context():
        remember_flow_version(live_flow("fix-it"))
        remember_flow_version(live_flow("fix-it"))
        db.session.commit()
        stored = db.session.scalars(select(FlowVersion).where(FlowVersion.flow_id == "fix-it")).all()
        assert len(stored) == 1 and stored[0].source == live_flow("fix-it").flow.source
