"""Numbers on pages and in mails written the way the language writes them: grouping and decimal
marks from CLDR through Babel (Flask-Babel's `format_decimal`, in the page's or the mail's
language): "1,234.5" in English, "1.234,5" in Spanish, "1,234.5" in Arabic (Babel's default
numbering system for `ar` is CLDR's, Latin digits, as Chromium's Intl writes them too; the dates
Babel writes and the codes people type are in those digits as well).

Every number handed to a translated string in a template (`{% trans count=n %}`, `_('…%(total)s',
total=n)`) is written so (`install` wraps the templates' gettext and ngettext: the plural form
still comes from the number itself); a bare number in a page is written with `| number`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

from babel.numbers import format_decimal
from flask import Flask
from flask_babel import get_locale
from jinja2 import pass_context
from jinja2.runtime import Context


def written(value: Any) -> Any:
    """*value* as the language writes it when it is a number (not a truth value); else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    locale = get_locale()  # None outside a request: Babel's default, as Flask-Babel does
    if type(value) is int:  # a count: kept (floats and decimals are not: -0.0 == 0.0 as a key)
        return _written(value, str(locale) if locale is not None else None)
    return format_decimal(value, locale=locale) if locale is not None else format_decimal(value)


@lru_cache(maxsize=4096)  # Babel takes ~7 µs a number, 3 µs kept: a page writes the same few counts
def _written(value: int, locale: str | None) -> str:
    """Flask-Babel's `format_decimal` of a whole number in *locale*."""
    return format_decimal(value, locale=locale) if locale is not None else format_decimal(value)


def number(value: Any) -> str:
    """The `number` filter: a count or an amount in the language's way ("12.345" in Spanish)."""
    return str(written(value))


def install(app: Flask) -> None:
    """The `number` filter, and the templates' gettext/ngettext writing numbers for the language
    (the ones Flask-Babel installed, called with the numbers written)."""
    env = app.jinja_env
    plain_gettext = cast(Callable[..., str], env.globals["gettext"])
    plain_ngettext = cast(Callable[..., str], env.globals["ngettext"])

    @pass_context
    def gettext(context: Context, string: str, /, **variables: Any) -> str:
        shown = {k: written(v) for k, v in variables.items()}
        # (Jinja's newstyle callable takes the context itself: called as Context.call would, without
        # its look at what the callable wants, a few µs a string)
        return plain_gettext(context, string, **shown)  # Markup when autoescaping

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        shown = {k: written(v) for k, v in variables.items()}
        return plain_ngettext(context, singular, plural, num, **shown)

    env.globals.update(gettext=gettext, ngettext=ngettext)
    app.add_template_filter(number)
