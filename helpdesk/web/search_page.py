"""The search page, and the suggestions the search boxes show as you type."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from markupsafe import Markup, escape

from ..content.articles import Article
from ..content.highlights import highlights
from ..content.live import catalog
from ..content.translations import article_in, flow_in
from ..extensions import limiter
from ..flows.spec import Flow
from ..links import ENTRY_FLOW
from ..search import Hit, SearchResults, search
from ..search.misses import record_miss
from .caching import (
    PageCache,
    as_response,
    cached_answer,
    page_cache,
    rendered_for_this_request,
    same_for_everyone,
)
from .fixed_urls import fixed_url
from .language import BASE_KEY, chosen_language, offered, template_values, this_address, url_in
from .marked_pages import MarkedPage

bp = Blueprint("search", __name__)
SUGGESTIONS = 6
TOP_ARTICLES = 5
PAGES_KEY = "helpdesk.search_pages"
# result pages kept per worker, apart from the other pages: a flood of made-up queries pushes
# out other result pages, never the articles. Kept as they are, not gzipped like the others: a
# results page is rendered for every query not asked lately, and packing it would cost that reader
# ~50 µs more (~15 KB a page: ~1 MB at most; the results themselves are kept too, search.Answers)
PAGES_KEPT = 64


@bp.app_template_global()
def hit_url(hit: Hit) -> str:
    """The page a search result opens, in the language the page found is in: a flow's
    diagnosis, or the article (`/es/articles/x` for a Spanish hit on an English page)."""
    if hit.kind == "flow":  # (slugs of the content: the addresses are kept, not built each time)
        here = fixed_url("diagnose.start", flow_id=hit.slug)
    else:
        here = fixed_url("public.article", slug=hit.slug)
    if hit.language == chosen_language():
        return here
    return url_in(hit.language, here[len(request.script_root) :])


@bp.get("/search")
@limiter.shared_limit("120 per minute", scope="search")  # with the API's /api/v1/search
def results() -> Response:
    """The results page: rendered once per query and content version for everyone who is not
    signed in (the results are the same for all), like the articles (web/caching.py), and then
    only its results: the page around them is kept (`framed`)."""
    return results_page(same_for_everyone())


def results_page(for_everyone: bool) -> Response:
    """The view's work: the page kept for everyone not signed in (*for_everyone*), else this
    browser's own."""
    if for_everyone:
        return as_response(*everyones_results())
    return rendered_for_this_request(_ResultsPage().render())


def everyones_results() -> tuple[int, list[tuple[str, str]], bytes]:
    """The results page for everyone not signed in, as status, headers and body (`cached_answer`):
    the view's, and web/search_fast_path.py's, which answers with them itself (in a request
    context of its own)."""
    page = _ResultsPage()
    return cached_answer(
        page.current,
        ("search", page.found.query, page.shown),
        page.render_in_frame,
        language=page.here.language,
        cache=_pages(page.here.app),
    )


@dataclass(frozen=True, slots=True)
class _Here:
    """What the pieces of a results page ask of the request and the app, asked once a page."""

    app: Flask
    script_root: str
    base: str  # the address root of a language prefix (language.BASE_KEY)
    path: str
    language: str


def _here() -> _Here:
    asked = request._get_current_object()  # type: ignore[attr-defined]
    return _Here(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        asked.script_root,
        str(asked.environ.get(BASE_KEY, "")),
        asked.path,
        chosen_language(),
    )


