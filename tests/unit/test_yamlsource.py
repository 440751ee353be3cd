"""YAML read as nodes: line numbers, duplicate keys, plain values, syntax errors that point right."""

from __future__ import annotations

import pytest
import yaml

from helpdesk.yamlsource import (
    DuplicateKey,
    NotAValue,
    compose,
    line,
    mapping_items,
    plain,
    syntax_error_line,
    syntax_error_message,
)


def _syntax_error(text: str) -> yaml.YAMLError:
    with pytest.raises(yaml.YAMLError) as raised:
        compose(text)
    return raised.value


def test_compose_of_an_empty_text_is_none():
    assert compose("") is None


def test_line_is_one_based():
    root = compose("id: a\ntitle: b\n")
    assert [line(key) for key, _ in root.value] == [1, 2]


def test_mapping_items_give_key_value_and_the_keys_line():
    root = compose("# a comment\nid: a\nsteps:\n  start: {}\n")
    items = mapping_items(root)
    assert [(key, lineno) for key, _, lineno in items] == [("id", 2), ("steps", 3)]
    assert plain(items[0][1]) == "a"


def test_a_repeated_key_is_reported_with_the_line_of_the_repeat():
    with pytest.raises(DuplicateKey) as raised:
        mapping_items(compose("id: a\ntitle: b\nid: c\n"))
    assert (raised.value.key, raised.value.line) == ("id", 3)


def test_non_string_keys_are_compared_as_text():
    with pytest.raises(DuplicateKey):
        mapping_items(compose("1: a\n'1': b\n"))


def test_plain_gives_yamls_safe_types():
    assert plain(compose("a: [1, 2.5, true, null, x]\nb: {c: d}\n")) == {
        "a": [1, 2.5, True, None, "x"],
        "b": {"c": "d"},
    }


def test_plain_refuses_python_object_tags():
    with pytest.raises(NotAValue, match="could not determine a constructor") as raised:
        plain(compose("!!python/object/apply:os.system ['true']"))
    assert isinstance(raised.value.__cause__, yaml.constructor.ConstructorError)


def test_a_syntax_error_points_at_its_line():
    exc = _syntax_error("id: a\ntitle: b\n  bad: indent\n")
    assert syntax_error_line(exc) == 3


def test_an_unclosed_quote_points_where_it_began_not_at_the_end():
    exc = _syntax_error('id: a\ntitle: "b\nsummary: d\nversion: 1\n')
    assert syntax_error_line(exc) == 2


def test_a_syntax_error_message_says_what_is_wrong_and_while_doing_what():
    message = syntax_error_message(_syntax_error("id: a\ntitle: [b, c\nsummary: d\n"))
    assert message == "YAML syntax error: while parsing a flow sequence, did not find expected ',' or ']'"


def test_a_syntax_error_without_a_mark_is_on_line_one():
    assert syntax_error_line(yaml.YAMLError("no mark")) == 1
    assert syntax_error_message(yaml.YAMLError("no mark")) == "YAML syntax error: no mark"


@pytest.mark.parametrize(
    ("text", "at", "reason"),
    [
        ("a: 1\nb: !custom x\n", 2, "could not determine a constructor"),
        ("a: 1\nb: !!timestamp 2001-13-45\n", 2, "month must be in 1..12"),
        ("a: 1\nb: {[x]: y}\n", 2, "unhashable"),
        ("a: !!int abc\n", 1, "invalid literal"),
    ],
)
def test_a_node_with_no_value_is_not_a_value_with_its_line(text: str, at: int, reason: str):
    # found by the property tests: these escaped as ValueError or ConstructorError
    items = mapping_items(compose(text))
    with pytest.raises(NotAValue) as raised:
        plain(items[-1][1])
    assert raised.value.line == at
    assert reason in raised.value.reason
    assert plain(compose("[1, 2]")) == [1, 2]  # the next value is built as if nothing happened


@pytest.mark.parametrize(
    "value",
    ["question", "1", "-2", "0x1f", "1.5", "yes", "No", "on", "~", "null", "", "2001-01-31", "'1'", '"yes"'],
)
def test_plain_values_get_the_tags_and_values_pyyaml_gives_them(value: str) -> None:
    # the loader remembers the tag of each plain text it has seen: twice must still be right
    for _ in range(2):
        ours = compose(f"key: {value}\n").value[0][1]
        theirs = yaml.compose(f"key: {value}\n", Loader=yaml.SafeLoader).value[0][1]
        assert ours.tag == theirs.tag
        assert plain(ours) == yaml.safe_load(f"key: {value}\n")["key"]
