"""check-link: the "is this link really ours?" checker, inside a flow."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from ..linkcheck import NotALink, check_here
from . import ActionContext, Outcome, register


class CheckLink:
    name = "check-link"
    title = lazy_gettext("Check the link")
    submit_label = lazy_gettext("Check it")
    intro = lazy_gettext("Paste the link or the address; we tell you whether it is really ours, and why.")

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup(
            '<div class="field"><label for="link">{label}</label>'
            '<textarea id="link" name="link" rows="2" required></textarea></div>'
        ).format(label=gettext("Link or address"))

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        try:
            verdict = check_here(form.get("link") or "")
        except NotALink as problem:
            return Outcome.retry(str(problem), field="link")
        words = " ".join(verdict.reasons)
        if verdict.official:
            return Outcome.success(
                gettext("Yes, this is one of our addresses. %(why)s", why=words), official=True
            )
        return Outcome.failure(gettext("Don't trust this link. %(why)s", why=words), official=False)


register(CheckLink())
