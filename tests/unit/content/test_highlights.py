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
