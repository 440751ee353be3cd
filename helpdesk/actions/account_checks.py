"""Checks and fixes that act on the signed-in account: two-factor on? sign out everywhere."""

from __future__ import annotations

from collections.abc import Mapping

from flask import session
from flask_login import current_user
from markupsafe import Markup

from ..accounts.directory import directory
from ..cases.verification import SESSION_KEY
from ..extensions import db
from ..models import VerificationRequest
from . import ActionContext, Outcome, register

NOT_SIGNED_IN = "Sign in first (the step before this one), then try again."


class TwoFactorEnrolled:
    name = "two-factor-enrolled"
    title = "Check your new authenticator"
    submit_label = "Check"
    intro = "We check that two-step verification is on for your account."

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup("")

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success("Sandbox: nothing was checked.", sandbox=True)
        if not current_user.is_authenticated:
            return Outcome.failure(NOT_SIGNED_IN, two_factor="not-signed-in")
        account = directory().get(current_user.account.id)
        if account is None or not account.two_factor:
            return Outcome.failure("Two-step verification isn't on yet.", two_factor=False)
        left = directory().recovery_codes_left(account.id)
        return Outcome.success("Two-step verification is on.", two_factor=True, recovery_codes_left=left)


class SignOutEverywhere:
    name = "sign-out-everywhere"
    title = "Sign out everywhere else"
    submit_label = "Sign out every other device"
    intro = "Every other browser and phone signed in to your account is signed out at once."

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup("")

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success("Sandbox: nobody was signed out.", sandbox=True)
        if not current_user.is_authenticated:
            return Outcome.failure(NOT_SIGNED_IN, ended=0)
        ended = directory().end_sessions(current_user.account.id, keep_token=current_user.token)
        return Outcome.success(
            f"Done: {ended} other session{'s' if ended != 1 else ''} signed out.", ended=ended
        )


class VerificationRequested:
    name = "verification-requested"
    title = "Check your request was sent"
    submit_label = "Check"
    intro = "We check that the request you made in this browser has reached support."

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup("")

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        if ctx.sandbox:
            return Outcome.success("Sandbox: nothing was checked.", sandbox=True)
        request_id = session.get(SESSION_KEY)
        found = db.session.get(VerificationRequest, request_id) if request_id else None
        if found is None or found.status == "collecting":
            return Outcome.failure("No finished request from this browser yet.", requested=False)
        return Outcome.success(
            f"Your request {found.reference} has reached support.", requested=True, request=found.reference
        )


register(TwoFactorEnrolled())
register(VerificationRequested())
register(SignOutEverywhere())
