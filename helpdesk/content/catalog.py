"""The help content as one snapshot: every article and compiled flow, checked together."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..flows.checks import check_flow
from ..flows.engine import CompiledFlow, compile_flow, pages_to_end
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
            return article, article.sections.get(section, "")
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


def load_catalog(
    content_dir: Path,
    flows_dir: Path,
    action_names: Collection[str],
    extra_paths: Iterable[Path] = (),
) -> Catalog:
    """Load and check every article and flow; extra paths are added or replace same-named files.

    Broken files are left out of the snapshot and reported in `problems`.
    """
    by_name: dict[str, Path] = {}
    for path in content_files(content_dir, flows_dir):
        by_name[path.name] = path
    for path in extra_paths:
        by_name[path.name] = path
    problems: list[Problem] = []
    articles: dict[str, Article] = {}
    flows: dict[str, Flow] = {}
    for path in sorted(by_name.values()):
        shown = _display(path)
        if path.suffix in ARTICLE_SUFFIXES:
            article, found = load_article(path, display_path=shown)
            problems.extend(found)
            if article is not None:
                if article.slug in articles:
                    problems.append(Problem(shown, 1, f"duplicate article '{article.slug}'"))
                else:
                    articles[article.slug] = article
        elif path.suffix in FLOW_SUFFIXES:
            flow, found = load_flow(path, display_path=shown)
            problems.extend(found)
            if flow is not None:
                if flow.id in flows:
                    # reported in both files: which one is "the copy" is for the editor to say
                    first = flows[flow.id]
                    problems.append(_duplicate_flow(flow, first.path))
                    problems.append(_duplicate_flow(first, shown))
                else:
                    flows[flow.id] = flow

    def article_exists(slug: str, section: str) -> bool:
        article = articles.get(slug)
        return article is not None and (not section or article.has_section(section))

    flow_ids = set(flows)
    compiled: dict[str, CompiledFlow] = {}
    broken: dict[str, Flow] = {}
    for flow in flows.values():
        found = check_flow(flow, article_exists=article_exists, action_names=action_names, flow_ids=flow_ids)
        problems.extend(found)
        if not found:
            compiled[flow.id] = compile_flow(flow)
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
        files=tuple(_display(p) for p in sorted(by_name.values())),
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
