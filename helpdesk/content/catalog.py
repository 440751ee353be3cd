"""The help content as one snapshot: every article and compiled flow, checked together."""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import cast

from ..flows.checks import check_flow
from ..flows.engine import CompiledFlow, pages_to_end
from ..flows.loader import load_flow
from ..flows.progress import Outlook, outlooks
from ..flows.spec import Flow
from ..links import WellKnownFlow
from ..problems import Problem
from . import parsed_flows
from .articles import Article, check_links, load_article
from .render import keep_file, writes_collected, writes_deferred
from .translations import (
    SOURCE_LANGUAGE,
    ArticleKey,
    ArticleText,
    Translations,
    article_key,
    articles_to_parse,
    forget_translation_loads,
    load_translations,
    parse_article_translation,
)

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
    # content/<lang>/ and flows/<lang>/, checked against these articles and flows (content/live.py)
    translations: Translations = field(default_factory=Translations, compare=False)

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
    forget_translation_loads()


def load_catalog(
    content_dir: Path,
    flows_dir: Path,
    action_names: Collection[str],
    extra_paths: Iterable[Path] = (),
    render_cache: Path | None = None,
    languages: Collection[str] = (),
) -> Catalog:
    """Load and check every article and flow; extra paths are added or replace same-named files.

    Broken files are left out of the snapshot and reported in `problems`. A file whose bytes
    did not change since the last load of the same folders is not parsed again, and Markdown is
    rendered once per distinct text (kept in *render_cache*, a folder, when given).

    *languages*: the offered ones (`Settings.languages`). With one besides English, the
    translations in them are loaded too (`Catalog.translations`, checked against the flows that
    passed their checks), their articles parsed with the English ones (a large load's processes).
    """
    translated = [language for language in languages if language != SOURCE_LANGUAGE]
    with _collector_paused(), writes_deferred():
        return _load_catalog(
            content_dir,
            flows_dir,
            action_names,
            list(extra_paths),
            render_cache,
            tuple(languages) if translated else (),
        )


