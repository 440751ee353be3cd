"""What the reset-link and unlock-link actions share: ask for an address, mail a link."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import render_template
from markupsafe import Markup

from ..accounts.directory import normalise_email
from ..accounts.recovery import TooManyRequests
from ..accounts.sessions import client_ip
from ..mail import MailError
from . import ActionContext, Outcome

MAIL_FAILED = "We could not send the email just now. Nothing was changed: please try again in a few minutes."
TOO_MANY = "You have asked for several links in a short time. Please use the newest email, or wait an hour."


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
        email = (form.get("email") or "").strip()[:320]
        if "@" not in email or len(email) < 3:
            return Outcome.retry("Enter the email address your account uses.")
        if ctx.sandbox:
            return Outcome.pending("Sandbox: no email was sent.", sandbox=True)
        try:
            self.send(email, client_ip())
        except TooManyRequests:
            return Outcome.retry(TOO_MANY, http_status=429)
        except MailError:
            return Outcome.retry(MAIL_FAILED, http_status=503)
        # the same words whether or not an account uses the address
        return Outcome.pending(
            f"If an account uses {normalise_email(email)}, we sent it a link. It works once, for 30 minutes."
        )
