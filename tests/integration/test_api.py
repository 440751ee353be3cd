"""The JSON API: a diagnosis driven by its bearer token, as the pages drive it, and everything
else a client needs; errors as problem details. Every response is also checked against the
OpenAPI document (tests/openapi_contract.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import ArticleView, Diagnosis, DiagnosisEvent, utcnow
from helpdesk.readership import flush_views
from helpdesk.web.api.openapi import document
from tests.conftest import build_app
from tests.integration.test_diagnosis_journey import begin, post
from tests.mailbox import outbox
from tests.support import PRETEND_FIX, csrf_from

PROBLEM = "application/problem+json"


def start(client: FlaskClient, flow: str = "fix-it") -> tuple[dict, dict[str, str]]:
    """Start a diagnosis; its body and the header that authorises it."""
    started = client.post("/api/v1/diagnoses", json={"flow": flow})
    assert started.status_code == 201, started.get_data(as_text=True)
    body = started.get_json()
    return body, {"Authorization": f"Bearer {body['token']}"}


def give(client: FlaskClient, body: dict, auth: dict[str, str], **fields: object):
    return client.post(body["links"]["answers"], json=fields, headers=auth)


def open_in_browser(browser: FlaskClient, link: str):
    """What a person does with a "continue in a browser" link: open it, press Continue."""
    shown = browser.get(path_of(link))
    assert shown.status_code == 200, shown.get_data(as_text=True)
    return post(browser, path_of(link), shown.get_data(as_text=True))


def path_of(url: str) -> str:
    assert url.startswith("http://localhost/")
    return url.removeprefix("http://localhost")


def is_problem(response, status: int, kind: str = "") -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["status"] == status and problem["detail"] and problem["title"]
    if kind:
        assert problem["type"] == f"urn:helpdesk:problem:{kind}"
    return problem


def test_the_document_is_valid_openapi_3_1_and_served(client):
    validate(document())
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.get_json() == document()
    assert served.get_json()["openapi"] == "3.1.0"


def test_flows_are_listed_like_the_home_page_with_their_links(client):
    listed = client.get("/api/v1/flows").get_json()["flows"]
    ids = [f["id"] for f in listed]
    assert ids[:3] == ["cant-sign-in", "wrong-password", "two-factor-rejected"]
    locked = next(f for f in listed if f["id"] == "locked-out")
    assert locked["title"] == "My account is locked" and "account locked" in locked["problems"]
    assert locked["links"]["page"] == "http://localhost/diagnose/locked-out"
    assert client.get(path_of(locked["links"]["self"])).get_json() == locked


def test_starting_gives_the_first_step_and_a_token_stored_only_as_its_hash(fixture_app, fixture_client):
    started = fixture_client.post("/api/v1/diagnoses", json={"flow": "fix-it"})
    body = started.get_json()
    assert started.status_code == 201 and started.headers["Location"] == body["links"]["self"]
    assert body["token_type"] == "Bearer" and len(body["token"]) >= 43
    assert body["status"] == "active" and body["current_step"] == "what" and body["revision"] == 0
    step = body["step"]
    assert step["kind"] == "question" and step["current"] is True
    assert step["text_html"] == "What happens?"
    assert step["help_html"] == "Pick the <em>closest</em> answer."  # Markdown, rendered as on the page
    assert [(c["id"], c["hint"]) for c in step["choices"]] == [
        ("broken", None),
        ("elsewhere", None),
        ("dunno", "That's fine."),
    ]
    assert step["article"]["slug"] == "basics" and step["article"]["section"] == "first-part"
    assert step["article"]["html"].startswith('<h2 id="first-part">First part</h2>')
    assert step["progress"] == {
        "step": 1,
        "remaining": 1,
        "at_most": 4,
        "text": "Step 1 · up to 4 steps to go",
    }
    assert step["links"]["back"] is None
    with fixture_app.app_context():
        row = db.session.scalar(select(Diagnosis).where(Diagnosis.reference == body["reference"]))
        assert row.api_token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
        assert body["token"] not in json.dumps([row.path, row.answers, row.api_token_hash])


def test_an_answer_moves_the_diagnosis_as_the_page_would(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    moved = give(fixture_client, body, auth, step="what", answer="broken").get_json()
    assert moved["current_step"] == "explain" and moved["revision"] == 1
    assert moved["step"]["kind"] == "info"
    assert moved["step"]["choices"] == [{"id": "continue", "label": "Continue", "hint": None}]
    assert moved["step"]["links"]["back"] == body["links"]["self"] + "/steps/what"
    on = give(fixture_client, moved, auth, step="explain").get_json()  # an info step needs no answer
    assert on["current_step"] == "apply" and on["step"]["kind"] == "action"
    with fixture_app.app_context():
        kinds = db.session.scalars(select(DiagnosisEvent.kind).order_by(DiagnosisEvent.id)).all()
    assert kinds == ["started", "answered", "answered"]


def test_diagnosis_calls_need_its_own_bearer_token(fixture_client):
    body, auth = start(fixture_client)
    other, _ = start(fixture_client)
    url = path_of(body["links"]["self"])
    missing = fixture_client.get(url)
    is_problem(missing, 401, "token-missing")
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="helpdesk"'
    wrong = fixture_client.get(url, headers={"Authorization": "Bearer not-the-token"})
    is_problem(wrong, 401, "token-invalid")
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    foreign = {"Authorization": f"Bearer {other['token']}"}
    answer = {"step": "what", "answer": "broken"}
    is_problem(fixture_client.post(url + "/answers", json=answer, headers=foreign), 401)
    is_problem(fixture_client.get(url, headers={"Authorization": f"Basic {body['token']}"}), 401)
    assert fixture_client.get(url, headers=auth).status_code == 200


def test_a_browser_session_counts_for_nothing_in_the_api(fixture_app):
    browser = fixture_app.test_client()
    begin(browser)  # a diagnosis this browser's cookie holds
    with fixture_app.app_context():
        reference = db.session.scalar(select(Diagnosis.reference))
    answer = {"step": "what", "answer": "broken"}
    refused = browser.post(f"/api/v1/diagnoses/{reference}/answers", json=answer)
    is_problem(refused, 401, "token-missing")
    body, auth = start(browser)
    for response in (
        browser.get(path_of(body["links"]["self"]), headers=auth),
        browser.post(path_of(body["links"]["answers"]), json=answer, headers=auth),
    ):
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert browser.get("/diagnose/fix-it/what").status_code == 200  # its own diagnosis is untouched


def test_a_fix_step_hands_back_a_link_that_opens_the_diagnosis_in_a_browser(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    give(fixture_client, body, auth, step="what", answer="broken")
    at_fix = give(fixture_client, body, auth, step="explain").get_json()
    step = at_fix["step"]
    assert step["action"] == {
        "name": "pretend-fix",
        "title": "Apply the pretend fix",
        "intro": "The pretend fix, for the tests.",
        "in_browser": True,
        "done": False,
    }
    refused = is_problem(give(fixture_client, body, auth, step="apply"), 409, "fix-in-browser")
    assert refused["page"].startswith("http://localhost/diagnose/fix-it/continue/")
    browser = fixture_app.test_client()
    opened = open_in_browser(browser, step["links"]["page"])
    assert opened.status_code == 303 and opened.location == "/diagnose/fix-it/apply"
    page = browser.get(opened.location).get_data(as_text=True)
    assert "Apply the pretend fix" in page and at_fix["reference"] in page
    done = post(browser, "/diagnose/fix-it/apply", page, word="fixed")
    assert done.location == "/diagnose/fix-it/confirm" and PRETEND_FIX.calls[-1]["step"] == "apply"
    now = fixture_client.get(path_of(body["links"]["self"]), headers=auth).get_json()
    assert now["current_step"] == "confirm" and now["step"]["kind"] == "check"
    earlier = fixture_client.get(path_of(now["step"]["links"]["back"]), headers=auth).get_json()
    assert earlier["step"]["action"]["done"] is True and earlier["step"]["chosen"] == "success"
    lines = fixture_client.get(path_of(body["links"]["transcript"]), headers=auth).get_json()["lines"]
    [fix] = [line for line in lines if line["kind"] == "action"]
    assert fix["answer"] == "success" and fix["message"] is None  # its words stay on the page


def test_a_browser_link_works_once_and_for_fifteen_minutes(fixture_app, fixture_client):
    body, _ = start(fixture_client)
    link = path_of(body["step"]["links"]["page"])
    assert open_in_browser(fixture_app.test_client(), body["step"]["links"]["page"]).status_code == 303
    used = fixture_app.test_client().get(link)
    assert used.status_code == 410 and "has been used already" in used.get_data(as_text=True)
    fresh, _ = start(fixture_client)
    later = path_of(fresh["step"]["links"]["page"])
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        expired = fixture_app.test_client().get(later)
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)
    altered = fixture_app.test_client().get(later[:-3] + "xyz")
    assert altered.status_code == 404 and "isn&#39;t valid" in altered.get_data(as_text=True)
    elsewhere = fixture_app.test_client().get(later.replace("/fix-it/", "/other-flow/"))
    assert elsewhere.status_code == 404
    with fixture_app.app_context():
        opened = db.session.scalars(select(DiagnosisEvent).where(DiagnosisEvent.kind == "opened_in_browser"))
        assert len(opened.all()) == 1


def test_fetching_a_browser_link_uses_nothing_until_the_person_presses_continue(fixture_app, fixture_client):
    body, _ = start(fixture_client)
    link = path_of(body["step"]["links"]["page"])
    scanner = fixture_app.test_client()
    assert scanner.head(link).status_code == 200
    shown = scanner.get(link)  # a mail scanner or link preview: it sees the page, nothing more
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert f'Continue your diagnosis <span class="code">{body["reference"]}</span> in this browser' in page
    assert f'<form method="post" action="{link}" novalidate>' in page and 'name="csrf_token"' in page
    assert '<button type="submit" class="primary">Continue in this browser</button>' in page
    assert scanner.get("/diagnose/fix-it/what").status_code == 303  # the scanner holds no diagnosis
    forged = fixture_app.test_client().post(link)  # no CSRF token: refused, the link not used
    assert forged.status_code == 400
    person = fixture_app.test_client()
    opened = open_in_browser(person, body["step"]["links"]["page"])
    assert opened.status_code == 303 and opened.location == "/diagnose/fix-it/what"
    assert person.get(opened.location).status_code == 200
    again = post(scanner, link, page)  # the scanner's own page is stale now
    assert again.status_code == 410 and "has been used already" in again.get_data(as_text=True)


def test_a_browser_link_carries_the_reference_not_the_row_id(fixture_app, fixture_client):
    body, _ = start(fixture_client)
    ticket = body["step"]["links"]["page"].rsplit("/", 1)[1]
    payload = json.loads(base64.urlsafe_b64decode(ticket.split(".")[0] + "=="))
    assert payload == {"r": body["reference"], "n": 0}


@pytest.mark.parametrize(
    ("ending", "message"),
    [("abandoned", "was started over"), ("expired", "has expired: nothing was answered")],
)
def test_a_browser_link_to_a_diagnosis_given_up_or_expired_since_says_so(
    fixture_app, fixture_client, ending, message
):
    body, _ = start(fixture_client)
    link = path_of(body["step"]["links"]["page"])
    browser = fixture_app.test_client()
    page = browser.get(link).get_data(as_text=True)  # shown while the diagnosis was still going
    with fixture_app.app_context():
        if ending == "abandoned":
            db.session.execute(db.update(Diagnosis).values(status="abandoned"))
        else:
            db.session.execute(db.update(Diagnosis).values(updated_at=utcnow() - timedelta(days=31)))
        db.session.commit()
    for response in (browser.get(link), post(browser, link, page)):
        assert response.status_code == 410 and message in response.get_data(as_text=True)


def test_going_back_keeps_the_answer_and_a_different_one_rewinds(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    moved = give(fixture_client, body, auth, step="what", answer="broken").get_json()
    back = fixture_client.get(path_of(moved["step"]["links"]["back"]), headers=auth).get_json()
    assert back["current_step"] == "explain"  # looking back changes nothing
    assert back["step"]["id"] == "what" and back["step"]["current"] is False
    assert back["step"]["chosen"] == "broken" and back["step"]["links"]["page"] is None
    same = give(fixture_client, body, auth, step="what", answer="broken").get_json()
    assert same["step"]["id"] == "explain" and same["revision"] == moved["revision"]
    changed = give(fixture_client, body, auth, step="what", answer="dunno").get_json()
    assert changed["current_step"] == "ask-support" and changed["status"] == "escalated"
    end = changed["step"]["end"]
    assert end["outcome"] == "escalate" and end["reference"] == body["reference"]
    assert end["support_email"] == "help@example.org" and changed["step"]["progress"] is None
    with fixture_app.app_context():
        assert db.session.scalar(select(Diagnosis.path)) == ["what", "ask-support"]
        assert "went_back" in db.session.scalars(select(DiagnosisEvent.kind)).all()


def test_answers_the_diagnosis_has_moved_past_are_conflicts(fixture_client):
    body, auth = start(fixture_client)
    stale = is_problem(give(fixture_client, body, auth, step="explain"), 409, "stale-step")
    assert stale["current_step"] == "what"
    give(fixture_client, body, auth, step="what", answer="broken")
    old = is_problem(
        give(fixture_client, body, auth, step="explain", answer="continue", revision=0), 409, "stale-revision"
    )
    assert old["revision"] == 1
    assert give(fixture_client, body, auth, step="explain", answer="continue", revision=1).status_code == 200
    is_problem(give(fixture_client, body, auth, step="no-such-step"), 422, "unknown-step")


def test_an_end_takes_no_answer(fixture_client):
    body, auth = start(fixture_client)
    give(fixture_client, body, auth, step="what", answer="dunno")
    is_problem(give(fixture_client, body, auth, step="ask-support"), 409, "at-an-end")


@pytest.mark.parametrize(
    ("fields", "kind", "pointer"),
    [
        ({"step": "what", "answer": "nope"}, "unknown-choice", None),
        ({"step": "what"}, "answer-required", None),
        ({"answer": "broken"}, "invalid", "/step"),
        ({"step": 3, "answer": "broken"}, "invalid", "/step"),
        ({"step": "what", "answer": 3}, "invalid", "/answer"),
        ({"step": "what", "answer": "broken", "revision": "1"}, "invalid", "/revision"),
        ({"step": "what", "answer": "broken", "revision": True}, "invalid", "/revision"),
        ({"step": "what", "answer": "broken", "choice": "broken"}, "invalid", "/choice"),
        ({"step": "what", "answer": "x" * 101}, "invalid", "/answer"),
        ({"step": "what", "answer": "bro\x00ken"}, "unknown-choice", None),
        ({"step": "what", "answer": None}, "invalid", "/answer"),
        ({"step": "what", "answer": "broken", "revision": None}, "invalid", "/revision"),
        ({"step": "what", "step/x~": 1}, "invalid", "/step~1x~0"),
    ],
)
def test_a_wrong_answer_body_is_422_naming_the_mistake(fixture_client, fields, kind, pointer):
    body, auth = start(fixture_client)
    problem = is_problem(give(fixture_client, body, auth, **fields), 422, kind)
    if pointer:
        assert pointer in [e["pointer"] for e in problem["errors"]]
    if kind == "unknown-choice":
        assert problem["choices"] == ["broken", "elsewhere", "dunno"]
        assert "broken, elsewhere, dunno" in problem["detail"]


def test_an_answer_without_its_step_is_refused_so_a_retry_cannot_skip_a_question(fixture_client):
    body, auth = start(fixture_client)
    missing = is_problem(give(fixture_client, body, auth, answer="broken"), 422, "invalid")
    assert "'step' is required" in missing["detail"]
    assert missing["errors"] == [{"pointer": "/step", "detail": "is required (a step id (text))"}]
    first = give(fixture_client, body, auth, step="what", answer="broken").get_json()
    retried = give(fixture_client, body, auth, step="what", answer="broken").get_json()  # sent twice
    assert first["current_step"] == retried["current_step"] == "explain"
    assert retried["revision"] == first["revision"] == 1
    ahead = is_problem(give(fixture_client, body, auth, step="apply"), 409, "stale-step")
    assert ahead["current_step"] == "explain"


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        (b"\xff\xfe\x00{", "application/json", 400),
        ("[" * 30_000 + "]" * 30_000, "application/json", 400),
        ('{"revision": 1' + "0" * 5000 + "}", "application/json", 400),
        ('["flow"]', "application/json", 422),
        ("null", "application/json", 422),
        ('{"flow": "fix-it"}', "text/plain", 415),
        ("flow=fix-it", "application/x-www-form-urlencoded", 415),
        ('{"flow": "' + "x" * 70_000 + '"}', "application/json", 413),
    ],
)
def test_a_body_that_cannot_be_read_is_a_clear_4xx(fixture_client, data, content_type, status):
    for url in ("/api/v1/diagnoses", "/api/v1/check-link"):
        is_problem(fixture_client.post(url, data=data, content_type=content_type), status)


def test_hostile_ids_are_404_never_500(fixture_client):
    body, auth = start(fixture_client)
    for url in (
        "/api/v1/flows/fix%00it",
        "/api/v1/articles/%E2%80%AEbasics",
        "/api/v1/articles/..%2F..%2Fetc%2Fpasswd",
        path_of(body["links"]["self"]) + "/steps/%00",
        path_of(body["links"]["self"]) + "/steps/" + "é" * 300,
    ):
        is_problem(fixture_client.get(url, headers=auth), 404)
    is_problem(fixture_client.get("/api/v1/diagnoses/%00%00%00%00-%00%00%00%00", headers=auth), 401)
    for flow in ("fix\x00it", "ﬁx-it", "x" * 100, "../fix-it"):
        is_problem(fixture_client.post("/api/v1/diagnoses", json={"flow": flow}), 404)
    is_problem(fixture_client.post("/api/v1/diagnoses", json={"flow": "x" * 101}), 422)


def test_every_error_of_the_api_is_problem_json(fixture_client):
    missing = is_problem(fixture_client.get("/api/v1/nothing-here"), 404, "not-found")
    assert "/api/openapi.json" in missing["detail"]
    wrong_method = fixture_client.delete("/api/v1/flows")
    problem = is_problem(wrong_method, 405, "method-not-allowed")
    assert problem["detail"] == "DELETE is not allowed at this address; use GET."
    assert "GET" in wrong_method.headers["Allow"]


def test_a_guide_changed_under_a_diagnosis_is_409(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    with fixture_app.app_context():
        db.session.execute(db.update(Diagnosis).values(flow_digest="gone"))
        db.session.commit()
    changed = is_problem(
        fixture_client.get(path_of(body["links"]["self"]), headers=auth), 409, "guide-changed"
    )
    assert changed["reference"] == body["reference"]
    is_problem(give(fixture_client, body, auth, step="what", answer="broken"), 409, "guide-changed")
    transcript = fixture_client.get(path_of(body["links"]["transcript"]), headers=auth)
    assert transcript.status_code == 200  # what was said stays readable


def test_a_diagnosis_finishes_on_the_flow_version_it_began(tmp_path, content_copy):
    content, flows = content_copy
    app = build_app(tmp_path, content_dir=content, flows_dir=flows)
    client = app.test_client()
    body, auth = start(client, "locked-out")
    give(client, body, auth, step="was-it-you", answer="yes")
    source = (flows / "locked-out.yaml").read_text().replace("wait-or-unlock", "can-you-wait")
    (flows / "locked-out.yaml").write_text(source)
    second = build_app(tmp_path, content_dir=content, flows_dir=flows)
    again = second.test_client()
    resumed = again.get(path_of(body["links"]["self"]), headers=auth).get_json()
    assert resumed["current_step"] == "wait-or-unlock"  # the old version's step
    moved = give(again, body, auth, step="wait-or-unlock", answer="wait").get_json()
    assert moved["current_step"] == "wait-it-out"
    fresh, _ = start(again, "locked-out")
    fresh_auth = {"Authorization": f"Bearer {fresh['token']}"}
    assert give(again, fresh, fresh_auth, step="was-it-you", answer="yes").get_json()["current_step"] == (
        "can-you-wait"
    )


def test_a_handover_goes_on_in_a_new_diagnosis_with_the_same_token(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    handed = give(fixture_client, body, auth, step="what", answer="elsewhere").get_json()
    assert handed["flow"]["id"] == "other-flow" and handed["reference"] != body["reference"]
    assert handed["continued_from"] == body["reference"] and handed["current_step"] == "first"
    assert handed["step"]["links"]["back"] == body["links"]["self"] + "/steps/what"  # as the page's Back
    parent = fixture_client.get(path_of(body["links"]["self"]), headers=auth).get_json()
    assert parent["status"] == "linked"
    assert parent["step"]["end"]["next_flow"] == {"id": "other-flow", "title": "The other problem"}
    assert parent["step"]["end"]["continued_in"] == handed["reference"]
    again = give(fixture_client, body, auth, step="what", answer="elsewhere").get_json()
    assert again["reference"] == handed["reference"]  # resumed, not a second one
    done = give(fixture_client, handed, auth, step="first", answer="yes").get_json()
    assert done["status"] == "resolved" and done["step"]["end"]["outcome"] == "resolved"
    with fixture_app.app_context():
        assert db.session.query(Diagnosis).filter_by(flow_id="other-flow").count() == 1
        continued = db.session.scalars(select(DiagnosisEvent).where(DiagnosisEvent.kind == "continued")).all()
        assert [e.detail["reference"] for e in continued] == [handed["reference"]]


def test_two_handover_answers_at_once_make_one_next_diagnosis(fixture_app, fixture_client):
    from tests.support import at_once

    body, auth = start(fixture_client)
    references = at_once(
        6, lambda: give(fixture_app.test_client(), body, auth, step="what", answer="elsewhere").get_json()
    )
    assert len({r["reference"] for r in references}) == 1
    with fixture_app.app_context():
        assert db.session.query(Diagnosis).filter_by(flow_id="other-flow").count() == 1
        assert (
            len(db.session.scalars(select(DiagnosisEvent).where(DiagnosisEvent.kind == "continued")).all())
            == 1
        )


def test_a_diagnosis_expires_a_session_lifetime_after_its_last_answer(fixture_client):
    body, auth = start(fixture_client)
    url = path_of(body["links"]["self"])
    with time_machine.travel(utcnow() + timedelta(days=29)):
        assert fixture_client.get(url, headers=auth).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=31)):
        expired = is_problem(fixture_client.get(url, headers=auth), 410, "expired")
    assert expired["reference"] == body["reference"]


def test_a_diagnosis_given_up_in_a_browser_takes_no_more_answers(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    browser = fixture_app.test_client()
    open_in_browser(browser, body["step"]["links"]["page"])
    page = browser.get("/diagnose/fix-it/what").get_data(as_text=True)
    browser.post("/diagnose/fix-it/restart", data={"csrf_token": csrf_from(page)})
    is_problem(give(fixture_client, body, auth, step="what", answer="broken"), 410, "abandoned")
    assert (
        fixture_client.get(path_of(body["links"]["self"]), headers=auth).get_json()["status"] == "abandoned"
    )


def test_sandbox_diagnoses_are_not_in_the_api(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    with fixture_app.app_context():
        db.session.execute(db.update(Diagnosis).values(sandbox=True))
        db.session.commit()
    is_problem(fixture_client.get(path_of(body["links"]["self"]), headers=auth), 401, "token-invalid")


def test_a_draft_flow_cannot_be_started(tmp_path, content_copy):
    content, flows = content_copy
    path = flows / "locked-out.yaml"
    path.write_text(path.read_text().replace("version: 1\n", "version: 1\ndraft: true\n", 1))
    client = build_app(tmp_path, content_dir=content, flows_dir=flows).test_client()
    is_problem(client.post("/api/v1/diagnoses", json={"flow": "locked-out"}), 404)
    assert "locked-out" not in [f["id"] for f in client.get("/api/v1/flows").get_json()["flows"]]


def test_the_transcript_has_every_answer_with_times_and_the_reference(fixture_client):
    body, auth = start(fixture_client)
    give(fixture_client, body, auth, step="what", answer="broken")
    give(fixture_client, body, auth, step="what", answer="dunno")
    transcript = fixture_client.get(path_of(body["links"]["transcript"]), headers=auth).get_json()
    assert transcript["reference"] == body["reference"] and transcript["status"] == "escalated"
    lines = [(line["kind"], line["step"], line["answer"]) for line in transcript["lines"]]
    assert lines == [
        ("started", "what", None),
        ("answered", "what", "It is broken"),
        ("went_back", "what", None),
        ("answered", "what", "I don't know"),
        ("escalated", "ask-support", None),
    ]
    assert all(line["at"].endswith("Z") for line in transcript["lines"])


def test_a_real_fix_runs_in_the_browser_the_api_sent_the_person_to(app, client, account, outbox_dir):
    body, auth = start(client, "locked-out")
    give(client, body, auth, step="was-it-you", answer="yes")
    at_fix = give(client, body, auth, step="wait-or-unlock", answer="unlock-now").get_json()
    assert at_fix["step"]["action"]["name"] == "send-unlock-link"
    assert "unlock link" in at_fix["step"]["text_html"]
    browser = app.test_client()
    opened = open_in_browser(browser, at_fix["step"]["links"]["page"])
    page = browser.get(opened.location).get_data(as_text=True)
    assert 'name="email"' in page
    sent = post(browser, opened.location, page, email="pat@example.org")
    assert sent.location == "/diagnose/locked-out/check-unlock-email"
    assert [m["To"] for m in outbox(outbox_dir)] == ["pat@example.org"]
    now = client.get(path_of(body["links"]["self"]), headers=auth).get_json()
    assert now["current_step"] == "check-unlock-email"
    assert now["step"]["choices"][0]["label"] == "My account is unlocked"


def test_articles_are_listed_and_given_rendered(fixture_app, fixture_client):
    listed = fixture_client.get("/api/v1/articles").get_json()["articles"]
    assert [a["slug"] for a in listed] == ["basics", "more"]
    basics = fixture_client.get(path_of(listed[0]["links"]["self"])).get_json()
    assert basics["title"] == "Basics" and '<h2 id="first-part">First part</h2>' in basics["html"]
    assert {"id": "first-part", "title": "First part", "level": 2} in basics["toc"]
    assert basics["links"]["page"] == "http://localhost/articles/basics"
    is_problem(fixture_client.get("/api/v1/articles/nothing"), 404)
    with fixture_app.app_context():
        flush_views()  # views are counted off the request path
        assert db.session.scalar(select(ArticleView.views).where(ArticleView.article == "basics")) == 1


def test_article_html_is_the_sanitized_html_of_the_page(client):
    html = client.get("/api/v1/articles/spotting-phishing").get_json()["html"]
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    page = client.get("/articles/spotting-phishing").get_data(as_text=True)
    assert html[:200] in page


def test_the_link_checker_gives_its_verdict_and_reasons(client):
    ours = client.post("/api/v1/check-link", json={"link": "https://help.example.org/login"}).get_json()
    assert ours["official"] is True and ours["host"] == "help.example.org"
    fake = client.post("/api/v1/check-link", json={"link": "https://example.org.account-help.test/"})
    verdict = fake.get_json()
    assert verdict["official"] is False and "decoration" in " ".join(verdict["reasons"])
    refused = is_problem(client.post("/api/v1/check-link", json={"link": "   "}), 422, "not-a-link")
    assert refused["detail"] == "Paste a link or a site's address."
    is_problem(client.post("/api/v1/check-link", json={"link": "x" * 4001}), 422, "invalid")
    script = client.post("/api/v1/check-link", json={"link": "javascript:alert(1)"}).get_json()
    assert script["official"] is False and script["host"] is None


def test_search_finds_flows_and_articles_and_refuses_a_bad_limit(client):
    found = client.get("/api/v1/search?q=locked").get_json()
    kinds = {(h["kind"], h["slug"]) for h in found["hits"]}
    assert ("flow", "locked-out") in kinds and ("article", "locked-account") in kinds
    hit = next(h for h in found["hits"] if h["slug"] == "locked-out")
    assert hit["links"]["page"] == "http://localhost/diagnose/locked-out"
    assert "<mark>" in "".join(h["snippet_html"] for h in found["hits"])
    assert len(client.get("/api/v1/search?q=password&limit=1").get_json()["hits"]) == 1
    typed = client.get("/api/v1/search?q=passw&prefix=true").get_json()
    assert typed["hits"]
    assert client.get("/api/v1/search").get_json()["hits"] == []
    for bad in ("limit=0", "limit=51", "limit=ten", "limit=%C2%B2", "prefix=maybe", "q=" + "a" * 501):
        is_problem(client.get(f"/api/v1/search?{bad}"), 422)
    assert client.get("/api/v1/search?q=%00%ff<script>").status_code == 200
    vague = client.get("/api/v1/search?q=the+a+I").get_json()
    assert vague["only_common_words"] is True and vague["hits"] == []
    assert found["only_common_words"] is False


def test_the_api_is_rate_limited_like_the_pages_with_a_problem(fixture_client):
    for _ in range(60):
        assert fixture_client.post("/api/v1/diagnoses", json={"flow": "fix-it"}).status_code == 201
    limited = fixture_client.post("/api/v1/diagnoses", json={"flow": "fix-it"})
    problem = is_problem(limited, 429, "too-many-requests")
    assert "60 per 1 hour" in problem["detail"] and int(limited.headers["Retry-After"]) > 0
    assert fixture_client.get("/api/v1/flows").status_code == 200  # reading is not limited


@pytest.mark.parametrize(
    ("where", "raw"),
    [
        ("/api/v1/check-link", '{"link": "a", "\\ud800": 1}'),
        ("/api/v1/diagnoses", '{"flow": "fix-it", "\\udfff/\\ud800~": 1}'),
        ("answers", '{"step": "what", "answer": "broken", "\\ud800": 1}'),
        ("answers", '{"step": "\\ud800", "answer": "broken"}'),
        ("answers", '{"step": "what", "answer": "\\ud800"}'),
        ("/api/v1/diagnoses", '{"flow": "\\ud800"}'),
        ("/api/v1/check-link", '{"link": "https://\\ud800.example.org/"}'),
    ],
)
def test_a_lone_surrogate_in_a_body_is_a_clear_4xx_never_a_500(fixture_client, where, raw):
    body, auth = start(fixture_client)
    url = path_of(body["links"]["answers"]) if where == "answers" else where
    refused = fixture_client.post(url, data=raw, content_type="application/json", headers=auth)
    assert refused.status_code in (404, 422) and refused.mimetype == PROBLEM
    assert refused.get_data().isascii()  # every character escaped: any text can be sent
    problem = refused.get_json()
    assert problem["detail"]
    pointers = [e["pointer"] for e in problem.get("errors", [])]
    if '"\\ud800": 1' in raw:
        assert "/\ufffd" in pointers
    if "\\udfff/" in raw:
        assert "/\ufffd~1\ufffd~0" in pointers


def test_a_handover_made_in_the_browser_is_reached_with_the_same_token_and_not_forked(
    fixture_app, fixture_client
):
    body, auth = start(fixture_client)
    browser = fixture_app.test_client()
    open_in_browser(browser, body["step"]["links"]["page"])
    page = browser.get("/diagnose/fix-it/what").get_data(as_text=True)
    assert post(browser, "/diagnose/fix-it/what", page, answer="elsewhere").location == (
        "/diagnose/other-flow/first"
    )
    parent = fixture_client.get(path_of(body["links"]["self"]), headers=auth).get_json()
    child = parent["step"]["end"]["continued_in"]
    reached = fixture_client.get(f"/api/v1/diagnoses/{child}", headers=auth)
    assert reached.status_code == 200 and reached.get_json()["continued_from"] == body["reference"]
    again = give(fixture_client, body, auth, step="what", answer="elsewhere").get_json()
    assert again["reference"] == child  # the same answer again: the same diagnosis, not a second one
    with fixture_app.app_context():
        assert db.session.query(Diagnosis).filter_by(flow_id="other-flow").count() == 1


def test_going_on_in_a_browser_after_an_api_handover_joins_that_diagnosis(fixture_app, fixture_client):
    body, auth = start(fixture_client)
    handed = give(fixture_client, body, auth, step="what", answer="elsewhere").get_json()
    parent = fixture_client.get(path_of(body["links"]["self"]), headers=auth).get_json()
    browser = fixture_app.test_client()
    open_in_browser(browser, parent["step"]["links"]["page"])
    page = browser.get("/diagnose/fix-it/what").get_data(as_text=True)
    went = post(browser, "/diagnose/fix-it/what", page, answer="elsewhere")
    assert went.location == "/diagnose/other-flow/first"
    assert handed["reference"] in browser.get(went.location).get_data(as_text=True)
    with fixture_app.app_context():
        assert db.session.query(Diagnosis).filter_by(flow_id="other-flow").count() == 1


def test_an_unknown_reference_is_answered_like_a_wrong_token(fixture_client):
    body, auth = start(fixture_client)
    wrong = fixture_client.get(path_of(body["links"]["self"]), headers={"Authorization": "Bearer nope"})
    for url in (
        "/api/v1/diagnoses/ABCD-EFGH",
        "/api/v1/diagnoses/ABCD-EFGH/transcript",
        "/api/v1/diagnoses/x",
    ):
        unknown = fixture_client.get(url, headers=auth)
        assert unknown.headers["WWW-Authenticate"] == wrong.headers["WWW-Authenticate"]
        assert {**is_problem(unknown, 401), "instance": ""} == {**is_problem(wrong, 401), "instance": ""}
    answered = fixture_client.post("/api/v1/diagnoses/ABCD-EFGH/answers", json={"step": "what"}, headers=auth)
    is_problem(answered, 401, "token-invalid")


def test_a_401_says_whether_the_token_was_missing_or_wrong(fixture_client):
    body, _ = start(fixture_client)
    url = path_of(body["links"]["self"])
    missing = is_problem(fixture_client.get(url), 401, "token-missing")
    assert missing["title"] == "A bearer token is needed" and "has no bearer token" in missing["detail"]
    wrong = is_problem(
        fixture_client.get(url, headers={"Authorization": "Bearer nope"}), 401, "token-invalid"
    )
    assert wrong["title"] == "That token does not fit this diagnosis"
    assert "The token you sent does not open" in wrong["detail"]


def test_options_is_an_empty_204_naming_the_documented_methods(fixture_client):
    body, _ = start(fixture_client)
    for url, allowed in (
        ("/api/openapi.json", {"GET", "HEAD", "OPTIONS"}),
        ("/api/v1/flows", {"GET", "HEAD", "OPTIONS"}),
        ("/api/v1/diagnoses", {"POST", "OPTIONS"}),
        (path_of(body["links"]["answers"]), {"POST", "OPTIONS"}),
        (path_of(body["links"]["self"]), {"GET", "HEAD", "OPTIONS"}),
    ):
        answered = fixture_client.options(url)
        assert answered.status_code == 204 and answered.get_data() == b"" and not answered.mimetype
        assert {m.strip() for m in answered.headers["Allow"].split(",")} == allowed
    is_problem(fixture_client.options("/api/v1/nothing-here"), 404, "not-found")


ALLOWANCES = {"start": 60, "answer": 120, "check-link": 60, "search": 120, "suggest": 240}


def _page_and_api(app, what: str):
    """Two ways to do *what*: on the pages and through the API, as one client address would."""
    browser, client = app.test_client(), app.test_client()
    if what == "start":
        return (lambda: browser.get("/diagnose/fix-it")), (
            lambda: client.post("/api/v1/diagnoses", json={"flow": "fix-it"})
        )
    if what == "answer":
        url, page = begin(browser)
        body, auth = start(client)
        return (lambda: post(browser, url, page, answer="broken")), (
            lambda: give(client, body, auth, step="what", answer="broken")
        )
    if what == "check-link":
        token = csrf_from(browser.get("/check-link").get_data(as_text=True))
        link = "https://example.org/"
        return (lambda: browser.post("/check-link", data={"csrf_token": token, "link": link})), (
            lambda: client.post("/api/v1/check-link", json={"link": link})
        )
    if what == "search":
        return (lambda: browser.get("/search?q=basics")), (lambda: client.get("/api/v1/search?q=basics"))
    return (lambda: browser.get("/search/suggest?q=bas")), (
        lambda: client.get("/api/v1/search?q=bas&prefix=true")
    )


@pytest.mark.parametrize("what", list(ALLOWANCES))
def test_a_page_and_the_api_draw_on_one_allowance(fixture_app, what):
    page, api = _page_and_api(fixture_app, what)
    for n in range(ALLOWANCES[what]):
        used = (page if n % 2 else api)()
        assert used.status_code < 400, (n, used.status_code)
    assert page().status_code == 429
    problem = is_problem(api(), 429, "too-many-requests")
    assert f"{ALLOWANCES[what]} per 1 " in problem["detail"]


def test_search_as_you_type_has_the_suggestions_allowance_not_the_search_one(fixture_client):
    for _ in range(120):
        assert fixture_client.get("/search?q=basics").status_code == 200
    is_problem(fixture_client.get("/api/v1/search?q=basics"), 429)
    assert fixture_client.get("/api/v1/search?q=bas&prefix=true").status_code == 200


def test_a_handover_to_a_diagnosis_whose_version_is_lost_is_409_naming_it(fixture_client, fixture_app):
    body, auth = start(fixture_client)
    handed = give(fixture_client, body, auth, step="what", answer="elsewhere").get_json()
    child = handed["reference"]
    assert child != body["reference"] and handed["flow"]["id"] == "other-flow"
    with fixture_app.app_context():
        db.session.query(Diagnosis).filter_by(reference=child).update({"flow_digest": "gone"})
        db.session.commit()
    again = give(fixture_client, body, auth, step="what", answer="elsewhere")  # the same handover
    problem = is_problem(again, 409, "guide-changed")
    assert problem["reference"] == child


def test_a_refused_or_missing_bearer_token_is_logged_without_the_token(fixture_app, fixture_client, caplog):
    body, _ = start(fixture_client)
    url = path_of(body["links"]["self"])
    with caplog.at_level(logging.INFO, logger=fixture_app.logger.name):
        fixture_client.get(url)
        fixture_client.get(url, headers={"Authorization": "Bearer guessed-token-123"})
    reference = url.rsplit("/", 1)[-1]
    assert f"API: no bearer token for diagnosis {reference}" in caplog.text
    assert f"API: a bearer token was refused for diagnosis {reference}" in caplog.text
    assert "guessed-token-123" not in caplog.text
