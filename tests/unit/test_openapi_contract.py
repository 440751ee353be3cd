"""The contract checker itself (tests/openapi_contract.py): it must catch what the document
forbids, or every API test that leans on it proves less than it seems."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.wrappers import Response

from tests.openapi_contract import violations

SITE = "http://localhost"


def flow_list(**links: str) -> Response:
    flow = {
        "id": "fix-it",
        "title": "Fix it",
        "summary": None,
        "problems": [],
        "language": "en",
        "outdated": False,
        "links": {
            "self": f"{SITE}/api/v1/flows/fix-it",
            "start": f"{SITE}/api/v1/diagnoses",
            "page": f"{SITE}/diagnose/fix-it",
            **links,
        },
    }
    return Response(json.dumps({"flows": [flow]}), mimetype="application/json")


def problem(**fields: Any) -> Response:
    body = {"type": "urn:helpdesk:problem:not-found", "title": "Not found", "status": 404, "detail": "No."}
    return Response(json.dumps({**body, **fields}), status=404, mimetype="application/problem+json")


def test_a_response_as_documented_passes():
    assert violations("GET", "/api/v1/flows", flow_list()) == []
    assert violations("GET", "/api/v1/flows/fix-it", problem()) == []


@pytest.mark.parametrize(
    "link", ["/api/v1/flows/fix-it", "not a link", "http://exa mple.org/", "http://[::1/"]
)
def test_a_link_that_is_not_an_absolute_uri_is_a_violation(link):
    found = violations("GET", "/api/v1/flows", flow_list(self=link))
    assert found and "is not a 'uri'" in found[0] and "/flows/0/links/self" in found[0]


def test_a_problem_type_that_is_not_a_uri_is_a_violation():
    found = violations("GET", "/api/v1/flows/fix-it", problem(type="not found"))
    assert found and "is not a 'uri'" in found[0]


def test_options_must_be_an_empty_204_with_the_documented_methods():
    def options(status: int = 204, allow: str = "GET, HEAD, OPTIONS", body: str = "") -> Response:
        return Response(body, status=status, headers={"Allow": allow})

    assert violations("OPTIONS", "/api/v1/flows", options()) == []
    assert violations("OPTIONS", "/api/v1/flows", options(status=200, body="<p>"))
    assert violations("OPTIONS", "/api/v1/flows", options(allow="GET, POST, HEAD, OPTIONS"))
    assert violations("OPTIONS", "/api/v1/nothing", options())  # not in the document: must be a 404
    assert violations("OPTIONS", "/api/v1/nothing", problem()) == []
