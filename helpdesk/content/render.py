"""Markdown -> sanitized HTML, with heading ids, a table of contents and section extracts."""

from __future__ import annotations

import hashlib
import html as html_module
import logging
import os
import re
import sys
import threading
import time
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "mark",
    "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "code": {"class"},
    # role, aria-label, tabindex: the scrolling region around a table (_scrollable_tables); inert
    "div": {"class", "role", "aria-label", "tabindex"},
    "p": {"class"},
    "th": {"align"},
    "td": {"align"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# An article links to another as `other-slug.md` or `other-slug.md#section`.
ARTICLE_LINK = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)\.md(?P<fragment>#[A-Za-z0-9_-]+)?$")
_HEADING = re.compile(r'<h([1-6]) id="([^"]+)">')


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    id: str
    title: str


def packed(html: str) -> bytes:
    """Rendered HTML as memory keeps it (the renderings, the articles made of them): about a
    quarter of its size. 1,000 articles keep 1.3 MB of it, not 5, once in the process that loads
    the content and so in every worker forked from it."""
    return zlib.compress(html.encode("utf-8"), 6)


@lru_cache(maxsize=64)  # the articles shown most (a bytes object keeps its hash: a look-up is cheap)
def unpacked(packed_html: bytes) -> str:
    return zlib.decompress(packed_html).decode("utf-8")  # ~14 µs for 5 KB


@dataclass(frozen=True, slots=True)
class Rendered:
    packed_html: bytes  # `html`, compressed
    headings: tuple[Heading, ...]
    # each heading's section as (start, end) in `html`: slices on demand, never a second copy
    spans: dict[str, tuple[int, int]]

    @property
    def html(self) -> str:
        return unpacked(self.packed_html)

    @property
    def sections(self) -> dict[str, str]:
        return {hid: self.section(hid) for hid in self.spans}

    def section(self, heading_id: str) -> str:
        """The HTML from the heading to the next of the same or higher level ("" if none)."""
        span = self.spans.get(heading_id)
        return self.html[span[0] : span[1]] if span else ""


MEDIA_PREFIX = "/articles/media/"
IMAGE = re.compile(r"^(?!/)(?!.*\.\.)[A-Za-z0-9_./-]+\.(?:png|jpe?g|gif|webp|svg)$", re.IGNORECASE)


class _ArticleLinks(Treeprocessor):
    """Rewrite `slug.md#x` links to the article URL and `images/x.png` to the media URL;
    both are checked by the validator."""

    def run(self, root: Element) -> None:
        for link in root.iter("a"):
            href = link.get("href", "")
            found = ARTICLE_LINK.match(href)
            if found:
                link.set("href", f"/articles/{found['slug']}{found['fragment'] or ''}")
        for image in root.iter("img"):
            if IMAGE.match(image.get("src", "")):
                image.set("src", MEDIA_PREFIX + image.get("src", ""))


class _ArticleLinkExtension(Extension):
    """The article links (above), and plain text left as it is by the inline processor (below)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_ArticleLinks(md), "helpdesk_article_links", 5)
        md.treeprocessors.register(_PlainTextAsItIs(md), "inline", 20)  # Python-Markdown's own place


# Python-Markdown's inline patterns, and the characters one of which a text must hold for each to
# match: a backslash escapes, `[` opens a link or an image's brackets, `<` an autolink or inline
# HTML, `&` an entity. A line break needs two spaces before a line's end, and emphasis one of the
# converter's delimiters (`*`, `_`).
_PATTERN_NEEDS = {
    "backtick": "`\\",
    "escape": "\\",
    "reference": "[",
    "link": "[",
    "image_link": "[",
    "image_reference": "[",
    "short_reference": "[",
    "short_image_ref": "[",
    "autolink": "<",
    "automail": "<",
    "linebreak": "",  # "  \n"
    "html": "<",
    "entity": "&",
    "em_strong": "",  # the delimiters
}


class _PlainTextAsItIs(InlineProcessor):
    """Python-Markdown's inline processor, which tries each of its patterns on every text of the
    tree in turn (the most time of a long article): a text holding none of the characters that
    any pattern needs is plain text and comes out as it went in, without the trying. The output is
    the same to the byte (tests/unit/content/test_render.py holds it to renderings made without);
    with patterns it does not know (another extension's), every text is tried as before."""

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        self._may_match = may_match(self.md)
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        plain = self._may_match is not None and self._may_match.search(data) is None
        if plain and not isinstance(data, AtomicString):
            return data
        handle: Callable[[str, int], str] = super()._InlineProcessor__handleInline  # type: ignore[misc]
        return handle(data, patternIndex)


def may_match(md: markdown.Markdown) -> re.Pattern[str] | None:
    """What a text must hold for one of *md*'s inline patterns to match; None when *md* has
    patterns besides Python-Markdown's own, or other delimiters than single characters."""
    patterns = md.inlinePatterns
    tokens = getattr(getattr(md, "delimiters", None), "tokens", None)
    if len(patterns) != len(_PATTERN_NEEDS) or not all(name in patterns for name in _PATTERN_NEEDS):
        return None
    if not isinstance(tokens, list) or not all(isinstance(t, str) and len(t) == 1 for t in tokens):
        return None
    characters = sorted(set("".join(_PATTERN_NEEDS.values())) | set(tokens))
    return _needs(tuple(characters))


@lru_cache(maxsize=8)
def _needs(characters: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in characters) + "]|  \n")


_local = threading.local()


def _converter() -> markdown.Markdown:
    """This thread's converter, made once (building one costs more than a short article) and
    reset after every use."""
    converter: markdown.Markdown | None = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = _new_converter()
    return converter


def _new_converter() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "admonition",
            "sane_lists",
            "attr_list",  # a pinned heading id, `## Título {#title}`: translations keep the source's ids
            "toc",
            _ArticleLinkExtension(),
        ],
        extension_configs={"toc": {"permalink": False, "toc_depth": "2-4"}},
        output_format="html",
    )


