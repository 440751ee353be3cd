"""check-link: the "is this link really ours?" checker, inside a flow."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

from ..linkcheck import NotALink, check_here
from . import ActionContext, Outcome, register


class CheckLink:
    name = "check-link"
    title = "Check the link"
    submit_label = "Check it"
    intro = "Paste the link or the address; we tell you whether it is really ours, and why."

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup(
            '<div class="field"><label for="link">Link or address</label>'
            '<textarea id="link" name="link" rows="2" required></textarea></div>'
        )

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        try:
            verdict = check_here(form.get("link") or "")
        except NotALink as problem:
            return Outcome.retry(str(problem), field="link")
        words = " ".join(verdict.reasons)
        if verdict.official:
            return Outcome.success(f"Yes, this is one of our addresses. {words}", official=True)
        return Outcome.failure(f"Don't trust this link. {words}", official=False)


register(CheckLink())
