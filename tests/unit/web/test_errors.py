"""The error pages: a refusal of the domain that no view handled is still the person's 4xx."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from helpdesk.cases.diagnoses import NotAnAnswer
from helpdesk.errors import DomainError
from helpdesk.flows.engine import InvalidMove


def _raising(app: Flask, path: str, error: Exception) -> None:
    def view() -> str:
        raise error

    app.add_url_rule(path, path.strip("/").replace("/", "-"), view)


def test_an_unhandled_domain_refusal_is_a_4xx_page_not_a_500(app: Flask):
    _raising(app, "/raises/invalid-move", InvalidMove("'x' is not possible at step 'y'"))
    _raising(app, "/raises/not-an-answer", NotAnAnswer("z", ["a", "b"]))
    client = app.test_client()
    moved = client.get("/raises/invalid-move")
    assert moved.status_code == DomainError.http_status == 400
    assert "That didn&#39;t work" in moved.get_data(as_text=True)
    assert "step &#39;y&#39;" not in moved.get_data(as_text=True)  # internals stay in the log
    answered = client.get("/raises/not-an-answer")
    assert answered.status_code == 409


def test_an_unhandled_domain_refusal_in_the_api_is_a_problem(app: Flask):
    _raising(app, "/api/v1/raises", InvalidMove("nope"))
    app.test_client_class = FlaskClient  # an address of the test's own, not in the API document
    response = app.test_client().get("/api/v1/raises")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "Something in the request was not right."


def test_any_other_error_is_still_a_500(app: Flask):
    _raising(app, "/raises/bug", KeyError("bug"))
    assert app.test_client().get("/raises/bug").status_code == 500
