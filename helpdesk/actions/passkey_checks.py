"""Checks of the passkey diagnosis, on the signed-in account: a passkey signed in just now (the
verified passkey sign-in), and a new passkey was added."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from ..accounts import passkeys
from ..models import utcnow
from . import ActionContext, Outcome, register

RECENT = timedelta(minutes=15)
NOT_SIGNED_IN = lazy_gettext(
    "You aren't signed in in this browser yet: sign in (the link above), then come back and check again."
)

UNUSED = lazy_gettext("None of your passkeys signed in in the last few minutes.")
NONE_ADDED = lazy_gettext("No passkey was added to your account in the last few minutes.")


class _RecentPasskeyCheck:
    """A check on the signed-in account's passkeys of the last few minutes (no form to fill)."""

    submit_label = lazy_gettext("Check")

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup("")

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success(gettext("Sandbox: nothing was checked."), sandbox=True)
        if ctx.viewer is None:
            return Outcome.failure(NOT_SIGNED_IN, passkey="not-signed-in")
        return self.judge(passkeys.passkeys_of(str(ctx.viewer.account_id)), utcnow() - RECENT)

    def judge(self, mine: list[passkeys.PasskeyRecord], since: datetime) -> Outcome:
        raise NotImplementedError


class PasskeySignedIn(_RecentPasskeyCheck):
    name = "passkey-signed-in"
    title = lazy_gettext("Check your passkey sign-in")
    intro = lazy_gettext("We check that one of your passkeys signed you in here in the last few minutes.")

    def judge(self, mine: list[passkeys.PasskeyRecord], since: datetime) -> Outcome:
        used = [p for p in mine if p.last_used_at is not None and p.last_used_at >= since]
        if not used:
            return Outcome.failure(UNUSED, passkey="unused")
        return Outcome.success(
            gettext("Your passkey \u201c%(name)s\u201d signed you in: it works.", name=used[0].name),
            passkey="used",
        )


class PasskeyAdded(_RecentPasskeyCheck):
    name = "passkey-added"
    title = lazy_gettext("Check your new passkey")
    intro = lazy_gettext("We check that a passkey was added to your account in the last few minutes.")

    def judge(self, mine: list[passkeys.PasskeyRecord], since: datetime) -> Outcome:
        added = [p for p in mine if p.created_at >= since]
        if not added:
            return Outcome.failure(NONE_ADDED, added=False)
        return Outcome.success(
            gettext("Your new passkey \u201c%(name)s\u201d is on your account.", name=added[-1].name),
            added=True,
        )


register(PasskeySignedIn())
register(PasskeyAdded())
