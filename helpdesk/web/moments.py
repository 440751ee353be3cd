"""Times on pages: written in UTC, which every page can say without JavaScript, and shown in the
reader's own time zone by static/times.js where the browser tells it (`{{ when | moment }}`).

The UTC text is in the page's language (Flask-Babel's locale: the reader's language, or the one a
mail is forced to): English keeps its own short patterns ("4 Dec 2026 08:05 UTC"); every other
language takes its dates and times from CLDR through Babel ("4 dic 2026, 08:05 UTC"). times.js
rewrites it with the page's `lang`, so the local time reads in the same language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from flask_babel import get_locale
from markupsafe import Markup

STYLES = {
    "date": "%-d %B %Y",
    "datetime": "%-d %b %Y %H:%M",
    "long": "%-d %B %Y %H:%M",
    "time": "%H:%M:%S",
    "seconds": "%-d %b %Y %H:%M:%S",
}
# the other languages: (CLDR date width or None for no date, time pattern or None for no time)
_Width = Literal["long", "medium"]
_CLDR: dict[str, tuple[_Width | None, str | None]] = {
    "date": ("long", None),
    "datetime": ("medium", "HH:mm"),
    "long": ("long", "HH:mm"),
    "time": (None, "HH:mm:ss"),
    "seconds": ("medium", "HH:mm:ss"),
}


def _language() -> Locale | None:
    """The locale the text is written in; None for English (and outside a request or a mail)."""
    locale = get_locale()
    return None if locale is None or locale.language == "en" else locale


def _text(value: datetime | date, style: str) -> str:
    locale = _language()
    if locale is None:
        return value.strftime(STYLES[style])
    date_width, time_pattern = _CLDR[style]
    day = format_date(value, date_width, locale=locale) if date_width else ""
    if time_pattern is None or not isinstance(value, datetime):
        return day
    clock = format_time(value, time_pattern, tzinfo=UTC, locale=locale)
    if not day:
        return clock
    pattern = str(get_datetime_format(date_width or "medium", locale=locale))
    return pattern.replace("{1}", day).replace("{0}", clock)


def moment(value: datetime | date | None, style: str = "datetime") -> Markup:
    """A `<time>` element: its UTC text (with "UTC" when it shows a time of day) for everyone,
    marked for times.js to rewrite in the reader's zone. A calendar date has no zone: as it is."""
    if value is None:
        return Markup("—")
    if style not in STYLES:
        style = "datetime"
    if not isinstance(value, datetime):
        return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), _text(value, "date"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the database keeps UTC (models.UTCDateTime)
    value = value.astimezone(UTC)
    text = _text(value, style)
    if style != "date":
        text += " UTC"
    return Markup('<time datetime="{}" data-local="{}">{}</time>').format(
        value.isoformat(timespec="seconds"), style, text
    )


def utc_text(value: datetime) -> str:
    """A time as plain text in UTC, for a mail (no script rewrites it): "4 December 2026 08:05
    UTC", in the language the mail is written in."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _text(value.astimezone(UTC), "long") + " UTC"
