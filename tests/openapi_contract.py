"""Every /api/ response the test suite receives is checked against the OpenAPI document, so a
change to the API that the document does not describe fails the test that caused it."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from helpdesk.web.api.openapi import document

PROBLEM = "application/problem+json"


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    found = []
    for template, item in document()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in item.items():
            found.append((pattern, method.upper(), operation))
    return found


def _schema(schema: dict[str, Any]) -> Draft202012Validator:
    root = {**schema, "components": document()["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _resolve(response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        return document()["components"]["responses"][name]
    return response


def _options_violations(path: str, response: TestResponse, documented: set[str]) -> list[str]:
    """OPTIONS: 204, no body, and Allow naming the methods the document has there (plus the
    implicit HEAD and OPTIONS); an address the document lacks is a 404 problem."""
    if not documented:
        if response.status_code != 404 or response.mimetype != PROBLEM:
            return [f"OPTIONS {path} is not in the document, and answered {response.status_code}"]
        return []
    problems = []
    if response.status_code != 204 or response.get_data():
        size = len(response.get_data())
        problems.append(f"OPTIONS {path} answered {response.status_code} with a body of {size} bytes")
    allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
    if allowed - {"HEAD", "OPTIONS"} != documented:
        problems.append(f"OPTIONS {path}: Allow {sorted(allowed)} is not the documented {sorted(documented)}")
    return problems


def violations(method: str, path: str, response: TestResponse) -> list[str]:
    """What in *response* the document does not allow (empty when it conforms)."""
    status = response.status_code
    operations = [(p, m, o) for p, m, o in _operations() if p.match(path)]
    if method == "OPTIONS":
        return _options_violations(path, response, {m for _, m, _ in operations})
    operation = next((o for _, m, o in operations if m == method or (method == "HEAD" and m == "GET")), None)
    if operation is None:
        # no such address or method: the document cannot list these, but they are problems too
        if status not in (404, 405) or response.mimetype != PROBLEM:
            return [f"{method} {path} is not in the document, and answered {status} {response.mimetype}"]
        spec: dict[str, Any] = {"content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    else:
        documented = operation["responses"].get(str(status))
        if documented is None:
            return [f"{method} {path} answered {status}, which the document does not list"]
        spec = _resolve(documented)
    problems = []
    for name, header in spec.get("headers", {}).items():
        if header.get("required") and name not in response.headers:
            problems.append(f"{method} {path} {status}: header {name} is missing")
    if method == "HEAD":
        return problems
    content = spec.get("content", {})
    if response.mimetype not in content:
        return [*problems, f"{method} {path} {status}: {response.mimetype} is not one of {sorted(content)}"]
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return [*problems, f"{method} {path} {status}: the body is not JSON"]
    for error in _schema(content[response.mimetype]["schema"]).iter_errors(body):
        where = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{method} {path} {status}: at /{where}: {error.message}")
    return problems


class ContractClient(FlaskClient):
    """The test client, checking each /api/ response against the document as it arrives."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith("/api/"):
            found = violations(request.method, request.path, response)
            assert not found, "the API does not match /api/openapi.json:\n" + "\n".join(found)
        return response
