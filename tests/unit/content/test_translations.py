"""Translations (content/<lang>/, flows/<lang>/): loaded, checked against their English sources,
laid over a flow, and an article given in a language with English as the fallback."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from helpdesk.actions import action_names
from helpdesk.content import translations as translations_module
from helpdesk.content.catalog import Catalog, load_catalog
from helpdesk.content.translations import (
    Translations,
    article_in,
    flow_in,
    is_translation,
    load_translations,
    source_hash,
    translate_flow,
)
from tests.conftest import FIXTURES

GOOD = FIXTURES / "good"
ES_ARTICLE = """---
title: Lo básico
summary: Un artículo pequeño para las pruebas.
tags: [pruebas]
source: {source}
---
Texto inicial, mira [la segunda parte](#second-part) y [más](more.md#deeper).

## Primera parte {{#first-part}}

La primera parte.

### Un detalle {{#a-detail}}

Dentro de la primera parte.

## Segunda parte {{#second-part}}

La segunda parte.
"""


def es_flow(source: str, steps: str) -> str:
    return f"""source: "{source}"
title: Arreglarlo
summary: Un flujo pequeño para las pruebas.
problems: [está roto]
steps:
{steps}"""


ALL_STEPS = """  what:
    text: ¿Qué pasa?
    help: Elige la respuesta *más parecida*.
    choices:
      broken:
        label: Está roto
      elsewhere:
        label: Otra cosa
      dunno:
        label: No lo sé
        hint: No pasa nada.
  explain:
    text: Te explicamos por qué.
  wait:
    text: Te enviaremos un correo.
  done:
    text: Todo arreglado.
  go-on:
    text: Veamos el otro problema.
"""


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the small test content, with a complete Spanish translation."""
    content, flows = tmp_path / "content", tmp_path / "flows"
    shutil.copytree(GOOD / "content", content)
    shutil.copytree(GOOD / "flows", flows)
    (content / "es").mkdir()
    (flows / "es").mkdir()
    basics = source_hash((content / "basics.md").read_text(encoding="utf-8"))
    (content / "es" / "basics.md").write_text(ES_ARTICLE.format(source=basics), encoding="utf-8")
    fix_it = source_hash((flows / "fix-it.yaml").read_text(encoding="utf-8"))
    (flows / "es" / "fix-it.yaml").write_text(es_flow(fix_it, ALL_STEPS), encoding="utf-8")
    return content, flows


def load(
    content: Path, flows: Path, languages: tuple[str, ...] = ("en", "es")
) -> tuple[Catalog, Translations]:
    catalog = load_catalog(content, flows, action_names())
    assert catalog.ok, catalog.problems
    every_flow = {fid: c.flow for fid, c in catalog.flows.items()}
    return catalog, load_translations(content, flows, catalog.articles, every_flow, languages)


def messages(problems: tuple[object, ...]) -> list[str]:
    return [str(p) for p in problems]


def about(translations: Translations, name: str) -> list[str]:
    """The problems and warnings of one translation file, as `name:line: message`."""
    return [
        f"{Path(p.path).parent.name}/{Path(p.path).name}:{p.line}: {p.message}"
        for p in translations.errors + translations.warnings
        if p.path.endswith(name)
    ]


def test_a_complete_current_translation_has_no_errors_and_no_warnings_of_its_own(folders):
    content, flows = folders
    _, translations = load(content, flows)
    assert translations.errors == ()
    assert about(translations, "es/basics.md") == []
    assert about(translations, "es/fix-it.yaml") == []
    es = translations.articles[("es", "basics")]
    assert (es.language, es.stale, es.article.title) == ("es", False, "Lo básico")
    assert [h.id for h in es.article.headings] == ["first-part", "a-detail", "second-part"]


def test_the_catalog_ignores_the_language_folders(folders):
    content, flows = folders
    catalog, _ = load(content, flows)
    assert catalog.articles["basics"].title == "Basics"
    assert catalog.flows["fix-it"].flow.title == "Fix it"
    assert not any("/es/" in f for f in catalog.files)


def test_editing_the_english_source_makes_its_translations_stale(folders):
    content, flows = folders
    english = content / "basics.md"
    old = source_hash(english.read_text(encoding="utf-8"))
    english.write_text(english.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    flow = flows / "fix-it.yaml"
    flow.write_text(
        flow.read_text(encoding="utf-8").replace("All fixed.", "All fixed now."), encoding="utf-8"
    )
    catalog, translations = load(content, flows)
    new = catalog.articles["basics"].digest
    assert new == source_hash(english.read_text(encoding="utf-8")) != old
    assert translations.articles[("es", "basics")].stale
    assert translations.flows[("es", "fix-it")].stale
    assert about(translations, "es/basics.md") == [
        f"es/basics.md:5: stale: translated from version {old} of {catalog.articles['basics'].path}, "
        f"which is now {new}; bring the changes over, then set 'source: {new}'"
    ]
    assert translations.errors == ()  # stale is left to do, not wrong
    assert translations.todo("es") == {
        "stale": [("article", "basics"), ("flow", "fix-it")],
        "incomplete": [],
        "missing": [("article", "more"), ("flow", "other-flow")],
    }


def test_a_section_missing_from_a_translation_is_reported_with_the_flow_steps_that_show_it(folders):
    content, flows = folders
    translated = content / "es" / "basics.md"
    text = translated.read_text(encoding="utf-8")
    translated.write_text(
        text[: text.index("## Primera parte")] + "## Segunda parte {#second-part}\n", "utf-8"
    )
    _, translations = load(content, flows)
    assert about(translations, "es/basics.md") == [
        "es/basics.md:1: missing section '#a-detail' of the English article",
        "es/basics.md:1: missing section '#first-part' of the English article "
        "(shown beside the flow steps fix-it/what)",
    ]
    assert translations.errors == ()
    assert translations.articles[("es", "basics")].missing == ("first-part", "a-detail")
    assert translations.todo("es")["incomplete"] == [("article", "basics")]


def test_a_heading_id_the_source_lacks_or_no_pinned_id_is_an_error_at_its_line(folders):
    content, flows = folders
    translated = content / "es" / "basics.md"
    text = translated.read_text(encoding="utf-8")
    text = text.replace("{#second-part}", "{#segunda-parte}").replace(
        "### Un detalle {#a-detail}", "### Un detalle"
    )
    translated.write_text(text, encoding="utf-8")
    _, translations = load(content, flows)
    assert [f"{Path(p.path).name}:{p.line}: {p.message}" for p in translations.errors] == [
        "basics.md:13: heading 'Un detalle' has no pinned id: end it with {#id}, the English heading's id",
        "basics.md:17: heading id 'segunda-parte' is not in the English article "
        "(its ids: first-part, a-detail, second-part)",
    ]


def test_an_unknown_step_or_choice_id_in_a_flow_translation_is_an_error_at_its_line(folders):
    content, flows = folders
    steps = ALL_STEPS.replace("  explain:", "  explian:").replace("      dunno:", "      no-idea:")
    (flows / "es" / "fix-it.yaml").write_text(es_flow(source_hash("x"), steps), encoding="utf-8")
    _, translations = load(content, flows)
    assert [f"{Path(p.path).name}:{p.line}: {p.message}" for p in translations.errors] == [
        "fix-it.yaml:14: unknown choice 'no-idea': step 'what' has no such choice",
        "fix-it.yaml:17: unknown step 'explian': flow 'fix-it' has no such step",
    ]


def test_texts_a_flow_translation_lacks_are_named_as_not_translated(folders):
    content, flows = folders
    source = source_hash((flows / "fix-it.yaml").read_text(encoding="utf-8"))
    steps = ALL_STEPS.replace("        hint: No pasa nada.\n", "").replace(
        "  done:\n    text: Todo arreglado.\n", ""
    )
    (flows / "es" / "fix-it.yaml").write_text(es_flow(source, steps), encoding="utf-8")
    _, translations = load(content, flows)
    assert about(translations, "es/fix-it.yaml") == [
        "es/fix-it.yaml:5: not translated: step 'done' text",
        "es/fix-it.yaml:14: not translated: step 'what' choice 'dunno' hint",
    ]
    assert translations.flows[("es", "fix-it")].missing == (
        "step 'what' choice 'dunno' hint",
        "step 'done' text",
    )


def test_a_text_the_english_step_does_not_have_cannot_be_translated(folders):
    content, flows = folders
    source = source_hash((flows / "fix-it.yaml").read_text(encoding="utf-8"))
    steps = ALL_STEPS + "  explain:\n    button: Sigue\n"
    (flows / "es" / "fix-it.yaml").write_text(
        es_flow(source, steps.replace("  explain:\n    text: Te explicamos por qué.\n", "")), encoding="utf-8"
    )
    _, translations = load(content, flows)
    assert messages(tuple(p.message for p in translations.errors)) == [
        "step 'explain' has no button in the English flow to translate"
    ]


def test_a_language_not_offered_is_left_unread_with_a_warning(folders):
    content, flows = folders
    _, translations = load(content, flows, languages=("en", "ar"))
    assert translations.errors == ()
    assert not any(language == "es" for language, _ in translations.articles)
    assert sorted(
        f"{Path(p.path).parent.name}/{Path(p.path).name}:{p.line}: {p.message}"
        for p in translations.warnings
        if "not offered" in p.message
    ) == [
        "es/basics.md:1: language 'es' is not offered (HELPDESK_LANGUAGES: en, ar): not read",
        "es/fix-it.yaml:1: language 'es' is not offered (HELPDESK_LANGUAGES: en, ar): not read",
    ]
    assert translations.todo("ar")["missing"] == [
        ("article", "basics"),
        ("article", "more"),
        ("flow", "fix-it"),
        ("flow", "other-flow"),
    ]


def test_a_source_hash_of_digits_only_is_read_as_written(folders):
    content, flows = folders
    translated = content / "es" / "basics.md"
    text = translated.read_text(encoding="utf-8")
    translated.write_text(text.replace(text.split("source: ")[1].split("\n")[0], "0123456789012345"), "utf-8")
    _, translations = load(content, flows)
    assert translations.articles[("es", "basics")].source == "0123456789012345"
    assert translations.articles[("es", "basics")].stale


def test_a_translation_without_a_source_hash_is_an_error(folders):
    content, flows = folders
    translated = content / "es" / "basics.md"
    text = translated.read_text(encoding="utf-8")
    translated.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("source:")), "utf-8")
    catalog, translations = load(content, flows)
    assert [p.message for p in translations.errors] == [
        "missing front matter key 'source' (the source hash of the English file); "
        f"it is now {catalog.articles['basics'].digest}"
    ]


