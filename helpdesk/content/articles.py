"""Article files: YAML front matter + Markdown body -> Article, problems as `path:line`."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..problems import Problem
from ..yamlsource import (
    DuplicateKey,
    NotAValue,
    compose,
    line,
    mapping_items,
    plain,
    syntax_error_line,
    syntax_error_message,
)
from .render import ARTICLE_LINK, IMAGE, Heading, render_markdown, unpacked

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_SLUG_LENGTH = 100  # what the tables keep of a slug (models.py: the search index, feedback)
# name -> (type, required, description); kept in one place for the checker and the docs
FRONT_MATTER_FIELDS: dict[str, tuple[str, bool, str]] = {
    "title": ("text", True, "The article's title."),
    "summary": ("text", True, "One or two sentences for lists and search results."),
    "tags": ("texts", False, "Words people might search for."),
    "flows": ("texts", False, "Ids of diagnoses this article belongs to."),
    "updated": ("date", False, "When the article was last reviewed (YYYY-MM-DD)."),
    "draft": ("boolean", False, "Hidden from the public while true."),
    "order": ("integer", False, "Position in the article index (lower first)."),
}
_LINK = re.compile(r"\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


@dataclass(frozen=True, slots=True)
class Link:
    target: str
    line: int


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    title: str
    summary: str
    path: str
    digest: str
    packed_html: bytes  # the rendered HTML, compressed (render.packed): `html` gives it back
    headings: tuple[Heading, ...]
    # each section as (start, end) in `html`: sliced when shown, not kept twice
    spans: dict[str, tuple[int, int]]
    links: tuple[Link, ...]
    tags: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    updated: dt.date | None = None
    draft: bool = False
    order: int = 100
    flows_line: int = 1
    folder: Path = Path()  # where the file is: images are looked up next to it

    @property
    def html(self) -> str:
        return unpacked(self.packed_html)

    def has_section(self, section: str) -> bool:
        return section in self.spans

    def section(self, section: str) -> str:
        """One section's HTML ("" if none); shown beside a flow step it is on another page, so
        its own #links say whose."""
        span = self.spans.get(section)
        if span is None:
            return ""
        return self.html[span[0] : span[1]].replace('href="#', f'href="/articles/{self.slug}#')

    @property
    def sections(self) -> dict[str, str]:
        return {section: self.section(section) for section in self.spans}

    @property
    def toc(self) -> tuple[Heading, ...]:
        return tuple(h for h in self.headings if h.level in (2, 3))


def load_article(
    path: Path | str,
    source: str | None = None,
    display_path: str = "",
    render_cache: Path | None = None,
    fields: dict[str, tuple[str, bool, str]] = FRONT_MATTER_FIELDS,
) -> tuple[Article | None, list[Problem]]:
    """Read one article file. Links to other articles and flows are checked later.

    *render_cache*: a folder where renderings are kept by digest (`render.render_markdown`).
    *fields*: the front matter it may have (a translation's differ: `translations.py`).
    """
    path = Path(path)
    shown = display_path or str(path)
    slug = path.stem
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Problem(shown, 1, f"cannot read file: {exc}")]
    problems: list[Problem] = []
    # a bad file name is never served: its address would be odd, and no table could keep a long one
    if not SLUG.match(slug):
        return None, [Problem(shown, 1, f"file name {path.name!r} must be lower-case letters, digits, '-'")]
    if len(slug) > MAX_SLUG_LENGTH:
        message = f"file name is {len(slug)} characters before '.md': at most {MAX_SLUG_LENGTH} characters"
        return None, [Problem(shown, 1, message)]
    front, body, body_line = _split(source)
    if front is None:
        problems.append(Problem(shown, 1, "missing front matter: start the file with '---', the keys, '---'"))
        return None, problems
    values, lines, front_problems = _read_front_matter(front, shown, fields)
    problems.extend(front_problems)
    if front_problems:
        return None, problems
    rendered = render_markdown(body, render_cache)
    links = tuple(
        Link(target=m.group(1), line=body_line + offset)
        for offset, text in enumerate(body.splitlines())
        for m in _LINK.finditer(text)
    )
    article = Article(
        slug=slug,
        title=values["title"],
        summary=values["summary"],
        path=shown,
        digest=hashlib.sha256(source.encode("utf-8")).hexdigest()[:16],
        packed_html=rendered.packed_html,  # the rendering's own bytes: not a second copy
        headings=rendered.headings,
        spans=rendered.spans,
        links=links,
        tags=values.get("tags", ()),
        flows=values.get("flows", ()),
        updated=values.get("updated"),
        draft=values.get("draft", False),
        order=values.get("order", 100),
        flows_line=lines.get("flows", 1),
        folder=path.resolve().parent,
    )
    return article, problems


