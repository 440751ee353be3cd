"""Numbers written the language's way: Babel's grouping and decimal marks for the page's or the
mail's language, in translated strings ({% trans count %}, _() with a number) and `| number`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import render_template_string
from flask_babel import force_locale

RESULTS = "{% trans count=n %}{{ count }} result{% pluralize %}{{ count }} results{% endtrans %}"


def _render(app, source: str, language: str, **values) -> str:
    with app.test_request_context(), force_locale(language):
        return render_template_string(source, **values)


@pytest.mark.parametrize(
    ("language", "whole", "fraction"),
    [("en", "12,345", "1,234.5"), ("es", "12.345", "1.234,5"), ("ar", "12,345", "1,234.5")],
)
def test_a_bare_number_is_grouped_and_pointed_as_its_language_writes_it(app, language, whole, fraction):
    assert _render(app, "{{ n | number }}", language, n=12345) == whole
    assert _render(app, "{{ n | number }}", language, n=1234.5) == fraction
    assert _render(app, "{{ n | number }}", language, n=Decimal("1234.5")) == fraction


def test_arabic_numbers_use_babel_s_default_latin_digits(app):
    # CLDR's default numbering system for "ar" is "latn": the digits Babel writes dates in too
    written = _render(app, "{{ n | number }}", "ar", n=1234567)
    assert written == "1,234,567"
    assert not any("\u0660" <= ch <= "\u0669" for ch in written)  # no Arabic-Indic digits


def test_a_count_in_a_translated_string_is_written_for_the_language_and_picks_the_plural(app):
    assert _render(app, RESULTS, "en", n=12345) == "12,345 results"
    assert _render(app, RESULTS, "en", n=1) == "1 result"
    assert _render(app, RESULTS, "es", n=12345) == "12.345 resultados"
    assert _render(app, RESULTS, "es", n=1) == "1 resultado"
    arabic = _render(app, RESULTS, "ar", n=12345)
    assert "12,345" in arabic and "result" not in arabic


def test_a_number_handed_to_gettext_in_a_template_is_written_for_the_language(app):
    source = "{{ _('Articles %(first)s to %(last)s of %(total)s', first=1, last=20, total=n) }}"
    assert _render(app, source, "es", n=12345).endswith(" 12.345")
    size = "{% trans size=(n / 1024) | round(1) %}{{ size }} KB{% endtrans %}"
    assert _render(app, size, "es", n=12697) == "12,4 KB"
    assert _render(app, size, "en", n=12697) == "12.4 KB"


def test_words_truth_values_and_markup_are_left_as_they_are(app):
    source = "{% trans name=who, flag=yes %}Signing in as <strong>{{ name }}</strong>{% endtrans %}"
    html = _render(app, source, "en", who="<pat>", yes=True)
    assert html == "Signing in as <strong>&lt;pat&gt;</strong>"  # the HTML of the string kept, values escaped


def test_a_number_equal_to_another_is_still_written_as_itself(app):
    # whole numbers are kept once written; 0.0 and -0.0 are equal keys, so fractions are not kept
    assert _render(app, "{{ n | number }}", "es", n=0.0) == "0"
    assert _render(app, "{{ n | number }}", "es", n=-0.0) == "-0"
    assert _render(app, "{{ n | number }}", "es", n=1) == "1"
    assert _render(app, "{{ n | number }}", "es", n=1.5) == "1,5"
