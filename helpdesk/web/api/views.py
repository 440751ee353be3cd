"""The JSON API, /api/v1/…: thin views over the domain, described by /api/openapi.json.

No cookies: a diagnosis is reached with its bearer token only, so CSRF does not apply and a
browser's session (even a signed-in one) can't drive anything here. Anonymous calls draw on the
same per-address allowances as the pages that do the same thing: one counter for both (a shared
limit's scope), so switching between page and API gains nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Request, Response, jsonify, request
from flask.sessions import SecureCookieSession
from flask_babel import gettext

from ...config import settings
from ...content.live import catalog
from ...content.translations import SOURCE_LANGUAGE, article_in, flow_in
from ...extensions import csrf, limiter
from ...flows.spec import Flow
from ...linkcheck import NotALink, check_here
from ...links import ENTRY_FLOW, TOP_PROBLEMS
from ...readership import record_view
from ...search import search as search_content
from ...search.misses import record_miss
from ...staff import transcripts
from ..language import PREFIX_KEY
from ..sessions import SignInApart
from . import conversation, represent
from .access import authorised
from .body import json_object
from .openapi import document
from .problems import ApiProblem, is_api_request

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)
BODY_LIMIT = 64 * 1024


class SessionsOutsideTheApi(SignInApart):
    """The app's cookie sessions, except under /api/: there the cookie is not even read, and
    nothing is written back (a browser's session, signed in or not, counts for nothing)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_api_request():
            return self.make_null_session(app)
        return super().open_session(app, request)


@bp.before_request
def limit_body() -> None:
    request.max_content_length = BODY_LIMIT


@bp.after_request
def not_cached(response: Response) -> Response:
    if "/diagnoses" in request.path:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def options_are_empty(response: Response) -> Response:
    """OPTIONS: 204 with the methods of the address in Allow, and no body (rather than Flask's
    empty text/html 200); an unknown address is a 404 problem like any other method's."""
    if request.method != "OPTIONS" or response.status_code != 200:
        return response
    empty = Response(status=204)
    del empty.headers["Content-Type"]  # no body, so no type
    empty.headers["Allow"] = response.headers.get("Allow", "")
    return empty


def _json(body: Any, status: int = 200, **headers: str) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    return _json(document())


@bp.get("/v1/flows")
def flows() -> Response:
    public = {f.id: f for f in catalog().public_flows()}
    first = [i for i in (ENTRY_FLOW, *TOP_PROBLEMS) if i in public]
    order = first + sorted((i for i in public if i not in first), key=lambda i: public[i].title)
    language = _language()
    return _json({"flows": [_flow_item(public[i], language) for i in order]})


@bp.get("/v1/flows/<flow_id>")
def flow(flow_id: str) -> Response:
    language = _language()
    return _json(_flow_item(conversation.published_flow(flow_id).flow, language))


def _language() -> str:
    """The language of the content answered: `?lang=`, else the address's prefix (/es/api/…),
    else English (the source: what the API answered before it spoke other languages)."""
    asked = request.args.get("lang")
    offered = settings().languages
    if asked is not None:
        if asked not in offered:
            raise ApiProblem(
                422, f"'lang' must be one of the offered languages: {', '.join(offered)}.", kind="invalid"
            )
        return asked
    return str(request.environ.get(PREFIX_KEY) or SOURCE_LANGUAGE)


def _flow_item(found: Flow, language: str) -> dict[str, Any]:
    shown = flow_in(language, found, catalog().translations)
    return represent.flow_item(shown.content, shown.language, shown.stale)


@bp.post("/v1/diagnoses")
@limiter.shared_limit("60 per hour", scope="diagnosis-start")
def start() -> Response:
    body = json_object({"flow": (gettext("a flow id (text)"), (str,), True, 100)})
    diagnosis, compiled, token = conversation.start(body["flow"])
    started = represent.started_body(diagnosis, compiled, token)
    return _json(started, 201, Location=started["links"]["self"])


@bp.get("/v1/diagnoses/<reference>")
def diagnosis(reference: str) -> Response:
    found = authorised(reference)
    return _json(represent.diagnosis_body(found, conversation.flow_version(found)))


@bp.get("/v1/diagnoses/<reference>/steps/<step_id>")
def step(reference: str, step_id: str) -> Response:
    found = authorised(reference)
    compiled = conversation.flow_version(found)
    if step_id not in found.path:
        raise ApiProblem(
            404,
            gettext(
                "This diagnosis has not been at %(step)s; it is at %(current)s.",
                step=repr(step_id[:100]),
                current=repr(found.step),
            ),
            current_step=found.step,
        )
    return _json(represent.diagnosis_body(found, compiled, step_id))


@bp.post("/v1/diagnoses/<reference>/answers")
@limiter.shared_limit("120 per hour", scope="diagnosis-answer")
def answers(reference: str) -> Response:
    found = authorised(reference)
    body = json_object(
        {
            "step": (gettext("a step id (text)"), (str,), True, 100),
            "answer": (gettext("a choice id (text)"), (str,), False, 100),
            "revision": (gettext("a whole number"), (int,), False, 0),
        }
    )
    compiled = conversation.flow_version(found)
    moved = conversation.give_answer(found, compiled, body["step"], body.get("answer"), body.get("revision"))
    return _json(represent.diagnosis_body(moved.diagnosis, moved.compiled, moved.step))


@bp.get("/v1/diagnoses/<reference>/transcript")
def transcript(reference: str) -> Response:
    found = authorised(reference)
    current = catalog().flows.get(found.flow_id)
    return _json(represent.transcript_body(transcripts.read(found, current)))


@bp.get("/v1/articles")
def articles() -> Response:
    language = _language()
    current = catalog()
    shown = [
        article_in(language, a.slug, current.articles, current.translations)
        for a in current.public_articles()
    ]
    return _json(
        {"articles": [represent.article_item(s.content, s.language, s.stale) for s in shown if s is not None]}
    )


@bp.get("/v1/articles/<slug>")
def article(slug: str) -> Response:
    found = catalog().articles.get(slug)
    if found is None or found.draft:
        raise ApiProblem(
            404,
            gettext("There is no article %(slug)s. GET /api/v1/articles lists them.", slug=repr(slug[:100])),
        )
    record_view(slug)  # read through the API or on the page, it is a reader all the same
    current = catalog()
    shown = article_in(_language(), slug, current.articles, current.translations)
    if shown is None:  # pragma: no cover - found above
        raise ApiProblem(404, f"There is no article {slug[:100]!r}.")
    return _json(represent.article_body(shown.content, shown.language, shown.stale))


@bp.post("/v1/check-link")
@limiter.shared_limit("60 per hour", scope="check-link")
def link_check() -> Response:
    body = json_object({"link": (gettext("the link or address (text)"), (str,), True, 4000)})
    try:
        verdict = check_here(body["link"])  # as the page does: the same domains and shorteners
    except NotALink as problem:
        raise ApiProblem(
            422, str(problem), kind="not-a-link", title=gettext("That is not a link")
        ) from problem
    return _json(represent.verdict_body(verdict))


def _as_you_type() -> bool:
    return request.args.get("prefix", "").lower() == "true"


@bp.get("/v1/search")
@limiter.shared_limit("120 per minute", scope="search", exempt_when=_as_you_type)
@limiter.shared_limit("240 per minute", scope="search-suggest", exempt_when=lambda: not _as_you_type())
def search() -> Response:
    query = request.args.get("q", "")
    if len(query) > 500:
        raise ApiProblem(422, gettext("Keep the query under 500 characters."), kind="invalid")
    limit = _whole_number("limit", 20, 1, 50)
    prefix = _yes_or_no("prefix")
    found = search_content(query, limit=limit, prefix=prefix, language=_language())
    if found.query and not found.hits and not prefix:
        record_miss(query)  # as on the search page: editors see what people could not find
    return _json(represent.search_body(found))


def _whole_number(name: str, default: int, lowest: int, highest: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not lowest <= int(raw) <= highest:
        raise ApiProblem(422, f"{name!r} must be a whole number from {lowest} to {highest}.", kind="invalid")
    return int(raw)


def _yes_or_no(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise ApiProblem(422, f"{name!r} must be true or false.", kind="invalid")
    return raw == "true"
