"""What the API answers with: flows, diagnoses and their steps, articles, transcripts, verdicts.

Text is the HTML the web pages show (rendered from Markdown and sanitized by the content
renderer); links inside it are relative to the site. Every link the API gives is absolute,
on the configured site address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext, lazy_gettext

from ...actions import Action, get_action
from ...cases.diagnoses import latest_child, position
from ...cases.diagnosis_access import expires_at
from ...config import settings
from ...content.articles import Article
from ...content.live import catalog
from ...content.render import render_inline
from ...content.translations import SOURCE_LANGUAGE, flow_in
from ...extensions import db
from ...flows.engine import CompiledFlow
from ...flows.spec import Flow
from ...linkcheck import Verdict
from ...links import site_link
from ...models import Diagnosis, DiagnosisStatus
from ...search import SearchResults
from ...staff.transcripts import Transcript
from ..search_page import hit_url
from .handoff import page_url

END_HEADINGS = {
    "resolved": lazy_gettext("You're all set"),
    "escalate": lazy_gettext("Let's get you to a person"),
    "flow": lazy_gettext("Let's continue"),
}


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _api(endpoint: str, **values: Any) -> str:
    return site_link(url_for(f"api.{endpoint}", **values))


def flow_item(flow: Flow, language: str = SOURCE_LANGUAGE, outdated: bool = False) -> dict[str, Any]:
    """*flow* (its texts in *language*: the language they are really in, English when not
    translated; *outdated*: translated from an older version of the English)."""
    return {
        "id": flow.id,
        "title": flow.title,
        "summary": flow.summary or None,
        "problems": list(flow.problems),
        "language": language,
        "outdated": outdated,
        "links": {
            "self": _api("flow", flow_id=flow.id),
            "start": _api("start"),
            "page": site_link(url_for("diagnose.start", flow_id=flow.id)),
        },
    }


def diagnosis_body(
    diagnosis: Diagnosis, compiled: CompiledFlow, step_id: str | None = None
) -> dict[str, Any]:
    """The diagnosis, showing *step_id* (a step on its path; default: where it is now)."""
    parent = db.session.get(Diagnosis, diagnosis.parent_id) if diagnosis.parent_id else None
    reference = diagnosis.reference
    return {
        "reference": reference,
        "status": diagnosis.status,
        "revision": diagnosis.revision,
        "flow": {"id": compiled.id, "title": compiled.flow.title, "version": compiled.flow.version},
        "current_step": diagnosis.step,
        "step": step_body(diagnosis, compiled, step_id or diagnosis.step),
        "continued_from": parent.reference if parent else None,
        "started_at": _time(diagnosis.created_at),
        "updated_at": _time(diagnosis.updated_at),
        "expires_at": _time(expires_at(diagnosis)),
        "links": {
            "self": _api("diagnosis", reference=reference),
            "answers": _api("answers", reference=reference),
            "transcript": _api("transcript", reference=reference),
        },
    }


def step_body(diagnosis: Diagnosis, compiled: CompiledFlow, step_id: str) -> dict[str, Any]:
    step = compiled.step(step_id)
    at = position(diagnosis, compiled, step_id)
    is_current = at.is_current
    back = _api("step", reference=at.previous.reference, step_id=at.previous.step) if at.previous else None
    progress = None
    if step.kind != "end":
        progress = {
            "step": at.number,
            "remaining": at.remaining,
            "at_most": at.outlook.at_most,
            "text": at.progress,
        }
    choices: list[dict[str, Any]] = []
    if step.kind == "question":
        choices = [{"id": c.id, "label": c.label, "hint": c.hint or None} for c in step.choices]
    elif step.kind == "info":
        choices = [{"id": "continue", "label": step.button or gettext("Continue"), "hint": None}]
    action = get_action(step.action) if step.action else None
    heading = None
    if step.kind in ("action", "check"):
        heading = str(action.title) if action else compiled.flow.title
    elif step.kind == "end" and step.outcome in END_HEADINGS:
        heading = str(END_HEADINGS[step.outcome])
    page = page_url(diagnosis) if is_current and diagnosis.status != DiagnosisStatus.ABANDONED else None
    return {
        "id": step.id,
        "kind": step.kind,
        "current": is_current,
        "heading": heading,
        "text_html": render_inline(step.text) if step.text else "",
        "help_html": render_inline(step.help) if step.help else None,
        "choices": choices,
        "chosen": at.chosen,
        "progress": progress,
        "article": _article_section(step.article),
        "action": _action(step.action, action, is_current) if step.kind in ("action", "check") else None,
        "end": _end(diagnosis, compiled, step_id) if step.kind == "end" else None,
        "links": {
            "self": _api("step", reference=diagnosis.reference, step_id=step.id),
            "back": back,
            "page": page,
        },
    }


def _article_section(reference: str) -> dict[str, Any] | None:
    if not reference:
        return None
    article, html = catalog().section_html(reference)
    if article is None or not html:
        return None
    return {
        "slug": article.slug,
        "title": article.title,
        "section": reference.partition("#")[2] or None,
        "html": html,
        "url": site_link(url_for("public.article", slug=article.slug)),
    }


def _action(name: str, action: Action | None, is_current: bool) -> dict[str, Any]:
    return {
        "name": name,
        "title": str(action.title) if action else name,
        "intro": (str(action.intro) or None) if action else None,
        "in_browser": True,  # real fixes run on the web page: links.page opens it
        "done": not is_current,
    }


def _end(diagnosis: Diagnosis, compiled: CompiledFlow, step_id: str) -> dict[str, Any]:
    step = compiled.step(step_id)
    next_flow = None
    continued_in = None
    if step.outcome == "flow":
        linked = catalog().flows.get(step.flow)
        if linked is not None and not linked.flow.draft:
            next_flow = {"id": linked.id, "title": linked.flow.title}
        child = latest_child(diagnosis, step.flow)
        continued_in = child.reference if child else None
    configured = settings()
    return {
        "outcome": step.outcome,
        "reference": diagnosis.reference,
        "support_email": configured.support_email if step.outcome == "escalate" else None,
        "next_flow": next_flow,
        "continued_in": continued_in,
    }


def started_body(diagnosis: Diagnosis, compiled: CompiledFlow, token: str) -> dict[str, Any]:
    return {**diagnosis_body(diagnosis, compiled), "token": token, "token_type": "Bearer"}


FIX_EVENTS = {"action", "checked"}


def transcript_body(transcript: Transcript) -> dict[str, Any]:
    diagnosis = transcript.diagnosis
    return {
        "reference": diagnosis.reference,
        "flow": {"id": diagnosis.flow_id, "title": transcript.flow_title},
        "status": diagnosis.status,
        "started_at": _time(diagnosis.created_at),
        "updated_at": _time(diagnosis.updated_at),
        "continued_from": next(
            (d.reference for d in transcript.related if d.id == diagnosis.parent_id), None
        ),
        "continued_in": [d.reference for d in transcript.related if d.parent_id == diagnosis.id],
        "lines": [
            {
                "at": _time(line.at),
                "kind": line.kind,
                "step": line.step,
                "step_text": line.step_text,
                "answer": line.answer or None,
                # what a fix said stays on the page that ran it: it may speak of an account
                # the person proved there, and a token is no such proof
                "message": None
                if line.kind in FIX_EVENTS
                else (str(line.detail.get("message") or "") or None),
            }
            for line in transcript.lines
        ],
    }


def article_item(article: Article, language: str = SOURCE_LANGUAGE, outdated: bool = False) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": article.summary,
        "tags": list(article.tags),
        "updated": article.updated.isoformat() if article.updated else None,
        "language": language,
        "outdated": outdated,
        "links": {
            "self": _api("article", slug=article.slug),
            "page": site_link(url_for("public.article", slug=article.slug)),
        },
    }


def article_body(article: Article, language: str = SOURCE_LANGUAGE, outdated: bool = False) -> dict[str, Any]:
    current = catalog()
    flows = current.flows
    return {
        **article_item(article, language, outdated),
        "html": article.html,
        "toc": [{"id": h.id, "title": h.title, "level": h.level} for h in article.toc],
        "flows": [
            {"id": f, "title": flow_in(language, flows[f].flow, current.translations).content.title}
            for f in article.flows
            if f in flows and not flows[f].flow.draft
        ],
    }


def verdict_body(verdict: Verdict) -> dict[str, Any]:
    return {"official": verdict.official, "host": verdict.host or None, "reasons": list(verdict.reasons)}


def _in_language(language: str) -> dict[str, str]:
    """The API address's `lang` for content in *language* (none for English, the default)."""
    return {} if language == SOURCE_LANGUAGE else {"lang": language}


def search_body(found: SearchResults) -> dict[str, Any]:
    return {
        "query": found.query,
        "shown_query": found.shown_query,
        "corrected": found.corrected,
        "partial": found.partial,
        "only_common_words": found.only_common_words,
        "hits": [
            {
                "kind": hit.kind,
                "slug": hit.slug,
                "title": hit.title,
                "summary": hit.summary,
                "snippet_html": hit.snippet_html,
                "language": hit.language,
                "links": {
                    "self": _api("flow", flow_id=hit.slug, **_in_language(hit.language))
                    if hit.kind == "flow"
                    else _api("article", slug=hit.slug, **_in_language(hit.language)),
                    "page": site_link(hit_url(hit)),
                },
            }
            for hit in found.hits
        ],
    }
