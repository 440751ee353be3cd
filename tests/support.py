"""Helpers shared by the tests: a test action, form parsing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from helpdesk.actions import ActionContext, Outcome, register

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


@dataclass
class PretendFix:
    """An action defined by the tests: succeeds when the field `word` is 'fixed'."""

    name: str = "pretend-fix"
    title: str = "Apply the pretend fix"
    submit_label: str = "Apply"
    intro: str = "The pretend fix, for the tests."
    calls: list[dict[str, str]] = field(default_factory=list)

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup('<label for="word">Type a word</label><input id="word" name="word" type="text">')

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        word = form.get("word", "").strip()
        self.calls.append({"word": word, "step": ctx.step_id, "reference": ctx.reference})
        if not word:
            return Outcome.retry("Type a word first.")
        if word == "fixed":
            return Outcome.success("The pretend fix worked.", attempts=len(self.calls))
        if word == "later":
            return Outcome.pending("We will let you know.")
        return Outcome.failure("The pretend fix did not work.")


PRETEND_FIX = register(PretendFix())
