"""The editor area: every flow and article with its validation status."""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, render_template

from ..accounts.directory import AccountRecord
from ..flows.diagram import edges_of, svg
from .content_state import catalog, pending_problems
from .staff import staff_only

bp = Blueprint("editor", __name__, url_prefix="/editor")


@bp.get("/")
@staff_only("editor")
def index(account: AccountRecord) -> str:
    current = catalog()
    by_file = defaultdict(list)
    for problem in pending_problems():
        by_file[problem.path].append(problem)
    return render_template(
        "editor/index.html",
        account=account,
        flows=sorted((c.flow for c in current.flows.values()), key=lambda f: f.id),
        articles=sorted(current.articles.values(), key=lambda a: a.slug),
        problems=dict(by_file),
    )


@bp.get("/flows/<flow_id>")
@staff_only("editor")
def flow_diagram(account: AccountRecord, flow_id: str) -> str:
    compiled = catalog().flows.get(flow_id)
    if compiled is None:
        abort(404)
    return render_template(
        "editor/flow.html",
        account=account,
        flow=compiled.flow,
        diagram=svg(compiled),
        edges=edges_of(compiled),
    )


@bp.get("/articles/<slug>")
@staff_only("editor")
def article_preview(account: AccountRecord, slug: str) -> str:
    """The article exactly as the public page shows it, drafts included, marked as a preview."""
    found = catalog().articles.get(slug)
    if found is None:
        abort(404)
    flows = [catalog().flows[f].flow for f in found.flows if f in catalog().flows]
    return render_template(
        "article.html", article=found, flows=flows, feedback={"preview": True}, preview=True
    )
