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


# --- a mail's times in the person's own time zone ---------------------------------------------

WINTER = datetime(2026, 12, 5, 13, 5, tzinfo=UTC)


def _zoned(app, value, zone, language="en"):
    from flask_babel import force_locale

    from helpdesk.web.moments import zoned_text

    with app.test_request_context(), force_locale(language):
        return zoned_text(value, zone)


def test_a_known_zone_names_itself_and_keeps_utc_beside_it(app):
    assert _zoned(app, WINTER, "Europe/Madrid") == "5 December 2026 14:05 (Europe/Madrid; 13:05 UTC)"


def test_without_a_zone_or_with_one_we_don_t_know_the_time_is_in_utc_alone(app):
    for zone in (None, "", "Mars/Olympus_Mons", "europe/madrid", "../../etc/passwd", "Europe/Madrid" * 10):
        assert _zoned(app, WINTER, zone) == "5 December 2026 13:05 UTC", zone


def test_utc_named_as_a_zone_is_not_written_twice(app):
    assert _zoned(app, WINTER, "Etc/UTC") == "5 December 2026 13:05 UTC"


def test_a_zoned_time_is_in_the_mail_s_language(app):
    assert _zoned(app, WINTER, "America/Mexico_City", "es") == (
        "5 de diciembre de 2026, 07:05 (America/Mexico_City; 13:05 UTC)"
    )
    # in Arabic the zone's Latin name is isolated (FSI … PDI) inside the right-to-left words
    assert _zoned(app, WINTER, "Asia/Riyadh", "ar") == (
        "5 ديسمبر 2026، 16:05 (\u2068Asia/Riyadh\u2069؛ 13:05 UTC)"
    )


def test_when_the_zone_s_date_is_another_day_the_utc_date_is_written_too(app):
    late = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)  # still the 5th in Mexico City
    assert _zoned(app, late, "America/Mexico_City") == (
        "5 December 2026 22:30 (America/Mexico_City; 6 December 2026 04:30 UTC)"
    )


def test_daylight_saving_time_is_the_zone_s_on_that_day(app):
    # Europe/Madrid moves from +01:00 to +02:00 at 01:00 UTC on 29 March 2026
    before = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    after = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert _zoned(app, before, "Europe/Madrid") == "29 March 2026 01:59 (Europe/Madrid; 00:59 UTC)"
    assert _zoned(app, after, "Europe/Madrid") == "29 March 2026 03:00 (Europe/Madrid; 01:00 UTC)"
    # and in summer the same zone is two hours ahead
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert _zoned(app, summer, "Europe/Madrid", "es") == (
        "1 de julio de 2026, 14:00 (Europe/Madrid; 12:00 UTC)"
    )
