"""The templates' `_()`, `ngettext`, `pgettext`: the translations of the request's language,
looked up once per language and worker.

Flask-Babel's own callables find the translations anew for every string (its context, then the
domain, then the locale, parsed again on every request: nine context-local lookups a string, about
as much as rendering a result of a search page). A page says a dozen or more strings, and a
results page is rendered for every new query; so the translations of each language are kept, and
a request finds its language's once. A language forced for a while (Flask-Babel's
`force_locale`: a mail written in another language in the middle of a request) is Flask-Babel's
to look up, as before.
"""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context
from flask_babel import get_translations

from .language import chosen_language

KEY = "helpdesk.translations"  # app.extensions: language -> translations; g: this request's
_FLASK_BABEL = "_flask_babel"  # where Flask-Babel keeps its per-request state on `g`


def translations() -> NullTranslations:
    """This request's translations (of the locale forced for now, if one is)."""
    if not has_app_context():
        return get_translations()  # no request, no app: the untranslated strings
    state = g.get(_FLASK_BABEL)
    if state is not None and hasattr(state, "forced_babel_locale"):
        return get_translations()
    found: NullTranslations | None = g.get(KEY)
    if found is None:
        kept: dict[str, NullTranslations] = current_app.extensions.setdefault(KEY, {})
        language = chosen_language()  # Flask-Babel's locale selector
        found = kept.get(language)
        if found is None:
            found = kept[language] = get_translations()
        setattr(g, KEY, found)
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
