"""How far a person is through a flow: the progress hint each step page shows.

The hint must never mislead someone who is already stressed. Its rules:

- **"last step"** only where every way on (a fix that fails too) ends at once;
- **"last step if this works"** on a fix whose success ends at once but whose failure goes on;
- otherwise **"up to N steps to go"**, where N is the most pages still to come on any way
  the person hopes for (every answer, a fix that works or is pending; a failing fix is left
  out). Along those ways N goes down by at least one with every page, whatever is answered,
  so the estimate only rises for a reason the page says: a fix did not work;
- a plain **"Step N"** where no honest bound exists (a loop without a failure in it, a chain of
  handovers that comes back) or the bound is too long to help (more than LONGEST_HINT).

N counts this page too; an end that hands over to another flow costs that flow's pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext, ngettext

from .spec import Flow

LONGEST_HINT = 6  # "up to 13 steps to go" frightens more than it helps: say only "Step N"
FIX_KINDS = ("action", "check")


@dataclass(frozen=True)
class Outlook:
    """What can still come after a step (its page included)."""

    at_most: int | None  # most pages on the ways the person hopes for; None: no honest bound
    ends_for_sure: bool  # every way on, failure too, ends right after this page

    def hint(self) -> str:
        """The words after "Step N · ", or "" for a plain "Step N"."""
        if self.ends_for_sure:
            return gettext("last step")
        if self.at_most is None or not 1 <= self.at_most <= LONGEST_HINT:
            return ""
        if self.at_most <= 1:
            return gettext("last step if this works")
        return ngettext("up to %(num)d step to go", "up to %(num)d steps to go", self.at_most)


NO_PROMISE = Outlook(at_most=None, ends_for_sure=False)  # a plain "Step N"


def progress_text(number: int, outlook: Outlook) -> str:
    """ "Step 2 · up to 3 steps to go", as the step page and the API show it."""
    hint = outlook.hint()
    if hint:
        return gettext("Step %(number)d · %(hint)s", number=number, hint=hint)
    return gettext("Step %(number)d", number=number)


def outlooks(flow: Flow, handover: Mapping[str, int | None] | None = None) -> dict[str, Outlook]:
    """The outlook of every step of *flow*. *handover* gives, by end step, the pages of the flow
    it hands over to (None: unbounded); an end without an entry costs nothing."""
    costs = dict(handover or {})
    most: dict[str, int | None] = {}
    on_stack: set[str] = set()

    def at_most(step_id: str) -> int | None:
        if step_id in most:
            return most[step_id]
        if step_id in on_stack:
            return None  # a loop the person may go round without any fix failing
        step = flow.steps[step_id]
        if step.kind == "end":
            most[step_id] = costs.get(step_id, 0)
            return most[step_id]
        on_stack.add(step_id)
        hoped = [at_most(t) for trigger, t in step.transitions() if trigger != "failure" and t in flow.steps]
        on_stack.discard(step_id)
        bound = None if any(h is None for h in hoped) else 1 + max((h or 0 for h in hoped), default=0)
        most[step_id] = bound
        return bound

    result: dict[str, Outlook] = {}
    for step_id, step in flow.steps.items():
        targets = [t for _, t in step.transitions()]
        ends = bool(targets) and all(
            t in flow.steps and flow.steps[t].kind == "end" and costs.get(t, 0) == 0 for t in targets
        )
        result[step_id] = Outlook(at_most(step_id), ends_for_sure=step.kind != "end" and ends)
    return result
