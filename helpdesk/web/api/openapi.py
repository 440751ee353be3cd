"""The OpenAPI 3.1 document of the API, served at /api/openapi.json.

The tests hold the code to it: every /api/ response of the suite is validated against it, and
schemathesis tries the running app with requests generated from it.
"""

from __future__ import annotations

from typing import Any

from ...cases.reference import ALPHABET

JSON = "application/json"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict[str, Any], description: str = "", optional: tuple[str, ...] = ()) -> dict:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


TEXT = {"type": "string"}
LANGUAGE = {**TEXT, "description": "The language the texts are in (English when not translated yet)."}
OUTDATED = {"type": "boolean", "description": "Translated from an older version of the English text."}
LANG_PARAMETER = {
    "name": "lang",
    "in": "query",
    "description": "The language of the texts: one offered (else the /<lang>/ prefix's, else en).",
    "schema": {"type": "string", "maxLength": 20},
}
URL = {"type": "string", "format": "uri"}
TIME = {"type": "string", "format": "date-time"}
HTML = {"type": "string", "description": "Sanitized HTML, as the web page shows it; links are site-relative."}
REFERENCE = {
    "type": "string",
    "pattern": f"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$",
    "description": "The diagnosis's reference code, to quote to support.",
    "examples": ["7KQM-X3PA"],
}