def test_translate_flow_lays_the_texts_over_a_copy_and_keeps_ids_and_ways(folders):
    content, flows = folders
    catalog, translations = load(content, flows)
    english = catalog.flows["fix-it"].flow
    spanish = translate_flow(english, translations.flows[("es", "fix-it")])
    assert (spanish.title, spanish.problems) == ("Arreglarlo", ("está roto",))
    what = spanish.steps["what"]
    assert (what.text, what.help) == ("¿Qué pasa?", "Elige la respuesta *más parecida*.")
    assert [(c.id, c.label, c.hint, c.next) for c in what.choices] == [
        ("broken", "Está roto", "", "explain"),
        ("elsewhere", "Otra cosa", "", "go-on"),
        ("dunno", "No lo sé", "No pasa nada.", "ask-support"),
    ]
    assert spanish.steps["apply"] == english.steps["apply"]
    assert (spanish.start, spanish.digest, spanish.id) == (english.start, english.digest, english.id)
    # the source flow is left as it was
    assert english.title == "Fix it" and english.steps["what"].text == "What happens?"


def test_a_translated_flow_is_worked_out_once_per_flow_and_translation_of_a_snapshot(folders, monkeypatch):
    content, flows = folders
    catalog, translations = load(content, flows)
    english = catalog.flows["fix-it"].flow
    spanish = translations.flows[("es", "fix-it")]
    first = translate_flow(english, spanish)
    assert translate_flow(english, spanish) is first  # kept: a page in Spanish does not lay it anew
    # another translation object (an edited file, once reloaded) is laid over afresh
    copy = dataclasses.replace(spanish)
    again = translate_flow(english, copy)
    assert again is not first and again == first
    # only the last few are kept: the oldest goes first
    monkeypatch.setattr(translations_module, "TRANSLATED_FLOWS_KEPT", 1)
    newest = translate_flow(english, dataclasses.replace(spanish))  # a third: the other two go
    assert translate_flow(english, copy) is not again
    assert translate_flow(english, spanish) is not first and newest is not first


