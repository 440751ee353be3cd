"""What a flow is: the dataclasses the loader builds, and the field rules it checks them by."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STEP_KINDS = ("question", "info", "action", "check", "end")
END_OUTCOMES = ("resolved", "escalate", "flow")
ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
MAX_ID_LENGTH = 100  # what the tables keep of a flow or step id (models.py)

# Field rules, per mapping: name -> (type name, required, description).
# The loader checks files by these rules and the JSON Schema is generated from them.
FLOW_FIELDS: dict[str, tuple[str, bool, str]] = {
    "id": ("id", True, "Identifier used in URLs: /diagnose/<id>. Lower-case letters, digits, '-'."),
    "title": ("text", True, "What the person sees as the flow's name."),
    "summary": ("text", False, "One sentence shown on the home page and in search results."),
    "version": ("integer", False, "A number for people; every edit is tracked by content anyway."),
    "draft": ("boolean", False, "Hidden from the public while true."),
    "problems": ("texts", False, "How people describe the problem, for search."),
    "start": ("id", True, "The id of the first step."),
    "steps": ("steps", True, "The steps, by id."),
}

COMMON_STEP_FIELDS: dict[str, tuple[str, bool, str]] = {
    "kind": ("kind", True, "question, info, action, check or end."),
    "text": ("text", False, "What the page says (Markdown)."),
    "article": ("article", False, "An article or a section of one: slug or slug#section-id."),
}

STEP_FIELDS: dict[str, dict[str, tuple[str, bool, str]]] = {
    "question": {
        "text": ("text", True, "The question (Markdown)."),
        "help": ("text", False, "A hint below the question (Markdown)."),
        "choices": ("choices", True, "The answers the person can give."),
    },
    "info": {
        "text": ("text", True, "What to tell the person (Markdown)."),
        "next": ("id", True, "The step that follows."),
        "button": ("text", False, "Label of the button; default 'Continue'."),
    },
    "action": {
        "action": ("action", True, "Name of a registered action (the real fix)."),
        "params": ("mapping", False, "Parameters for the action."),
        "on_success": ("id", True, "Step after the action succeeded."),
        "on_failure": ("id", True, "Step after the action failed."),
        "on_pending": ("id", False, "Step while the action waits (e.g. for an emailed link)."),
    },
    "check": {
        "check": ("action", True, "Name of a registered action that proves the fix worked."),
        "params": ("mapping", False, "Parameters for the check."),
        "on_success": ("id", True, "Step after the fix was proved to work."),
        "on_failure": ("id", True, "Step when it could not be proved."),
    },
    "end": {
        "outcome": ("outcome", True, "resolved, escalate (contact support) or flow (go on in another flow)."),
        "flow": ("id", False, "With outcome 'flow': the flow to go on with."),
    },
}

CHOICE_FIELDS: dict[str, tuple[str, bool, str]] = {
    "id": ("id", True, "Identifier of the answer, stable across edits."),
    "label": ("text", True, "What the person clicks."),
    "hint": ("text", False, "A short explanation under the label."),
    "next": ("id", True, "The step this answer leads to."),
}


def fields_for(kind: str) -> dict[str, tuple[str, bool, str]]:
    """Every field a step of *kind* may have, common ones included."""
    merged = dict(COMMON_STEP_FIELDS)
    merged.update(STEP_FIELDS.get(kind, {}))
    return merged


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str
    next: str
    hint: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    kind: str
    line: int
    text: str = ""
    help: str = ""
    article: str = ""
    choices: tuple[Choice, ...] = ()
    next: str = ""
    button: str = ""
    action: str = ""  # the action's name; a check step's `check:` lands here too
    params: dict[str, Any] = field(default_factory=dict)
    on_success: str = ""
    on_failure: str = ""
    on_pending: str = ""
    outcome: str = ""
    flow: str = ""
    # line of each field, for problems found after loading
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def transitions(self) -> list[tuple[str, str]]:
        """(trigger, target step) for every way out of this step."""
        if self.kind == "question":
            return [(c.id, c.next) for c in self.choices]
        if self.kind == "info":
            return [("continue", self.next)] if self.next else []
        if self.kind in ("action", "check"):
            pairs = [("success", self.on_success), ("failure", self.on_failure)]
            if self.on_pending:
                pairs.append(("pending", self.on_pending))
            return [(t, s) for t, s in pairs if s]
        return []

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    title: str
    start: str
    steps: dict[str, Step]
    path: str
    digest: str
    source: str
    summary: str = ""
    version: int = 1
    draft: bool = False
    problems: tuple[str, ...] = ()
    line: int = 1
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


_SCHEMA_TYPES: dict[str, dict[str, Any]] = {
    "id": {"type": "string", "pattern": ID_PATTERN, "maxLength": MAX_ID_LENGTH},
    "text": {"type": "string", "minLength": 1},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "texts": {"type": "array", "items": {"type": "string"}},
    "mapping": {"type": "object"},
    "action": {"type": "string", "minLength": 1},
    "article": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*(#[A-Za-z0-9_-]+)?$"},
    "outcome": {"enum": list(END_OUTCOMES)},
    "kind": {"enum": list(STEP_KINDS)},
}


def _object(rules: dict[str, tuple[str, bool, str]], **overrides: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, (kind, _, description) in rules.items():
        properties[name] = {**overrides.get(name, _SCHEMA_TYPES.get(kind, {})), "description": description}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, (_, required, _) in rules.items() if required],
        "properties": properties,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a flow file, generated from the same rules the loader checks."""
    choice = _object(CHOICE_FIELDS)
    steps = []
    for kind in STEP_KINDS:
        overrides: dict[str, dict[str, Any]] = {"kind": {"const": kind}}
        if kind == "question":
            overrides["choices"] = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/choice"}}
        step = _object(fields_for(kind), **overrides)
        step["title"] = f"{kind} step"
        steps.append(step)
    flow = _object(
        FLOW_FIELDS,
        steps={
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": ID_PATTERN, "maxLength": MAX_ID_LENGTH},
            "additionalProperties": {"$ref": "#/$defs/step"},
        },
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "flow.schema.json",
        "title": "helpdesk flow",
        "description": "A guided diagnosis: questions, information, real fixes and ends.",
        **flow,
        "$defs": {"choice": choice, "step": {"oneOf": steps}},
    }
