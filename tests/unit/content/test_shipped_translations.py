"""The shipped translations: every article and flow in every offered language, none stale, none
wrong, and every section a flow shows beside a step there in each language."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from helpdesk.actions import action_names
from helpdesk.config import Settings
from helpdesk.content.catalog import load_catalog
from helpdesk.content.translations import article_in, flow_in, load_translations

ROOT = Path(__file__).resolve().parents[3]
CATALOG = load_catalog(ROOT / "content", ROOT / "flows", action_names())
FLOWS = {fid: c.flow for fid, c in CATALOG.flows.items()}
LANGUAGES = Settings().languages  # the default: en, es, ar
TRANSLATIONS = load_translations(ROOT / "content", ROOT / "flows", CATALOG.articles, FLOWS, LANGUAGES)
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def test_the_shipped_languages_are_spanish_and_arabic():
    assert TRANSLATED == ["es", "ar"]


def test_no_translation_is_wrong():
    assert [str(p) for p in TRANSLATIONS.errors] == []


def test_every_translation_is_complete_and_current():
    assert [str(p) for p in TRANSLATIONS.warnings] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_article_and_flow_is_translated(language):
    assert {slug for lang, slug in TRANSLATIONS.articles if lang == language} == set(CATALOG.articles)
    assert {fid for lang, fid in TRANSLATIONS.flows if lang == language} == set(CATALOG.flows)
    assert TRANSLATIONS.todo(language) == {"stale": [], "incomplete": [], "missing": []}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_article_section_a_flow_shows_is_there_in_each_language(language):
    for flow in FLOWS.values():
        translated = flow_in(language, flow, TRANSLATIONS)
        assert (translated.language, translated.fell_back) == (language, False)
        for step in translated.content.steps.values():
            if not step.article:
                continue
            slug, _, section = step.article.partition("#")
            shown = article_in(language, slug, CATALOG.articles, TRANSLATIONS)
            assert shown is not None and shown.language == language, step.article
            assert not section or shown.content.section(section), f"{flow.id}/{step.id}: {step.article}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_flow_text_is_left_in_english(language):
    for flow in FLOWS.values():
        translated = flow_in(language, flow, TRANSLATIONS).content
        assert translated.title != flow.title
        for sid, step in flow.steps.items():
            for field in ("text", "help", "button"):
                if getattr(step, field):
                    assert getattr(translated.steps[sid], field) != getattr(step, field), f"{flow.id}/{sid}"


LINK = re.compile(r"\]\(\s*<?([^)\s>]+)")
# Markdown structure a translation keeps: bold, admonitions, table rows, list items
STRUCTURE = {
    "bold": re.compile(r"\*\*"),
    "admonition": re.compile(r"^!!! ", re.M),
    "table row": re.compile(r"^\|", re.M),
    "list item": re.compile(r"^\s*(?:-|\d+\.) ", re.M),
}
SOURCES = sorted((ROOT / "content").glob("*.md")) + sorted((ROOT / "flows").glob("*.yaml"))


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_a_translation_keeps_the_links_and_the_markdown_structure_of_its_source(language, source):
    english = source.read_text(encoding="utf-8")
    translated = (source.parent / language / source.name).read_text(encoding="utf-8")
    assert Counter(LINK.findall(translated)) == Counter(LINK.findall(english))
    if source.suffix == ".md":  # in a flow, list items are its problems, steps and choices
        for name, pattern in STRUCTURE.items():
            assert len(pattern.findall(translated)) == len(pattern.findall(english)), name
    else:
        assert len(STRUCTURE["bold"].findall(translated)) == len(STRUCTURE["bold"].findall(english))
