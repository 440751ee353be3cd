"""HTTP caching of the public pages: a page rendered once per content version, strong ETags,
Last-Modified, 304s, and who may keep what.

Who gets what:
- a browser with no cookie of ours (the usual first visit, a crawler, a shared cache in front):
  the rendered bytes from this worker's page cache, `Cache-Control: public, max-age=<page_max_age>`
  (60 s by default: a reader sees an edit within a minute, a proxy or CDN answers the rest), a
  strong `ETag`, `Last-Modified`, `Vary: Cookie`, and no `Set-Cookie`. `Vary: Cookie` is what keeps
  it right: once a browser has a cookie of ours (it answered "was this helpful?", started a
  diagnosis, signed in) its requests no longer match what a cache kept for cookie-less ones;
- a browser with our cookie but not signed in, whose page does not depend on it (no message
  waiting, no feedback on this article): the same bytes, `private, no-cache` (the cookie may be
  sent again with the answer, so no shared cache keeps it; the browser revalidates: a 304);
- everyone else (signed in, a message waiting, the feedback form half answered): rendered for this
  request; signed-in people get `no-store` (`web/errors.py`).

A page is kept gzipped, and sent so to a browser that takes gzip (every browser does): a quarter
of the bytes over a phone's connection, and of the memory each worker keeps (a cache of pages
rendered for nearly every request, the search results, keeps them as they are: `packed`). A client that does
not ask for it (curl, some tools) gets it unpacked. Each form has its own strong ETag, and every
such answer says `Vary: Accept-Encoding`. Compressing a page that holds a secret beside what the
reader typed would let its length give the secret away (BREACH); a kept page holds nothing of
anyone's (no CSRF token, no session: tests/integration/test_http_caching.py), and a page rendered
for one request (signed in, a form) is not compressed here.

The ETag is a digest of the content version (every article's and flow's file digest), the code
version (templates, static files, the app's source, the settings shown on pages), the page's key
(path and query), the language, and anything else the page shows (the popular articles). Nothing
about the person is in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, request, session
from flask_login import current_user
from werkzeug.http import http_date, is_resource_modified, parse_accept_header

from ..config import PROJECT_ROOT, Settings
from ..content.catalog import Catalog
from ..content.live import content_folders, fingerprint
from .language import chosen_language, vary_of

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

CACHE_KEY = "helpdesk.page_cache"
PAGES_KEPT = 256  # rendered pages kept per worker (the most used): 3-5 KB each gzipped, ~1 MB at most


_GZIP = 16 + zlib.MAX_WBITS  # zlib's name for the gzip format


def gzipped(body: bytes) -> bytes:
    """*body* in the gzip format, the same bytes each time (no time stamp in the header)."""
    # level 1: 47 µs for a 14 KB page to 4.2 KB (level 6: 90 µs to 3.8 KB); a search nobody
    # asked before is rendered, and so packed, on the reader's time
    packer = zlib.compressobj(1, zlib.DEFLATED, _GZIP)
    return packer.compress(body) + packer.flush()


@dataclass(frozen=True)
class Page:
    """A page rendered once: its bytes (gzipped when *packed*) and the validators that name them."""

    kept: bytes
    etag: str
    last_modified: datetime
    packed: bool = True

    @property
    def body(self) -> bytes:
        """The page unpacked (~20 µs for 10 KB): for the few clients that take no gzip."""
        return zlib.decompress(self.kept, _GZIP) if self.packed else self.kept

    @cached_property
    def last_modified_http(self) -> str:
        return http_date(self.last_modified)


@dataclass(frozen=True)
class ContentVersion:
    digest: str
    modified: datetime  # the newest content file (or folder: a deletion) time, whole seconds


class PageCache:
    """One per app (so one per worker): the pages of the live content version, the most used kept.
    A new content version empties it; the code version is fixed for the life of the process."""

    def __init__(
        self, code_version: str, code_modified: datetime, size: int = PAGES_KEPT, *, packed: bool = True
    ) -> None:
        self.code_version = code_version
        self.code_modified = code_modified
        self.size = size
        self.packed = packed  # pages kept gzipped (else as they are: no packing on the reader's time)
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[str, ...], Page] = OrderedDict()
        self._catalog: Catalog | None = None
        self._version: ContentVersion | None = None

    def version(self, current: Catalog, settings: Settings) -> ContentVersion:
        """The version of *current*, worked out once per snapshot (a reload swaps the object)."""
        if self._catalog is not current or self._version is None:
            found = content_version(current, settings)
            with self._lock:
                self._catalog, self._version = current, found
                self._pages.clear()  # the old version's pages are never asked for again
        return self._version

    def kept(self, current: Catalog, key: tuple[str, ...], settings: Settings) -> Page | None:
        """The page for *key* in content version *current* if it was rendered already, else None
        (web/fast_paths.py serves these without Flask; a miss goes on to the view, which renders)."""
        version = self.version(current, settings)
        with self._lock:
            return self._pages.get((version.digest, *key))

    def page(
        self, current: Catalog, key: tuple[str, ...], render: Callable[[], str], settings: Settings
    ) -> Page:
        """The page for *key* in content version *current*, rendered by *render* at most once."""
        return self.rendered(current, key, render, settings)[0]

    def rendered(
        self, current: Catalog, key: tuple[str, ...], render: Callable[[], str], settings: Settings
    ) -> tuple[Page, bytes | None]:
        """`page`, and the page's bytes unpacked when it was rendered just now (a client that
        takes no gzip gets them as they are: not packed and unpacked again)."""
        version = self.version(current, settings)
        full = (version.digest, *key)
        with self._lock:
            found = self._pages.get(full)
            if found is not None:
                self._pages.move_to_end(full)
                return found, None
        body = render().encode()
        tag = hashlib.sha256("\0".join((self.code_version, *full)).encode()).hexdigest()[:32]
        kept = gzipped(body) if self.packed else body
        made = Page(kept, tag, max(version.modified, self.code_modified), self.packed)
        with self._lock:
            self._pages[full] = made
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return made, body


def content_version(current: Catalog, settings: Settings) -> ContentVersion:
    digest = hashlib.sha256()
    for slug, article in sorted(current.articles.items()):
        digest.update(f"a\0{slug}\0{article.digest}\n".encode())
    for flow_id, compiled in sorted(current.flows.items()):
        digest.update(f"f\0{flow_id}\0{compiled.flow.digest}\n".encode())
    for (language, slug), translated in sorted(current.translations.articles.items()):
        digest.update(f"t\0{language}\0{slug}\0{translated.article.digest}\0{translated.stale}\n".encode())
    for (language, flow_id), flow_texts in sorted(current.translations.flows.items()):
        digest.update(f"u\0{language}\0{flow_id}\0{flow_texts!r}\n".encode())
    folders = content_folders(settings)
    times = [mtime for _, _, mtime in fingerprint(*folders)]
    for folder in folders:
        with contextlib.suppress(OSError):
            times.append(folder.stat().st_mtime_ns)  # a deleted file changes its folder's time
    return ContentVersion(digest.hexdigest(), _whole_seconds(max(times, default=0)))


def code_version(settings: Settings, static_digests: Iterable[str]) -> tuple[str, datetime]:
    """A digest of everything besides content that changes a page's bytes, and its newest time."""
    digest = hashlib.sha256()
    newest = 0
    package = PROJECT_ROOT / "helpdesk"
    files: list[Path] = sorted(package.rglob("*.py")) + sorted((package / "templates").rglob("*.html"))
    for path in files:
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
        newest = max(newest, path.stat().st_mtime_ns)
    for static in sorted(static_digests):
        digest.update(static.encode())
    for shown in (settings.site_name, settings.support_email):  # what every page shows
        digest.update(b"\0" + shown.encode())
    return digest.hexdigest(), _whole_seconds(newest)


