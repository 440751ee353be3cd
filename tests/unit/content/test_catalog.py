"""Each kind of content problem has a fixture file whose marker lines say where and what."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from helpdesk.actions import action_names
from helpdesk.content.catalog import load_catalog

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GOOD = FIXTURES / "good"
BROKEN = sorted((FIXTURES / "broken").iterdir())
MARKER = re.compile(r"(?:#!|<!--!)\s*(.*?)\s*(?:-->)?$")


def expected_problems(path: Path) -> list[tuple[int, str]]:
    """(line, message fragment) for every marker in the fixture."""
    found = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        marker = MARKER.search(text)
        if marker:
            found.append((number, marker.group(1)))
    assert found, f"{path.name} has no marker"
    return found


def check_with_good_content(*extra: Path) -> list[str]:
    catalog = load_catalog(GOOD / "content", GOOD / "flows", action_names(), extra)
    return [str(p) for p in catalog.problems]


def test_the_good_fixtures_have_no_problems() -> None:
    assert check_with_good_content() == []


@pytest.mark.parametrize("fixture", BROKEN, ids=[p.name for p in BROKEN])
def test_each_problem_is_reported_at_its_line(fixture: Path) -> None:
    shown = os.path.relpath(fixture)
    reported = [p for p in check_with_good_content(fixture) if p.startswith(shown + ":")]
    expected = expected_problems(fixture)
    assert len(reported) == len(expected), reported
    for (line, fragment), problem in zip(sorted(expected), sorted(reported, key=_line), strict=True):
        assert problem.startswith(f"{shown}:{line}: "), problem
        assert fragment in problem, problem


def _line(problem: str) -> int:
    return int(problem.split(":")[1])


def test_a_broken_file_leaves_the_rest_loaded() -> None:
    catalog = load_catalog(
        GOOD / "content", GOOD / "flows", action_names(), [FIXTURES / "broken" / "loop.yaml"]
    )
    assert "loop" not in catalog.flows
    assert {"fix-it", "other-flow"} <= set(catalog.flows)


def test_an_article_file_name_longer_than_a_slug_may_be_is_refused(tmp_path: Path) -> None:
    long_name = tmp_path / ("a-long-name-" * 9 + "too-long.md")  # 116 characters before ".md"
    long_name.write_text("---\ntitle: Long\nsummary: A name no table keeps.\n---\nText.\n")
    at_limit = tmp_path / ("b" * 100 + ".md")
    at_limit.write_text("---\ntitle: Just right\nsummary: The longest name there may be.\n---\nText.\n")
    catalog = load_catalog(GOOD / "content", GOOD / "flows", action_names(), [long_name, at_limit])
    assert [str(p) for p in catalog.problems] == [
        f"{long_name}:1: file name is 116 characters before '.md': at most 100 characters"
    ]
    assert "a-long-name-" * 9 + "too-long" not in catalog.articles  # never served
    assert "b" * 100 in catalog.articles


def test_an_article_file_name_that_is_not_a_slug_is_reported_and_never_served(tmp_path: Path) -> None:
    odd = tmp_path / "Caps And Spaces.md"
    odd.write_text("---\ntitle: Odd\nsummary: A name that is no address.\n---\nText.\n")
    catalog = load_catalog(GOOD / "content", GOOD / "flows", action_names(), [odd])
    assert [str(p) for p in catalog.problems] == [
        f"{odd}:1: file name 'Caps And Spaces.md' must be lower-case letters, digits, '-'"
    ]
    assert "Caps And Spaces" not in catalog.articles


def _copy_of_good(tmp_path: Path) -> tuple[Path, Path]:
    import shutil

    shutil.copytree(GOOD / "content", tmp_path / "content")
    shutil.copytree(GOOD / "flows", tmp_path / "flows")
    return tmp_path / "content", tmp_path / "flows"


def test_a_reload_parses_again_only_the_files_that_changed(tmp_path: Path) -> None:
    content, flows = _copy_of_good(tmp_path)
    before = load_catalog(content, flows, action_names())
    edited = sorted(content.glob("*.md"))[0]
    edited.write_text(edited.read_text() + "\nOne more line.\n")
    after = load_catalog(content, flows, action_names())
    assert after is not before and not after.problems
    for slug, article in after.articles.items():
        same = article is before.articles[slug]
        assert same == (slug != edited.stem), slug  # the unchanged ones are the very same objects
    assert "One more line." in after.articles[edited.stem].html
    assert all(after.flows[fid].flow is compiled.flow for fid, compiled in before.flows.items())


def test_problems_of_an_unchanged_broken_file_are_reported_on_every_load(tmp_path: Path) -> None:
    content, flows = _copy_of_good(tmp_path)
    broken = FIXTURES / "broken" / "loop.yaml"
    first = load_catalog(content, flows, action_names(), [broken])
    again = load_catalog(content, flows, action_names(), [broken])
    assert first.problems and again.problems == first.problems
    assert "loop" not in again.flows


def test_a_large_load_parsed_by_forked_processes_is_the_load_parsed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from helpdesk.content import catalog as catalog_module
    from helpdesk.content.catalog import forget_loads
    from helpdesk.content.render import clear_render_cache

    content, flows = _copy_of_good(tmp_path)
    (content / "unreadable.md").write_bytes(b"---\ntitle: \xff\n---\n")  # a problem, not a crash
    broken = sorted((FIXTURES / "broken").iterdir())
    assert catalog_module._processes() >= 1
    original = catalog_module.load_article

    def load(processes: int):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(catalog_module, "_processes", lambda: processes)
        forget_loads()
        clear_render_cache()
        noted = tmp_path / f"parsed-by-{processes}"
        monkeypatch.setattr(catalog_module, "load_article", _noting(original, noted))
        found = load_catalog(content, flows, action_names(), broken)
        return found, {int(pid) for pid in noted.read_text().split()}

    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 5)
    here, parsed_by = load(1)
    assert parsed_by == {os.getpid()}
    forked, parsed_by = load(2)
    assert os.getpid() not in parsed_by and len(parsed_by) == 2  # each process its share
    assert forked.problems == here.problems and len(here.problems) > len(broken)
    assert forked.articles == here.articles and forked.files == here.files
    assert {k: c.flow for k, c in forked.flows.items()} == {k: c.flow for k, c in here.flows.items()}
    assert forked.broken_flows == here.broken_flows


def _noting(parse, noted: Path):  # type: ignore[no-untyped-def]
    """*parse*, noting in the file *noted* the process that ran it."""

    def noting(*args, **kwargs):  # type: ignore[no-untyped-def]
        import os

        with noted.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return parse(*args, **kwargs)

    return noting


def test_the_translated_articles_of_a_large_load_are_parsed_by_its_forked_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from helpdesk.content import catalog as catalog_module
    from helpdesk.content.catalog import forget_loads
    from helpdesk.content.render import clear_render_cache

    root = Path(__file__).resolve().parents[3]
    content, flows = tmp_path / "content", tmp_path / "flows"
    shutil.copytree(root / "content", content)
    shutil.copytree(root / "flows", flows)
    spanish = content / "es" / "public-wifi.md"
    spanish.write_text(spanish.read_text(encoding="utf-8") + "\n## Sin id\n")  # an error, said alike
    original = catalog_module.parse_article_translation

    def load(processes: int):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(catalog_module, "_processes", lambda: processes)
        forget_loads()
        clear_render_cache()
        noted = tmp_path / f"translations-parsed-by-{processes}"
        noted.write_text("")
        monkeypatch.setattr(catalog_module, "parse_article_translation", _noting(original, noted))
        found = load_catalog(content, flows, action_names(), languages=("en", "es", "ar"))
        return found, {int(pid) for pid in noted.read_text().split()}

    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 5)
    here, parsed_by = load(1)
    assert parsed_by == set()  # parsed as the translations were loaded, in this process
    forked, parsed_by = load(2)
    assert os.getpid() not in parsed_by and len(parsed_by) == 2  # each process its share
    assert forked.translations == here.translations
    assert len(here.translations.articles) == 2 * len(here.articles)
    assert any("has no pinned id" in p.message for p in here.translations.errors)


def test_the_renderings_of_a_large_load_s_forked_processes_are_written_after_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from helpdesk.content import catalog as catalog_module
    from helpdesk.content import render
    from helpdesk.content.catalog import forget_loads

    root = Path(__file__).resolve().parents[3]
    content, flows = tmp_path / "content", tmp_path / "flows"
    shutil.copytree(root / "content", content)
    shutil.copytree(root / "flows", flows)
    cache = tmp_path / "rendered"
    monkeypatch.setattr(catalog_module, "PARALLEL_FROM", 5)
    monkeypatch.setattr(catalog_module, "_processes", lambda: 2)
    written: list[str] = []
    real_write = render._write_cached

    def noting(folder, name, text):  # type: ignore[no-untyped-def]
        written.append(f"{os.getpid()} {name}")
        real_write(folder, name, text)

    monkeypatch.setattr(render, "_write_cached", noting)
    forget_loads()
    render.clear_render_cache()
    loaded = load_catalog(content, flows, action_names(), render_cache=cache, languages=("en", "es", "ar"))
    render.renderings_written()
    renderings = {name for name in os.listdir(cache) if name.endswith(".html")}
    assert len(renderings) == 3 * len(loaded.articles)  # English, Spanish and Arabic
    assert {line.split()[0] for line in written} == {str(os.getpid())}  # by this process's writer
    forget_loads()
    render.clear_render_cache()
    monkeypatch.setattr(render, "_render", None)  # nothing is rendered again: every one is read
    again = load_catalog(content, flows, action_names(), render_cache=cache, languages=("en", "es", "ar"))
    assert again.articles == loaded.articles and again.translations == loaded.translations
