"""A diagnosis driven through the API: the engine's refusals said as problems with the members
a client branches on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from helpdesk.cases.diagnoses import move_on, restart, start_diagnosis
from helpdesk.cases.diagnosis_access import open_with_token
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import FlowVersion
from helpdesk.web.api.conversation import flow_version, give_answer, published_flow, start
from helpdesk.web.api.problems import ApiProblem
from tests.conftest import FIXTURES, build_app


def fix_it():
    return catalog().flows["fix-it"]


def refusal(diagnosis, step_id: str, choice: str | None, revision: int | None = None) -> ApiProblem:
    with pytest.raises(ApiProblem) as problem:
        give_answer(diagnosis, fix_it(), step_id, choice, revision)
    return problem.value


@pytest.fixture
def with_a_draft(tmp_path: Path) -> Iterator[Flask]:
    flows = tmp_path / "flows"
    shutil.copytree(FIXTURES / "good" / "flows", flows)
    other = flows / "other-flow.yaml"
    other.write_text(other.read_text().replace("title: The other problem\n", "title: Draft\ndraft: true\n"))
    app = build_app(tmp_path, content_dir=FIXTURES / "good" / "content", flows_dir=flows)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# which flow


def test_a_published_flow_is_found(fixture_app):
    with fixture_app.app_context():
        assert published_flow("fix-it") is fix_it()


def test_an_unknown_flow_is_404_pointing_to_the_list(fixture_app):
    with fixture_app.app_context(), pytest.raises(ApiProblem) as problem:
        published_flow("x" * 500)
    assert problem.value.code == 404
    assert problem.value.description == f"There is no flow {'x' * 100!r}. GET /api/v1/flows lists them."


def test_a_draft_is_not_found_through_the_api(with_a_draft):
    with with_a_draft.app_context(), pytest.raises(ApiProblem) as problem:
        published_flow("other-flow")
    assert problem.value.code == 404


# starting


def test_starting_gives_a_diagnosis_at_the_start_and_the_token_that_opens_it(fixture_app):
    with fixture_app.app_context():
        diagnosis, compiled, token = start("fix-it")
        assert (compiled, diagnosis.step) == (fix_it(), "what")
        assert open_with_token(diagnosis.reference, token) == diagnosis


def test_starting_an_unknown_flow_starts_nothing(fixture_app):
    with fixture_app.app_context(), pytest.raises(ApiProblem):
        start("no-such-flow")


# the version a diagnosis runs on


def test_a_diagnosis_runs_on_the_version_it_began_on(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(fix_it())
        assert flow_version(diagnosis) is fix_it()


def test_a_lost_version_is_409_guide_changed_naming_the_diagnosis(fixture_app):
    with fixture_app.app_context():
        diagnosis = start_diagnosis(fix_it())
        diagnosis.flow_digest = "version-not-kept"
        db.session.commit()
        with pytest.raises(ApiProblem) as problem:
            flow_version(diagnosis)
    assert (problem.value.code, problem.value.kind) == (409, "guide-changed")
    assert problem.value.title == "This guide has changed since you started"
    assert problem.value.extra == {"reference": diagnosis.reference}


# answering


def test_an_answer_moves_the_diagnosis_on(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        answered = give_answer(diagnosis, fix_it(), "what", "broken", 0)
        assert (answered.step, diagnosis.step, diagnosis.revision) == ("explain", "explain", 1)


def test_a_given_up_diagnosis_is_410(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        restart(diagnosis)
        problem = refusal(diagnosis, "what", "broken")
    assert (problem.code, problem.kind) == (410, "abandoned")


def test_an_old_revision_is_409_giving_the_current_one(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        give_answer(diagnosis, fix_it(), "what", "broken", None)
        problem = refusal(diagnosis, "explain", None, revision=0)
    assert (problem.code, problem.kind, problem.extra) == (409, "stale-revision", {"revision": 1})
    assert "you sent revision 0, it is now at 1" in problem.description


def test_a_step_the_flow_lacks_is_422(fixture_app):
    with fixture_app.test_request_context():
        problem = refusal(start_diagnosis(fix_it()), "nowhere", "x")
    assert (problem.code, problem.kind) == (422, "unknown-step")
    assert problem.description == "This flow has no step 'nowhere'."


def test_no_answer_to_a_question_is_422_listing_the_choices(fixture_app):
    with fixture_app.test_request_context():
        problem = refusal(start_diagnosis(fix_it()), "what", None)
    assert (problem.code, problem.kind) == (422, "answer-required")
    assert problem.extra == {"choices": ["broken", "elsewhere", "dunno"]}


def test_a_choice_the_question_lacks_is_422_listing_the_choices(fixture_app):
    with fixture_app.test_request_context():
        problem = refusal(start_diagnosis(fix_it()), "what", "maybe")
    assert (problem.code, problem.kind) == (422, "unknown-choice")
    assert (
        problem.description
        == "'maybe' is not an answer to this question. Choose one of: broken, elsewhere, dunno."
    )


def test_an_info_step_answered_otherwise_than_continue_is_422(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        give_answer(diagnosis, fix_it(), "what", "broken", None)
        problem = refusal(diagnosis, "explain", "broken")
    assert (problem.code, problem.kind, problem.extra) == (422, "unknown-choice", {"choices": ["continue"]})
    assert problem.description == 'This step only tells something: answer "continue".'


def test_the_current_fix_is_409_with_a_page_that_opens_it_in_a_browser(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        give_answer(diagnosis, fix_it(), "what", "broken", None)
        give_answer(diagnosis, fix_it(), "explain", None, None)
        problem = refusal(diagnosis, "apply", "success")
    assert (problem.code, problem.kind, problem.title) == (
        409,
        "fix-in-browser",
        "This step runs in a browser",
    )
    assert problem.extra["page"].startswith("http://localhost/")
    assert 'Open the link in "page"' in problem.description


def test_a_fix_done_already_is_409_without_a_page(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        give_answer(diagnosis, fix_it(), "what", "broken", None)
        give_answer(diagnosis, fix_it(), "explain", None, None)
        move_on(diagnosis, fix_it(), "apply", "success", kind="action")
        problem = refusal(diagnosis, "apply", "success")
    assert (problem.kind, problem.extra) == ("fix-in-browser", {"page": None})
    assert "It has been done already." in problem.description


def test_an_end_is_409_at_an_end(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        give_answer(diagnosis, fix_it(), "what", "dunno", None)
        problem = refusal(diagnosis, "ask-support", None)
    assert (problem.code, problem.kind) == (409, "at-an-end")


def test_a_step_not_reached_is_409_naming_the_current_step(fixture_app):
    with fixture_app.test_request_context():
        problem = refusal(start_diagnosis(fix_it()), "explain", None)
    assert (problem.code, problem.kind, problem.extra) == (409, "stale-step", {"current_step": "what"})
    assert "has not reached 'explain'; it is at 'what'" in problem.description


def test_a_handover_to_a_diagnosis_on_a_lost_version_is_409_naming_that_diagnosis(fixture_app):
    with fixture_app.test_request_context():
        parent = start_diagnosis(fix_it())
        child = give_answer(parent, fix_it(), "what", "elsewhere", None).diagnosis
        child.flow_digest = "version-not-kept"
        db.session.execute(FlowVersion.__table__.delete())
        db.session.commit()
        problem = refusal(parent, "what", "elsewhere")
    assert (problem.code, problem.kind, problem.extra) == (
        409,
        "guide-changed",
        {"reference": child.reference},
    )