DIAGNOSIS_PROPERTIES: dict[str, Any] = {
    "reference": REFERENCE,
    "status": {
        "enum": ["active", "resolved", "escalated", "linked", "abandoned"],
        "description": "linked: it handed over to another flow (see step.end.continued_in).",
    },
    "revision": {
        "type": "integer",
        "minimum": 0,
        "description": "Grows with every change; send it with an answer to refuse answering a changed one.",
    },
    "flow": _object(
        {"id": TEXT, "title": TEXT, "version": {"type": "integer"}}, "The flow version it runs on."
    ),
    "current_step": {"type": "string", "description": "Where the diagnosis is now."},
    "step": _ref("Step"),
    "continued_from": _nullable({**REFERENCE, "description": "The diagnosis that handed over to this one."}),
    "started_at": TIME,
    "updated_at": TIME,
    "expires_at": {**TIME, "description": "Its token stops working then, unless it is answered before."},
    "links": _object({"self": URL, "answers": URL, "transcript": URL}),
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        **_object(
            {
                "type": {
                    "type": "string",
                    "format": "uri",
                    "examples": ["urn:helpdesk:problem:unknown-choice"],
                },
                "title": TEXT,
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {
                    "type": "string",
                    "description": "What went wrong and what to do, in plain words.",
                },
                "instance": {"type": "string", "description": "The path that was asked for."},
                "errors": {
                    "type": "array",
                    "description": "Each mistake in the body, by JSON Pointer.",
                    "items": _object({"pointer": TEXT, "detail": TEXT}),
                },
                "choices": {"type": "array", "items": TEXT, "description": "The answers the step takes."},
                "page": _nullable({**URL, "description": "Opens the diagnosis in a browser (a fix step)."}),
                "reference": REFERENCE,
                "current_step": TEXT,
                "revision": {"type": "integer"},
            },
            "RFC 9457 problem details.",
            optional=("instance", "errors", "choices", "page", "reference", "current_step", "revision"),
        ),
    },
    "FlowLinks": _object(
        {
            "self": URL,
            "start": {**URL, "description": 'POST {"flow": id} here to start a diagnosis.'},
            "page": {**URL, "description": "The flow on the web."},
        }
    ),
    "Flow": _object(
        {
            "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
            "title": TEXT,
            "summary": _nullable(TEXT),
            "problems": {"type": "array", "items": TEXT, "description": "How people describe the problem."},
            "language": LANGUAGE,
            "outdated": OUTDATED,
            "links": _ref("FlowLinks"),
        }
    ),
    "FlowList": _object({"flows": {"type": "array", "items": _ref("Flow")}}),
    "StartDiagnosis": _object({"flow": {"type": "string", "maxLength": 100, "examples": ["wrong-password"]}}),
    "Answer": _object(
        {
            "step": {
                "type": "string",
                "minLength": 1,
                "maxLength": 100,
                "examples": ["what"],
                "description": "The step this answer is for, usually `current_step`. Required, so a request "
                "sent twice can't answer the next question too: the same answer again changes nothing. An "
                "earlier step on the path may be answered again: a different answer goes on from there. A "
                "step the diagnosis has not reached is a 409.",
            },
            "answer": {
                "type": "string",
                "maxLength": 100,
                "description": 'A choice id of the step; an info step takes "continue" (or nothing).',
            },
            "revision": {
                "type": "integer",
                "description": "If given, the answer is refused (409) unless the diagnosis is still at it.",
            },
        },
        "An answer to a question or info step. Fix steps (action, check) run in a browser: links.page.",
        optional=("answer", "revision"),
    ),
    "Choice": _object({"id": TEXT, "label": TEXT, "hint": _nullable(TEXT)}),
    "Progress": _object(
        {
            "step": {"type": "integer", "minimum": 1},
            "remaining": {"type": "integer", "minimum": 0, "description": "Pages left on the shortest way."},
            "at_most": {
                **_nullable({"type": "integer", "minimum": 0}),
                "description": (
                    "The most pages left on any way the person hopes for (a failing fix can add "
                    "more); null where there is no honest bound."
                ),
            },
            "text": {
                "type": "string",
                "description": (
                    "The hint the step page shows: 'last step' only where every way on ends; "
                    "otherwise it never rises unless a fix failed."
                ),
                "examples": ["Step 2 · up to 3 steps to go", "Step 3 · last step if this works"],
            },
        }
    ),
    "ArticleSection": _object(
        {
            "slug": TEXT,
            "title": TEXT,
            "section": _nullable(TEXT),
            "html": HTML,
            "url": URL,
        },
        "The article section shown beside the step.",
    ),
    "StepAction": _object(
        {
            "name": TEXT,
            "title": TEXT,
            "intro": _nullable(TEXT),
            "in_browser": {"const": True, "description": "Fixes run on the web page: open links.page."},
            "done": {"type": "boolean"},
        },
        "The real fix of an action or check step.",
    ),
    "StepEnd": _object(
        {
            "outcome": {"enum": ["resolved", "escalate", "flow"]},
            "reference": REFERENCE,
            "support_email": _nullable({"type": "string", "description": "With escalate: where to write."}),
            "next_flow": _nullable(_object({"id": TEXT, "title": TEXT})),
            "continued_in": _nullable({**REFERENCE, "description": "The diagnosis it handed over to."}),
        }
    ),
    "Step": _object(
        {
            "id": TEXT,
            "kind": {"enum": ["question", "info", "action", "check", "end"]},
            "current": {
                "type": "boolean",
                "description": "False for an earlier step (reached by links.back).",
            },
            "heading": _nullable(TEXT),
            "text_html": HTML,
            "help_html": _nullable(HTML),
            "choices": {"type": "array", "items": _ref("Choice")},
            "chosen": _nullable({"type": "string", "description": "The answer given here before."}),
            "progress": _nullable(_ref("Progress")),
            "article": _nullable(_ref("ArticleSection")),
            "action": _nullable(_ref("StepAction")),
            "end": _nullable(_ref("StepEnd")),
            "links": _object(
                {
                    "self": URL,
                    "back": _nullable(
                        {**URL, "description": "The step before (going back keeps the answers)."}
                    ),
                    "page": _nullable(
                        {
                            **URL,
                            "description": "Opens this diagnosis at this step in a browser: signed, "
                            "valid 15 minutes, used once the person presses the page's Continue button "
                            "(fetching it, e.g. by a link preview, uses nothing). Fix steps are done there.",
                        }
                    ),
                }
            ),
        }
    ),
    "Diagnosis": _object(DIAGNOSIS_PROPERTIES),
    "StartedDiagnosis": _object(
        {
            **DIAGNOSIS_PROPERTIES,
            "token": {"type": "string", "description": "The bearer token: given only this once."},
            "token_type": {"const": "Bearer"},
        }
    ),
    "TranscriptLine": _object(
        {
            "at": TIME,
            "kind": TEXT,
            "step": TEXT,
            "step_text": TEXT,
            "answer": _nullable(TEXT),
            "message": {
                **_nullable(TEXT),
                "description": "Always null for a fix (action or check): what it said stays on the "
                "page that ran it, which may speak of an account proved there.",
            },
        }
    ),
    "Transcript": _object(
        {
            "reference": REFERENCE,
            "flow": _object({"id": TEXT, "title": TEXT}),
            "status": TEXT,
            "started_at": TIME,
            "updated_at": TIME,
            "continued_from": _nullable(REFERENCE),
            "continued_in": {"type": "array", "items": REFERENCE},
            "lines": {"type": "array", "items": _ref("TranscriptLine")},
        }
    ),
    "ArticleLinks": _object({"self": URL, "page": URL}),
    "ArticleItem": _object(
        {
            "slug": TEXT,
            "title": TEXT,
            "summary": TEXT,
            "tags": {"type": "array", "items": TEXT},
            "updated": _nullable({"type": "string", "format": "date"}),
            "language": LANGUAGE,
            "outdated": OUTDATED,
            "links": _ref("ArticleLinks"),
        }
    ),
    "ArticleList": _object({"articles": {"type": "array", "items": _ref("ArticleItem")}}),
    "Article": _object(
        {
            "slug": TEXT,
            "title": TEXT,
            "summary": TEXT,
            "tags": {"type": "array", "items": TEXT},
            "updated": _nullable({"type": "string", "format": "date"}),
            "language": LANGUAGE,
            "outdated": OUTDATED,
            "links": _ref("ArticleLinks"),
            "html": HTML,
            "toc": {
                "type": "array",
                "items": _object({"id": TEXT, "title": TEXT, "level": {"type": "integer"}}),
            },
            "flows": {"type": "array", "items": _object({"id": TEXT, "title": TEXT})},
        }
    ),
    "SearchHit": _object(
        {
            "kind": {"enum": ["article", "flow"]},
            "slug": TEXT,
            "title": TEXT,
            "summary": TEXT,
            "snippet_html": {"type": "string", "description": "Escaped text; the matched words in <mark>."},
            "language": LANGUAGE,
            "links": _object({"self": URL, "page": URL}),
        }
    ),
    "SearchResults": _object(
        {
            "query": TEXT,
            "shown_query": {
                "type": "string",
                "description": "What the hits are for, misspellings corrected.",
            },
            "corrected": {"type": "boolean", "description": "The hits are for shown_query."},
            "partial": {"type": "boolean", "description": "No page has every word: these have some."},
            "only_common_words": {
                "type": "boolean",
                "description": 'Nothing was searched: every word was one like "the" or "I".',
            },
            "hits": {"type": "array", "items": _ref("SearchHit")},
        }
    ),
    "CheckLink": _object(
        {"link": {"type": "string", "maxLength": 4000, "examples": ["https://example.org/login"]}}
    ),
    "LinkVerdict": _object(
        {
            "official": {"type": "boolean", "description": "True only for an official address over https."},
            "host": _nullable(TEXT),
            "reasons": {"type": "array", "items": TEXT, "description": "Why, in plain words."},
        }
    ),
}

