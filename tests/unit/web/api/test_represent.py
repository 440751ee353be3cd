"""What the API answers with: flows, diagnoses and their steps, transcripts, articles, verdicts
and searches, with every link absolute on the configured site address."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from helpdesk.cases.diagnoses import answer_step, move_on, record_event, restart, start_diagnosis
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.linkcheck import Verdict
from helpdesk.search import Hit, SearchResults
from helpdesk.staff.transcripts import read
from helpdesk.web.api.represent import (
    article_body,
    article_item,
    diagnosis_body,
    flow_item,
    search_body,
    started_body,
    step_body,
    transcript_body,
    verdict_body,
)
from tests.conftest import FIXTURES, build_app

SITE = "http://localhost"


def fix_it():
    return catalog().flows["fix-it"]


def at_apply():
    diagnosis = start_diagnosis(fix_it())
    answer_step(diagnosis, fix_it(), "what", "broken")
    answer_step(diagnosis, fix_it(), "explain", None)
    return diagnosis


def parse_time(text: str) -> datetime:
    assert text.endswith("Z")
    return datetime.fromisoformat(text[:-1] + "+00:00")


@pytest.fixture
def with_a_draft(tmp_path: Path) -> Iterator[Flask]:
    """The test content with other-flow made a draft."""
    flows = tmp_path / "flows"
    shutil.copytree(FIXTURES / "good" / "flows", flows)
    other = flows / "other-flow.yaml"
    other.write_text(other.read_text().replace("title: The other problem\n", "title: Draft\ndraft: true\n"))
    app = build_app(tmp_path, content_dir=FIXTURES / "good" / "content", flows_dir=flows)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# flows


def test_a_flow_item_has_its_words_and_its_three_links(fixture_app):
    with fixture_app.test_request_context():
        item = flow_item(fix_it().flow)
    assert item == {
        "id": "fix-it",
        "title": "Fix it",
        "summary": "A small flow for the tests.",
        "problems": ["it is broken"],
        "language": "en",
        "outdated": False,
        "links": {
            "self": f"{SITE}/api/v1/flows/fix-it",
            "start": f"{SITE}/api/v1/diagnoses",
            "page": f"{SITE}/diagnose/fix-it",
        },
    }


def test_a_flow_without_a_summary_has_null_for_it(fixture_app):
    with fixture_app.test_request_context():
        assert flow_item(catalog().flows["other-flow"].flow)["summary"] is None


def test_links_are_on_the_configured_site_address_not_the_requests_host(fixture_app):
    with fixture_app.test_request_context(base_url="http://evil.test"):
        links = flow_item(fix_it().flow)["links"]
    assert all(link.startswith(SITE + "/") for link in links.values())


# diagnoses


def test_a_diagnosis_body_says_where_it_is_and_until_when_it_lasts(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        body = diagnosis_body(diagnosis, fix_it())
        reference = diagnosis.reference
        assert parse_time(body["expires_at"]) == diagnosis.updated_at + timedelta(days=30)
        assert parse_time(body["started_at"]) == diagnosis.created_at
    assert (body["reference"], body["status"], body["revision"], body["current_step"]) == (
        reference,
        "active",
        0,
        "what",
    )
    assert body["flow"] == {"id": "fix-it", "title": "Fix it", "version": 1}
    assert body["step"]["id"] == "what" and body["continued_from"] is None
    assert body["links"] == {
        "self": f"{SITE}/api/v1/diagnoses/{reference}",
        "answers": f"{SITE}/api/v1/diagnoses/{reference}/answers",
        "transcript": f"{SITE}/api/v1/diagnoses/{reference}/transcript",
    }


def test_a_diagnosis_body_may_show_an_earlier_step(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        body = diagnosis_body(diagnosis, fix_it(), "what")
    assert (body["current_step"], body["step"]["id"], body["step"]["current"]) == ("apply", "what", False)


def test_a_handed_over_diagnosis_names_the_one_it_continued_from(fixture_app):
    with fixture_app.test_request_context():
        parent = start_diagnosis(fix_it())
        child = answer_step(parent, fix_it(), "what", "elsewhere").diagnosis
        body = diagnosis_body(child, catalog().flows["other-flow"])
        assert body["continued_from"] == parent.reference


def test_a_started_body_carries_the_token_once(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        body = started_body(diagnosis, fix_it(), "the-token")
    assert (body["token"], body["token_type"]) == ("the-token", "Bearer")
    assert body["reference"] == diagnosis.reference


# steps


def test_a_question_step_has_its_choices_help_article_and_progress(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        step = step_body(diagnosis, fix_it(), "what")
    assert (step["kind"], step["current"], step["heading"], step["chosen"]) == ("question", True, None, None)
    assert step["choices"] == [
        {"id": "broken", "label": "It is broken", "hint": None},
        {"id": "elsewhere", "label": "Something else", "hint": None},
        {"id": "dunno", "label": "I don't know", "hint": "That's fine."},
    ]
    assert "What happens?" in step["text_html"] and "<em>closest</em>" in step["help_html"]
    assert step["progress"] == {
        "step": 1,
        "remaining": 1,
        "at_most": 4,
        "text": "Step 1 · up to 4 steps to go",
    }
    assert step["article"]["slug"] == "basics" and step["article"]["section"] == "first-part"
    assert step["article"]["url"] == f"{SITE}/articles/basics"
    assert "The first part." in step["article"]["html"]
    assert (step["action"], step["end"], step["links"]["back"]) == (None, None, None)


def test_the_current_step_links_to_a_page_that_opens_it_in_a_browser(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        page = step_body(diagnosis, fix_it(), "what")["links"]["page"]
    assert page.startswith(f"{SITE}/") and "fix-it" in page


def test_an_answered_step_shows_the_answer_and_has_no_page(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        step = step_body(diagnosis, fix_it(), "what")
    assert (step["current"], step["chosen"], step["links"]["page"]) == (False, "broken", None)


def test_a_later_step_links_back_to_the_one_before_and_counts_the_pages_left(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        step = step_body(diagnosis, fix_it(), "explain")
        reference = diagnosis.reference
    assert step["links"]["back"] == f"{SITE}/api/v1/diagnoses/{reference}/steps/what"
    assert step["links"]["self"] == f"{SITE}/api/v1/diagnoses/{reference}/steps/explain"
    assert step["progress"] == {
        "step": 2,
        "remaining": 2,
        "at_most": 3,
        "text": "Step 2 · up to 3 steps to go",
    }


def test_an_info_step_has_one_choice_continue(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        step = step_body(diagnosis, fix_it(), "explain")
    assert step["choices"] == [{"id": "continue", "label": "Continue", "hint": None}]
    assert step["help_html"] is None


def test_a_fix_is_headed_by_its_action_and_runs_in_a_browser(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        step = step_body(diagnosis, fix_it(), "apply")
    assert (step["kind"], step["heading"], step["choices"], step["text_html"]) == (
        "action",
        "Apply the pretend fix",
        [],
        "",
    )
    assert step["action"] == {
        "name": "pretend-fix",
        "title": "Apply the pretend fix",
        "intro": "The pretend fix, for the tests.",
        "in_browser": True,
        "done": False,
    }


def test_a_fix_the_diagnosis_went_on_from_is_done(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        move_on(diagnosis, fix_it(), "apply", "success", kind="action")
        assert step_body(diagnosis, fix_it(), "apply")["action"]["done"] is True


def test_an_escalating_end_gives_the_support_address_and_the_reference(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        answer_step(diagnosis, fix_it(), "what", "dunno")
        step = step_body(diagnosis, fix_it(), "ask-support")
        reference = diagnosis.reference
    assert (step["heading"], step["progress"], step["choices"]) == ("Let's get you to a person", None, [])
    assert step["end"] == {
        "outcome": "escalate",
        "reference": reference,
        "support_email": "help@example.org",
        "next_flow": None,
        "continued_in": None,
    }


def test_a_resolved_end_gives_no_support_address(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        move_on(diagnosis, fix_it(), "apply", "pending", kind="action")
        step = step_body(diagnosis, fix_it(), "wait")
    assert step["heading"] == "You're all set"
    assert (step["end"]["outcome"], step["end"]["support_email"]) == ("resolved", None)


def test_an_end_that_continues_names_the_next_flow_and_the_diagnosis_it_went_on_in(fixture_app):
    with fixture_app.test_request_context():
        parent = start_diagnosis(fix_it())
        child = answer_step(parent, fix_it(), "what", "elsewhere").diagnosis
        step = step_body(parent, fix_it(), "go-on")
        assert step["heading"] == "Let's continue"
        assert step["end"]["next_flow"] == {"id": "other-flow", "title": "The other problem"}
        assert step["end"]["continued_in"] == child.reference


def test_an_end_that_continues_in_a_draft_names_no_next_flow(with_a_draft):
    with with_a_draft.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        answer_step(diagnosis, fix_it(), "what", "elsewhere")
        end = step_body(diagnosis, fix_it(), "go-on")["end"]
    assert (end["next_flow"], end["continued_in"]) == (None, None)


def test_a_handed_over_diagnosiss_first_step_links_back_into_the_parent(fixture_app):
    with fixture_app.test_request_context():
        parent = start_diagnosis(fix_it())
        child = answer_step(parent, fix_it(), "what", "elsewhere").diagnosis
        back = step_body(child, catalog().flows["other-flow"], "first")["links"]["back"]
        assert back == f"{SITE}/api/v1/diagnoses/{parent.reference}/steps/what"


def test_a_given_up_diagnosis_offers_no_page(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = start_diagnosis(fix_it())
        restart(diagnosis)
        assert step_body(diagnosis, fix_it(), "what")["links"]["page"] is None


def test_a_step_without_an_article_has_none(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        assert step_body(diagnosis, fix_it(), "apply")["article"] is None


# transcripts


def test_a_transcript_keeps_what_a_fix_said_off_and_other_messages_on(fixture_app):
    with fixture_app.test_request_context():
        diagnosis = at_apply()
        move_on(diagnosis, fix_it(), "apply", "success", kind="action", message="pat@example.org is unlocked")
        record_event(diagnosis, "note", "confirm", message="Support called back.")
        db.session.commit()
        body = transcript_body(read(diagnosis, fix_it()))
    by_kind = {line["kind"]: line for line in body["lines"]}
    assert by_kind["action"]["message"] is None and by_kind["action"]["answer"] == "success"
    assert by_kind["note"]["message"] == "Support called back."
    assert by_kind["started"]["answer"] is None and by_kind["started"]["message"] is None
    assert [line["kind"] for line in body["lines"]] == ["started", "answered", "answered", "action", "note"]
    assert all(line["at"].endswith("Z") for line in body["lines"])


def test_a_transcript_names_the_diagnoses_it_continued_from_and_in(fixture_app):
    with fixture_app.test_request_context():
        parent = start_diagnosis(fix_it())
        child = answer_step(parent, fix_it(), "what", "elsewhere").diagnosis
        of_parent = transcript_body(read(parent, fix_it()))
        of_child = transcript_body(read(child, catalog().flows["other-flow"]))
        assert (of_parent["continued_from"], of_parent["continued_in"]) == (None, [child.reference])
        assert (of_child["continued_from"], of_child["continued_in"]) == (parent.reference, [])
        assert of_child["flow"] == {"id": "other-flow", "title": "The other problem"}


# articles, verdicts, searches


def test_an_article_item_has_its_words_date_and_links(fixture_app):
    with fixture_app.test_request_context():
        item = article_item(catalog().articles["basics"])
    assert item == {
        "slug": "basics",
        "title": "Basics",
        "summary": "A small article for the tests.",
        "tags": ["testing"],
        "updated": "2026-11-25",
        "language": "en",
        "outdated": False,
        "links": {"self": f"{SITE}/api/v1/articles/basics", "page": f"{SITE}/articles/basics"},
    }


def test_an_article_without_a_date_has_null_for_it(fixture_app):
    with fixture_app.test_request_context():
        assert article_item(catalog().articles["more"])["updated"] is None


def test_an_article_body_has_its_html_contents_and_flows(fixture_app):
    with fixture_app.test_request_context():
        body = article_body(catalog().articles["basics"])
    assert body["toc"] == [
        {"id": "first-part", "title": "First part", "level": 2},
        {"id": "a-detail", "title": "A detail", "level": 3},
        {"id": "second-part", "title": "Second part", "level": 2},
    ]
    assert body["flows"] == [{"id": "fix-it", "title": "Fix it"}]
    assert '<h2 id="first-part">' in body["html"]


def test_an_article_body_leaves_out_draft_flows(with_a_draft):
    with with_a_draft.test_request_context():
        article = replace(catalog().articles["basics"], flows=("fix-it", "other-flow", "no-such-flow"))
        assert article_body(article)["flows"] == [{"id": "fix-it", "title": "Fix it"}]


def test_a_verdict_has_null_for_a_missing_host():
    assert verdict_body(Verdict(False, "", ["Not a site."])) == {
        "official": False,
        "host": None,
        "reasons": ["Not a site."],
    }
    assert verdict_body(Verdict(True, "example.org", []))["host"] == "example.org"


def test_search_hits_link_to_the_flow_or_the_article_they_are(fixture_app):
    found = SearchResults(
        query="brokn",
        shown_query="broken",
        corrected=True,
        partial=False,
        hits=[
            Hit("flow", "fix-it", "Fix it", "A small flow.", "It is <mark>broken</mark>"),
            Hit("article", "basics", "Basics", "A small article.", "<mark>broken</mark>"),
        ],
    )
    with fixture_app.test_request_context():
        body = search_body(found)
    assert (body["query"], body["shown_query"], body["corrected"], body["partial"]) == (
        "brokn",
        "broken",
        True,
        False,
    )
    assert body["only_common_words"] is False
    flow_hit, article_hit = body["hits"]
    assert flow_hit["links"] == {"self": f"{SITE}/api/v1/flows/fix-it", "page": f"{SITE}/diagnose/fix-it"}
    assert article_hit["links"] == {
        "self": f"{SITE}/api/v1/articles/basics",
        "page": f"{SITE}/articles/basics",
    }
    assert flow_hit["snippet_html"] == "It is <mark>broken</mark>" and flow_hit["kind"] == "flow"
