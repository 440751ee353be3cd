"""YAML read as nodes, so that every value keeps the line it came from."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (its wheels are): the same nodes and marks, ~10x faster
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"


class _Loader(_BASE_LOADER):  # type: ignore[valid-type,misc]  # one of two classes, chosen above
    """The safe loader, with the tag of a plain value remembered: a flow says `kind: question`
    and `next: ...` hundreds of times, and matching each against YAML's implicit types (int,
    bool, null, float, timestamp...) was a tenth of a large load."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and not self.yaml_path_resolvers:
            return _scalar_tag(value, bool(implicit[0]))
        return str(super().resolve(kind, value, implicit))


@lru_cache(maxsize=8192)
def _scalar_tag(value: str, plain: bool) -> str:
    return str(_BASE_LOADER.resolve(_RESOLVER, yaml.ScalarNode, value, (plain, False)))


_RESOLVER = _BASE_LOADER("")


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line


def compose(text: str) -> yaml.Node | None:
    """Parse *text* into a node tree (raises yaml.YAMLError with a mark on bad syntax)."""
    return yaml.compose(text, Loader=_Loader)


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def mapping_items(node: yaml.MappingNode) -> list[tuple[str, yaml.Node, int]]:
    """(key, value node, key line) for a mapping; raises DuplicateKey on a repeated key."""
    seen: set[str] = set()
    items = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in seen:
            raise DuplicateKey(key, line(key_node))
        seen.add(key)
        items.append((key, value_node, line(key_node)))
    return items


_local = threading.local()


class NotAValue(Exception):
    """A node that parses but has no value: an unknown tag (`!custom x`), an impossible date
    (`!!timestamp 2001-13-45`), a list as a mapping key, nesting too deep to build."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def plain(node: yaml.Node) -> Any:
    """The Python value of a node, with YAML's safe types (one constructor per thread, reused).

    Raises NotAValue, with the line and the reason, for a node no value can be built from.
    """
    if node.tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value  # what the constructor would make of it, without its machinery
    constructor = getattr(_local, "constructor", None)
    if constructor is None:
        constructor = _local.constructor = yaml.SafeLoader("")
    failed: Exception
    mark: yaml.Mark | None = None
    try:
        return constructor.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark, reason, failed = exc.problem_mark or exc.context_mark, exc.problem or str(exc), exc
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. !!timestamp 2001-13-45, !!int abc
        reason, failed = str(exc), exc
    except RecursionError as exc:
        reason, failed = "it is nested too deeply", exc
    # a failed construction leaves the reused constructor half-way: start the next one afresh
    _local.constructor = None
    raise NotAValue(mark.line + 1 if mark is not None else line(node), reason) from failed


def syntax_error_line(exc: yaml.YAMLError) -> int:
    problem = getattr(exc, "problem", "") or ""
    marks = [getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)]
    if "end of stream" in problem:
        marks.reverse()  # point at where the unclosed thing began, not at the end of the file
    mark = next((m for m in marks if m is not None), None)
    return mark.line + 1 if mark is not None else 1


def syntax_error_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else problem
    return f"YAML syntax error: {text}"
