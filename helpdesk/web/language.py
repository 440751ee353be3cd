"""Which language this request is answered in, the language prefixes of the addresses, and the
language switch.

- `/es/…`, `/ar/…`: `LanguagePrefix`, a WSGI layer inside ProxyFix and in front of everything else
  (web/fast_paths.py included), moves an offered language's prefix from PATH_INFO to SCRIPT_NAME.
  Flask then routes `/es/articles/x` as `/articles/x`, and every `url_for` on a prefixed page keeps
  the prefix (the script root): the whole site stays in the language with no route written twice.
  Static files, the API, cookies (their path is `/`, not the script root) and CSRF work as before.
  A prefix not offered is no prefix: `/fr/…` matches no route, a 404.
- `chosen_language()` (Flask-Babel's locale selector): the prefix; else the switch remembered in
  the `COOKIE` cookie; else the best match of `Accept-Language` among the offered languages; else
  `HELPDESK_DEFAULT_LANGUAGE`. Unprefixed pages send `Vary: Accept-Language, Cookie`.
- The switch, `/language/<lang>?next=/path`: remembers the choice in the cookie and goes back to the
  same page under that language's prefix (a plain link: no JavaScript, no form, no token, so the
  pages that carry it stay the same for everyone and cacheable).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import flask_babel
from babel import Locale
from flask import Blueprint, Flask, abort, current_app, has_request_context, redirect, request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from ..config import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

COOKIE = "helpdesk_language"
COOKIE_DAYS = 365
PREFIX_KEY = "helpdesk.language"  # the environ key: the language the address's prefix names
BASE_KEY = "helpdesk.script_root"  # the environ key: the script root before the prefix
_FIRST_SEGMENT = re.compile(r"^/([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)(?=/|$)")

bp = Blueprint("language", __name__)


class LanguagePrefix:
    """`/es/articles/x` → SCRIPT_NAME `…/es`, PATH_INFO `/articles/x` (`/es` alone: `/`)."""

    def __init__(self, app: WSGIApplication, languages: Iterable[str]) -> None:
        self.app = app  # named as ProxyFix names what it wraps
        self.languages = frozenset(languages)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        found = _FIRST_SEGMENT.match(path)
        if found is not None and found.group(1) in self.languages:
            language = found.group(1)
            script_root = environ.get("SCRIPT_NAME", "")
            environ[BASE_KEY] = script_root
            environ[PREFIX_KEY] = language
            environ["SCRIPT_NAME"] = f"{script_root}/{language}"
            environ["PATH_INFO"] = path[found.end() :] or "/"
        return self.app(environ, start_response)


def language_of(environ: WSGIEnvironment, settings: Settings) -> str:
    """The language an answer to *environ* is in (no Flask needed: web/fast_paths.py asks too)."""
    prefixed = environ.get(PREFIX_KEY)
    if prefixed:
        return str(prefixed)
    return _negotiated(environ.get("HTTP_COOKIE"), environ.get("HTTP_ACCEPT_LANGUAGE"), settings)


def _negotiated(cookie_header: str | None, accept: str | None, settings: Settings) -> str:
    if cookie_header and COOKIE in cookie_header:
        remembered = parse_cookie(cookie_header).get(COOKIE)
        if remembered in settings.languages:
            return str(remembered)
    if accept:
        best = _best_match(accept[:500], settings.languages)
        if best:
            return best
    return settings.default_language


@lru_cache(maxsize=1024)  # browsers send a few dozen distinct headers; parsing one costs ~25 µs
def _best_match(accept: str, languages: tuple[str, ...]) -> str | None:
    asked = parse_accept_header(accept, LanguageAccept)
    # `es-MX;q=0.8` is Spanish at 0.8: it beats `en;q=0.5` (Werkzeug tries a region's language
    # only when nothing at all matched exactly)
    widened = LanguageAccept([*asked, *((tag.split("-")[0], q) for tag, q in asked if "-" in tag)])
    return widened.best_match(languages)


def is_prefixed(environ: WSGIEnvironment) -> bool:
    """Whether the address names its language (else the answer varies by cookie and header)."""
    return bool(environ.get(PREFIX_KEY))


def vary_of(environ: WSGIEnvironment) -> str:
    """The Vary header of a page in the chosen language."""
    return "Cookie" if is_prefixed(environ) else "Accept-Language, Cookie"


def chosen_language() -> str:
    """The language of this request's answer (Flask-Babel's locale selector)."""
    settings: Settings = current_app.extensions["helpdesk.settings"]
    if not has_request_context():  # a job, the CLI, a test in an app context: the site's language
        return settings.default_language
    return language_of(request.environ, settings)


@dataclass(frozen=True)
class Offered:
    """One offered language, as the switch and the `hreflang` links show it."""

    code: str
    name: str  # in its own language
    direction: str  # ltr | rtl


@cache
def offered(code: str) -> Offered:
    try:
        locale = Locale.parse(code)
    except (ValueError, TypeError):
        return Offered(code, code, "ltr")
    name = locale.get_display_name(locale) or code
    direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    return Offered(code, name[:1].upper() + name[1:], direction)


def preload(app: Flask) -> None:
    """Each offered language's CLDR data (its name, its numbers and dates) and message catalog,
    loaded in the process the workers are forked from (helpdesk.before_fork): once for all of
    them, about 8 MB, where each worker would otherwise load them for itself on its first pages."""
    settings: Settings = app.extensions["helpdesk.settings"]
    for code in settings.languages:
        offered(code)
        with app.test_request_context("/", environ_overrides={PREFIX_KEY: code}):
            flask_babel.get_translations()
            flask_babel.format_decimal(1234.5)
            flask_babel.format_date(date(2026, 1, 31))


def direction(code: str) -> str:
    return offered(code).direction


def _base_root() -> str:
    """The script root below the language prefix (a trusted proxy's prefix, or "")."""
    return str(request.environ.get(BASE_KEY, request.script_root))


def this_address() -> str:
    """This page's address below the script root, with its query."""
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


_here = this_address


def url_in(code: str, path: str) -> str:
    """The address of *path* (below the script root) in language *code*: `/es/articles/x`."""
    return f"{_base_root()}/{code}{path}"


def switch_url(code: str, here: str | None = None) -> str:
    return f"{_base_root()}/language/{code}?next={_quoted(_here() if here is None else here)}"


def _quoted(path: str) -> str:
    return quote(path, safe="/")


_SITE_LINK = re.compile(r'href="/(?![/\\])')


def links_here(html: str) -> str:
    """`{{ article.html | links_here | safe }}`: on a prefixed page, the content's links to the
    site's own pages (`/diagnose/x`, written without a language) keep the reader's language."""
    if not has_request_context() or not is_prefixed(request.environ):
        return html
    return _SITE_LINK.sub(f'href="{request.script_root}/', html)


def template_values(here: str | None = None) -> dict[str, Any]:
    """What base.html shows of the language: <html lang dir>, the switch, the hreflang links
    (the links to this page, or to *here*: a path below the script root, with its query)."""
    if not has_request_context():  # a mail rendered by a command
        return {}
    settings: Settings = current_app.extensions["helpdesk.settings"]
    language = chosen_language()
    site = settings.site_url.rstrip("/")
    here = _here() if here is None else here
    languages = [offered(code) for code in settings.languages]
    return {
        "offered_language": offered,
        "page_language": language,
        "page_direction": direction(language),
        "language_switch": [(entry, switch_url(entry.code, here)) for entry in languages],
        "alternates": [(entry.code, f"{site}/{entry.code}{here}") for entry in languages],
        "x_default": f"{site}{here}",
    }


def _safe_next(asked: str) -> str:
    """A page of this site to go back to: a path, never another site (`//host`, `/\\host`)."""
    if not asked.startswith("/") or asked.startswith(("//", "/\\")) or any(c in asked for c in "\r\n\t"):
        return "/"
    return asked[:2000]


@bp.get("/language/<code>")
def switch(code: str) -> BaseResponse:
    """Remember *code* in the cookie and go back to the page (`next`) in that language."""
    settings: Settings = current_app.extensions["helpdesk.settings"]
    if code not in settings.languages:
        abort(404)
    target = _safe_next(request.args.get("next", "/"))
    answer = redirect(f"{_base_root()}/{code}{target}", 303)
    answer.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_DAYS * 86400,
        path="/",
        secure=settings.site_url.startswith("https://"),
        httponly=True,
        samesite="Lax",
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _vary(response: BaseResponse) -> BaseResponse:
    """An unprefixed page's language came from the cookie or Accept-Language: caches must know."""
    if not is_prefixed(request.environ) and response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_vary)
    app.context_processor(template_values)
    app.jinja_env.filters["links_here"] = links_here


def install(app: Flask) -> None:
    """The prefix layer: outside web/fast_paths.py, inside ProxyFix (which may set SCRIPT_NAME)."""
    settings: Settings = app.extensions["helpdesk.settings"]
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = LanguagePrefix(outer.app, settings.languages)
        return
    app.wsgi_app = LanguagePrefix(outer, settings.languages)  # type: ignore[method-assign]
