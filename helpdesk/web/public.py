"""Public pages: home, articles with feedback, health, robots."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.wrappers import Response as BaseResponse

from ..accounts.directory import org_directory
from ..config import settings
from ..content.articles import Article
from ..content.catalog import Catalog
from ..content.feedback import FeedbackError, add_comment, record_feedback
from ..content.highlights import highlights
from ..content.live import catalog
from ..content.render import IMAGE
from ..content.translations import article_in, flow_in
from ..extensions import csrf, db, limiter
from ..flows.spec import Flow
from ..linkcheck import NotALink, check_here
from ..links import ENTRY_FLOW, TOP_PROBLEMS
from ..readership import record_view
from .caching import cached, rendered_for_this_request, same_for_everyone
from .language import chosen_language, url_in

bp = Blueprint("public", __name__)

PER_PAGE = 50  # articles on a page of the index
HEALTH_KEY = "helpdesk.health"
ARTICLE_PAGE = "article"  # its key in the page cache (web/fast_paths.py serves it by the same)
DIRECTORY_HEALTH_KEY = "helpdesk.health.directory"


@bp.get("/")
def home() -> Response:
    current = catalog()
    lists = highlights(current)

    def render() -> str:
        language = chosen_language()
        flows = {f.id: _flow_shown(current, f, language) for f in current.public_flows()}
        top = [flows[i] for i in TOP_PROBLEMS if i in flows]
        top += sorted(
            (f for i, f in flows.items() if i not in TOP_PROBLEMS and i != ENTRY_FLOW), key=lambda f: f.title
        )
        return render_template(
            "home.html",
            entry=flows.get(ENTRY_FLOW),
            top=top,
            popular=_articles_shown(current, lists.popular, language),
            recent=_articles_shown(current, lists.recent, language),
            total=len(lists.published),
        )

    if same_for_everyone():
        return cached(current, ("home", lists.key), render)
    return rendered_for_this_request(render())


@bp.get("/articles/")
def article_index() -> Response:
    """Every published article, PER_PAGE a page (`?page=N`)."""
    asked = request.args.get("page", "1")
    if not (asked.isascii() and asked.isdigit()) or len(asked) > 6:
        abort(400, description=_("The page number must be a whole number, like ?page=2."))
    number = int(asked)
    current = catalog()
    published = highlights(current).published
    pages = max(1, -(-len(published) // PER_PAGE))
    if not 1 <= number <= pages:
        abort(404)

    def render() -> str:
        shown = published[(number - 1) * PER_PAGE : number * PER_PAGE]
        return render_template(
            "article_index.html",
            articles=_articles_shown(current, shown, chosen_language()),
            page=number,
            pages=pages,
            total=len(published),
            first=(number - 1) * PER_PAGE + 1,
        )

    if same_for_everyone():
        return cached(current, ("index", str(number)), render)
    return rendered_for_this_request(render())


@bp.get("/articles/<slug>")
def article(slug: str) -> Response:
    current = catalog()
    found = _published(current, slug)
    record_view(slug)  # after the page was found: only real articles are counted
    given = session.get("feedback", {}).get(slug)
    if given is None and same_for_everyone():
        return cached(current, (ARTICLE_PAGE,), lambda: _article_page(current, found, None))
    return rendered_for_this_request(_article_page(current, found, given))


def _published(current: Catalog, slug: str) -> Article:
    found = current.articles.get(slug)
    if found is None or found.draft:
        abort(404)
    return found


def _article_page(current: Catalog, found: Article, given: object, **extra: object) -> str:
    """The article in the reader's language (English when not translated yet: it says so)."""
    language = chosen_language()
    translations = current.translations
    shown = article_in(language, found.slug, current.articles, translations)
    linked = [current.flows[f].flow for f in found.flows if f in current.flows]
    flows = [flow_in(language, flow, translations).content for flow in linked]
    return render_template(
        "article.html",
        article=shown.content if shown else found,
        shown=shown,
        english_url=url_in("en", request.path),
        flows=flows,
        feedback=given,
        **extra,
    )


def _flow_shown(current: Catalog, flow: Flow, language: str) -> Flow:
    """The flow's title and summary in *language* (English where not translated)."""
    return flow_in(language, flow, current.translations).content


def _articles_shown(current: Catalog, articles: Iterable[Article], language: str) -> list[Article]:
    """The articles' titles and summaries in *language* (English where not translated)."""
    shown = (article_in(language, a.slug, current.articles, current.translations) for a in articles)
    return [found.content for found in shown if found is not None]


