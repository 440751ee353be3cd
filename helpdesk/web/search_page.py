"""The search page, and the suggestions the search boxes show as you type."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from ..content.highlights import highlights
from ..content.live import catalog
from ..extensions import limiter
from ..links import ENTRY_FLOW
from ..search import Hit, search
from ..search.misses import record_miss
from .fixed_urls import fixed_url

bp = Blueprint("search", __name__)
SUGGESTIONS = 6
TOP_ARTICLES = 5


@bp.app_template_global()
def hit_url(hit: Hit) -> str:
    """The page a search result opens: a flow's diagnosis, or the article."""
    if hit.kind == "flow":  # (slugs of the content: the addresses are kept, not built each time)
        return fixed_url("diagnose.start", flow_id=hit.slug)
    return fixed_url("public.article", slug=hit.slug)


@bp.get("/search")
@limiter.shared_limit("120 per minute", scope="search")  # with the API's /api/v1/search
def results() -> str:
    query = request.args.get("q", "")
    found = search(query)
    if found.query and not found.hits:
        record_miss(query)
    current = catalog()
    flows = {f.id: f for f in current.public_flows()}
    top = []
    if not found.hits:  # the home page's "read most" (a read: the views are flushed elsewhere)
        lists = highlights(current)
        top = list(lists.popular[:TOP_ARTICLES])
        top += [a for a in lists.published if a not in top][: TOP_ARTICLES - len(top)]
    return render_template("search.html", results=found, entry=flows.get(ENTRY_FLOW), top_articles=top)


@bp.get("/search/suggest")
@limiter.shared_limit("240 per minute", scope="search-suggest")  # with the API's prefix=true
def suggest() -> Response:
    """Titles for the words typed so far (the last one may be unfinished), as JSON."""
    found = search(request.args.get("q", ""), limit=SUGGESTIONS, prefix=True)
    return jsonify(
        query=found.query,
        hits=[
            {"kind": h.kind, "title": h.title, "url": hit_url(h), "snippet_html": h.snippet_html}
            for h in found.hits
        ],
    )
