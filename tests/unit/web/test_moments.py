"""Times on pages: UTC text that is right without JavaScript, marked for the reader's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from helpdesk.web.moments import moment


def test_a_time_is_written_in_utc_and_marked_for_the_reader_s_zone():
    when = datetime(2026, 12, 4, 9, 5, 7, tzinfo=timezone(timedelta(hours=1)))
    assert (
        str(moment(when))
        == '<time datetime="2026-12-04T08:05:07+00:00" data-local="datetime">4 Dec 2026 08:05 UTC</time>'
    )
    assert str(moment(when, "time")).endswith(">08:05:07 UTC</time>")


def test_a_calendar_date_has_no_zone_to_convert():
    assert str(moment(date(2026, 12, 4), "date")) == '<time datetime="2026-12-04">4 December 2026</time>'


def test_nothing_is_a_dash_and_naive_times_are_read_as_utc():
    assert str(moment(None)) == "—"
    assert 'datetime="2026-01-02T03:04:00+00:00"' in str(moment(datetime(2026, 1, 2, 3, 4)))
    assert "UTC" in str(moment(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "long"))


def test_the_utc_text_is_in_the_page_s_language(app):
    from flask_babel import force_locale

    from helpdesk.web.moments import utc_text

    when = datetime(2026, 12, 4, 8, 5, 7, tzinfo=UTC)
    with app.test_request_context():
        with force_locale("es"):
            assert str(moment(when, "long")).endswith(">4 de diciembre de 2026, 08:05 UTC</time>")
            assert str(moment(when)).endswith(">4 dic 2026, 08:05 UTC</time>")
            assert str(moment(date(2026, 12, 4), "date")).endswith(">4 de diciembre de 2026</time>")
            assert utc_text(when) == "4 de diciembre de 2026, 08:05 UTC"  # a mail's: no markup
        with force_locale("ar"):
            assert str(moment(when, "long")).endswith(">4 ديسمبر 2026، 08:05 UTC</time>")
        # English keeps its own patterns, in a request as outside one
        assert str(moment(when, "long")).endswith(">4 December 2026 08:05 UTC</time>")