def _from_this_site() -> bool:
    """The "was this helpful?" form carries no CSRF token: its page is the same for everyone and
    cached. A vote from another site's page is refused by what the browser says of where the
    form was (OWASP CSRF cheat sheet: Fetch Metadata, then the standard Origin header); a client
    that sends neither (curl, a very old browser) is no forged cross-site form."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    ours = {request.host, urlsplit(settings().site_url).netloc}
    return origin != "null" and urlsplit(origin).netloc in ours


@bp.post("/articles/<slug>/feedback")
@csrf.exempt  # a token would make the article page differ per person: _from_this_site instead
@limiter.limit("30 per hour")
def article_feedback(slug: str) -> BaseResponse:
    if not _from_this_site():
        raise CSRFError(_("The form was sent from another site."))
    _published(catalog(), slug)
    answered = session.setdefault("feedback", {})
    if slug not in answered:  # asked once per reader
        choice = request.form.get("helpful")
        if choice not in ("yes", "no"):
            abort(400, description=_("Choose yes or no."))
        feedback_id = record_feedback(slug, choice == "yes")
        answered[slug] = {"id": feedback_id, "helpful": choice == "yes", "commented": False}
        session.modified = True
    return redirect(url_for(".article", slug=slug) + "#feedback", 303)


@bp.post("/articles/<slug>/feedback/comment")
@limiter.limit("30 per hour")
def article_feedback_comment(slug: str) -> BaseResponse:
    given = session.get("feedback", {}).get(slug)
    if given is None or given["helpful"] or given["commented"]:
        return redirect(url_for(".article", slug=slug) + "#feedback", 303)
    try:
        add_comment(given["id"], request.form.get("comment", ""))
    except FeedbackError as problem:
        current = catalog()
        page = _article_page(
            current,
            _published(current, slug),
            given,
            comment_error=str(problem),
            comment=request.form.get("comment", "")[:5000],
        )
        return rendered_for_this_request(page, 400)
    given["commented"] = True
    session.modified = True
    flash(_("Thank you. Your comment helps us improve this article."))
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
    body, status = health_report()
    answer = jsonify(body)
    answer.headers["Cache-Control"] = "no-store"
    return answer, status


def health_report() -> tuple[dict[str, object], int]:
    """/healthz's body and status (in an app context): 200 once the database and the account
    directory answer and the content is loaded, 503 otherwise."""
    database, age = _answers(HEALTH_KEY, _database_ping)
    directory, directory_age = _answers(DIRECTORY_HEALTH_KEY, _directory_ping)
    current = catalog()
    checks = {"database": database, "directory": directory, "content": current.ok and bool(current.flows)}
    healthy = all(checks.values())
    body: dict[str, object] = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "articles": len(current.articles),
        "flows": len(current.flows),
        "database_checked_seconds_ago": round(age, 1),
        "directory_checked_seconds_ago": round(directory_age, 1),
    }
    return body, 200 if healthy else 503


@dataclass
class _Check:
    answered: bool
    at: float


def _answers(key: str, ping: Callable[[], None]) -> tuple[bool, float]:
    """Whether *ping* went through (raised nothing), asked at most every HELPDESK_HEALTH_SECONDS
    in this worker (a load balancer polling every worker every second costs no query each time),
    and how many seconds ago."""
    now = time.monotonic()
    last: _Check | None = current_app.extensions.get(key)
    if last is not None and now - last.at < settings().health_seconds:
        return last.answered, now - last.at
    try:
        ping()
        answered = True
    except Exception:
        db.session.rollback()
        answered = False
    current_app.extensions[key] = _Check(answered, now)
    return answered, 0.0


def _database_ping() -> None:
    db.session.execute(text("SELECT 1"))


def _directory_ping() -> None:
    org_directory().ping()  # DirectoryUnavailable when it does not answer in time


@bp.get("/robots.txt")
def robots() -> BaseResponse:
    private = ["/diagnose/", "/staff/", "/editor/"]
    # the same pages under each language's prefix, and the switch (it sets a cookie)
    private += [f"/{language}{path}" for language in settings().languages for path in private]
    body = "User-agent: *\n" + "".join(f"Disallow: {path}\n" for path in [*private, "/language/"])
    return Response(body, mimetype="text/plain")
