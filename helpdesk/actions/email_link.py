"""What the reset-link and unlock-link actions share: ask for an address, mail a link."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from ..accounts.directory import org_directory
from ..accounts.recovery import ask_for_link
from . import ActionContext, Outcome, missing_capability

NOT_OFFERED = lazy_gettext(
    "Our account system can't do this fix from here, so please contact support: they can."
)


@dataclass(frozen=True)
class EmailLinkAction:
    name: str
    title: str
    submit_label: str
    intro: str
    send: Callable[[str, str], None]  # (email, ip): raises MailError / TooManyRequests

    def render_form(self, ctx: ActionContext) -> Markup:
        # rendered by Jinja with autoescaping: already safe HTML
        return Markup(render_template("actions/email_link.html", email=""))  # noqa: S704

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.pending(gettext("Sandbox: no email was sent."), sandbox=True)
        lacking = missing_capability(self.name, org_directory().capabilities)
        if lacking is not None:  # never offered on the pages; an API client may still ask
            return Outcome.failure(NOT_OFFERED, not_offered=lacking)
        asked = ask_for_link(self.send, form.get("email") or "", ctx.remote_addr)
        if not asked.ok:
            field = "email" if asked.http_status == 400 else ""  # a mistyped address, not "too many"
            return Outcome.retry(asked.message, http_status=asked.http_status, field=field)
        return Outcome.pending(asked.message)  # the same words whether or not an account uses it