def _whole_seconds(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC)


def init_app(app: Flask, static_digests: Iterable[str]) -> None:
    settings: Settings = app.extensions["helpdesk.settings"]
    version, modified = code_version(settings, static_digests)
    app.extensions[CACHE_KEY] = PageCache(version, modified)


def page_cache() -> PageCache:
    return current_app.extensions[CACHE_KEY]


def without_cookies() -> bool:
    """The request carries neither of our session cookies: nothing on the page can be anyone's."""
    if not request.environ.get("HTTP_COOKIE"):
        return True  # no cookie at all (nothing to parse)
    names = (current_app.config["SESSION_COOKIE_NAME"], current_app.config["SIGN_IN_COOKIE_NAME"])
    return not any(name in request.cookies for name in names)


def same_for_everyone() -> bool:
    """The page this request gets is the anonymous one: not signed in, no message waiting.
    (A page with more of the person in it, the article's feedback, checks that itself.)"""
    if request.method not in ("GET", "HEAD"):
        return False
    if without_cookies():
        return True
    return not current_user.is_authenticated and not session.get("_flashes")


def cached(
    current: Catalog,
    key: tuple[str, ...],
    render: Callable[[], str],
    language: str = "",
    cache: PageCache | None = None,
) -> Response:
    """The page for *key* of the content *current* (which *render* shows) from the page cache
    (or *cache*, one of a kind of page's own), with its validators; a 304 when the browser has
    it. Only where `same_for_everyone()` holds."""
    return as_response(*cached_answer(current, key, render, language, cache))


