"""Public pages: home, articles with feedback, health, robots."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from sqlalchemy import text
from werkzeug.wrappers import Response as BaseResponse

from ..config import settings
from ..content.feedback import FeedbackError, add_comment, record_feedback
from ..content.live import catalog
from ..content.render import IMAGE
from ..extensions import db, limiter
from ..linkcheck import NotALink, check_here
from ..links import ENTRY_FLOW, TOP_PROBLEMS
from ..readership import record_view

bp = Blueprint("public", __name__)



@bp.get("/")
def home() -> str:
    current = catalog()
    flows = {f.id: f for f in current.public_flows()}
    top = [flows[i] for i in TOP_PROBLEMS if i in flows]
    top += sorted(
        (f for i, f in flows.items() if i not in TOP_PROBLEMS and i != ENTRY_FLOW), key=lambda f: f.title
    )
    return render_template(
        "home.html", entry=flows.get(ENTRY_FLOW), top=top, articles=current.public_articles()
    )


@bp.get("/articles/")
def article_index() -> str:
    return render_template("article_index.html", articles=catalog().public_articles())


@bp.get("/articles/<slug>")
def article(slug: str) -> str:
    page = _article_page(slug)
    record_view(slug)  # after the page was found: only real articles are counted
    return page


def _article_page(slug: str, **extra: object) -> str:
    found = catalog().articles.get(slug)
    if found is None or found.draft:
        abort(404)
    flows = [catalog().flows[f].flow for f in found.flows if f in catalog().flows]
    given = session.get("feedback", {}).get(slug)
    return render_template("article.html", article=found, flows=flows, feedback=given, **extra)


@bp.post("/articles/<slug>/feedback")
@limiter.limit("30 per hour")
def article_feedback(slug: str) -> BaseResponse:
    found = catalog().articles.get(slug)
    if found is None or found.draft:
        abort(404)
    answered = session.setdefault("feedback", {})
    if slug not in answered:  # asked once per reader
        choice = request.form.get("helpful")
        if choice not in ("yes", "no"):
            abort(400, description="Choose yes or no.")
        feedback_id = record_feedback(slug, choice == "yes")
        answered[slug] = {"id": feedback_id, "helpful": choice == "yes", "commented": False}
        session.modified = True
    return redirect(url_for(".article", slug=slug) + "#feedback", 303)


@bp.post("/articles/<slug>/feedback/comment")
@limiter.limit("30 per hour")
def article_feedback_comment(slug: str) -> BaseResponse | tuple[str, int]:
    given = session.get("feedback", {}).get(slug)
    if given is None or given["helpful"] or given["commented"]:
        return redirect(url_for(".article", slug=slug) + "#feedback", 303)
    try:
        add_comment(given["id"], request.form.get("comment", ""))
    except FeedbackError as problem:
        page = _article_page(slug, comment_error=str(problem), comment=request.form.get("comment", "")[:5000])
        return page, 400
    given["commented"] = True
    session.modified = True
    flash("Thank you. Your comment helps us improve this article.")
    return redirect(url_for(".article", slug=slug) + "#feedback", 303)


@bp.get("/articles/media/<path:name>")
def article_media(name: str) -> BaseResponse:
    """Images of the articles, from the content folder (nothing else there is served)."""
    if not IMAGE.match(name):
        abort(404)
    return send_from_directory(settings().content_dir, name, max_age=3600)


@bp.route("/check-link", methods=["GET", "POST"])
@limiter.shared_limit("60 per hour", scope="check-link", methods=["POST"])
def check_link_page() -> str | tuple[str, int]:
    """ "Is this link really ours?" The verdict, with the reasons in plain words."""
    if request.method == "GET":
        return render_template("check_link.html", text="", verdict=None)
    text = request.form.get("link", "")
    try:
        verdict = check_here(text)
    except NotALink as problem:
        return render_template("check_link.html", text=text, verdict=None, error=str(problem)), 400
    return render_template("check_link.html", text=text, verdict=verdict)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[BaseResponse, int]:
    checks = {"database": False, "content": False}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        db.session.rollback()
    current = catalog()
    checks["content"] = current.ok and bool(current.flows)
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "articles": len(current.articles),
        "flows": len(current.flows),
    }
    return jsonify(body), 200 if healthy else 503


@bp.get("/robots.txt")
def robots() -> BaseResponse:
    body = "User-agent: *\nDisallow: /diagnose/\nDisallow: /staff/\nDisallow: /editor/\n"
    return Response(body, mimetype="text/plain")