def check_links(article: Article, articles: dict[str, Article], flow_ids: set[str]) -> list[Problem]:
    """Links to other articles (`slug.md#section`, `/articles/slug`) and flows must resolve."""
    problems = []
    for link in article.links:
        message = _broken(link.target, article, articles, flow_ids)
        if message:
            problems.append(Problem(article.path, link.line, message))
    for flow_id in article.flows:
        if flow_id not in flow_ids:
            problems.append(
                Problem(article.path, article.flows_line, f"'flows' names unknown flow '{flow_id}'")
            )
    return problems


def _broken(target: str, article: Article, articles: dict[str, Article], flow_ids: set[str]) -> str:
    slug, section = "", ""
    found = ARTICLE_LINK.match(target)
    if found:
        slug, section = found["slug"], (found["fragment"] or "")[1:]
    elif target.startswith("/articles/"):
        slug, _, section = target.removeprefix("/articles/").partition("#")
    elif target.startswith("#"):
        slug, section = article.slug, target[1:]
    elif target.startswith("/diagnose/"):
        flow_id = target.removeprefix("/diagnose/").split("/")[0].split("#")[0]
        return "" if flow_id in flow_ids else f"broken link: no flow '{flow_id}' ({target})"
    elif IMAGE.match(target):
        if not (article.folder / target).is_file():
            return f"missing image: {target} (looked in {article.folder / target})"
        return ""
    elif target.endswith(".md") or ".md#" in target:
        return f"broken link: {target!r} is not an article file name like 'other-article.md'"
    else:
        return ""  # external links and other site pages are not checked here
    other = articles.get(slug)
    if other is None:
        return f"broken link: no article '{slug}' ({target})"
    if section and not other.has_section(section):
        return f"broken link: article '{slug}' has no section '#{section}' ({target})"
    return ""


def _split(source: str) -> tuple[str | None, str, int]:
    """(front matter text, body, line number where the body starts)."""
    text = source.lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            front = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            return front, body, index + 2
    return None, text, 1


def _read_front_matter(
    front: str, shown: str, fields: dict[str, tuple[str, bool, str]] = FRONT_MATTER_FIELDS
) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}

    def report(at: int, message: str) -> None:
        problems.append(Problem(shown, at + 1, message))  # +1: the opening '---' line

    try:
        root = compose(front)
    except yaml.YAMLError as exc:
        report(syntax_error_line(exc), syntax_error_message(exc))
        return values, lines, problems
    if not isinstance(root, yaml.MappingNode):
        report(1, "front matter must be a mapping of keys to values")
        return values, lines, problems
    try:
        items = mapping_items(root)
    except DuplicateKey as dup:
        report(dup.line, f"duplicate key '{dup.key}' in the front matter")
        return values, lines, problems
    for key, node, key_line in items:
        rule = fields.get(key)
        if rule is None:
            allowed = ", ".join(sorted(fields))
            report(key_line, f"unknown front matter key '{key}' (allowed: {allowed})")
            continue
        lines[key] = key_line + 1
        try:
            value = plain(node)
        except NotAValue as bad:
            report(bad.line, f"'{key}' cannot be read: {bad.reason}")
            continue
        kind = rule[0]
        ok = (
            (kind == "text" and isinstance(value, str) and value.strip())
            or (kind == "texts" and isinstance(value, list) and all(isinstance(v, str) for v in value))
            or (kind == "date" and isinstance(value, dt.date))
            or (kind == "boolean" and isinstance(value, bool))
            or (kind == "integer" and isinstance(value, int) and not isinstance(value, bool))
        )
        if not ok:
            expected = {
                "text": "a non-empty text",
                "texts": "a list of texts",
                "date": "a date like 2026-01-31",
                "boolean": "true or false",
                "integer": "a whole number",
            }[kind]
            report(line(node), f"'{key}' must be {expected}")
            continue
        values[key] = tuple(value) if kind == "texts" else value
    for key, (_, required, _) in fields.items():
        if required and key not in values and key not in lines:
            report(1, f"missing front matter key '{key}'")
    return values, lines, problems
