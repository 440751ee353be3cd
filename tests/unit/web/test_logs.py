"""Log lines: tokens of mail links redacted, control characters escaped (no forged lines)."""

from __future__ import annotations

import logging

import pytest

from helpdesk.web.logs import REDACTED, SafeLines, escape_controls, redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /password/reset/AbC-123_x HTTP/1.1", f"GET /password/reset/{REDACTED} HTTP/1.1"),
        ("POST /unlock/tok3n?x=1", f"POST /unlock/{REDACTED}?x=1"),
        ("/recovery/complete/t0k", f"/recovery/complete/{REDACTED}"),
        ("/recovery/cancel/t0k", f"/recovery/cancel/{REDACTED}"),
        ("/diagnose/locked-out/continue/ticket.value", f"/diagnose/locked-out/continue/{REDACTED}"),
        ("/diagnose/locked-out?link=signed.token&x=1", f"/diagnose/locked-out?link={REDACTED}&x=1"),
        ("/unlock", "/unlock"),  # the request page itself holds nothing
        ("/articles/locked-out", "/articles/locked-out"),
    ],
)
def test_the_tokens_of_mail_and_support_links_are_redacted(line, expected):
    assert redact(line) == expected


def test_a_line_break_in_a_path_cannot_forge_a_second_log_line():
    assert escape_controls("/x\n2026-12-04 INFO admin signed in\r\x1b[2J\tok") == (
        "/x\\n2026-12-04 INFO admin signed in\\r\\x1b[2J\tok"
    )


def test_the_filter_rewrites_the_formatted_message():
    record = logging.LogRecord(
        "helpdesk", logging.WARNING, __file__, 1, "on %s by %s", ("/unlock/s3cret\n", "x"), None
    )
    assert SafeLines().filter(record) is True
    assert record.getMessage() == f"on /unlock/{REDACTED}\\n by x"


def test_the_servers_own_lines_keep_their_breaks_and_colours_but_lose_tokens():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        "\x1b[33m%s\x1b[0m\n * Running",
        ("GET /unlock/s3cret HTTP/1.1",),
        None,
    )
    assert SafeLines(escape=False).filter(record) is True
    assert record.getMessage() == f"\x1b[33mGET /unlock/{REDACTED} HTTP/1.1\x1b[0m\n * Running"