def cached_answer(
    current: Catalog,
    key: tuple[str, ...],
    render: Callable[[], str],
    language: str = "",
    cache: PageCache | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """`cached`'s answer as status (200 or 304), headers and body, for a fast path to send
    without a Response object around them."""
    settings: Settings = current_app.extensions["helpdesk.settings"]
    key = (request.script_root, request.path, language or chosen_language(), *key)
    page, body = (cache or page_cache()).rendered(current, key, render, settings)
    # with our cookie, the answer may send it again: no shared cache may keep that
    status, headers, body = answer(page, request.environ, settings, shared=without_cookies(), body=body)
    if status == 304:
        return 304, headers, b""
    return status, [("Content-Type", "text/html; charset=utf-8"), *headers], body


def as_response(status: int, headers: list[tuple[str, str]], body: bytes) -> Response:
    """The Response of a `cached_answer`."""
    if status == 304:
        return Response(status=304, headers=headers)
    return Response(body, status=status, headers=headers)


def takes_gzip(environ: WSGIEnvironment) -> bool:
    """The client accepts gzip (`Accept-Encoding`, its q-values honoured)."""
    accepted = environ.get("HTTP_ACCEPT_ENCODING", "")
    return "gzip" in accepted.lower() and parse_accept_header(accepted).quality("gzip") > 0


def answer(
    page: Page, environ: WSGIEnvironment, settings: Settings, *, shared: bool, body: bytes | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """The status (200, or 304 when the browser holds *page*), the caching headers and the body
    of an answer with a cached page: the one place they are decided, for the view and for
    web/fast_paths.py. The page goes gzipped to a client that takes gzip, unpacked to others
    (*body*: the page's bytes unpacked already, if at hand)."""
    keep = f"public, max-age={max(settings.page_max_age, 0)}" if shared else "private, no-cache"
    packed = page.packed and takes_gzip(environ)
    etag = f"{page.etag}-gzip" if packed else page.etag  # each form of the page its own strong tag
    headers = [
        ("ETag", f'"{etag}"'),
        ("Last-Modified", page.last_modified_http),
        ("Cache-Control", keep),
        # unprefixed: the language came from the cookie or header
        ("Vary", f"Accept-Encoding, {vary_of(environ)}"),
    ]
    asks = "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ
    if asks and not is_resource_modified(environ, etag=etag, last_modified=page.last_modified):
        return 304, headers, b""
    if packed:
        return 200, [*headers, ("Content-Encoding", "gzip")], page.kept
    return 200, headers, page.body if body is None else body


def rendered_for_this_request(body: str, status: int = 200) -> Response:
    """A public page that shows something of this browser's (a message, the feedback form half
    answered): kept by nobody but this browser, and asked for again each time."""
    response = Response(body, status=status, mimetype="text/html")
    if not current_user.is_authenticated:  # signed in: no-store (web/errors.py) says more
        response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response
