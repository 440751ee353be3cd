"""Article files: a front matter value that cannot be read is a problem at its line."""

from __future__ import annotations

from helpdesk.content.articles import load_article


def test_a_front_matter_value_that_cannot_be_read_is_a_problem_at_its_line():
    # found with the flow loader's property tests: the same YAML values crashed the article loader
    source = "---\ntitle: Basics\nsummary: !!timestamp 2001-13-45\n---\nText.\n"
    article, problems = load_article("content/basics.md", source=source)
    assert article is None
    assert [(p.line, "cannot be read" in p.message) for p in problems] == [(3, True)]