class _ResultsPage:
    """The search a results page shows, and how it is rendered (in a request context)."""

    def __init__(self) -> None:
        self.here = here = _here()
        query = request.args.get("q", "")
        # the catalog before the search: a page is never kept under a newer version than its results
        self.current = current = catalog()
        self.found = found = search(query, language=here.language)
        if found.query and not found.hits:
            record_miss(query)
        self.top: list[Article] = []
        self.shown = ""  # which "read most" list the page shows: it changes every few minutes
        if not found.hits:  # the home page's "read most" (a read: the views are flushed elsewhere)
            lists = highlights(current)
            top = list(lists.popular[:TOP_ARTICLES])
            self.top = top + [a for a in lists.published if a not in top][: TOP_ARTICLES - len(top)]
            self.shown = lists.key

    def in_language(self) -> tuple[Flow | None, list[Article]]:
        """The way in and the articles read most, in the reader's language (English where not
        translated)."""
        current, language = self.current, self.here.language
        entry = next((f for f in current.public_flows() if f.id == ENTRY_FLOW), None)
        translated = (article_in(language, a.slug, current.articles, current.translations) for a in self.top)
        return (
            entry and flow_in(language, entry, current.translations).content,
            [article.content for article in translated if article is not None],
        )

    def render(self) -> str:
        entry, top_articles = self.in_language()
        return render_template("search.html", results=self.found, entry=entry, top_articles=top_articles)

    def render_in_frame(self) -> str:
        if not self.found.query:
            return self.render()
        # (the way in and the articles read most show only when nothing was found)
        entry, top = self.in_language() if not self.found.hits else (None, [])
        return framed(self.found.query, results_html(self.found, entry, top, self.here), self.here)


# Where the frame of a results page has what is different on every page: private-use characters,
# which no query has (search.words.clean drops them) and a query string cannot carry (it is read
# as Latin-1). "quote" is the address as the language switch's `next=` carries it.
_QUERY, _HERE, _RESULTS = "\ue002query\ue003", "\ue002here\ue003", "\ue002results\ue003"
_HERE_QUOTED = quote(_HERE, safe="/")
_PLACES = re.compile("(" + "|".join(map(re.escape, (_QUERY, _HERE, _HERE_QUOTED, _RESULTS))) + ")")
FRAMES_KEY = "helpdesk.search_frames"
FRAMES_KEPT = 32  # (language, address root) pairs: a handful in practice
# the shell of a results block: the query, the query its results are for, and the results
_SHOWN, _ITEMS = "\ue002shown\ue003", "\ue002items\ue003"
_SHELL_PLACES = re.compile("(" + "|".join(map(re.escape, (_QUERY, _SHOWN, _ITEMS))) + ")")
SHELLS_KEY = "helpdesk.search_shells"
SHELLS_KEPT = 512  # languages x numbers of results (up to 50) x kinds of answer x address roots


def results_html(
    found: SearchResults, entry: Flow | None, top: list[Article], here: _Here | None = None
) -> str:
    """The results of a page for everyone not signed in (_search_results.html): what they show
    is given here, and none of Flask's per-page values (the person, the session) is asked for.
    Results found are given in a shell kept per language, number of results and kind of answer
    (corrected, partial), filled with the query and the results, each result the one kept for its
    page found but for its snippet (`_hits_html`)."""
    here = here or _here()
    language, app = here.language, here.app
    template = app.jinja_env.get_template("_search_results.html")
    if not found.hits:
        return template.render(
            results=found, entry=entry, top_articles=top, page_language=language, offered_language=offered
        )
    shells: dict[tuple[str, ...], MarkedPage] = app.extensions.setdefault(SHELLS_KEY, {})
    where = (here.script_root, here.base, language)
    key = (*where, str(len(found.hits)), str(found.corrected), str(found.partial))
    shell = shells.get(key)
    if shell is None:
        shell = MarkedPage.split(
            template.render(
                results=replace(found, query=_QUERY, shown_query=_SHOWN),  # (its hits: their number shows)
                hits_html=Markup(_ITEMS),  # noqa: S704 (ours)
                page_language=language,
                offered_language=offered,
            ),
            _SHELL_PLACES,
        )
        if len(shells) >= SHELLS_KEPT:
            shells.clear()
        shells[key] = shell
    values = {
        _QUERY: str(escape(found.query)),
        _SHOWN: str(escape(found.shown_query)),
        _ITEMS: _hits_html(found.hits, here),
    }
    return shell.fill(values)


