"""send-reset-link: mail a single-use link to choose a new password."""

from __future__ import annotations

from flask_babel import lazy_gettext

from ..accounts.recovery import request_reset
from . import register
from .email_link import EmailLinkAction

register(
    EmailLinkAction(
        name="send-reset-link",
        title=lazy_gettext("Reset your password"),
        submit_label=lazy_gettext("Email me a reset link"),
        intro=lazy_gettext(
            "We will send a link to choose a new password. Opening it proves the account is yours."
        ),
        send=request_reset,
    )
)