def test_flow_in_falls_back_to_english_when_a_language_has_no_translation(folders):
    content, flows = folders
    catalog, translations = load(content, flows, languages=("en", "es", "ar"))
    english = catalog.flows["fix-it"].flow
    shown = flow_in("ar", english, translations)
    assert (shown.language, shown.fell_back, shown.content) == ("en", True, english)
    shown = flow_in("es", english, translations)
    assert (shown.language, shown.fell_back, shown.content.title) == ("es", False, "Arreglarlo")


def test_article_in_gives_the_translation_or_english_saying_it_fell_back(folders):
    content, flows = folders
    catalog, translations = load(content, flows, languages=("en", "es", "ar"))
    spanish = article_in("es", "basics", catalog.articles, translations)
    assert spanish is not None
    assert (spanish.language, spanish.fell_back, spanish.stale) == ("es", False, False)
    assert spanish.content.title == "Lo básico"
    assert "La primera parte." in spanish.content.section("first-part")
    assert spanish.content.flows == catalog.articles["basics"].flows  # the English article's
    arabic = article_in("ar", "basics", catalog.articles, translations)
    assert arabic is not None
    assert (arabic.language, arabic.fell_back, arabic.content) == ("en", True, catalog.articles["basics"])
    not_translated = article_in("es", "more", catalog.articles, translations)
    assert not_translated is not None and not_translated.fell_back
    assert article_in("es", "no-such-article", catalog.articles, translations) is None


