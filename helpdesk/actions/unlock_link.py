"""send-unlock-link: mail a single-use link that unlocks the account."""

from __future__ import annotations

from flask_babel import lazy_gettext

from ..accounts.recovery import request_unlock
from . import register
from .email_link import EmailLinkAction

register(
    EmailLinkAction(
        name="send-unlock-link",
        title=lazy_gettext("Unlock your account"),
        submit_label=lazy_gettext("Email me an unlock link"),
        intro=lazy_gettext(
            "We will send a link that unlocks your account. Opening it proves the account is yours, "
            "and the page it opens tells you how long the lock would have lasted."
        ),
        send=request_unlock,
    )
)
