"""The gettext catalogs (helpdesk/translations): the template is what extracting the strings gives
today (as pypi/warehouse checks it), every language's catalog is complete, compiles, keeps the
source's placeholders, and its committed .mo is what compiling it gives.

Fix a failure with `make translations-update` (then translate what is new or fuzzy) and
`make translations-compile` (README, "Translating the pages").
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "helpdesk" / "translations"
TRANSLATED = ("es", "ar")
PLURAL_FORMS = {"es": 3, "ar": 6}  # CLDR (Babel 2.19): es one, many (millions), other
# the Makefile's translations-extract, option for option
EXTRACT = [
    "pybabel",
    "extract",
    "--mapping-file=babel.cfg",
    "--keywords=lazy_gettext",
    "--keywords=_l",
    "--keywords=lazy_ngettext:1,2",
    "--add-comments=Translators:",
    "--no-location",
    "--sort-output",
    "--no-wrap",
    "--project=helpdesk",
    "--copyright-holder=helpdesk's authors",
    "--msgid-bugs-address=",
]
COUNTS = {"%(count)s", "%(num)d"}  # the number a plural message is chosen by
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _without_header(text: str) -> str:
    """The catalog after its header (the dates and the copyright year change by themselves)."""
    return text.split("\n\n", 1)[1]


def _catalog(language: str) -> Catalog:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def _ids(message_id: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_id if isinstance(message_id, tuple) else (message_id,)


def _placeholders(text: str) -> set[str]:
    return {found.group(0) for found in PLACEHOLDER.finditer(text)}


def test_the_template_catalog_is_what_extracting_the_strings_gives(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    extracted = tmp_path / "messages.pot"
    CommandLineInterface().run([*EXTRACT, f"--output-file={extracted}", "."])
    committed = (CATALOGS / "messages.pot").read_text(encoding="utf-8")
    assert _without_header(extracted.read_text(encoding="utf-8")) == _without_header(committed), (
        "the marked strings changed: run `make translations-update` and translate what is new"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_and_none_is_fuzzy(language: str) -> None:
    template = read_po((CATALOGS / "messages.pot").open("rb"))
    catalog = _catalog(language)
    missing = [m.id for m in template if m.id and m.id not in catalog]
    untranslated = [m.id for m in catalog if m.id and not all(_ids(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert (missing, untranslated, fuzzy) == ([], [], [])


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_has_its_languages_plural_forms(language: str) -> None:
    catalog = _catalog(language)
    assert catalog.num_plurals == PLURAL_FORMS[language]
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(message.string) == PLURAL_FORMS[language], message.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_keeps_the_placeholders_of_its_source(language: str) -> None:
    wrong = []
    for message in _catalog(language):
        if not message.id:
            continue
        source = set().union(*(_placeholders(text) for text in _ids(message.id)))
        for translation in _ids(message.string):
            # a plural form (one, two, zero) may say its number in words instead of the count's
            said = _placeholders(translation) | (COUNTS if message.pluralizable else set())
            if _placeholders(translation) - source or source - said:
                wrong.append((message.id, translation))
    assert wrong == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_compiles_without_errors(language: str) -> None:
    catalog = _catalog(language)
    assert [(m.id, errors) for m, errors in catalog.check()] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_file_is_the_compiled_catalog(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(language))
    committed = (CATALOGS / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled.getvalue(), "run `make translations-compile` and commit the .mo files"
    assert len(read_mo(io.BytesIO(committed))) > 1


@pytest.mark.parametrize("language", TRANSLATED)
def test_msgfmt_check_finds_nothing_wrong_with_the_catalog(language: str, tmp_path: Path) -> None:
    """gettext's own checker (format strings, plural forms, header) agrees with Babel's."""
    if shutil.which("msgfmt") is None:
        missing = "msgfmt is not installed: apt-get install gettext"
        if os.environ.get("CI"):
            pytest.fail(missing + " — CI must run it", pytrace=False)
        pytest.skip(missing)
    source = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "messages.mo"), str(source)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "warning" not in checked.stderr
