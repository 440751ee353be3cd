"""Checks and fixes that act on the signed-in account: two-factor on? the security checkup all
green? sign out everywhere."""

from __future__ import annotations

from collections.abc import Mapping

from flask import render_template
from flask_babel import gettext, lazy_gettext, ngettext
from markupsafe import Markup

from ..accounts import reauth
from ..accounts.checkup import run_checkup
from ..accounts.directory import directory
from ..accounts.sign_out import sign_out_everywhere_else
from ..extensions import db
from ..models import VerificationRequest, VerificationStatus
from . import ActionContext, Outcome, register

NOT_SIGNED_IN = lazy_gettext("Sign in first (the step before this one), then try again.")


class TwoFactorEnrolled:
    name = "two-factor-enrolled"
    title = lazy_gettext("Check your new authenticator")
    submit_label = lazy_gettext("Check")
    intro = lazy_gettext("We check that two-step verification is on for your account.")

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup("")

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success(gettext("Sandbox: nothing was checked."), sandbox=True)
        if ctx.viewer is None:
            return Outcome.failure(NOT_SIGNED_IN, two_factor="not-signed-in")
        account = directory().get(ctx.viewer.account_id)
        if account is None or not account.two_factor:
            return Outcome.failure(gettext("Two-step verification isn't on yet."), two_factor=False)
        left = directory().recovery_codes_left(account.id)
        return Outcome.success(
            gettext("Two-step verification is on."), two_factor=True, recovery_codes_left=left
        )


class AccountCheckup:
    name = "account-checkup"
    title = lazy_gettext("Check your security checkup")
    submit_label = lazy_gettext("Check my account")
    intro = lazy_gettext("We check your account's security checkup: it passes when every item is green.")

    def render_form(self, ctx: ActionContext) -> Markup:
        # rendered by Jinja with autoescaping: already safe HTML
        return Markup(render_template("actions/account_checkup.html", back=ctx.start_url))  # noqa: S704

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success(gettext("Sandbox: nothing was checked."), sandbox=True)
        if ctx.viewer is None:
            return Outcome.failure(
                gettext("You aren't signed in here: open the checkup, sign in, then check again."),
                checkup="not-signed-in",
            )
        checkup = run_checkup(ctx.viewer.account_id, ctx.viewer.session_id)
        if not checkup.all_green:
            still = ", ".join(str(item.title).lower() for item in checkup.open_items)
            return Outcome.failure(
                ngettext(
                    "Not yet: %(done)s of %(num)d item is green. Still to do: %(still)s.",
                    "Not yet: %(done)s of %(num)d items are green. Still to do: %(still)s.",
                    len(checkup.items),
                    done=checkup.done,
                    still=still,
                ),
                checkup="open",
                open=[item.id for item in checkup.open_items],
            )
        return Outcome.success(
            gettext("Every item of your security checkup is green."), checkup="green"
        ).then(checkup_done=True)


class SignOutEverywhere:
    name = "sign-out-everywhere"
    title = lazy_gettext("Sign out everywhere else")
    submit_label = lazy_gettext("Sign out every other device")
    intro = lazy_gettext(
        "Every other browser and phone signed in to your account is signed out at once, "
        "and those you haven't confirmed as yours are forgotten."
    )

    def render_form(self, ctx: ActionContext) -> Markup:
        """The password (and a code) again, unless this session proved it was them just now:
        signing others out is for the owner, not for whoever holds a stolen cookie (ASVS 3.3.4)."""
        viewer = ctx.viewer
        if ctx.sandbox or viewer is None or reauth.is_fresh(viewer.session_id):
            return Markup("")
        account = directory().get(viewer.account_id)
        two_factor = account is not None and account.two_factor
        # rendered by Jinja with autoescaping: already safe HTML
        return Markup(render_template("actions/confirm_its_you.html", two_factor=two_factor))  # noqa: S704

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success(gettext("Sandbox: nobody was signed out."), sandbox=True)
        if ctx.viewer is None:
            return Outcome.failure(NOT_SIGNED_IN, ended=0)
        viewer = ctx.viewer
        if not reauth.is_fresh(viewer.session_id):
            proof = reauth.confirm_identity(
                viewer.account_id,
                viewer.session_id,
                (form.get("password") or "")[:1024],
                (form.get("code") or "").strip()[:64],
                ip=ctx.remote_addr,
                device=ctx.device,
            )
            if not proof.ok:
                return Outcome.retry(proof.problem)
        done = sign_out_everywhere_else(
            viewer.account_id, viewer.session_token, viewer.session_id, ip=ctx.remote_addr, device=ctx.device
        )
        return Outcome.success(done.message, ended=done.sessions_ended, forgotten=done.devices_forgotten)


class VerificationRequested:
    name = "verification-requested"
    title = lazy_gettext("Check your request was sent")
    submit_label = lazy_gettext("Check")
    intro = lazy_gettext("We check that the request you made in this browser has reached support.")

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup("")

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success(gettext("Sandbox: nothing was checked."), sandbox=True)
        request_id = ctx.verification_request_id
        found = db.session.get(VerificationRequest, request_id) if request_id else None
        if found is None or found.status == VerificationStatus.COLLECTING:
            return Outcome.failure(gettext("No finished request from this browser yet."), requested=False)
        return Outcome.success(
            gettext("Your request %(reference)s has reached support.", reference=found.reference),
            requested=True,
            request=found.reference,
        )


register(TwoFactorEnrolled())
register(AccountCheckup())
register(VerificationRequested())
register(SignOutEverywhere())
