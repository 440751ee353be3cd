"""verify-sign-in: the check that a fix worked: the person signs in for real."""

from __future__ import annotations

from collections.abc import Mapping

from flask import render_template
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from ..accounts.signin import Attempt, attempt_sign_in
from . import ActionContext, Outcome, register


class VerifySignIn:
    name = "verify-sign-in"
    title = lazy_gettext("Sign in to check it worked")
    submit_label = lazy_gettext("Sign in")
    intro = lazy_gettext("Sign in here. It shows us the fix worked, and you are in.")

    def render_form(self, ctx: ActionContext) -> Markup:
        # rendered by Jinja with autoescaping: already safe HTML
        return Markup(render_template("actions/sign_in.html", known_email=ctx.known_email))  # noqa: S704

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        email = ((form.get("email") or "").strip() or ctx.known_email)[:320]
        password = (form.get("password") or "")[:1024]
        if not email:
            return Outcome.retry(gettext("Enter your email address."), field="email")
        if not password:
            return Outcome.retry(gettext("Enter your password."), field="password")
        if ctx.sandbox:
            return Outcome.success(gettext("Sandbox: no sign-in was tried."), sandbox=True)
        code = (form.get("code") or "").strip()[:64] or None
        attempt = attempt_sign_in(email, password, ctx.remote_addr, ctx.device, code)
        if attempt.result is Attempt.NEEDS_CODE:  # the password was right: saying so is no leak
            return Outcome.retry(
                gettext("Your account uses two-step verification: also type a code from your app."),
                field="code",
            )
        if not attempt.ok or attempt.account is None:
            # same words as the sign-in page: nothing about whether the account exists
            return Outcome.failure(gettext("That sign-in did not work."), signed_in=False)
        if attempt.result is Attempt.RECOVERY_CODE:
            factor = "recovery-code"
        else:
            factor = "authenticator" if attempt.account.two_factor else "password"
        signed_in = Outcome.success(
            gettext("You are signed in: the fix worked."), signed_in=True, factor=factor
        )
        return signed_in.then(sign_in=attempt.account)


register(VerifySignIn())
