"""send(message): by SMTP when HELPDESK_MAIL_URL is set, otherwise one .eml file per mail in the outbox."""

from __future__ import annotations

import functools
import itertools
import smtplib
import ssl
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import available_timezones

from babel import Locale
from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, get_locale

from . import metrics
from .config import settings

ATTEMPTS = 3
_sequence = itertools.count(1)
# where the HTTP layer puts a function naming the time zone the request being answered sent (the
# hidden `time_zone` field a page's script fills in), the way Flask-Babel keeps its locale selector
ZONE_OF_REQUEST = "helpdesk.time_zone_of_request"


class MailError(RuntimeError):
    """The mail could not be sent after retrying; the person must be told to try again."""


@contextmanager
def in_language(language: str | None) -> Iterator[str]:
    """Write what follows in *language* (one of HELPDESK_LANGUAGES): the language the person
    used when they asked, stored with what they asked for. None: the language of the request
    being answered (the person asking now), and outside a request HELPDESK_DEFAULT_LANGUAGE.
    Yields the language code."""
    configured = settings()
    if language not in configured.languages:
        language = None
    if language is None and not has_request_context():
        language = configured.default_language
    with force_locale(language) if language else nullcontext():
        locale = get_locale()
        yield locale.language if locale is not None else configured.default_language


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_time_zone(name: str | None) -> str | None:
    """*name* when it is a time zone of the IANA database this machine has (as a browser's
    `Intl.DateTimeFormat().resolvedOptions().timeZone` names it: "Europe/Madrid"), else None. What
    a form sends is never trusted to be one, and anything else is ignored, never refused."""
    if not name or len(name) > 64:
        return None
    return name if name in _time_zones() else None


def in_time_zone(time_zone: str | None) -> str | None:
    """The time zone a mail writes its times in: *time_zone* (the one stored with what was asked
    for; "" for none known: UTC) or, when None, the one the request being answered sent, if any.
    None: UTC alone."""
    if time_zone is None and has_request_context():
        sent = current_app.extensions.get(ZONE_OF_REQUEST)
        time_zone = sent() if sent is not None else None
    return known_time_zone(time_zone)


def compose(
    template: str,
    to: str,
    subject: str,
    *,
    language: str | None = None,
    time_zone: str | None = None,
    **context: Any,
) -> EmailMessage:
    """A message with plain-text and HTML parts from templates/mail/<template>.txt and .html,
    written in *language* (`in_language`): its words, its subject (a lazy_gettext string, or
    English as given) and its dates, and its times in *time_zone* with UTC beside them
    (`in_time_zone`; the `mail_time` filter)."""
    if not to or any(ch in to for ch in "\r\n\x00,;<>") or to.count("@") != 1:
        # a header built from anything but one plain address could mail other people
        raise MailError(f"refusing to mail {to!r}: not one plain address")
    configured = settings()
    context = {"site_name": configured.site_name, "support_email": configured.support_email, **context}
    message = EmailMessage()
    message["From"] = f"{configured.site_name} <{configured.mail_from}>"
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=configured.mail_from.partition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    context["mail_time_zone"] = in_time_zone(time_zone)
    with in_language(language) as written_in:
        message["Subject"] = str(subject)
        context = {name: pages_in(written_in, value) for name, value in context.items()}
        context["mail_language"] = written_in
        context["mail_direction"] = Locale.parse(written_in).text_direction
        # mail clients drop CSS's logical values (text-align: start): the side, worked out here
        context["mail_align"] = "right" if context["mail_direction"] == "rtl" else "left"
        message.set_content(render_template(f"mail/{template}.txt", **context))
        message.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    message["Content-Language"] = written_in  # after the parts: set_content clears Content-*
    return message


def pages_in(language: str, value: Any) -> Any:
    """*value*, when it is a link to a page of this site (links.site_link), under *language*'s
    prefix (`/es/…`): a mail written in Spanish opens its pages in Spanish whatever the browser's
    cookie or Accept-Language say. The default language keeps the unprefixed address (the fixed
    one); anything else is left as it is. (Here, not in helpdesk.links: mail and links are
    siblings, and only the mail knows which language it is written in.)"""
    configured = settings()
    root = configured.site_url.rstrip("/")
    if (
        not isinstance(value, str)
        or language == configured.default_language
        or language not in configured.languages
        or not value.startswith(root + "/")
    ):
        return value
    return f"{root}/{language}{value[len(root) :]}"


def send(message: EmailMessage) -> None:
    """Deliver *message*; raises MailError when it could not be (never loses it silently)."""
    configured = settings()
    if configured.mail_url:
        _send_smtp(configured.mail_url, message)
    else:
        _write_outbox(configured.outbox_dir, message)
    metrics.mail_sent("smtp" if configured.mail_url else "outbox")


def _write_outbox(outbox: Path, message: EmailMessage) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    # sortable by sending order, also within one second and under a frozen test clock
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{next(_sequence):06d}-{uuid.uuid4().hex[:12]}.eml"
    partial = outbox / f".{name}.part"
    partial.write_bytes(bytes(message))
    partial.replace(outbox / name)  # readers never see half a file
    return outbox / name


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise MailError(f"HELPDESK_MAIL_URL must start with smtp:// or smtps://, not {parts.scheme}://")
    options = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    starttls = options.get("starttls") in ("1", "true", "yes", "required")
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    last_error: Exception | None = None
    for attempt in range(ATTEMPTS):
        try:
            if parts.scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    parts.hostname or "localhost", port, timeout=10, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(parts.hostname or "localhost", port, timeout=10)
            with client:
                if starttls:
                    client.starttls(context=ssl.create_default_context())
                if parts.username:
                    client.login(unquote(parts.username), unquote(parts.password or ""))
                client.send_message(message)
            return
        except (OSError, smtplib.SMTPException) as error:
            last_error = error
            if isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600:
                break  # a permanent refusal: retrying will not help
            time.sleep(0.2 * (attempt + 1))
    # the subject, not the address: the log must not collect who asked for what (personal data)
    current_app.logger.error("mail %r not sent: %s", message["Subject"], last_error)
    metrics.mail_failed()
    raise MailError("the mail could not be sent") from last_error
