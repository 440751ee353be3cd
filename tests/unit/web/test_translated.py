"""The templates' gettext: this request's translations, looked up once, and force_locale obeyed."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

from helpdesk.web import translated


def test_a_template_says_its_words_in_the_requests_language(app):
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert render_template_string("{{ _('Article') }}") == "Artículo"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Article') }}") == "Article"


def test_plural_words_are_translated_with_the_count(app):
    template = "{% trans count=n %}{{ count }} result{% pluralize %}{{ count }} results{% endtrans %}"
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert render_template_string(template, n=1) == "1 resultado"
        assert render_template_string(template, n=3) == "3 resultados"


def test_the_translations_are_looked_up_once_per_language(app, monkeypatch):
    looked_up = []
    real = translated.get_translations

    def counted():  # the real lookup, counted
        looked_up.append(1)
        return real()

    monkeypatch.setattr(translated, "get_translations", counted)
    for _ in range(2):
        with app.test_request_context("/", headers={"Accept-Language": "es"}):
            assert render_template_string("{{ _('Article') }} {{ _('Search') }} {{ _('Article') }}") == (
                "Artículo Buscar Artículo"
            )
    assert len(looked_up) == 1
    with app.test_request_context("/", headers={"Accept-Language": "ar"}):
        assert render_template_string("{{ _('Article') }}") == "مقال"
    assert len(looked_up) == 2


def test_a_forced_language_is_used_inside_and_the_requests_again_after(app):
    """A mail written in another language in the middle of a request (mail.compose)."""
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert render_template_string("{{ _('Article') }}") == "Artículo"
        with force_locale("ar"):
            assert render_template_string("{{ _('Article') }}") == "مقال"
        assert render_template_string("{{ _('Article') }}") == "Artículo"


def test_outside_a_request_the_words_are_untranslated(app):
    with app.app_context():
        assert translated.translations().ugettext("Article") == "Article"