def _only_own_images(tag: str, attribute: str, value: str) -> str | None:
    # images come from the content folder only: a remote image would tell its host who reads what
    if tag == "img" and attribute == "src" and not value.startswith(MEDIA_PREFIX):
        return None
    return value


def sanitize(html: str) -> str:
    """Remove anything that could run in the reader's browser, and images from elsewhere.

    Cleaned until it no longer changes: taking out a refused element can leave markup that a
    browser reads into another tree (`<p>a <object></p>` becomes `<p>a <p></p></p>`), and the
    page must be the very tree that was cleaned. A second pass settles it.
    """
    cleaned = _clean(html)
    for _ in range(3):
        again = _clean(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_only_own_images,
    )


def _scrollable_tables(html: str) -> str:
    """Each table in a region of its own that scrolls sideways, reachable and named for a
    keyboard and a screen reader (WCAG 1.4.10: the page itself never scrolls sideways). Added
    after cleaning: the markup is ours, not the article's."""
    count = 0

    def opening(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return (
            f'<div class="table-scroll" role="region" aria-label="Table {count} (scrolls sideways)" '
            'tabindex="0"><table>'
        )

    return re.sub(r"<table>", opening, html).replace("</table>", "</table></div>")


# Changes whenever the same Markdown would render to other HTML (a new extension, other sanitizing
# rules, another table wrapper...): every cached rendering is then made afresh.
RENDERER_VERSION = "2"
_CACHE_SIZE = 8192
_rendered: OrderedDict[str, Rendered] = OrderedDict()
_rendered_lock = threading.Lock()
log = logging.getLogger(__name__)


def render_key(text: str) -> str:
    """The cache key of *text*: the SHA-256 of the renderer version and the Markdown."""
    return hashlib.sha256(f"{RENDERER_VERSION}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()


def render_markdown(text: str, cache_dir: Path | None = None) -> Rendered:
    """Render once per distinct text: an unchanged file is never rendered again.

    Kept in memory by the digest of the text (the latest _CACHE_SIZE), and with *cache_dir* also
    as a file there, so a worker's next boot, and the other workers, read instead of rendering.
    """
    key = render_key(text)
    with _rendered_lock:
        found = _rendered.get(key)
        if found is not None:
            _rendered.move_to_end(key)
            return found
    kept = _read_cached(cache_dir, key) if cache_dir else None
    found = kept or _render(text)
    if cache_dir and kept is None:
        keep_file(cache_dir, f"{key}.html", found.html)
    with _rendered_lock:
        found = _rendered.setdefault(key, found)
        while len(_rendered) > _CACHE_SIZE:
            _rendered.popitem(last=False)
    return found


_deferring = threading.local()


@contextmanager
def writes_deferred(deferred: bool = True) -> Iterator[None]:
    """Renderings made in this thread meanwhile are written to the cache folder by a thread of
    their own, not before they are returned: a first load of a thousand articles does not wait
    for a thousand files to be created (seconds on a busy disk). With *deferred* false, written
    at once again."""
    was = getattr(_deferring, "on", False)
    _deferring.on = deferred
    try:
        yield
    finally:
        _deferring.on = was
        if was is not True:  # the outermost: what was deferred is written now
            _writer.start()


@contextmanager
def writes_collected() -> Iterator[list[tuple[Path, str, str]]]:
    """Renderings (and parsed flows) made in this thread meanwhile are not written but collected,
    as (folder, file name, text), for another process to write: a process forked to parse its
    share of a load hands them back with what it parsed, and the load's own writer thread writes
    them after the load returns."""
    was = getattr(_deferring, "on", False)
    collected: list[tuple[Path, str, str]] = []
    _deferring.on = collected
    try:
        yield collected
    finally:
        _deferring.on = was


class _Writer:
    """Writes the renderings it is given in a thread that ends when none is left, started when
    the load that gave them returns (`writes_deferred`): one thread a load, not one each time the
    load outran it, and no writing while the load works. The thread is not a daemon: a process
    that exits first writes what it was given (all of it, or it would be rendered again at the
    next boot)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[tuple[Path, str, str]] = deque()
        self._thread: threading.Thread | None = None

    def put(self, cache_dir: Path, name: str, text: str) -> None:
        with self._lock:
            self._waiting.append((cache_dir, name, text))

    def start(self) -> None:
        """Write what was given, in a thread of its own (unless one is writing already)."""
        with self._lock:
            if self._waiting and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rendered-writer")
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._thread = None
                    return
                cache_dir, name, text = self._waiting.popleft()
            _write_cached(cache_dir, name, text)

    def wait(self) -> None:
        """Until every rendering given so far is written."""
        self.start()
        while (thread := self._thread) is not None:
            thread.join()


_writer = _Writer()


def keep_file(cache_dir: Path, name: str, text: str) -> None:
    """*text* kept as the file *name* in *cache_dir* (a rendering, a parsed flow): written by the
    writer thread while writes are deferred in this thread, at once otherwise."""
    deferring = getattr(_deferring, "on", False)
    if isinstance(deferring, list):
        deferring.append((cache_dir, name, text))
    elif deferring:
        _writer.put(cache_dir, name, text)
    else:
        _write_cached(cache_dir, name, text)


def renderings_written() -> None:
    """Wait until the renderings whose writing was deferred are in the cache folder."""
    _writer.wait()


def _after_fork_in_child() -> None:
    # the parent's threads are not in the child: its locks may be held by one, its writer is gone
    global _rendered_lock, _writer
    _rendered_lock = threading.Lock()
    _writer = _Writer()


os.register_at_fork(after_in_child=_after_fork_in_child)


def clear_render_cache() -> None:
    """Forget the renderings kept in memory (a benchmark's cold start)."""
    with _rendered_lock:
        _rendered.clear()


def _render(text: str) -> Rendered:
    converter = _converter()
    try:
        html = _scrollable_tables(sanitize(converter.convert(text)))
    finally:
        converter.reset()
    return _rendered_from(html)


def _rendered_from(html: str) -> Rendered:
    headings = []
    titles: dict[str, str] = {}  # a repeated id (raw HTML may repeat one) has its first heading's title
    for found in _HEADING.finditer(html):
        level, hid = found.groups()
        title = titles.get(hid)
        if title is None:
            title = titles[hid] = _heading_title(html, hid, found.end())
        # interned: "before-you-start", "what-to-do" come back in article after article
        headings.append(Heading(level=int(level), id=sys.intern(hid), title=sys.intern(title)))
    return Rendered(packed(html), headings=tuple(headings), spans=_spans(html))


def _read_cached(cache_dir: Path, key: str) -> Rendered | None:
    """A rendering written by this or another worker (the instance folder is the app's own)."""
    kept = cache_dir / f"{key}.html"
    try:
        html = kept.read_text(encoding="utf-8")
        os.utime(kept)  # still in use: prune_render_cache keeps it
    except (OSError, UnicodeDecodeError):
        return None
    return _rendered_from(html)


def prune_render_cache(cache_dir: Path, unused_days: int = 30) -> int:
    """Delete the renderings nobody has read or written for *unused_days* (texts edited away
    long ago); returns how many."""
    cutoff = time.time() - unused_days * 86400
    removed = 0
    try:
        entries = list(os.scandir(cache_dir))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.name.endswith((".html", ".json", ".tmp")) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # another worker pruned it first
    return removed


def _write_cached(cache_dir: Path, name: str, text: str) -> None:
    target = os.path.join(cache_dir, name)
    if os.path.exists(target):
        return
    # written aside and renamed: another worker reads the whole file or none of it. The name aside
    # is this thread's own (one file at a time), without mkstemp's tries: thousands are written
    temporary = os.path.join(cache_dir, f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            handle = os.open(temporary, flags, 0o600)
        except FileNotFoundError:
            cache_dir.mkdir(parents=True, exist_ok=True)
            handle = os.open(temporary, flags, 0o600)
        with open(handle, "wb") as out:
            out.write(text.encode("utf-8", "surrogatepass"))
        os.replace(temporary, target)
    except OSError as exc:  # a read-only instance folder: render again next time
        log.warning("rendered Markdown not cached in %s: %s", cache_dir, exc)


@lru_cache(maxsize=8192)
def render_inline(text: str) -> str:
    """Short Markdown (a question, a hint) as sanitized HTML; one paragraph loses its <p>."""
    html = sanitize(markdown.markdown(text, extensions=["sane_lists"])).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


_HEADING_END = re.compile(r"</h[1-6]>")
_TAG = re.compile(r"<[^>]+>")


def _heading_title(html: str, heading_id: str, start: int) -> str:
    """The text of the heading whose opening tag ends at *start*, up to the next closing one."""
    end = _HEADING_END.search(html, start)
    if end is None:
        return heading_id
    # plain text, as a reader sees it: templates and JSON escape it once, where they use it
    return html_module.unescape(_TAG.sub("", html[start : end.start()])).strip()


def _spans(html: str) -> dict[str, tuple[int, int]]:
    """Each heading's section: from the heading to the next heading of the same or higher level."""
    marks = [(m.start(), int(m.group(1)), m.group(2)) for m in _HEADING.finditer(html)]
    spans: dict[str, tuple[int, int]] = {}
    for index, (start, level, hid) in enumerate(marks):
        end = len(html)
        for later_start, later_level, _ in marks[index + 1 :]:
            if later_level <= level:
                end = later_start
                break
        # as the text stripped of the white space at its ends
        while end > start and html[end - 1].isspace():
            end -= 1
        spans[hid] = (start, end)
    return spans
