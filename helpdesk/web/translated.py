"""The templates' `_()`, `ngettext`, `pgettext`: this request's translations looked up once.

Flask-Babel's own callables find the translations anew for every string (its context, then the
domain, then the locale: nine context-local lookups a string, about as much as rendering a
result of a search page). A page says a dozen or more strings, and a results page is rendered for
every new query; so the translations are kept for the rest of the request where Flask-Babel keeps
its own per-request state (`babel_translations`, which `force_locale` empties and restores, and
`refresh` forgets): a mail written in another language in the middle of a request is still
written in that language.
"""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask import Flask, g, has_app_context
from flask_babel import get_translations

_CONTEXT = "_flask_babel"  # where Flask-Babel keeps its per-request state on `g`


def translations() -> NullTranslations:
    """This request's translations (of the locale forced for now, if one is)."""
    if not has_app_context():
        return get_translations()  # no request, no app: the untranslated strings
    state = g.get(_CONTEXT)
    found = getattr(state, "babel_translations", None) if state is not None else None
    if found is None:
        found = get_translations()
        state = g.get(_CONTEXT)  # made by get_translations
        if state is not None:
            state.babel_translations = found
    return found


def register(app: Flask) -> None:
    """Give the templates the gettext callables above (after Flask-Babel gave them its own)."""

    def plural(singular: str, plural: str, n: int) -> str:
        return translations().ungettext(singular, plural, n)

    def in_context(context: str, message: str) -> str:
        return translations().upgettext(context, message)

    def plural_in_context(context: str, singular: str, plural: str, n: int) -> Any:
        return translations().unpgettext(context, singular, plural, n)

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: translations().ugettext(message),
        ngettext=plural,
        pgettext=in_context,
        npgettext=plural_in_context,
        newstyle=True,
    )
