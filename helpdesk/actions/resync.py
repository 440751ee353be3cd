"""resync-authenticator: measure the phone's clock from two consecutive codes, and allow for it."""

from __future__ import annotations

from collections.abc import Mapping

from flask import render_template
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from ..accounts.directory import HistoryResult, directory
from ..accounts.signin import Attempt, attempt_sign_in, count_failure
from ..accounts.two_factor import resync
from ..throttle import allow
from . import ActionContext, Outcome, register


class ResyncAuthenticator:
    name = "resync-authenticator"
    title = lazy_gettext("Resync your authenticator")
    submit_label = lazy_gettext("Measure my phone's clock")
    intro = lazy_gettext(
        "Type two codes in a row from your app; we work out how far your phone's clock is off."
    )

    def render_form(self, ctx: ActionContext) -> Markup:
        # rendered by Jinja with autoescaping: already safe HTML
        return Markup(render_template("actions/resync.html", known_email=ctx.known_email))  # noqa: S704

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        email = (form.get("email") or "").strip()[:320]
        password = (form.get("password") or "")[:1024]
        code, code2 = (form.get("code") or "")[:32], (form.get("code2") or "")[:32]
        email = email or ctx.known_email  # typed on an earlier fix of this diagnosis: not asked again
        for name, value, missing in (
            ("email", email, gettext("Enter your email address.")),
            ("password", password, gettext("Enter your password.")),
            ("code", code, gettext("Type the code your app shows now.")),
            ("code2", code2, gettext("Wait for the next code to appear, then type it too.")),
        ):
            if not value:
                return Outcome.retry(missing, field=name)
        if ctx.sandbox:
            return Outcome.success(gettext("Sandbox: nothing was measured."), sandbox=True)
        if not allow("resync-ip", ctx.remote_addr, "10/hour"):
            return Outcome.retry(gettext("Too many tries from here. Please wait an hour."), http_status=429)
        ip, device = ctx.remote_addr, ctx.device
        attempt = attempt_sign_in(email, password, ip, device)
        if attempt.result is not Attempt.NEEDS_CODE or attempt.account is None:
            if attempt.ok:
                return Outcome.failure(
                    gettext("This account doesn't use an authenticator app."), drift="no-2fa"
                )
            return Outcome.retry(
                gettext("That email and password don't match an account we can check right now.")
            )
        account = attempt.account
        if not allow("resync-account", str(account.id), "5/15 minutes"):
            return Outcome.retry(
                gettext("Too many tries for this account. Please wait 15 minutes."), http_status=429
            )
        drift = resync(account, code, code2)
        accounts = directory()
        if drift.status == "found":
            accounts.record_sign_in(account.id, HistoryResult.RESYNC, ip, device)
            return Outcome.success(
                # short: the next page (a sign-in with a fresh code, which expires in 30 s) must
                # fit on a phone's screen; that page's own text says to set the time automatically
                gettext("Done: %(drift)s. We allow for that from now on.", drift=drift.describe()),
                drift_seconds=drift.seconds,
                offset_steps=drift.offset_steps,
            )
        if drift.status == "used":  # this key's codes, taken already: a replay, not a guess
            accounts.record_sign_in(account.id, HistoryResult.RESYNC_CODES_USED, ip, device)
            return Outcome.retry(
                gettext(
                    "Those two codes were used already, so they can't measure your phone's clock "
                    "again. Wait for a new code to appear, type it at once, then wait for the next "
                    "one and type that too."
                ),
                drift="used",
                field="code",
            )
        if drift.status == "no-match":  # could be a guess: counts like a wrong code, lock and all
            count_failure(account, ip=ip)
        accounts.record_sign_in(account.id, HistoryResult.RESYNC_FAILED, ip, device)
        if drift.status == "expired":  # this key's codes, only old: no guess, so nothing counted
            return Outcome.retry(
                gettext(
                    "That code had expired. Wait for a new code to appear, type it at once, "
                    "then wait for the next one and type that too."
                ),
                drift="expired",
                field="code",
            )
        return Outcome.failure(gettext("Those codes don't come from this account's entry."), drift="no-match")


register(ResyncAuthenticator())
