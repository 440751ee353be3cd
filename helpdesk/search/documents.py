"""What search indexes: one document per public article and flow, taken from a content snapshot."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import astuple, dataclass

from ..content.catalog import Catalog

# a block's edge separates words; an inline tag (<strong>, <a>) sits inside a sentence
_BLOCK_TAG = re.compile(r"</?(?:p|h[1-6]|li|ul|ol|div|br|hr|tr|td|th|table|blockquote|pre|figure)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Document:
    kind: str  # "article" or "flow"
    slug: str
    title: str
    summary: str
    keywords: str  # an article's tags, the problems a flow solves
    headings: str
    body: str

    def texts(self) -> tuple[str, ...]:
        return (self.title, self.summary, self.keywords, self.headings, self.body)


def plain_text(markup: str) -> str:
    """The words of rendered HTML, as a reader sees them."""
    return " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", markup))).split())


def documents(catalog: Catalog) -> list[Document]:
    """Every public article and flow; drafts stay out of search as they stay off the site."""
    found = [
        Document(
            kind="article",
            slug=article.slug,
            title=article.title,
            summary=article.summary,
            keywords=" · ".join(article.tags),
            # a heading's title is text of the rendered HTML: "&lt;" is "<", not the word "lt"
            headings=" · ".join(h.title for h in article.headings),
            body=plain_text(article.html),
        )
        for article in catalog.public_articles()
    ]
    found.extend(
        Document(
            kind="flow",
            slug=flow.id,
            title=flow.title,
            summary=flow.summary,
            keywords=" · ".join(flow.problems),
            headings="",
            body="",
        )
        for flow in sorted(catalog.public_flows(), key=lambda f: f.id)
    )
    return found


def digest(found: list[Document]) -> str:
    """Changes whenever anything searchable changes: the index is rebuilt when it does."""
    hashed = hashlib.sha256(b"search documents 2\x00")  # a new form of the documents: rebuild
    for document in found:
        for part in astuple(document):
            hashed.update(part.encode("utf-8", "surrogatepass"))
            hashed.update(b"\x00")
    return hashed.hexdigest()
