"""The help content as one snapshot: every article and compiled flow, checked together."""

from __future__ import annotations

import gc
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar, cast

from ..flows.checks import check_flow
from ..flows.engine import CompiledFlow, pages_to_end
from ..flows.loader import load_flow
from ..flows.progress import Outlook, outlooks
from ..flows.spec import Flow
from ..links import WellKnownFlow
from ..problems import Problem
from .articles import Article, check_links, load_article

FLOW_SUFFIXES = (".yaml", ".yml")
ARTICLE_SUFFIXES = (".md",)


@dataclass(frozen=True)
class Catalog:
    """An immutable snapshot; a reload builds a new one and swaps it in whole."""

    articles: dict[str, Article]
    flows: dict[str, CompiledFlow]
    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = field(default=(), compare=False)
    # flows that load but fail their checks: never served, but editors can see and try them
    broken_flows: dict[str, Flow] = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def public_articles(self) -> list[Article]:
        return sorted((a for a in self.articles.values() if not a.draft), key=lambda a: (a.order, a.title))

    def public_flows(self) -> list[Flow]:
        return [c.flow for c in self.flows.values() if not c.flow.draft]

    def section_html(self, reference: str) -> tuple[Article | None, str]:
        """The article and HTML for `slug` or `slug#section` (empty when gone)."""
        slug, _, section = reference.partition("#")
        article = self.articles.get(slug)
        if article is None:
            return None, ""
        if section:
            return article, article.section(section)
        return article, article.html


def content_files(*directories: Path) -> list[Path]:
    files: list[Path] = []
    for directory in directories:
        if directory.is_dir():
            files.extend(
                p
                for p in sorted(directory.iterdir())
                if p.is_file() and p.suffix in FLOW_SUFFIXES + ARTICLE_SUFFIXES
            )
    return files


