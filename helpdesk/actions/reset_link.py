"""send-reset-link: mail a single-use link to choose a new password."""

from __future__ import annotations

from ..accounts.recovery import request_reset
from . import register
from .email_link import EmailLinkAction

register(
    EmailLinkAction(
        name="send-reset-link",
        title="Reset your password",
        submit_label="Email me a reset link",
        intro="We will send a link to choose a new password. Opening it proves the account is yours.",
        send=request_reset,
    )
)
