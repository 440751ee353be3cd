"""Log lines that can be trusted and give nothing away.

- **No forged lines** (ASVS 7.3.1): a request path is URL-decoded, so `%0a` in an address would
  start a new, made-up line in the log. Every control character in a message is escaped.
- **No live secrets** (ASVS 7.1.1, 8.3.5): the links in reset, unlock and recovery mails carry
  their token in the path, and a support link or a continue ticket in the address. Whatever
  logs a path (our error lines, the development server's or gunicorn's access log) sees it with
  the token replaced by `[redacted]`.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

REDACTED = "[redacted]"
# the path segment after these holds a token (the fixed mail paths of helpdesk.links and routes)
SECRET_SEGMENT = re.compile(
    r"(/password/reset/|/unlock/|/recovery/cancel/|/recovery/complete/|/continue/)[^/?#\s\"']+"
)
SECRET_QUERY = re.compile(r"([?&](?:link|token|ticket)=)[^&#\s\"']+")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# the loggers that write request paths: ours, the development server's, gunicorn's access log
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    """*text* with the tokens of mail links and support links replaced."""
    text = SECRET_SEGMENT.sub(lambda m: m.group(1) + REDACTED, text)
    return SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, text)


def escape_controls(text: str) -> str:
    """Line breaks and other control characters written as \\n, \\x1b, … (tabs are kept)."""
    named = {"\n": "\\n", "\r": "\\r"}
    return CONTROL.sub(lambda m: named.get(m.group(0), f"\\x{ord(m.group(0)):02x}"), text)


class SafeLines(logging.Filter):
    """Rewrites each record's message: secrets redacted, and (with *escape*) control characters
    escaped. The servers' access logs write the request line as it came, percent-encoded, so
    nothing decoded can break their lines; their own messages (the development server's banner,
    its colours) keep their line breaks and escape codes."""

    def __init__(self, escape: bool = True) -> None:
        super().__init__()
        self.escape = escape

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string: keep what there is
            message = str(record.msg)
        message = redact(message)
        record.msg = escape_controls(message) if self.escape else message
        record.args = None
        return True


def install(app: Flask) -> None:
    """Put the filter on the app's logger (which logs decoded paths) and, redacting only, on the
    servers' loggers (once each)."""
    loggers = [(app.logger, True), *((logging.getLogger(name), False) for name in LOGGERS)]
    for logger, escape in loggers:
        if not any(isinstance(f, SafeLines) for f in logger.filters):
            logger.addFilter(SafeLines(escape=escape))
