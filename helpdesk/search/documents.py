"""What search indexes: one document per public article and flow and per language it is in (the
English source and each translation), taken from a content snapshot."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import astuple, dataclass

from ..content.articles import Article
from ..content.catalog import Catalog
from ..content.translations import SOURCE_LANGUAGE, Translations

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
    language: str = SOURCE_LANGUAGE  # the language of its text: the one it is stemmed in

    def texts(self) -> tuple[str, ...]:
        return (self.title, self.summary, self.keywords, self.headings, self.body)


def plain_text(markup: str) -> str:
    """The words of rendered HTML, as a reader sees them."""
    return " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", markup))).split())


def documents(catalog: Catalog) -> list[Document]:
    """Every public article and flow; drafts stay out of search as they stay off the site."""
    found = [_article(article, SOURCE_LANGUAGE) for article in catalog.public_articles()]
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
    found.extend(translated(catalog, catalog.translations))
    return found


def _article(article: Article, language: str) -> Document:
    return Document(
        kind="article",
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        keywords=" · ".join(article.tags),
        # a heading's title is text of the rendered HTML: "&lt;" is "<", not the word "lt"
        headings=" · ".join(h.title for h in article.headings),
        body=plain_text(article.html),
        language=language,
    )


def translated(catalog: Catalog, translations: Translations) -> list[Document]:
    """The translations of the public articles and flows, each a document in its language (the
    one place search takes translations from: the snapshot's own, `Catalog.translations`).
    A flow's text not translated stays English, as the flow shows it."""
    public_articles = {a.slug for a in catalog.public_articles()}
    found = [
        _article(t.article, language)
        for (language, slug), t in sorted(translations.articles.items())
        if slug in public_articles
    ]
    flows = {f.id: f for f in catalog.public_flows()}
    for (language, flow_id), t in sorted(translations.flows.items()):
        flow = flows.get(flow_id)
        if flow is None:
            continue
        problems = t.problems if t.problems is not None else flow.problems
        found.append(
            Document(
                kind="flow",
                slug=flow_id,
                title=t.texts.get("title", flow.title),
                summary=t.texts.get("summary", flow.summary),
                keywords=" · ".join(problems),
                headings="",
                body="",
                language=language,
            )
        )
    return found


def digest(found: list[Document]) -> str:
    """Changes whenever anything searchable changes: the index is rebuilt when it does."""
    hashed = hashlib.sha256(b"search documents 4\x00")  # a new form of the documents or index: rebuild
    for document in found:
        for part in astuple(document):
            hashed.update(part.encode("utf-8", "surrogatepass"))
            hashed.update(b"\x00")
    return hashed.hexdigest()