def test_is_translation_knows_the_language_folders_from_the_images_folder(folders):
    content, flows = folders
    assert is_translation(content / "es" / "basics.md", content, flows)
    assert is_translation(flows / "es", content, flows)
    assert not is_translation(content / "basics.md", content, flows)
    assert not is_translation(content / "images", content, flows)


def test_a_translation_whose_text_did_not_change_is_not_parsed_again(folders, monkeypatch):
    from helpdesk.content import translations as module

    parsed: list[str] = []

    def noting(real):  # type: ignore[no-untyped-def]
        def noted(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            parsed.append(Path(path).name)
            return real(path, *args, **kwargs)

        return noted

    monkeypatch.setattr(module, "parse_article_translation", noting(module.parse_article_translation))
    monkeypatch.setattr(module, "_load_flow_translation", noting(module._load_flow_translation))
    content, flows = folders
    _, first = load(content, flows)
    assert sorted(parsed) == ["basics.md", "fix-it.yaml"]
    parsed.clear()
    _, again = load(content, flows)
    assert parsed == [] and again == first
    article = content / "es" / "basics.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nEditado.\n", encoding="utf-8")
    _, edited = load(content, flows)
    assert parsed == ["basics.md"] and "Editado." in edited.articles[("es", "basics")].article.html
    parsed.clear()
    english = flows / "fix-it.yaml"  # the English flow changed: its translation is checked again
    english.write_text(english.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    _, stale = load(content, flows)
    assert parsed == ["fix-it.yaml"] and stale.flows[("es", "fix-it")].stale
    assert any("stale" in line for line in about(stale, "es/fix-it.yaml"))


def test_a_flow_translation_kept_beside_the_renderings_is_read_back_the_same_at_the_next_boot(
    folders, tmp_path, monkeypatch
):
    from helpdesk.content import translations as module
    from helpdesk.content.render import renderings_written

    content, flows = folders
    catalog = load_catalog(content, flows, action_names())
    every_flow = {fid: c.flow for fid, c in catalog.flows.items()}
    odd = ALL_STEPS.replace("  wait:\n", "  nowhere:\n    text: Nada.\n  wait:\n").replace(
        "hint: No", "hint: "
    )
    (flows / "es" / "fix-it.yaml").write_text(es_flow("0" * 16, odd), encoding="utf-8")  # stale too
    cache = tmp_path / "rendered"

    def boot():  # type: ignore[no-untyped-def]
        module.forget_translation_loads()  # a new process: nothing in memory
        found = load_translations(content, flows, catalog.articles, every_flow, ("en", "es"), cache)
        renderings_written()
        return found

    first = boot()
    assert first.errors and first.warnings  # an unknown step, an empty hint; stale
    assert len(list(cache.glob(f"*{module.KEPT_FLOW_SUFFIX}"))) == 1
    monkeypatch.setattr(module, "_load_flow_translation", None)  # never parsed again
    again = boot()
    assert again == first and about(again, "es/fix-it.yaml") == about(first, "es/fix-it.yaml")
