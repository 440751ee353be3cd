"""json_object(): a JSON request body with only the fields asked for, each of its type, or a
problem that names every mistake."""

from __future__ import annotations

import json

import pytest

from helpdesk.web.api.body import Fields, json_object
from helpdesk.web.api.problems import ApiProblem

FIELDS: Fields = {
    "answer": ("string", (str,), True, 10),
    "revision": ("integer", (int,), False, 0),
    "notify": ("boolean", (bool,), False, 0),
}


def read(app, body: bytes | str, content_type: str = "application/json", fields: Fields = FIELDS):
    with app.test_request_context("/api/v1/x", method="POST", data=body, content_type=content_type):
        return json_object(fields)


def refused(app, body: bytes | str, content_type: str = "application/json") -> ApiProblem:
    with pytest.raises(ApiProblem) as problem:
        read(app, body, content_type)
    return problem.value


def test_a_body_with_the_fields_is_returned_as_given(app):
    assert read(app, '{"answer": "yes", "revision": 3, "notify": true}') == {
        "answer": "yes",
        "revision": 3,
        "notify": True,
    }


def test_optional_fields_may_be_left_out(app):
    assert read(app, '{"answer": "yes"}') == {"answer": "yes"}


def test_a_json_media_type_with_a_suffix_is_json_too(app):
    assert read(app, '{"answer": "yes"}', "application/merge-patch+json") == {"answer": "yes"}
    assert read(app, '{"answer": "yes"}', "application/json; charset=utf-8") == {"answer": "yes"}


def test_a_body_that_is_not_json_by_its_media_type_is_415(app):
    problem = refused(app, '{"answer": "yes"}', "text/plain")
    assert (problem.code, problem.kind) == (415, "not-json")
    assert "Content-Type: application/json" in problem.description


def test_a_form_post_is_415(app):
    assert refused(app, "answer=yes", "application/x-www-form-urlencoded").code == 415


def test_json_that_does_not_parse_is_400(app):
    for body in ('{"answer": ', b"\xff\xfe{}", "", "NaNa"):
        problem = refused(app, body)
        assert (problem.code, problem.kind) == (400, "bad-json")
        assert problem.description == "The body is not valid JSON."


def test_absurdly_nested_json_is_400_not_a_crash(app):
    problem = refused(app, "[" * 100_000 + "]" * 100_000)
    assert (problem.code, problem.kind) == (400, "bad-json")


def test_json_that_is_not_an_object_is_422_naming_the_fields(app):
    for body in ("[]", '"yes"', "3", "null"):
        problem = refused(app, body)
        assert (problem.code, problem.kind) == (422, "invalid")
        assert problem.description == "The body must be a JSON object with: answer, revision, notify."


def test_a_missing_required_field_is_named_with_its_type(app):
    problem = refused(app, '{"revision": 1}')
    assert (problem.code, problem.kind) == (422, "invalid")
    assert problem.extra["errors"] == [{"pointer": "/answer", "detail": "is required (string)"}]
    assert problem.description == "The body has mistakes: 'answer' is required (string)."


def test_a_field_that_is_not_asked_for_is_named_as_a_json_pointer(app):
    problem = refused(app, '{"answer": "yes", "a/b~c": 1}')
    assert problem.extra["errors"] == [{"pointer": "/a~1b~0c", "detail": "is not a field of this request"}]


def test_a_field_of_the_wrong_type_is_named(app):
    problem = refused(app, '{"answer": 3, "revision": "3"}')
    assert problem.extra["errors"] == [
        {"pointer": "/answer", "detail": "must be string"},
        {"pointer": "/revision", "detail": "must be integer"},
    ]


def test_null_is_no_value_of_any_field(app):
    problem = refused(app, '{"answer": null}')
    assert problem.extra["errors"] == [{"pointer": "/answer", "detail": "must be string"}]


def test_a_boolean_is_not_taken_for_an_integer_but_is_for_a_boolean(app):
    problem = refused(app, '{"answer": "yes", "revision": true}')
    assert problem.extra["errors"] == [{"pointer": "/revision", "detail": "must be integer"}]
    assert read(app, '{"answer": "yes", "notify": false}')["notify"] is False


def test_text_longer_than_its_field_allows_is_named(app):
    problem = refused(app, json.dumps({"answer": "x" * 11}))
    assert problem.extra["errors"] == [{"pointer": "/answer", "detail": "must be at most 10 characters"}]
    assert read(app, json.dumps({"answer": "x" * 10}))["answer"] == "x" * 10


def test_every_mistake_is_named_at_once(app):
    problem = refused(app, '{"extra": 1, "revision": "x"}')
    assert [e["pointer"] for e in problem.extra["errors"]] == ["/extra", "/answer", "/revision"]


def test_a_field_name_with_a_lone_surrogate_is_named_readably(app):
    problem = refused(app, '{"answer": "yes", "bad\\ud800name": 1}')
    [error] = problem.extra["errors"]
    assert error["pointer"] == "/bad\ufffdname"
    error["pointer"].encode("utf-8")  # can be sent


def test_a_very_long_unknown_field_name_is_cut_in_the_pointer(app):
    problem = refused(app, json.dumps({"answer": "yes", "n" * 5000: 1}))
    assert problem.extra["errors"][0]["pointer"] == "/" + "n" * 100
