"""What the home page puts forward: the most read and the newest articles, a few of each."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpdesk.content.articles import load_article
from helpdesk.content.catalog import Catalog
from helpdesk.content.highlights import Highlights, popular, recent


def article(slug: str, updated: str = "", draft: bool = False):
    front = f"---\ntitle: {slug.title()}\nsummary: About {slug}.\n"
    front += f"updated: {updated}\n" if updated else ""
    front += "draft: true\n" if draft else ""
    found, problems = load_article(Path(f"{slug}.md"), source=front + "---\nText.\n")
    assert found is not None, problems
    return found


def catalog(*articles) -> Catalog:
    return Catalog(articles={a.slug: a for a in articles}, flows={})


def test_recent_puts_the_newest_first_and_undated_ones_last():
    shelf = catalog(
        article("old", "2025-01-01"),
        article("undated"),
        article("new", "2026-11-30"),
        article("mid", "2026-01-01"),
    )
    assert [a.slug for a in recent(shelf.public_articles(), shown=3)] == ["new", "mid", "old"]
    assert [a.slug for a in recent(shelf.public_articles())][-1] == "undated"


def test_popular_keeps_the_order_of_the_counts_and_leaves_out_drafts_and_removed_articles():
    shelf = catalog(article("a"), article("b"), article("secret", draft=True))
    views = [("secret", 90), ("gone", 80), ("b", 50), ("a", 10)]
    assert [a.slug for a in popular(shelf, views)] == ["b", "a"]
    assert [a.slug for a in popular(shelf, views, shown=1)] == ["b"]
    assert popular(shelf, [("a", 0)]) == ()


def test_the_key_names_both_lists():
    a, b = article("a", "2026-01-01"), article("b", str(date(2026, 2, 1)))
    one = Highlights(popular=(a,), recent=(b, a), published=(a, b))
    other = Highlights(popular=(b,), recent=(b, a), published=(a, b))
    assert one.key != other.key and one.key == Highlights((a,), (b, a), (a, b)).key


def test_only_the_counts_are_asked_again_when_they_are_old(app, monkeypatch):
    """Past POPULAR_SECONDS the views are read again; the articles are not listed or sorted again
    (that is once per content version, whatever their number)."""
    from helpdesk.content import highlights as module
    from helpdesk.content.live import catalog as served

    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    asked: list[str] = []
    monkeypatch.setattr(module, "most_read_views", lambda: asked.append("views") or [])
    real_recent = module.recent
    monkeypatch.setattr(module, "recent", lambda published: asked.append("sorted") or real_recent(published))
    with app.test_request_context():
        current = served()
        first = module.highlights(current)
        assert module.highlights(current) is first
        assert asked == ["views", "sorted"]
        clock[0] += module.POPULAR_SECONDS + 1
        again = module.highlights(current)
        assert asked == ["views", "sorted", "views"]
        assert again.recent == first.recent and again.published == first.published
        assert again.recent and len(again.published) >= len(again.recent)
