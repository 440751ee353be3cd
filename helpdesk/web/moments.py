"""Times on pages: written in UTC, which every page can say without JavaScript, and shown in the
reader's own time zone by static/times.js where the browser tells it (`{{ when | moment }}`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from markupsafe import Markup

STYLES = {
    "date": "%-d %B %Y",
    "datetime": "%-d %b %Y %H:%M",
    "long": "%-d %B %Y %H:%M",
    "time": "%H:%M:%S",
    "seconds": "%-d %b %Y %H:%M:%S",
}


def moment(value: datetime | date | None, style: str = "datetime") -> Markup:
    """A `<time>` element: its UTC text (with "UTC" when it shows a time of day) for everyone,
    marked for times.js to rewrite in the reader's zone. A calendar date has no zone: as it is."""
    if value is None:
        return Markup("—")
    if not isinstance(value, datetime):
        return Markup('<time datetime="{}">{}</time>').format(
            value.isoformat(), value.strftime(STYLES["date"])
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the database keeps UTC (models.UTCDateTime)
    value = value.astimezone(UTC)
    text = value.strftime(STYLES.get(style, STYLES["datetime"]))
    if style != "date":
        text += " UTC"
    return Markup('<time datetime="{}" data-local="{}">{}</time>').format(
        value.isoformat(timespec="seconds"), style, text
    )