def _load_catalog(
    content_dir: Path,
    flows_dir: Path,
    action_names: Collection[str],
    extra_paths: list[Path],
    render_cache: Path | None,
    languages: tuple[str, ...],
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
    files = [_File.read(path, _display(path)) for path in sorted(by_name.values())]
    shown_files = [file.shown for file in files]
    fresh = [file for file in files if file.key is None or file.key not in before]
    translated = articles_to_parse(content_dir, flows_dir, languages) if languages else []
    parsed_fresh, translations_parsed = _parse_all(fresh, render_cache, translated)
    parsed = dict(zip(fresh, parsed_fresh, strict=True))
    for file in files:
        path, shown = file.path, file.shown
        made = parsed.get(file) or before[cast(tuple[str, str, str], file.key)]
        if file.key is not None:
            now[file.key] = made
        if path.suffix in ARTICLE_SUFFIXES:
            article, found = cast(tuple[Article | None, tuple[Problem, ...]], made)
            problems.extend(found)
            if article is not None:
                if article.slug in articles:
                    problems.append(Problem(shown, 1, f"duplicate article '{article.slug}'"))
                else:
                    articles[article.slug] = article
        elif path.suffix in FLOW_SUFFIXES:
            flow, found = cast(tuple[Flow | None, tuple[Problem, ...]], made)
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
    in_languages = Translations()
    if languages:
        in_languages = load_translations(
            content_dir,
            flows_dir,
            articles,
            {fid: c.flow for fid, c in compiled.items()},
            languages,
            render_cache=render_cache,
            parsed=translations_parsed,
        )
    return Catalog(
        broken_flows=broken,
        articles=articles,
        flows=compiled,
        problems=tuple(sorted(set(problems))),
        files=tuple(shown_files),
        translations=in_languages,
    )


@dataclass(frozen=True, eq=False)
class _File:
    """A content file as read for a load: its bytes decide whether it is parsed again."""

    path: Path
    shown: str
    source: str | None  # None: unreadable (the parser reads it again and says why)
    key: tuple[str, str, str] | None  # (path, shown path, digest of the bytes) when readable

    @classmethod
    def read(cls, path: Path, shown: str) -> _File:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return cls(path, shown, None, None)
        digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        return cls(path, shown, source, (str(path), shown, digest))


def _parse(file: _File, render_cache: Path | None) -> _Parsed:
    """What the file's parser makes of it: an article (Markdown rendered) or a flow (kept parsed
    in *render_cache* too, `parsed_flows`)."""
    made: Article | Flow | None
    if file.path.suffix in ARTICLE_SUFFIXES:
        made, found = load_article(file.path, file.source, display_path=file.shown, render_cache=render_cache)
    else:
        if render_cache is not None and file.source is not None:
            kept = parsed_flows.read_kept(render_cache, file.shown, file.source)
            if kept is not None:
                return kept, ()
        made, found = load_flow(file.path, file.source, display_path=file.shown)
        if render_cache is not None and made is not None and not found:
            parsed_flows.keep(render_cache, made)
    return made, tuple(found)


# Parsing (Markdown rendering above all) is most of a load. Many articles to parse at once (a
# first boot with nothing rendered yet, a large change) are shared out to a few processes forked
# for the load: each parses its share and sends the articles back. A few are parsed here.
PARALLEL_FROM = 100  # articles to parse: fewer are not worth the processes
MAX_PROCESSES = 8


def _processes() -> int:
    """How many processes parse a large load: one per core this process may use (not on platforms
    where a process cannot be forked, nor inside a process forked to parse)."""
    if sys.platform != "linux" or multiprocessing.current_process().daemon:
        return 1
    return min(len(os.sched_getaffinity(0)), MAX_PROCESSES)


_Translated = tuple[Path, str, str]  # a translated article: its path, path as shown, text


def _parse_all(
    files: list[_File], render_cache: Path | None, translated: list[_Translated]
) -> tuple[list[_Parsed], dict[ArticleKey, ArticleText]]:
    """Each file parsed, and the *translated* articles. With many articles, they are shared out
    to forked processes (their Markdown is most of the work), while this one parses the flows
    (sending a flow back costs nearly what parsing it does). Translated articles not parsed here
    are parsed as the translations are loaded."""
    processes = _processes()
    articles = [file for file in files if file.path.suffix in ARTICLE_SUFFIXES]
    if len(articles) + len(translated) < PARALLEL_FROM or processes < 2:
        return [_parse(file, render_cache) for file in files], {}
    work = partial(_parse_share, render_cache=render_cache)
    # long and short articles alike in each share
    shares = [(articles[n::processes], translated[n::processes]) for n in range(processes)]
    parsed: dict[_File, _Parsed] = {}
    translations: dict[ArticleKey, ArticleText] = {}
    try:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
            pending = [pool.submit(work, *share) for share in shares]
            for file in files:
                if file.path.suffix not in ARTICLE_SUFFIXES:
                    parsed[file] = _parse(file, render_cache)
            for (share, translated_share), done in zip(shares, pending, strict=True):
                made, translations_made, to_write = done.result()
                for folder, name, text in to_write:
                    keep_file(folder, name, text)
                parsed.update(zip(share, made, strict=True))
                for (path, shown, text), found in zip(translated_share, translations_made, strict=True):
                    translations[article_key(path, shown, text)] = found
    except (OSError, BrokenProcessPool):  # no process to be had (limits, memory): parse here
        return [_parse(file, render_cache) for file in files], {}
    return [parsed[file] for file in files], translations


def _parse_share(
    files: list[_File], translated: list[_Translated], render_cache: Path | None
) -> tuple[list[_Parsed], list[ArticleText], list[tuple[Path, str, str]]]:
    """In a process forked for the load: its renderings handed back to be written by the load's
    writer thread after it returns (a process of the pool ends without waiting for the threads
    it started, and writing a thousand files here would hold the load up)."""
    with writes_collected() as to_write:
        return (
            [_parse(file, render_cache) for file in files],
            [parse_article_translation(path, shown, text, render_cache) for path, shown, text in translated],
            to_write,
        )


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
