"""The names of the content's scrolling tables in the reader's language: the renderer names each
one in English ("Table 1 (scrolls sideways)", content/render.py, cached whatever the language);
`{{ html | tables_named }}` says it in the page's language."""

from __future__ import annotations

import re

from flask_babel import gettext

_NAMED = re.compile(r'aria-label="Table (\d+) \(scrolls sideways\)"')


def tables_named(html: str) -> str:
    if "(scrolls sideways)" not in html:
        return html
    return _NAMED.sub(
        lambda found: 'aria-label="{}"'.format(
            gettext("Table %(number)s (scrolls sideways)", number=found.group(1)).replace('"', "&quot;")
        ),
        html,
    )