def _display(path: Path) -> str:
    """Paths below the working directory are shown relative to it, others in full."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


# What each file held at the last loads (by folder pair): a reload reads every file but parses and
# renders only those whose bytes changed. Articles and flows are immutable, so snapshots share them.
_Parsed = tuple[Article | Flow | None, tuple[Problem, ...]]
_KEPT_LOADS = 8
_last_loads: OrderedDict[tuple[str, ...], dict[tuple[str, str, str], _Parsed]] = OrderedDict()
_last_loads_lock = threading.Lock()
T = TypeVar("T", Article, Flow)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while loading: a load makes a million small objects that
    all stay alive, and each full collection would walk them all again (half the time of a large
    load). Reference counting still frees everything; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def forget_loads() -> None:
    """Forget what earlier loads parsed (a benchmark's cold start; memory is not the reason)."""
    with _last_loads_lock:
        _last_loads.clear()


def load_catalog(
    content_dir: Path,
    flows_dir: Path,
    action_names: Collection[str],
    extra_paths: Iterable[Path] = (),
    render_cache: Path | None = None,
) -> Catalog:
    """Load and check every article and flow; extra paths are added or replace same-named files.

    Broken files are left out of the snapshot and reported in `problems`. A file whose bytes
    did not change since the last load of the same folders is not parsed again, and Markdown is
    rendered once per distinct text (kept in *render_cache*, a folder, when given).
    """
    with _collector_paused():
        return _load_catalog(content_dir, flows_dir, action_names, list(extra_paths), render_cache)


def _load_catalog(
    content_dir: Path,
    flows_dir: Path,
    action_names: Collection[str],
    extra_paths: list[Path],
    render_cache: Path | None,
) -> Catalog:
    by_name: dict[str, Path] = {}
    for path in content_files(content_dir, flows_dir):
        by_name[path.name] = path
    for path in extra_paths:
        by_name[path.name] = path
    load_key = (str(content_dir), str(flows_dir), *map(str, extra_paths))
    with _last_loads_lock:
        before = _last_loads.get(load_key, {})
    now: dict[tuple[str, str, str], _Parsed] = {}
    problems: list[Problem] = []
    articles: dict[str, Article] = {}
    flows: dict[str, Flow] = {}
    shown_files = []
    for path in sorted(by_name.values()):
        shown = _display(path)
        shown_files.append(shown)
        if path.suffix in ARTICLE_SUFFIXES:
            read = partial(load_article, path, display_path=shown, render_cache=render_cache)
            article, found = _parsed(path, shown, before, now, read)
            problems.extend(found)
            if article is not None:
                if article.slug in articles:
                    problems.append(Problem(shown, 1, f"duplicate article '{article.slug}'"))
                else:
                    articles[article.slug] = article
        elif path.suffix in FLOW_SUFFIXES:
            flow, found = _parsed(path, shown, before, now, partial(load_flow, path, display_path=shown))
            problems.extend(found)
            if flow is not None:
                if flow.id in flows:
                    # reported in both files: which one is "the copy" is for the editor to say
                    first = flows[flow.id]
                    problems.append(_duplicate_flow(flow, first.path))
                    problems.append(_duplicate_flow(first, shown))
                else:
                    flows[flow.id] = flow
    with _last_loads_lock:
        _last_loads[load_key] = now
        _last_loads.move_to_end(load_key)
        while len(_last_loads) > _KEPT_LOADS:
            _last_loads.popitem(last=False)

    def article_exists(slug: str, section: str) -> bool:
        article = articles.get(slug)
        return article is not None and (not section or article.has_section(section))

    flow_ids = set(flows)
    compiled: dict[str, CompiledFlow] = {}
    broken: dict[str, Flow] = {}
    for flow in flows.values():
        checked = check_flow(
            flow, article_exists=article_exists, action_names=action_names, flow_ids=flow_ids
        )
        problems.extend(checked)
        if not checked:
            # its outlook is set below, through the flows it hands over to
            compiled[flow.id] = CompiledFlow(flow=flow, remaining=pages_to_end(flow))
        else:
            broken[flow.id] = flow
    _count_handovers(compiled)
    for article in articles.values():
        problems.extend(check_links(article, articles, flow_ids))
    return Catalog(
        broken_flows=broken,
        articles=articles,
        flows=compiled,
        problems=tuple(sorted(set(problems))),
        files=tuple(shown_files),
    )


def _parsed(
    path: Path,
    shown: str,
    before: dict[tuple[str, str, str], _Parsed],
    now: dict[tuple[str, str, str], _Parsed],
    parse: Callable[[str | None], tuple[T | None, list[Problem]]],
) -> tuple[T | None, tuple[Problem, ...]]:
    """What *parse* makes of the file, taken from the last load when its bytes are the same."""
    try:
        source: str | None = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        source = None  # the parser reads it again and says why it cannot
    if source is None:
        made, found = parse(None)
        return made, tuple(found)
    key = (str(path), shown, hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest())
    kept = before.get(key)
    if kept is None:
        made, problems = parse(source)
        kept = (made, tuple(problems))
    now[key] = kept
    return cast(tuple[T | None, tuple[Problem, ...]], kept)  # the same parser made it from these bytes


def _duplicate_flow(flow: Flow, other_path: str) -> Problem:
    return Problem(flow.path, flow.line_of("id"), f"duplicate flow id '{flow.id}' (also in {other_path})")


def _count_handovers(compiled: dict[str, CompiledFlow]) -> None:
    """A flow that hands over to another is as long as the pages the other still asks."""
    first_pages = {fid: c.remaining.get(c.flow.start, 0) for fid, c in compiled.items()}
    hinted = _outlooks_through_handovers(compiled)
    for fid, current in list(compiled.items()):
        handover = {
            sid: first_pages[step.flow]
            for sid, step in current.flow.steps.items()
            if step.kind == "end" and step.outcome == "flow" and step.flow in first_pages
        }
        compiled[fid] = replace(
            current,
            remaining=pages_to_end(current.flow, handover) if handover else current.remaining,
            outlook=hinted[fid],
        )


def _outlooks_through_handovers(compiled: dict[str, CompiledFlow]) -> dict[str, dict[str, Outlook]]:
    """Every flow's progress outlook, an end that hands over costing the most pages the next
    flow can ask (following its own handovers; a chain that comes back has no honest bound)."""
    found: dict[str, dict[str, Outlook]] = {}
    visiting: set[str] = set()

    def most_from_start(fid: str) -> int | None:
        if fid in visiting:
            return None
        if fid not in found:
            visiting.add(fid)
            flow = compiled[fid].flow
            costs = {
                sid: most_from_start(step.flow)
                for sid, step in flow.steps.items()
                if step.kind == "end" and step.outcome == "flow" and step.flow in compiled
            }
            visiting.discard(fid)
            found[fid] = outlooks(flow, costs)
        return found[fid][compiled[fid].flow.start].at_most

    for fid in compiled:
        most_from_start(fid)
    return found


def well_known_problems(catalog: Catalog, flows_dir: Path) -> list[Problem]:
    """The flows the product's own pages and mails link to by id, missing from *catalog*: each
    would be a broken link on every page that offers it."""
    published = {flow.id for flow in catalog.public_flows()}
    return [
        Problem(
            _display(flows_dir / f"{flow.value}.yaml"),
            1,
            f"the site's own pages and mails link to the flow '{flow.value}', "
            "but no published flow has that id",
        )
        for flow in WellKnownFlow
        if flow.value not in published
    ]
