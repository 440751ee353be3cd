"""Markdown -> sanitized HTML, with heading ids, a table of contents and section extracts."""

from __future__ import annotations

import html as html_module
import re
from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

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


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    title: str


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    sections: dict[str, str]


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
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_ArticleLinks(md), "helpdesk_article_links", 5)


def _converter() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "admonition",
            "sane_lists",
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


@lru_cache(maxsize=8192)
def render_markdown(text: str) -> Rendered:
    """Render once per distinct text: an unchanged file is never rendered again."""
    converter = _converter()
    html = _scrollable_tables(sanitize(converter.convert(text)))
    headings = tuple(
        Heading(level=int(level), id=hid, title=_heading_title(html, hid))
        for level, hid in _HEADING.findall(html)
    )
    return Rendered(html=html, headings=headings, sections=_sections(html))


@lru_cache(maxsize=8192)
def render_inline(text: str) -> str:
    """Short Markdown (a question, a hint) as sanitized HTML; one paragraph loses its <p>."""
    html = sanitize(markdown.markdown(text, extensions=["sane_lists"])).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def _heading_title(html: str, heading_id: str) -> str:
    found = re.search(rf'<h[1-6] id="{re.escape(heading_id)}">(.*?)</h[1-6]>', html, re.S)
    # plain text, as a reader sees it: templates and JSON escape it once, where they use it
    return html_module.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else heading_id


def _sections(html: str) -> dict[str, str]:
    """Each heading's section: from the heading to the next heading of the same or higher level."""
    marks = [(m.start(), int(m.group(1)), m.group(2)) for m in _HEADING.finditer(html)]
    sections: dict[str, str] = {}
    for index, (start, level, hid) in enumerate(marks):
        end = len(html)
        for later_start, later_level, _ in marks[index + 1 :]:
            if later_level <= level:
                end = later_start
                break
        sections[hid] = html[start:end].strip()
    return sections