_PROBLEMS = {
    400: "The body is not valid JSON.",
    401: "No bearer token, or a token that opens no diagnosis with this reference (an unknown "
    "reference gets the same answer, so references can't be probed).",
    404: "Not found.",
    409: "It changed meanwhile: a stale revision or step, a guide that changed since the diagnosis "
    "began, a fix step (runs in a browser) or an end.",
    410: "The diagnosis expired, or was given up.",
    413: "The body is larger than 64 KB.",
    415: "The body is not sent as application/json.",
    422: "The body or a parameter has a mistake (wrong type, unknown field or choice).",
    429: "Too many requests from this address.",
}


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _PROBLEMS[status],
        "content": {PROBLEM: {"schema": _ref("Problem")}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return response


def _responses(ok: int, schema: str, *problems: int, description: str = "OK") -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(ok): {"description": description, "content": {JSON: {"schema": _ref(schema)}}}
    }
    for status in problems:
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    return responses


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


REFERENCE_PARAMETER = _path_parameter("reference", "The diagnosis's reference code, e.g. 7KQM-X3PA.")
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
FOR_DIAGNOSIS = (401, 409, 410)

PATHS: dict[str, Any] = {
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "tags": ["meta"],
            "responses": {"200": {"description": "OK", "content": {JSON: {"schema": {"type": "object"}}}}},
        }
    },
    "/api/v1/flows": {
        "get": {
            "operationId": "listFlows",
            "summary": "The published flows, top problems first",
            "tags": ["flows"],
            "parameters": [LANG_PARAMETER],
            "responses": _responses(200, "FlowList", 422),
        }
    },
    "/api/v1/flows/{flow_id}": {
        "get": {
            "operationId": "getFlow",
            "summary": "One flow",
            "tags": ["flows"],
            "parameters": [LANG_PARAMETER, _path_parameter("flow_id", "The flow's id.")],
            "responses": _responses(200, "Flow", 404, 422),
        }
    },
    "/api/v1/diagnoses": {
        "post": {
            "operationId": "startDiagnosis",
            "summary": "Start a diagnosis of a flow",
            "description": "Answers with the diagnosis at its first step and its bearer token, given only "
            "this once: send it as `Authorization: Bearer <token>` on every call about the diagnosis.",
            "tags": ["diagnoses"],
            "requestBody": _body("StartDiagnosis"),
            "responses": {
                **_responses(201, "StartedDiagnosis", 400, 404, 413, 415, 422, 429, description="Started"),
            },
        }
    },
    "/api/v1/diagnoses/{reference}": {
        "get": {
            "operationId": "getDiagnosis",
            "summary": "The diagnosis at its current step",
            "tags": ["diagnoses"],
            "security": BEARER,
            "parameters": [REFERENCE_PARAMETER],
            "responses": _responses(200, "Diagnosis", *FOR_DIAGNOSIS),
        }
    },
    "/api/v1/diagnoses/{reference}/steps/{step_id}": {
        "get": {
            "operationId": "getDiagnosisStep",
            "summary": "The diagnosis at a step it has been at (go back: follow step.links.back)",
            "description": "Going back changes nothing: the earlier step shows the answer given there "
            "(`chosen`); answering it again with a different answer continues from there.",
            "tags": ["diagnoses"],
            "security": BEARER,
            "parameters": [
                REFERENCE_PARAMETER,
                _path_parameter("step_id", "A step on the diagnosis's path."),
            ],
            "responses": _responses(200, "Diagnosis", *FOR_DIAGNOSIS, 404),
        }
    },
    "/api/v1/diagnoses/{reference}/answers": {
        "post": {
            "operationId": "answer",
            "summary": "Answer a step",
            "description": "Answers with the diagnosis at the step the answer led to. An end that hands "
            "over to another flow answers with the new diagnosis (same token; `continued_from` says "
            "which one it came from).",
            "tags": ["diagnoses"],
            "security": BEARER,
            "parameters": [REFERENCE_PARAMETER],
            "requestBody": _body("Answer"),
            "responses": _responses(200, "Diagnosis", 400, *FOR_DIAGNOSIS, 413, 415, 422, 429),
        }
    },
    "/api/v1/diagnoses/{reference}/transcript": {
        "get": {
            "operationId": "getTranscript",
            "summary": "Every answer and outcome, with times, and the reference code",
            "tags": ["diagnoses"],
            "security": BEARER,
            "parameters": [REFERENCE_PARAMETER],
            "responses": _responses(200, "Transcript", 401, 410),
        }
    },
    "/api/v1/articles": {
        "get": {
            "operationId": "listArticles",
            "summary": "The published articles",
            "tags": ["articles"],
            "parameters": [LANG_PARAMETER],
            "responses": _responses(200, "ArticleList", 422),
        }
    },
    "/api/v1/articles/{slug}": {
        "get": {
            "operationId": "getArticle",
            "summary": "One article, rendered",
            "tags": ["articles"],
            "parameters": [LANG_PARAMETER, _path_parameter("slug", "The article's slug.")],
            "responses": _responses(200, "Article", 404, 422),
        }
    },
    "/api/v1/search": {
        "get": {
            "operationId": "search",
            "summary": "Articles and flows for a query, best first, misspellings corrected",
            "description": "The pages in the language asked for (lang) first, then English ones.",
            "tags": ["search"],
            "parameters": [
                LANG_PARAMETER,
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 500}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
                {
                    "name": "prefix",
                    "in": "query",
                    "description": "As-you-type: the last word may be unfinished.",
                    "schema": {"type": "boolean"},
                },
            ],
            "responses": _responses(200, "SearchResults", 422, 429),
        }
    },
    "/api/v1/check-link": {
        "post": {
            "operationId": "checkLink",
            "summary": "Is this link really ours? The verdict, with the reasons",
            "tags": ["links"],
            "requestBody": _body("CheckLink"),
            "responses": _responses(200, "LinkVerdict", 400, 413, 415, 422, 429),
        }
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "helpdesk API",
            "version": "1",
            "description": "Guided diagnoses of sign-in trouble, the help articles, search and the link "
            "checker. A diagnosis is reached with the bearer token given when it starts; no cookies. "
            "Real fixes (reset, unlock, resync, sign-in checks) run on the web pages: a fix step "
            "gives `links.page`, which opens the diagnosis there. Errors are RFC 9457 problem details.",
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": {f"Problem{status}": _problem(status) for status in _PROBLEMS},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token returned when the diagnosis started.",
                }
            },
        },
    }
