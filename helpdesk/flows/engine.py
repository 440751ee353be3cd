"""Flow -> compiled state machine, built once per flow version and shared by all requests."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from transitions import Machine, MachineError

from ..errors import DomainError
from .progress import Outlook, outlooks
from .spec import Flow, Step


class InvalidMove(DomainError):
    """The answer or outcome does not lead anywhere from the current step."""


@dataclass
class Position:
    """The plain model a Machine moves: only a `state`, restored from the database."""

    state: str


@dataclass
class CompiledFlow:
    flow: Flow
    # how many more pages (steps that ask something of the person) on the shortest way to an end
    remaining: dict[str, int] = field(default_factory=dict)
    # what the progress hint may promise at each step (flows/progress.py)
    outlook: dict[str, Outlook] = field(default_factory=dict)
    # what the pages work out once per flow version rather than on every request (a step page's
    # fixed parts, by their own keys); it goes with this version, so an edit never finds it stale
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    # the moves made so far, by (step, trigger): only the flow's own (an invalid one is not kept)
    moves: dict[tuple[str, str], str] = field(default_factory=dict, repr=False, compare=False)
    lenient: bool = False

    @cached_property
    def machine(self) -> Machine:
        """Built on first use: loading 200 flows need not build 200 machines nobody runs yet."""
        return _machine(self.flow, self.lenient)

    @property
    def id(self) -> str:
        return self.flow.id

    @property
    def digest(self) -> str:
        return self.flow.digest

    def step(self, step_id: str) -> Step:
        return self.flow.steps[step_id]

    def move(self, step_id: str, trigger: str) -> str:
        """The step that *trigger* leads to from *step_id*; raises InvalidMove. Kept once found:
        a move depends on nothing but the flow (no conditions), and firing the Machine's trigger
        costs tens of µs on every answer."""
        found: str | None = self.moves.get((step_id, trigger))
        if found is None:
            found = self.moves[(step_id, trigger)] = self._fire(step_id, trigger)
        return found

    def _fire(self, step_id: str, trigger: str) -> str:
        event = self.machine.events.get(trigger)
        if event is None or step_id not in self.flow.steps:
            raise InvalidMove(f"'{trigger}' is not possible at step '{step_id}'")
        position = Position(step_id)
        try:
            event.trigger(position)
        except MachineError as exc:
            raise InvalidMove(f"'{trigger}' is not possible at step '{step_id}'") from exc
        return position.state


def compile_flow(flow: Flow, lenient: bool = False) -> CompiledFlow:
    """The flow ready to run: its Machine (states = steps, triggers = answers and outcomes, built
    on first use) and the pages left from each step.

    *lenient* builds one for a flow with problems too (for the editors' diagram and sandbox):
    ways out to steps that do not exist are left out, and a missing start becomes the first step.
    """
    return CompiledFlow(flow=flow, remaining=pages_to_end(flow), outlook=outlooks(flow), lenient=lenient)


def _machine(flow: Flow, lenient: bool) -> Machine:
    transitions = [
        {"trigger": trigger, "source": step.id, "dest": target}
        for step in flow.steps.values()
        for trigger, target in step.transitions()
        if not lenient or target in flow.steps
    ]
    start = flow.start if flow.start in flow.steps or not lenient else next(iter(flow.steps))
    return Machine(
        model=None,
        states=list(flow.steps),
        transitions=transitions,
        initial=start,
        auto_transitions=False,
        send_event=False,
    )


def pages_to_end(flow: Flow, handover: dict[str, int] | None = None) -> dict[str, int]:
    """Fewest pages still to go from each step to an end.

    The way through a fix is its success (or pending) branch: counting its failure branch
    would promise "last step" on a page that, when the fix works, has more to come. An end
    that hands over to another flow costs what that flow still asks (*handover*, by step).
    """
    hopeful = _distances(flow, handover or {}, skip_failure=True)
    anyway = _distances(flow, handover or {}, skip_failure=False)
    return {sid: hopeful.get(sid, anyway.get(sid, 0)) for sid in flow.steps}


def _distances(flow: Flow, handover: dict[str, int], *, skip_failure: bool) -> dict[str, int]:
    reverse: dict[str, list[str]] = {sid: [] for sid in flow.steps}
    for step in flow.steps.values():
        for trigger, target in step.transitions():
            if target in reverse and not (skip_failure and trigger == "failure"):
                reverse[target].append(step.id)
    # Dijkstra from every end at once (ends may start above zero); each step is one page
    remaining: dict[str, int] = {}
    queue = [(handover.get(sid, 0), sid) for sid, step in flow.steps.items() if step.kind == "end"]
    heapq.heapify(queue)
    while queue:
        distance, current = heapq.heappop(queue)
        if current in remaining:
            continue
        remaining[current] = distance
        for source in reverse[current]:
            if source not in remaining:
                heapq.heappush(queue, (distance + 1, source))
    return remaining
