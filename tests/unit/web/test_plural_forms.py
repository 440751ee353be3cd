"""Plural forms from the catalogs: Spanish's two that show (one, other) and Arabic's six (zero,
one, two, few 3-10, many 11-99, other 100-102), chosen by the number, with the count kept."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, ngettext

from helpdesk.flows.progress import Outlook, progress_text

ARABIC_MINUTES = {
    0: "0 دقيقة",
    1: "دقيقة واحدة",
    2: "دقيقتين",
    3: "3 دقائق",
    10: "10 دقائق",
    11: "11 دقيقة",
    99: "99 دقيقة",
    100: "100 دقيقة",
    103: "103 دقائق",
}


@pytest.mark.parametrize(("number", "words"), ARABIC_MINUTES.items())
def test_arabic_takes_the_form_its_number_needs(app, number, words):
    with app.test_request_context(), force_locale("ar"):
        assert ngettext("%(num)d minute", "%(num)d minutes", number) == words


@pytest.mark.parametrize(("number", "words"), [(1, "1 minuto"), (2, "2 minutos"), (0, "0 minutos")])
def test_spanish_has_one_and_many(app, number, words):
    with app.test_request_context(), force_locale("es"):
        assert ngettext("%(num)d minute", "%(num)d minutes", number) == words


def test_the_progress_hint_counts_steps_in_the_language(app):
    with app.test_request_context():
        with force_locale("es"):
            assert (
                progress_text(2, Outlook(at_most=3, ends_for_sure=False)) == "Paso 2 · quedan hasta 3 pasos"
            )
        with force_locale("ar"):
            assert (
                progress_text(2, Outlook(at_most=2, ends_for_sure=False))
                == "الخطوة 2 · خطوتان متبقيتان على الأكثر"
            )
        assert progress_text(2, Outlook(at_most=3, ends_for_sure=False)) == "Step 2 · up to 3 steps to go"
