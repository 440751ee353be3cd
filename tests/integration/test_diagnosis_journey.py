"""A person's walk through a flow, through the test client: answers, back, double submit."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from helpdesk.cases.reference import ALPHABET
from helpdesk.extensions import db
from helpdesk.models import Diagnosis, DiagnosisEvent
from tests.support import PRETEND_FIX, csrf_from


def begin(client: FlaskClient, flow: str = "fix-it") -> tuple[str, str]:
    """Start a diagnosis; return the first step's URL and its page."""
    started = client.get(f"/diagnose/{flow}")
    assert started.status_code == 303
    page = client.get(started.location)
    assert page.status_code == 200
    return started.location, page.get_data(as_text=True)


def post(client: FlaskClient, url: str, page: str, **fields: str):
    return client.post(url, data={"csrf_token": csrf_from(page), **fields})


def only_diagnosis(app: Flask, flow: str = "fix-it") -> Diagnosis:
    with app.app_context():
        rows = db.session.scalars(select(Diagnosis).where(Diagnosis.flow_id == flow)).all()
        assert len(rows) == 1
        db.session.expunge(rows[0])
        return rows[0]


def events(app: Flask, kind: str | None = None) -> list[DiagnosisEvent]:
    with app.app_context():
        query = select(DiagnosisEvent).order_by(DiagnosisEvent.id)
        if kind:
            query = query.where(DiagnosisEvent.kind == kind)
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def test_starting_shows_the_first_question_with_a_reference_code(fixture_client):
    url, page = begin(fixture_client)
    assert url == "/diagnose/fix-it/what"
    assert "<h1>What happens?</h1>" in page
    code = re.search(r'class="code">([^<]+)<', page).group(1)
    assert re.fullmatch(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", code)
    assert not set(code) & set("01OIL")


def test_the_question_page_is_accessible_markup(fixture_client):
    _, page = begin(fixture_client)
    assert page.count("<h1") == 1
    assert '<a class="skip-link" href="#main">' in page
    assert "<fieldset" in page and "<legend><h1>" in page
    for choice in ("broken", "elsewhere", "dunno"):
        assert f'<label for="answer-{choice}">' in page
        assert f'id="answer-{choice}"' in page
    assert 'aria-describedby="hint-dunno"' in page


def test_the_article_section_is_shown_beside_the_step(fixture_client):
    _, page = begin(fixture_client)
    assert '<h2 id="first-part">First part</h2>' in page
    assert "Inside the first part." in page  # the sub-section belongs to the section
    assert "The second part." not in page


def _progress(page: str) -> str:
    found = re.search(r'<p class="progress" id="progress">(.*?)</p>', page, re.S)
    assert found, "the page has no progress hint"
    return " ".join(found.group(1).split())


def test_the_progress_hint_counts_the_longest_hoped_for_way_to_an_end(fixture_client):
    url, page = begin(fixture_client)
    # what -> explain -> apply -> confirm: "I don't know" would end at once, but not every way does
    assert _progress(page) == "Step 1 · up to 4 steps to go"
    explained = post(fixture_client, url, page, answer="broken")
    page = fixture_client.get(explained.location).get_data(as_text=True)
    assert _progress(page) == "Step 2 · up to 3 steps to go"
    _url, page = begin(fixture_client, "other-flow")
    assert _progress(page) == "Step 1 · last step"


def test_an_answer_moves_to_the_next_step_by_post_redirect_get(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    moved = post(fixture_client, url, page, answer="broken")
    assert moved.status_code == 303
    assert moved.location == "/diagnose/fix-it/explain"
    page = fixture_client.get(moved.location).get_data(as_text=True)
    assert "Here is why." in page and "Step 2" in page
    diagnosis = only_diagnosis(fixture_app)
    assert diagnosis.path == ["what", "explain"]
    assert diagnosis.answers == ["broken"]


def test_the_back_link_keeps_the_answer_given(fixture_client):
    url, page = begin(fixture_client)
    moved = post(fixture_client, url, page, answer="broken")
    page = fixture_client.get(moved.location).get_data(as_text=True)
    assert '<a class="back" href="/diagnose/fix-it/what">Back</a>' in page
    back = fixture_client.get("/diagnose/fix-it/what").get_data(as_text=True)
    checked = re.search(r'value="(\w+)"\s+checked', back)
    assert checked and checked.group(1) == "broken"


def test_a_double_submitted_answer_is_applied_once(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    first = post(fixture_client, url, page, answer="broken")
    second = post(fixture_client, url, page, answer="broken")
    assert first.location == second.location == "/diagnose/fix-it/explain"
    assert len(events(fixture_app, "answered")) == 1
    assert only_diagnosis(fixture_app).path == ["what", "explain"]


def test_answering_an_earlier_page_differently_rewinds_to_it(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    post(fixture_client, url, page, answer="broken")
    explain = fixture_client.get("/diagnose/fix-it/explain").get_data(as_text=True)
    post(fixture_client, "/diagnose/fix-it/explain", explain)
    assert only_diagnosis(fixture_app).path == ["what", "explain", "apply"]
    # the browser's back button shows the old page; the person answers differently
    changed = post(fixture_client, url, page, answer="dunno")
    assert changed.location == "/diagnose/fix-it/ask-support"
    diagnosis = only_diagnosis(fixture_app)
    assert diagnosis.path == ["what", "ask-support"]
    assert diagnosis.answers == ["dunno"]
    assert diagnosis.status == "escalated"
    assert [e.detail["undone"] for e in events(fixture_app, "went_back")] == [2]


def test_a_page_for_a_step_not_taken_changes_nothing(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    forged = post(fixture_client, "/diagnose/fix-it/done", page)
    assert forged.status_code == 303 and forged.location == url
    assert fixture_client.get("/diagnose/fix-it/done").location == url
    assert only_diagnosis(fixture_app).path == ["what"]


def test_no_answer_chosen_gets_a_clear_message_and_a_400(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    for data in ({}, {"answer": "nonsense"}):
        refused = post(fixture_client, url, page, **data)
        assert refused.status_code == 400
        assert "Please choose one of the answers." in refused.get_data(as_text=True)
    assert only_diagnosis(fixture_app).path == ["what"]


def test_an_answer_without_csrf_token_is_refused_and_nothing_changes(fixture_client, fixture_app):
    url, _ = begin(fixture_client)
    refused = fixture_client.post(url, data={"answer": "broken"})
    assert refused.status_code == 400
    assert "nothing was changed" in refused.get_data(as_text=True)
    assert only_diagnosis(fixture_app).path == ["what"]


def test_the_action_hand_off_success_then_the_check(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    post(fixture_client, url, page, answer="broken")
    page = fixture_client.get("/diagnose/fix-it/explain").get_data(as_text=True)
    moved = post(fixture_client, "/diagnose/fix-it/explain", page)
    assert moved.location == "/diagnose/fix-it/apply"
    page = fixture_client.get(moved.location).get_data(as_text=True)
    assert '<input id="word" name="word"' in page and ">Apply</button>" in page
    done = post(fixture_client, "/diagnose/fix-it/apply", page, word="fixed")
    assert done.location == "/diagnose/fix-it/confirm"
    page = fixture_client.get(done.location).get_data(as_text=True)
    assert "The pretend fix worked." in page  # the outcome's message is shown
    checked = post(fixture_client, "/diagnose/fix-it/confirm", page, word="fixed")
    assert checked.location == "/diagnose/fix-it/done"
    diagnosis = only_diagnosis(fixture_app)
    assert diagnosis.status == "resolved"
    action = events(fixture_app, "action")[0]
    assert action.detail["action"] == "pretend-fix" and action.detail["answer"] == "success"
    assert events(fixture_app, "checked")[0].detail["answer"] == "success"


def _to_action(client: FlaskClient) -> str:
    url, page = begin(client)
    post(client, url, page, answer="broken")
    page = client.get("/diagnose/fix-it/explain").get_data(as_text=True)
    post(client, "/diagnose/fix-it/explain", page)
    return client.get("/diagnose/fix-it/apply").get_data(as_text=True)


def test_the_action_failure_and_pending_branches(fixture_client, fixture_app):
    page = _to_action(fixture_client)
    failed = post(fixture_client, "/diagnose/fix-it/apply", page, word="wrong")
    assert failed.location == "/diagnose/fix-it/ask-support"
    page = fixture_client.get("/diagnose/fix-it/apply").get_data(as_text=True)
    assert "This step is done." in page  # no second form for an action that already ran
    restarted = fixture_client.post("/diagnose/fix-it/restart", data={"csrf_token": csrf_from(page)})
    assert restarted.location == "/diagnose/fix-it/what"
    page = _to_action(fixture_client)
    pending = post(fixture_client, "/diagnose/fix-it/apply", page, word="later")
    assert pending.location == "/diagnose/fix-it/wait"


def test_an_action_with_bad_input_stays_on_its_step(fixture_client, fixture_app):
    page = _to_action(fixture_client)
    refused = post(fixture_client, "/diagnose/fix-it/apply", page, word="")
    assert refused.status_code == 400
    assert "Type a word first." in refused.get_data(as_text=True)
    assert only_diagnosis(fixture_app).step == "apply"


def test_a_double_submitted_action_runs_once(fixture_client):
    page = _to_action(fixture_client)
    before = len(PRETEND_FIX.calls)
    first = post(fixture_client, "/diagnose/fix-it/apply", page, word="fixed")
    second = post(fixture_client, "/diagnose/fix-it/apply", page, word="fixed")
    assert first.location == second.location == "/diagnose/fix-it/confirm"
    assert len(PRETEND_FIX.calls) == before + 1


def test_an_end_that_links_to_another_flow_continues_there(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    moved = post(fixture_client, url, page, answer="elsewhere")
    assert moved.location == "/diagnose/other-flow/first"
    page = fixture_client.get(moved.location).get_data(as_text=True)
    assert "Let&#39;s look at the other problem." in page or "Let's look at the other problem." in page
    assert '<a class="back" href="/diagnose/fix-it/what">Back</a>' in page
    parent = only_diagnosis(fixture_app)
    child = only_diagnosis(fixture_app, "other-flow")
    assert parent.status == "linked" and child.parent_id == parent.id
    started = next(e for e in events(fixture_app, "started") if e.diagnosis_id == child.id)
    assert started.detail["continued_from"] == parent.reference


def test_an_escalation_end_names_support_and_the_reference(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    moved = post(fixture_client, url, page, answer="dunno")
    page = fixture_client.get(moved.location).get_data(as_text=True)
    reference = only_diagnosis(fixture_app).reference
    assert "help@example.org" in page and reference in page


def test_every_event_is_in_the_transcript_with_its_time(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    post(fixture_client, url, page, answer="dunno")
    kinds = [(e.kind, e.step) for e in events(fixture_app)]
    assert kinds == [("started", "what"), ("answered", "what"), ("escalated", "ask-support")]
    assert all(e.at is not None for e in events(fixture_app))


def test_coming_back_resumes_the_diagnosis(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    post(fixture_client, url, page, answer="broken")
    again = fixture_client.get("/diagnose/fix-it")
    assert again.location == "/diagnose/fix-it/explain"
    page = fixture_client.get(again.location).get_data(as_text=True)
    assert "Welcome back" in page
    with fixture_app.app_context():
        assert db.session.query(Diagnosis).count() == 1


def test_start_over_begins_a_new_diagnosis(fixture_client, fixture_app):
    url, page = begin(fixture_client)
    post(fixture_client, url, page, answer="broken")
    fixture_client.post("/diagnose/fix-it/restart", data={"csrf_token": csrf_from(page)})
    with fixture_app.app_context():
        statuses = sorted(d.status for d in db.session.scalars(select(Diagnosis)))
    assert statuses == ["abandoned", "active"]


def test_unknown_flows_get_a_friendly_404(fixture_client):
    missing = fixture_client.get("/diagnose/no-such-flow")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, "the page has no title"
    return html.unescape(" ".join(found.group(1).split()))


def test_each_step_has_its_own_title_and_a_refused_answer_says_error_first(fixture_client):
    url, page = begin(fixture_client)
    assert _title(page) == "What happens? · Fix it · Example Help"
    refused = post(fixture_client, url, page)  # no answer picked
    assert refused.status_code == 400
    assert _title(refused.get_data(as_text=True)) == "Error: What happens? · Fix it · Example Help"
    explained = post(fixture_client, url, page, answer="broken")
    info = fixture_client.get(explained.location).get_data(as_text=True)
    assert _title(info) == "Here is why. · Fix it · Example Help"
    ended = post(fixture_client, url, page, answer="dunno")
    end_page = fixture_client.get(ended.location).get_data(as_text=True)
    assert _title(end_page).startswith("Let's get you to a person · Fix it")


def test_a_resolved_diagnosis_offers_one_next_step_the_security_checkup(client):
    url, page = begin(client, "locked-out")
    waiting = post(client, url, page, answer="yes")  # I tried several times
    page = client.get(waiting.location).get_data(as_text=True)
    ended = post(client, waiting.location, page, answer="wait")
    end_page = client.get(ended.location).get_data(as_text=True)
    assert "You&#39;re all set" in end_page
    assert end_page.count('class="button primary"') == 1
    assert 'href="/diagnose/after-recovery">Check your account\'s security</a>' in end_page
