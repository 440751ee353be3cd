"""Parsed flows kept by digest: the next load reads them instead of parsing, and gets the same flows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bench.engine import generate
from helpdesk.actions import action_names
from helpdesk.content import catalog as catalog_module
from helpdesk.content import parsed_flows
from helpdesk.content.catalog import forget_loads, load_catalog
from helpdesk.content.render import clear_render_cache, renderings_written
from helpdesk.flows.spec import Flow

ROOT = Path(__file__).resolve().parents[3]


def _lines(flow: Flow) -> list[dict[str, int]]:
    """The line numbers, which a flow's equality leaves out."""
    return [flow.lines, *(step.lines for step in flow.steps.values())]


def _load_counting(content: Path, flows: Path, cache: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A load as at a worker's next boot (nothing in memory), and the flows it parsed."""
    forget_loads()
    clear_render_cache()
    parsed: list[str] = []
    real = catalog_module.load_flow

    def counting(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(catalog_module, "load_flow", counting)
    loaded = load_catalog(content, flows, action_names(), render_cache=cache)
    renderings_written()
    return loaded, parsed


def test_a_flow_kept_parsed_is_read_back_the_same_and_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path, 20, 3, 40)
    cache = tmp_path / "rendered"
    for content, flows in ((ROOT / "content", ROOT / "flows"), (tmp_path / "content", tmp_path / "flows")):
        first, parsed = _load_counting(content, flows, cache, monkeypatch)
        assert len(parsed) == len(first.flows) > 0
        again, parsed = _load_counting(content, flows, cache, monkeypatch)
        assert parsed == []
        assert again.flows == first.flows and again.problems == first.problems == ()
        for fid, compiled in again.flows.items():
            assert _lines(compiled.flow) == _lines(first.flows[fid].flow)


def test_an_edited_flow_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path, 20, 3, 40)
    cache = tmp_path / "rendered"
    _load_counting(tmp_path / "content", tmp_path / "flows", cache, monkeypatch)
    edited = tmp_path / "flows" / "flow-1.yaml"
    edited.write_text(edited.read_text().replace("title: Flow 1", "title: Flow one"))
    loaded, parsed = _load_counting(tmp_path / "content", tmp_path / "flows", cache, monkeypatch)
    assert parsed == ["flow-1.yaml"] and loaded.flows["flow-1"].flow.title == "Flow one"


def test_a_flow_json_would_change_is_not_kept(tmp_path: Path) -> None:
    shipped = load_catalog(ROOT / "content", ROOT / "flows", action_names()).flows["wrong-password"].flow
    step = next(iter(shipped.steps.values()))
    for params in ({"since": dt.date(2026, 1, 31)}, {"steps": {1: "one"}}, {"ratio": float("nan")}):
        odd = dataclasses.replace(
            shipped, steps={**shipped.steps, step.id: dataclasses.replace(step, params=params)}
        )
        parsed_flows.keep(tmp_path, odd)
        assert list(tmp_path.iterdir()) == [], params
    parsed_flows.keep(tmp_path, shipped)
    assert parsed_flows.read_kept(tmp_path, shipped.path, shipped.source) == shipped


def test_a_kept_flow_that_cannot_be_read_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "rendered"
    first, _ = _load_counting(ROOT / "content", ROOT / "flows", cache, monkeypatch)
    for kept in cache.glob(f"*{parsed_flows.SUFFIX}"):
        kept.write_text('{"id": "half a fl')
    again, parsed = _load_counting(ROOT / "content", ROOT / "flows", cache, monkeypatch)
    assert len(parsed) == len(first.flows) and again.flows == first.flows


def test_flows_parsed_by_other_code_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "rendered"
    first, _ = _load_counting(ROOT / "content", ROOT / "flows", cache, monkeypatch)
    monkeypatch.setattr(parsed_flows, "CODE_VERSION", "another-loader")  # the loader was changed
    _, parsed = _load_counting(ROOT / "content", ROOT / "flows", cache, monkeypatch)
    assert len(parsed) == len(first.flows)


def test_parsed_flows_unused_for_a_month_are_pruned_with_the_renderings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    from helpdesk.content.render import prune_render_cache

    cache = tmp_path / "rendered"
    _load_counting(ROOT / "content", ROOT / "flows", cache, monkeypatch)
    kept = sorted(cache.glob(f"*{parsed_flows.SUFFIX}"))
    month_ago = time.time() - 31 * 86400
    for path in cache.iterdir():
        os.utime(path, (month_ago, month_ago))
    os.utime(kept[0])  # read lately
    files = len(list(cache.iterdir()))
    assert prune_render_cache(cache) == files - 1
    assert list(cache.iterdir()) == [kept[0]]
