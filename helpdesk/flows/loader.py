"""YAML file -> Flow, reporting every problem as `path:line: message`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from ..problems import Problem
from ..yamlsource import (
    DuplicateKey,
    NotAValue,
    compose,
    line,
    mapping_items,
    plain,
    syntax_error_line,
    syntax_error_message,
)
from .spec import (
    CHOICE_FIELDS,
    END_OUTCOMES,
    FLOW_FIELDS,
    ID_PATTERN,
    MAX_ID_LENGTH,
    STEP_KINDS,
    Choice,
    Flow,
    Step,
    fields_for,
)

_ID = re.compile(ID_PATTERN)
_ARTICLE_REF = re.compile(r"^[a-z0-9][a-z0-9-]*(#[A-Za-z0-9_-]+)?$")


def digest_of(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


class _Reader:
    """Reads one flow file, collecting problems instead of stopping at the first."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, at: int, message: str) -> None:
        self.problems.append(Problem(self.path, at, message))

    def fields(
        self,
        node: yaml.Node,
        rules: dict[str, tuple[str, bool, str]],
        where: str,
    ) -> tuple[dict[str, Any], dict[str, int]] | None:
        """Check a mapping against *rules*; return its values and the line of each key."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(line(node), f"{where} must be a mapping of keys to values")
            return None
        try:
            items = mapping_items(node)
        except DuplicateKey as dup:
            self.problem(dup.line, f"duplicate key '{dup.key}' in {where}")
            return None
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key, value_node, key_line in items:
            if key not in rules:
                allowed = ", ".join(sorted(rules))
                self.problem(key_line, f"unknown key '{key}' in {where} (allowed: {allowed})")
                continue
            lines[key] = key_line
            kind = rules[key][0]
            value = self.value(kind, value_node, f"'{key}' in {where}")
            if value is not None:
                values[key] = value
        for key, (_, required, _) in rules.items():
            if required and key not in lines:
                if key == "on_failure":
                    message = f"{where} has no failure branch: add 'on_failure'"
                else:
                    message = f"missing key '{key}' in {where}"
                self.problem(line(node), message)
        return values, lines

    def value(self, kind: str, node: yaml.Node, where: str) -> Any:
        """Convert a node to the type *kind* names, or report why it cannot be."""
        try:
            return self._value(kind, node, where)
        except NotAValue as bad:
            self.problem(bad.line, f"{where} cannot be read: {bad.reason}")
            return None

    def _value(self, kind: str, node: yaml.Node, where: str) -> Any:
        if kind in ("steps", "choices"):
            return node  # read structurally by the caller
        if kind == "mapping":
            if isinstance(node, yaml.MappingNode):
                return plain(node)
            self.problem(line(node), f"{where} must be a mapping")
            return None
        if kind == "texts":
            if isinstance(node, yaml.SequenceNode) and all(
                isinstance(n, yaml.ScalarNode) for n in node.value
            ):
                return tuple(str(n.value) for n in node.value)
            self.problem(line(node), f"{where} must be a list of texts")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(line(node), f"{where} must be a single value, not a list or mapping")
            return None
        value = plain(node)
        if kind == "integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            self.problem(line(node), f"{where} must be a whole number, got {node.value!r}")
            return None
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            self.problem(line(node), f"{where} must be true or false, got {node.value!r}")
            return None
        # the text as written: YAML 1.1 would turn a label `Yes` into True, editors expect "Yes"
        text = "" if value is None else str(node.value)
        if not text.strip():
            self.problem(line(node), f"{where} must not be empty")
            return None
        if kind == "id" and not _ID.match(text):
            self.problem(
                line(node),
                f"{where} must be an id of lower-case letters, digits and '-', got {text!r}",
            )
            return None
        if kind == "id" and len(text) > MAX_ID_LENGTH:
            self.problem(line(node), f"{where} is {len(text)} characters: at most {MAX_ID_LENGTH}")
            return None
        if kind == "kind" and text not in STEP_KINDS:
            self.problem(line(node), f"{where}: unknown step kind {text!r} (use {', '.join(STEP_KINDS)})")
            return None
        if kind == "outcome" and text not in END_OUTCOMES:
            self.problem(line(node), f"{where}: unknown outcome {text!r} (use {', '.join(END_OUTCOMES)})")
            return None
        if kind == "article" and not _ARTICLE_REF.match(text):
            self.problem(line(node), f"{where} must look like 'article-slug' or 'slug#section'")
            return None
        return text


def load_flow(
    path: Path | str, source: str | None = None, display_path: str = ""
) -> tuple[Flow | None, list[Problem]]:
    """Read one flow file. Returns the flow (None when it cannot be built) and its problems.

    Only problems inside the file are found here; links to other steps, articles and
    actions are checked by `flows.checks` once everything is loaded.
    """
    path = Path(path)
    shown = display_path or str(path)
    reader = _Reader(shown)
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Problem(shown, 1, f"cannot read file: {exc}")]
    try:
        root = compose(source)
    except yaml.YAMLError as exc:
        return None, [Problem(shown, syntax_error_line(exc), syntax_error_message(exc))]
    if root is None:
        return None, [Problem(shown, 1, "the file is empty")]
    checked = reader.fields(root, FLOW_FIELDS, "the flow")
    if checked is None:
        return None, reader.problems
    values, lines = checked
    steps = _read_steps(reader, values.get("steps"))
    if reader.problems or steps is None:
        return None, reader.problems
    flow = Flow(
        id=values["id"],
        title=values["title"],
        start=values["start"],
        steps=steps,
        path=shown,
        digest=digest_of(source),
        source=source,
        summary=values.get("summary", ""),
        version=values.get("version", 1),
        draft=values.get("draft", False),
        problems=values.get("problems", ()),
        line=line(root),
        lines=lines,
    )
    return flow, reader.problems


def _read_steps(reader: _Reader, node: yaml.Node | None) -> dict[str, Step] | None:
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode):
        reader.problem(line(node), "'steps' must be a mapping of step ids to steps")
        return None
    try:
        items = mapping_items(node)
    except DuplicateKey as dup:
        reader.problem(dup.line, f"duplicate step id '{dup.key}'")
        return None
    if not items:
        reader.problem(line(node), "'steps' is empty: a flow needs at least one step")
        return None
    steps: dict[str, Step] = {}
    for step_id, step_node, key_line in items:
        if not _ID.match(step_id):
            reader.problem(key_line, f"step id {step_id!r} must be lower-case letters, digits and '-'")
            continue
        if len(step_id) > MAX_ID_LENGTH:
            reader.problem(key_line, f"step id is {len(step_id)} characters: at most {MAX_ID_LENGTH}")
            continue
        step = _read_step(reader, step_id, step_node, key_line)
        if step is not None:
            steps[step_id] = step
    return steps


def _read_step(reader: _Reader, step_id: str, node: yaml.Node, key_line: int) -> Step | None:
    where = f"step '{step_id}'"
    kind = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "kind" and isinstance(value_node, yaml.ScalarNode):
                kind = value_node.value
    if isinstance(node, yaml.MappingNode) and kind is None:
        reader.problem(key_line, f"missing key 'kind' in {where} (use {', '.join(STEP_KINDS)})")
        return None
    rules = fields_for(kind or "")
    if kind is not None and kind not in STEP_KINDS:
        # report the bad kind once, without a cascade of "unknown key" problems
        reader.value("kind", _kind_node(node), f"'kind' in {where}")
        return None
    checked = reader.fields(node, rules, where)
    if checked is None:
        return None
    values, lines = checked
    if "kind" not in values:
        return None
    choices: tuple[Choice, ...] = ()
    if kind == "question" and "choices" in values:
        read = _read_choices(reader, where, values.pop("choices"))
        if read is None:
            return None
        choices = read
    if kind == "check" and "check" in values:
        values["action"] = values.pop("check")
        lines["action"] = lines["check"]
    if kind == "end":
        if values.get("outcome") == "flow" and "flow" not in values:
            reader.problem(key_line, f"{where} has outcome 'flow' but no 'flow' to go on with")
        if values.get("outcome") not in (None, "flow") and "flow" in values:
            reader.problem(lines["flow"], f"{where}: 'flow' only goes with outcome 'flow'")
    return Step(id=step_id, line=key_line, choices=choices, lines=lines, **values)


def _kind_node(node: yaml.Node) -> yaml.Node:
    for key_node, value_node in node.value:
        if key_node.value == "kind":
            return value_node
    return node


def _read_choices(reader: _Reader, where: str, node: yaml.Node) -> tuple[Choice, ...] | None:
    if not isinstance(node, yaml.SequenceNode):
        reader.problem(line(node), f"'choices' in {where} must be a list")
        return None
    if not node.value:
        reader.problem(line(node), f"{where} is a dead end: its 'choices' list is empty")
        return None
    choices = []
    seen: dict[str, int] = {}
    for index, choice_node in enumerate(node.value, start=1):
        checked = reader.fields(choice_node, CHOICE_FIELDS, f"choice {index} of {where}")
        if checked is None:
            continue
        values, lines = checked
        if not {"id", "label", "next"} <= values.keys():
            continue
        if values["id"] in seen:
            reader.problem(
                lines["id"],
                f"duplicate choice id '{values['id']}' in {where} (first at line {seen[values['id']]})",
            )
            continue
        seen[values["id"]] = lines["id"]
        choices.append(Choice(line=lines["next"], **values))
    return tuple(choices)
