"""Log lines that can be trusted and give nothing away, as text or as JSON with the request's id.

- **No forged lines** (ASVS 7.3.1): a request path is URL-decoded, so `%0a` in an address would
  start a new, made-up line in the log. Every control character in a message is escaped.
- **No live secrets** (ASVS 7.1.1, 8.3.5): the links in reset, unlock and recovery mails carry
  their token in the path, and a support link or a continue ticket in the address. Whatever
  logs a path (our error lines, the development server's or gunicorn's access log) sees it with
  the token replaced by `[redacted]`.
- **One JSON object a line** with HELPDESK_LOG_FORMAT=json (`JsonLines`, python-json-logger):
  time, level, logger, message and the id of the request being answered (`request_id`, also in
  the response's X-Request-Id header), so every line of one request can be found together. JSON
  escapes every control character itself; the redaction applies to every line (`SafeLines` on
  the handler). The one line per request (`helpdesk.access`) is written by web/observe.py.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, g, has_request_context
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

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


def current_request_id() -> str | None:
    """The id of the request this thread is answering (web/observe.py gives one to each)."""
    return g.get("request_id") if has_request_context() else None


class JsonLines(JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, and the
    fields a line adds (`extra=`: the access line's method, endpoint, path, status, duration_ms).
    deploy/gunicorn.conf.py gives gunicorn's own lines the same shape."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        log_data.setdefault("request_id", current_request_id())


class ToStderr(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the moment of the line (the journal under systemd, a
    test's capture in a test), redacting every line."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)
        self.setFormatter(JsonLines())
        self.addFilter(SafeLines(escape=False))  # JSON escapes control characters itself

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def json_lines_installed() -> bool:
    return any(isinstance(h.formatter, JsonLines) for h in logging.getLogger().handlers)


def install(app: Flask) -> None:
    """Put the filter on the app's logger (which logs decoded paths) and, redacting only, on the
    servers' loggers (once each). With HELPDESK_LOG_FORMAT=json every line goes through one JSON
    handler on the root logger (unless gunicorn's logconfig_dict put one there already)."""
    loggers = [(app.logger, True), *((logging.getLogger(name), False) for name in LOGGERS)]
    for logger, escape in loggers:
        if not any(isinstance(f, SafeLines) for f in logger.filters):
            logger.addFilter(SafeLines(escape=escape))
    if app.extensions["helpdesk.settings"].log_format == "json":
        if not json_lines_installed():
            logging.getLogger().addHandler(ToStderr())
        app.logger.removeHandler(default_handler)  # its lines reach the JSON handler on the root
        if app.logger.level == logging.NOTSET:
            app.logger.setLevel(logging.INFO)  # the access lines and the app's notices
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its access lines: ours replace them
