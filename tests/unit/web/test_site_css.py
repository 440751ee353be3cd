"""site.css lays pages out in logical directions only, so right-to-left pages (Arabic) mirror."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SITE_CSS = Path(__file__).resolve().parents[3] / "static" / "site.css"
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_DECLARATION = re.compile(r"([a-z-]+)\s*:\s*([^;{}]+)")
# left, right, margin-left, border-right-color, border-top-left-radius, …
_PHYSICAL_PROPERTY = re.compile(r"(?:^|-)(?:left|right)(?:-|$)")
_PHYSICAL_VALUE = re.compile(r"\b(?:left|right)\b")
_VALUE_PROPERTIES = ("float", "clear", "text-align", "caption-side", "resize")
_FOUR_SIDES = ("margin", "padding", "inset", "border-width", "border-style", "border-color")


def declarations(css: str) -> list[tuple[str, str]]:
    """Every `property: value` inside a rule's braces (selectors and at-rule preludes left out)."""
    found = []
    depth = 0
    text = _COMMENT.sub("", css)
    block_start = 0
    for position, char in enumerate(text):
        if char == "{":
            depth += 1
            block_start = position + 1
        elif char == "}":
            found.extend(_DECLARATION.findall(text[block_start:position]))
            depth -= 1
            block_start = position + 1
    return [(prop.strip(), value.strip()) for prop, value in found]


def physical(prop: str, value: str) -> bool:
    if _PHYSICAL_PROPERTY.search(prop):
        return True
    if prop in _VALUE_PROPERTIES and _PHYSICAL_VALUE.search(value):
        return True
    parts = value.split()  # "padding: 1px 2px 3px 4px" sets left and right apart
    return prop in _FOUR_SIDES and len(parts) == 4 and parts[1] != parts[3]


@pytest.mark.parametrize(
    ("declaration", "is_physical"),
    [
        ("margin-left: 1rem", True),
        ("border-top-right-radius: 2px", True),
        ("left: 0", True),
        ("text-align: right", True),
        ("float: left", True),
        ("padding: 0 1rem 0 2rem", True),
        ("padding: 0 1rem 0 1rem", False),
        ("margin-inline-start: 1rem", False),
        ("inset-inline: 0", False),
        ("text-align: start", False),
        ("border-inline-start-color: red", False),
    ],
)
def test_the_check_tells_physical_declarations_from_logical_ones(declaration: str, is_physical: bool):
    [(prop, value)] = declarations("a {" + declaration + "}")
    assert physical(prop, value) is is_physical


def test_site_css_sets_no_physical_left_or_right():
    found = declarations(SITE_CSS.read_text(encoding="utf-8"))
    assert len(found) > 100  # the parser read the rules
    assert [f"{prop}: {value}" for prop, value in found if physical(prop, value)] == []
