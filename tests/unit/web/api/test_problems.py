"""The API's errors as RFC 9457 problem details: type, title, status, detail, instance, extras."""

from __future__ import annotations

import json

from werkzeug.exceptions import Gone, InternalServerError, MethodNotAllowed, NotFound, TooManyRequests

from helpdesk.web.api.problems import (
    DETAILS,
    MEDIA_TYPE,
    ApiProblem,
    from_http_error,
    is_api_request,
    problem_response,
    server_error,
)


def body_of(response) -> dict:
    return json.loads(response.get_data(as_text=True))


# ApiProblem


def test_a_problem_takes_its_type_and_title_from_its_status():
    problem = ApiProblem(409, "It changed.")
    assert (problem.code, problem.description, problem.kind, problem.title) == (
        409,
        "It changed.",
        "conflict",
        "That changed meanwhile",
    )


def test_a_problem_may_name_its_own_type_title_headers_and_extra_members():
    problem = ApiProblem(
        422, "No.", kind="unknown-step", title="Unknown step", headers={"X-A": "1"}, step="x"
    )
    assert (problem.kind, problem.title, problem.extra_headers, problem.extra) == (
        "unknown-step",
        "Unknown step",
        {"X-A": "1"},
        {"step": "x"},
    )


def test_an_unlisted_status_falls_back_to_bad_request_or_server_error():
    assert (ApiProblem(418, "?").kind, ApiProblem(418, "?").title) == (
        "bad-request",
        "The request could not be read",
    )
    assert ApiProblem(502, "?").kind == "server-error"


# problem_response


def test_a_problem_response_is_problem_json_with_every_member(app):
    with app.test_request_context("/api/v1/flows/x"):
        response = problem_response(404, "No such flow.", reference="ABCD-EFGH")
    assert (response.status_code, response.mimetype) == (404, MEDIA_TYPE)
    assert body_of(response) == {
        "type": "urn:helpdesk:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No such flow.",
        "instance": "/api/v1/flows/x",
        "reference": "ABCD-EFGH",
    }


def test_a_problem_response_is_never_cached_and_carries_the_headers_given(app):
    with app.test_request_context("/api/v1/x"):
        response = problem_response(429, "Wait.", headers={"Retry-After": "60"})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Retry-After"] == "60"


def test_a_problem_response_names_its_own_type_and_title_when_given(app):
    with app.test_request_context("/api/v1/x"):
        body = body_of(problem_response(409, "Gone.", kind="guide-changed", title="The guide changed"))
    assert (body["type"], body["title"]) == ("urn:helpdesk:problem:guide-changed", "The guide changed")


def test_a_problem_response_encodes_anything_a_request_put_into_it(app):
    with app.test_request_context("/api/v1/x"):
        response = problem_response(422, "Bad name: \ud800 and é")
    raw = response.get_data()
    assert raw.isascii() and b"\\ud800" in raw
    assert body_of(response)["detail"].endswith("and é")


# is_api_request


def test_the_api_is_everything_under_api_and_nothing_else(app):
    for path, expected in (
        ("/api", True),
        ("/api/", True),
        ("/api/v1/flows", True),
        ("/apiary", False),
        ("/", False),
        ("/diagnose/api", False),
    ):
        with app.test_request_context(path):
            assert is_api_request() is expected, path


# from_http_error


def test_an_api_problem_becomes_its_own_response(app):
    raised = ApiProblem(422, "Not an answer.", kind="unknown-choice", headers={"X-B": "2"}, choices=["a"])
    with app.test_request_context("/api/v1/x"):
        response = from_http_error(raised)
    body = body_of(response)
    assert (response.status_code, response.headers["X-B"]) == (422, "2")
    assert (body["type"], body["detail"], body["choices"]) == (
        "urn:helpdesk:problem:unknown-choice",
        "Not an answer.",
        ["a"],
    )


def test_routings_not_found_says_where_the_api_is_described(app):
    with app.test_request_context("/api/v1/nothing"):
        body = body_of(from_http_error(NotFound()))
    assert (body["status"], body["detail"]) == (404, DETAILS[404])
    assert "/api/openapi.json" in body["detail"]


def test_a_wrong_method_names_the_allowed_ones_and_keeps_the_allow_header(app):
    error = MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS", "POST"])
    with app.test_request_context("/api/v1/diagnoses", method="DELETE"):
        response = from_http_error(error)
    assert body_of(response)["detail"] == "DELETE is not allowed at this address; use GET or POST."
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_a_wrong_method_with_no_allowed_ones_still_reads_as_a_sentence(app):
    with app.test_request_context("/api/v1/x", method="PUT"):
        body = body_of(from_http_error(MethodNotAllowed()))
    assert body["detail"] == "PUT is not allowed at this address."


def test_the_rate_limiters_refusal_says_the_limit(app):
    with app.test_request_context("/api/v1/x"):
        body = body_of(from_http_error(TooManyRequests(description="60 per 1 minute")))
    assert body["status"] == 429
    assert body["detail"] == (
        "Too many requests from your address (at most 60 per 1 minute). Wait a little and try again."
    )


def test_an_error_with_no_wording_of_ours_keeps_its_own_description(app):
    with app.test_request_context("/api/v1/x"):
        body = body_of(from_http_error(Gone(description="That is gone.")))
    assert (body["status"], body["type"], body["detail"]) == (
        410,
        "urn:helpdesk:problem:gone",
        "That is gone.",
    )


def test_a_server_error_never_shows_its_own_description(app):
    with app.test_request_context("/api/v1/x"):
        body = body_of(from_http_error(InternalServerError(description="KeyError: secret")))
    assert body["detail"] == DETAILS[500] and "secret" not in json.dumps(body)


def test_server_error_is_a_500_that_blames_nothing_the_client_did(app):
    with app.test_request_context("/api/v1/x"):
        response = server_error()
    assert response.status_code == 500
    assert body_of(response)["detail"] == "Nothing you did caused this. Please try again in a minute."
