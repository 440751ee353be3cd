"""This part's catalogs (i18n-parts/: the domain's messages, the staff and editor pages, the API's
words) are complete and sound: the template is what extracting the strings gives now, every entry
of each language is translated and not fuzzy, placeholders are the source's, and msgfmt --check
compiles them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PARTS = ROOT / "i18n-parts"
LANGUAGES = ("es", "ar")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
COUNTS = {"num", "count"}  # a plural form may leave the count out ("دقيقة واحدة", "يومان")


def catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def ids(found: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in found if m.id}


def names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def source_names(message: Message) -> set[str]:
    return names(message.id) if isinstance(message.id, str) else set().union(*(names(i) for i in message.id))


def test_the_template_is_what_extracting_the_strings_gives_now(tmp_path: Path) -> None:
    fresh = tmp_path / "domain.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    keywords = ["-k", "lazy_gettext", "-k", "lazy_ngettext:1,2"]
    subprocess.run(
        [str(pybabel), "extract", "-F", "i18n-parts/domain.cfg", *keywords, "-o", str(fresh), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    committed = ids(catalog(PARTS / "domain.pot"))
    assert ids(catalog(fresh)) == committed, "extract again as i18n-parts/README.md says"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_of_the_template_is_translated_and_none_is_fuzzy(language: str) -> None:
    translated = catalog(PARTS / language / "domain.po", language)
    assert ids(translated) == ids(catalog(PARTS / "domain.pot"))
    for message in translated:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
        assert len(strings) == (translated.num_plurals if message.pluralizable else 1)
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_sources_placeholders(language: str) -> None:
    for message in catalog(PARTS / language / "domain.po", language):
        if not message.id:
            continue
        wanted = source_names(message)
        if message.pluralizable:
            for form in message.string:
                assert wanted - COUNTS <= names(form) <= wanted, f"{language}: {form!r} for {message.id!r}"
        else:
            assert names(message.string) == wanted, f"{language}: {message.string!r} for {message.id!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_msgfmt_check_compiles_the_catalog_cleanly(language: str, tmp_path: Path) -> None:
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "messages.mo"), str(PARTS / language / "domain.po")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "warning" not in checked.stderr
