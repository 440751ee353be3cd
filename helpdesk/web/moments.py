"""Times on pages: written in UTC, which every page can say without JavaScript, and shown in the
reader's own time zone by static/times.js where the browser tells it (`{{ when | moment }}`).

The UTC text is in the page's language (Flask-Babel's locale: the reader's language, or the one a
mail is forced to): English keeps its own short patterns ("4 Dec 2026 08:05 UTC"); every other
language takes its dates and times from CLDR through Babel ("4 dic 2026, 08:05 UTC"). times.js
rewrites it with the page's `lang`, so the local time reads in the same language.

Mails have no script: a mail writes its times in the person's own time zone where it is known (the
hidden `time_zone` field the forms carry, filled in by times.js; stored with a recovery request),
naming the zone and keeping UTC beside it (`zoned_text`, the `mail_time` filter), and in UTC alone
otherwise."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from flask import Flask, request
from flask_babel import get_locale, gettext
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from ..mail import ZONE_OF_REQUEST, known_time_zone

STYLES = {
    "date": "%-d %B %Y",
    "datetime": "%-d %b %Y %H:%M",
    "long": "%-d %B %Y %H:%M",
    "time": "%H:%M:%S",
    "seconds": "%-d %b %Y %H:%M:%S",
    "time_of_day": "%H:%M",
}
# the other languages: (CLDR date width or None for no date, time pattern or None for no time)
_Width = Literal["long", "medium"]
_CLDR: dict[str, tuple[_Width | None, str | None]] = {
    "date": ("long", None),
    "datetime": ("medium", "HH:mm"),
    "long": ("long", "HH:mm"),
    "time": (None, "HH:mm:ss"),
    "seconds": ("medium", "HH:mm:ss"),
    "time_of_day": (None, "HH:mm"),
}


def _language() -> Locale | None:
    """The locale the text is written in; None for English (and outside a request or a mail)."""
    locale = get_locale()
    return None if locale is None or locale.language == "en" else locale


def _text(value: datetime | date, style: str, zone: tzinfo = UTC) -> str:
    """*value* (a datetime already in *zone*, or a date) in the language's words."""
    locale = _language()
    if locale is None:
        return value.strftime(STYLES[style])
    date_width, time_pattern = _CLDR[style]
    day = format_date(value, date_width, locale=locale) if date_width else ""
    if time_pattern is None or not isinstance(value, datetime):
        return day
    clock = format_time(value, time_pattern, tzinfo=zone, locale=locale)
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


# names of UTC itself: a time in one of them is written as UTC alone, not twice
_UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"}
    | {"GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0"}
    | {"Greenwich", "Etc/Greenwich"}
)


def zoned_text(value: datetime, time_zone: str | None) -> str:
    """A time as plain text for a mail, in the language the mail is written in: in *time_zone*
    where it is a zone we know, naming it and keeping UTC beside it, "5 December 2026 14:05
    (Europe/Madrid; 13:05 UTC)" (the UTC date too when it is another day); in UTC alone
    (`utc_text`) for no zone, one we don't know, or UTC itself."""
    zone_name = known_time_zone(time_zone)
    if zone_name is None or zone_name in _UTC_NAMES:
        return utc_text(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    at_utc = value.astimezone(UTC)
    zone = ZoneInfo(zone_name)
    there = value.astimezone(zone)
    same_day = there.date() == at_utc.date()
    beside = _text(at_utc, "time_of_day") + " UTC" if same_day else utc_text(at_utc)
    locale = _language()
    if locale is not None and locale.text_direction == "rtl":
        # a Latin name in right-to-left words: isolated (FSI … PDI), so its slash and the brackets
        # around it are laid out as part of it, in plain text as in HTML
        zone_name = f"\u2068{zone_name}\u2069"
    return gettext(
        "%(local)s (%(zone)s; %(utc)s)", local=_text(there, "long", zone), zone=zone_name, utc=beside
    )


@pass_context
def mail_time(context: Context, value: datetime) -> str:
    """`zoned_text` in the time zone the mail is written for (`mail.compose`'s `time_zone`)."""
    return zoned_text(value, context.get("mail_time_zone"))


def time_zone_field() -> Markup:
    """The hidden field a form that leads to a mail carries: static/times.js fills in the zone
    the browser reports, and the mail writes its times in it (empty without a script: UTC)."""
    return Markup('<input type="hidden" name="time_zone" value="">')


def _zone_the_form_sent() -> str | None:
    """The `time_zone` a POST sent: a form's field, or a JSON body's member (the pages' scripts
    that post JSON, such as the passkey ceremonies, may add it)."""
    if request.method != "POST":
        return None
    if request.is_json:
        body = request.get_json(silent=True)
        zone = body.get("time_zone") if isinstance(body, dict) else None
        return zone if isinstance(zone, str) else None
    return request.form.get("time_zone")


def install(app: Flask) -> None:
    """The filters pages and mails write times with, and the request's time zone for mails."""
    app.add_template_filter(moment)
    app.add_template_filter(utc_text)
    app.add_template_filter(mail_time)
    app.add_template_global(time_zone_field)
    app.extensions[ZONE_OF_REQUEST] = _zone_the_form_sent

