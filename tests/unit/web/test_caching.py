"""The page cache: a page rendered once per content version, named by a strong ETag."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from helpdesk.config import Settings
from helpdesk.content.catalog import Catalog
from helpdesk.web.caching import PageCache, content_version
from tests.conftest import FIXTURES


def settings() -> Settings:
    return Settings(content_dir=FIXTURES / "good" / "content", flows_dir=FIXTURES / "good" / "flows")


class Renders:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"<p>render {self.count}</p>"


def test_a_page_is_rendered_once_per_content_version():
    cache = PageCache("code-1", datetime(2026, 1, 1, tzinfo=UTC))
    first, second = Catalog(articles={}, flows={}), Catalog(articles={}, flows={})
    render = Renders()
    page = cache.page(first, ("/", ""), render, settings())
    assert cache.page(first, ("/", ""), render, settings()) is page and render.count == 1
    again = cache.page(second, ("/", ""), render, settings())  # a reload: a new snapshot, same files
    assert render.count == 2 and again.etag == page.etag  # the same version: the same name


def test_the_etag_names_the_page_and_the_code():
    when = datetime(2026, 1, 1, tzinfo=UTC)
    current = Catalog(articles={}, flows={})
    one = PageCache("code-1", when).page(current, ("/a", ""), lambda: "x", settings())
    other_page = PageCache("code-1", when).page(current, ("/b", ""), lambda: "x", settings())
    other_code = PageCache("code-2", when).page(current, ("/a", ""), lambda: "x", settings())
    assert len({one.etag, other_page.etag, other_code.etag}) == 3


def test_only_the_most_used_pages_are_kept():
    cache = PageCache("code", datetime(2026, 1, 1, tzinfo=UTC), size=2)
    current, render = Catalog(articles={}, flows={}), Renders()
    for path in ("/a", "/b", "/a", "/c", "/a", "/b"):
        cache.page(current, (path,), render, settings())
    assert render.count == 4  # /a, /b, /c, then /b again: it was the least used when /c came


def test_the_content_version_changes_with_an_article_and_dates_the_newest_file(tmp_path: Path):
    from helpdesk.content.articles import load_article

    article, _ = load_article(Path("a.md"), source="---\ntitle: A\nsummary: S.\n---\nOne.\n")
    changed, _ = load_article(Path("a.md"), source="---\ntitle: A\nsummary: S.\n---\nTwo.\n")
    assert article is not None and changed is not None
    (tmp_path / "a.md").write_text("x")
    where = Settings(content_dir=tmp_path, flows_dir=tmp_path / "none")
    one = content_version(Catalog(articles={"a": article}, flows={}), where)
    two = content_version(Catalog(articles={"a": changed}, flows={}), where)
    assert one.digest != two.digest
    newest = max(p.stat().st_mtime_ns for p in (tmp_path, tmp_path / "a.md")) // 1_000_000_000
    assert one.modified == datetime.fromtimestamp(newest, UTC)  # the folder too: a deletion counts
