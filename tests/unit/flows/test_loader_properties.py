"""Properties of the flow loader, for generated and mangled YAML (anchors and aliases, tags,
huge numbers, tabs, a BOM, deep nesting): it returns a flow, or the problems found, each
naming `path:line` inside the file. It never raises."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk.flows.loader import load_flow

ROOT = Path(__file__).resolve().parents[3]
GOOD = (ROOT / "tests" / "fixtures" / "good" / "flows" / "fix-it.yaml").read_text(encoding="utf-8")
SHOWN = "flows/generated.yaml"
DEEP = "[" * 5000 + "]" * 5000

# what an editor (or a hostile one) might put where a value goes
_VALUES = st.sampled_from(
    [
        "",
        "~",
        "null",
        "yes",
        "No",
        "1e999",
        "-.inf",
        ".nan",
        "0x_ff",
        "0o17",
        "12_345",
        "9" * 400,
        "2001-13-45",
        "2001-12-14t21:59:43.10-05:00",
        "!!timestamp 2001-13-45",
        "!!int abc",
        "!!float x",
        "!!binary ###",
        "!!python/object:os.system x",
        "!custom x",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "&a x",
        "*a",
        "*missing",
        "&a [*a]",
        "[1, [2, [3]]]",
        "{a: 1, a: 2}",
        "{? [a, b] : c}",
        "{[a]: b}",
        '"\\ud800"',
        "'",
        '"',
        "|",
        ">-",
        "- x",
        "? x",
        "@x",
        "`x",
        "\t x",
        "{",
        "[",
        "%YAML 1.1",
        "---",
        "...",
        "!!str",
        "!!map {}",
        "!!seq []",
        "<<: *a",
        "{<<: {a: 1}}",
        "{<<: [*a]}",
        "\u202e\u200b",
        "\ufeffx",
    ]
)


@st.composite
def mangled_flows(draw: st.DrawFn) -> str:
    """The good flow with some of its lines changed: a value replaced, a line doubled, dropped,
    indented with a tab, a key renamed, an anchor set on one value and used on another."""
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        key, _, value = lines[at].partition(":")
        how = draw(st.sampled_from(["value", "double", "drop", "tab", "key", "anchor", "nest", "raw"]))
        if how == "value" and value:
            lines[at] = f"{key}: {draw(_VALUES)}"
        elif how == "double":
            lines.insert(at, lines[at])
        elif how == "drop" and len(lines) > 1:
            del lines[at]
        elif how == "tab":
            lines[at] = "\t" + lines[at].lstrip(" ")
        elif how == "key":
            lines[at] = f"{key.rstrip()}{draw(st.sampled_from(['x', '', ' ', '-', '<<']))}:{value}"
        elif how == "anchor" and value.strip():
            lines[at] = f"{key}: &a {value.strip()}"
            other = draw(st.integers(0, len(lines) - 1))
            other_key, _, other_value = lines[other].partition(":")
            if other_value.strip():
                lines[other] = f"{other_key}: *a"
        elif how == "nest":
            depth = draw(st.integers(1, 3000))
            nested = draw(st.sampled_from(["[" * depth + "]" * depth, "{a: " * depth + "}" * depth]))
            lines[at] = f"{key}: {nested}"
        else:
            lines.insert(at, draw(st.text(max_size=30)))
    text = "\n".join(lines)
    return (
        draw(st.sampled_from(["", "\ufeff", "%YAML 1.1\n---\n", "--- !!map\n"]))
        + text
        + draw(st.sampled_from(["", "\n", "\n---\nid: x\n", "\n...\n", "\n\x00", "\r\n"]))
    )


def assert_flow_or_located_problems(source: str) -> None:
    flow, problems = load_flow(SHOWN, source=source)
    if flow is not None:
        assert flow.path == SHOWN
        return
    assert problems, "no flow, and no problem saying why"
    last_line = source.count("\n") + source.count("\r") + 2
    for problem in problems:
        assert problem.path == SHOWN
        assert isinstance(problem.line, int) and 1 <= problem.line <= last_line, (problem, source)
        assert str(problem).startswith(f"{SHOWN}:{problem.line}: ")
        assert problem.message.strip()


@settings(max_examples=200)
@given(mangled_flows())
@example(GOOD.replace("version: 1", "version: !!timestamp 2001-13-45"))
@example(GOOD.replace("version: 1", "version: !custom 1"))
@example(GOOD.replace("    action: pretend-fix", "    action: pretend-fix\n    params: {[a]: b}"))
@example(GOOD.replace("    action: pretend-fix", "    action: pretend-fix\n    params: " + DEEP))
def test_a_mangled_flow_loads_or_says_where_it_is_wrong(source: str) -> None:
    assert_flow_or_located_problems(source)


@settings(max_examples=200)
@given(st.text(max_size=200))
@example("\ufeffid: x")
@example("- &a [*a]")
@example("a: " + "[" * 20000)
def test_any_text_loads_or_says_where_it_is_wrong(text: str) -> None:
    assert_flow_or_located_problems(text)
