"""Reading a JSON request body: every mistake becomes a 4xx problem that names it."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import gettext

from .problems import ApiProblem

# name -> (JSON type name, Python types, required, longest text or 0)
Fields = dict[str, tuple[str, tuple[type, ...], bool, int]]


def json_object(fields: Fields) -> dict[str, Any]:
    """The body as a JSON object with only *fields*, each of the right type."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiProblem(
            415,
            gettext("Send the body as JSON, with the header Content-Type: application/json."),
            kind="not-json",
        )
    raw = request.get_data(cache=True)  # a body over the limit stops here with 413
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as problem:  # bad JSON, bad UTF-8, absurd nesting or numbers
        raise ApiProblem(400, gettext("The body is not valid JSON."), kind="bad-json") from problem
    if not isinstance(body, dict):
        raise ApiProblem(
            422,
            gettext("The body must be a JSON object with: %(fields)s.", fields=", ".join(fields)),
            kind="invalid",
        )
    errors = []
    for name in body:
        if name not in fields:
            errors.append(
                {"pointer": "/" + _escape(name)[:100], "detail": gettext("is not a field of this request")}
            )
    for name, (type_name, types, required, longest) in fields.items():
        if name not in body:
            if required:
                errors.append(
                    {"pointer": "/" + name, "detail": gettext("is required (%(type)s)", type=type_name)}
                )
            continue
        value = body[name]  # null is not a value of any field: leave the field out instead
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            errors.append({"pointer": "/" + name, "detail": gettext("must be %(type)s", type=type_name)})
        elif longest and isinstance(value, str) and len(value) > longest:
            errors.append(
                {"pointer": "/" + name, "detail": gettext("must be at most %(num)d characters", num=longest)}
            )
    if errors:
        listing = "; ".join(f"{e['pointer'][1:]!r} {e['detail']}" for e in errors)
        raise ApiProblem(
            422,
            gettext("The body has mistakes: %(listing)s.", listing=listing),
            kind="invalid",
            errors=errors,
        )
    return body


def _escape(name: str) -> str:
    """A JSON Pointer token (RFC 6901), with any lone surrogate (valid in JSON text, but not
    encodable as UTF-8) shown as U+FFFD, so the problem that names it can always be sent."""
    readable = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in name)
    return readable.replace("~", "~0").replace("/", "~1")
