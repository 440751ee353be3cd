"""The real fixes a flow hands off to: one module per action, one registry of them all."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from markupsafe import Markup

from ..accounts.directory import AccountRecord
from ..accounts.org_directory import Capability
from ..flows.spec import Flow

Status = Literal["success", "failure", "pending", "retry"]


@dataclass(frozen=True)
class Outcome:
    """What an action reports. `retry` keeps the person on the step (e.g. a mistyped field)."""

    status: Status
    message: str = ""
    # safe to keep in the transcript: never a password, code or token
    detail: dict[str, Any] = field(default_factory=dict)
    http_status: int = 400  # for `retry`: 400 for the person's input, 429/503 for ours
    # what the page does after it, on the person's browser (an action never touches the session)
    sign_in: AccountRecord | None = None  # sign this browser in as this account
    checkup_done: bool = False  # the account page need not offer the way back any more
    field: str = ""  # for `retry`: the form field the message is about (the page links to it)

    def __post_init__(self) -> None:
        # a message marked for translation (a lazy string) is said now, in the reader's language:
        # the transcript, the flashed message and the API keep plain text
        object.__setattr__(self, "message", str(self.message))

    @classmethod
    def success(cls, message: str = "", **detail: Any) -> Outcome:
        return cls("success", message, detail)

    def then(self, *, sign_in: AccountRecord | None = None, checkup_done: bool = False) -> Outcome:
        """The same outcome, with what the page must do on the person's browser after it."""
        return replace(self, sign_in=sign_in, checkup_done=checkup_done)

    @classmethod
    def failure(cls, message: str = "", **detail: Any) -> Outcome:
        return cls("failure", message, detail)

    @classmethod
    def pending(cls, message: str = "", **detail: Any) -> Outcome:
        return cls("pending", message, detail)

    @classmethod
    def retry(cls, message: str, http_status: int = 400, *, field: str = "", **detail: Any) -> Outcome:
        return cls("retry", message, detail, http_status, field=field)


@dataclass(frozen=True)
class Viewer:
    """The person signed in on the browser that runs the action."""

    account_id: str
    session_id: int
    session_token: str


@dataclass(frozen=True)
class ActionContext:
    """What an action knows about the diagnosis it runs in and the browser that runs it: all of
    it handed in by the page, so an action is a plain function of its inputs."""

    flow_id: str
    step_id: str
    reference: str
    params: Mapping[str, Any]
    remote_addr: str = ""
    device: str = ""  # the browser, described ("Firefox on Linux")
    sandbox: bool = False
    viewer: Viewer | None = None
    verification_request_id: int | None = None  # the request this browser filled in, if any
    start_url: str = ""  # where this diagnosis begins (the way back after a detour)
    # the address the person typed on an earlier fix of this diagnosis (not asked twice), or ""
    known_email: str = ""


class Action(Protocol):
    # Read-only: the registry and the pages only read them, so a frozen dataclass is an action too.
    @property
    def name(self) -> str:
        """What flows write after `action:` / `check:`."""

    @property
    def title(self) -> str:
        """The page's heading."""

    @property
    def submit_label(self) -> str: ...

    @property
    def intro(self) -> str:
        """Shown above the form when the flow step has no text of its own."""

    def render_form(self, ctx: ActionContext) -> Markup:
        """The form fields (inside the page's own <form>, which carries CSRF and the button)."""

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        """Do the fix with the submitted fields and report how it went."""


_registry: dict[str, Action] = {}


def register(action: Action) -> Action:
    """Add an action to the registry under its name (the name flows use)."""
    if action.name in _registry and _registry[action.name] is not action:
        raise ValueError(f"an action named {action.name!r} is already registered")
    _registry[action.name] = action
    return action


def get_action(name: str) -> Action | None:
    return _registry.get(name)


def action_names() -> set[str]:
    return set(_registry)


# What each fix needs of the organisation's directory. The help center keeps sessions, devices,
# authenticator keys and recovery codes itself where the directory has none, so only the fixes
# that act on the directory's own record need it to be able to: a reset sets its password, an
# unlock ends its lock. A fix named here is never offered with a directory that lacks it.
NEEDS: dict[str, Capability] = {
    "send-reset-link": Capability.RESET_PASSWORD,
    "send-unlock-link": Capability.UNLOCK,
}


def missing_capability(action_name: str, available: Collection[Capability]) -> Capability | None:
    """The capability the fix *action_name* needs and a directory with *available* lacks."""
    needed = NEEDS.get(action_name)
    return needed if needed is not None and needed not in available else None


def steps_not_offered(flow: Flow, available: Collection[Capability]) -> dict[str, Capability]:
    """The fix steps of *flow* a directory with *available* cannot do, and what each needs: a
    diagnosis that reaches one takes its failure branch instead (`web/diagnose`)."""
    found = {}
    for step in flow.steps.values():
        if step.kind in ("action", "check") and step.action:
            missing = missing_capability(step.action, available)
            if missing is not None:
                found[step.id] = missing
    return found


# every action module registers itself on import; they import the names above
from . import (  # noqa: E402, F401
    account_checks,
    link_check,
    passkey_checks,
    reset_link,
    resync,
    sign_in_check,
    unlock_link,
)