# A result's item (_search_hit.html) is the same for every query but its snippet: rendered once per
# page found (and language, address root) with a marker for the snippet, kept split around it.
HITS_KEY = "helpdesk.search_hits"
HITS_KEPT = 4096  # items: pages found x the languages they are shown in, a few thousand at most
_SNIPPET = "\x00helpdesk-snippet\x00"  # no template or content text holds a NUL character


def _hits_html(hits: list[Hit], here: _Here) -> str:
    language = here.language
    kept: dict[tuple[str, ...], tuple[str, str]] = here.app.extensions.setdefault(HITS_KEY, {})
    where = (here.script_root, here.base, language)
    pieces: list[str] = []
    for hit in hits:
        key = (*where, hit.kind, hit.slug, hit.title, hit.language, "snippet" if hit.snippet_html else "")
        item = kept.get(key)
        if item is None:
            marked = replace(hit, snippet_html=_SNIPPET if hit.snippet_html else "")
            rendered = here.app.jinja_env.get_template("_search_hit.html").render(
                hit=marked, page_language=language, offered_language=offered
            )
            before, _, after = rendered.partition(_SNIPPET)
            item = (before, after)
            if len(kept) >= HITS_KEPT:
                kept.clear()
            kept[key] = item
        pieces += (item[0], hit.snippet_html, item[1]) if hit.snippet_html else item
    return "".join(pieces)


def framed(query: str, results_html: str, here: _Here | None = None) -> str:
    """The results page for everyone not signed in: the page around the results (base.html, the
    search form), the same for every query, is rendered once per language and address root, then
    filled with the query, this page's address and *results_html*; the bytes are those
    search.html renders (a test compares them). The page around the results is most of the work
    of rendering one, and a page is rendered for every query not asked lately."""
    here = here or _here()
    frames: dict[tuple[str, ...], MarkedPage] = here.app.extensions.setdefault(FRAMES_KEY, {})
    key = (here.script_root, here.base, here.path, here.language)
    frame = frames.get(key)
    if frame is None:
        placeholder = SearchResults(_QUERY, _QUERY, corrected=False, partial=False)
        rendered = render_template(
            "search.html",
            results=placeholder,
            results_html=Markup(_RESULTS),  # noqa: S704 (ours)
            **template_values(_HERE),
        )
        frame = MarkedPage.split(rendered, _PLACES)
        if len(frames) >= FRAMES_KEPT:
            frames.clear()
        frames[key] = frame
    address = this_address()
    values = {
        _QUERY: str(escape(query)),
        _HERE: str(escape(address)),
        _HERE_QUOTED: str(escape(quote(address, safe="/"))),
        _RESULTS: results_html,
    }
    return frame.fill(values)


def _pages(app: Flask) -> PageCache:
    """This app's cache of result pages (made on first use, with the code version of the others)."""
    found: PageCache | None = app.extensions.get(PAGES_KEY)
    if found is None:
        pages = page_cache()
        made = PageCache(pages.code_version, pages.code_modified, PAGES_KEPT, packed=False)
        found = app.extensions.setdefault(PAGES_KEY, made)
    return found


@bp.get("/search/suggest")
@limiter.shared_limit("240 per minute", scope="search-suggest")  # with the API's prefix=true
def suggest() -> Response:
    """Titles for the words typed so far (the last one may be unfinished), as JSON."""
    found = search(request.args.get("q", ""), limit=SUGGESTIONS, prefix=True, language=chosen_language())
    return jsonify(
        query=found.query,
        hits=[
            {
                "kind": h.kind,
                "language": h.language,
                "title": h.title,
                "url": hit_url(h),
                "snippet_html": h.snippet_html,
            }
            for h in found.hits
        ],
    )
