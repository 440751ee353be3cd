"""Which language this request is answered in (Flask-Babel's locale selector)."""

from __future__ import annotations

from flask import current_app


def chosen_language() -> str:
    """The language the reader chose or asked for; for now the site's default language."""
    return str(current_app.extensions["helpdesk.settings"].default_language)
