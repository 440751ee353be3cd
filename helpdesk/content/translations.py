"""Translations of the help content: load them, check them against their English sources, and
give an article or a flow in a language (falling back to English, and saying so).

- an article's translation is `content/<lang>/<slug>.md`: front matter `title`, `summary`, `tags`
  and `source` (the source hash of the English file it was made from), then the translated
  Markdown, every heading pinned to the English heading's id (`## Título {#title}`);
- a flow's translation is `flows/<lang>/<flow-id>.yaml`: only texts, keyed by step and choice id,
  plus `source`.

The source hash of a file is `Article.digest` / `Flow.digest`: the first 16 hex digits of the
SHA-256 of the file's text in UTF-8 (`source_hash`). When the English file changes, its hash
changes, and every translation still naming the old one is *stale*.

Problems are *wrong* (errors: an id the source does not have, a broken
file) or *to do* (warnings: stale, missing sections or texts, no translation yet).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from .. import yamlsource
from ..flows.spec import Choice, Flow, Step
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
from .articles import FRONT_MATTER_FIELDS, Article, _split, check_links, load_article
from .render import keep_file

SOURCE_LANGUAGE = "en"  # the language of content/ and flows/ themselves
# a folder of content/ or flows/ named like a language tag holds translations (images/ does not)
LANGUAGE_FOLDER = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
SOURCE_HASH = re.compile(r"^[0-9a-f]{16}$")

TRANSLATED_ARTICLE_FIELDS: dict[str, tuple[str, bool, str]] = {
    key: FRONT_MATTER_FIELDS[key] for key in ("title", "summary", "tags")
}
# what a flow translation may say, at each level
FLOW_TEXTS = ("title", "summary")
STEP_TEXTS = ("text", "help", "button")
CHOICE_TEXTS = ("label", "hint")

_ATX_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$")
_PINNED = re.compile(r"\{:?\s*#([A-Za-z0-9_-]+)\s*\}\s*#*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def source_hash(text: str) -> str:
    """What a translation's `source:` names: the same as `Article.digest` and `Flow.digest`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ArticleTranslation:
    language: str
    slug: str
    path: str
    source: str  # the hash of the English file it was made from
    source_line: int
    article: Article  # rendered; draft, order, flows and updated are the English article's
    stale: bool = False
    missing: tuple[str, ...] = ()  # ids of the English sections it lacks


@dataclass(frozen=True, slots=True)
class ChoiceTexts:
    id: str
    line: int
    texts: dict[str, str]  # label, hint


@dataclass(frozen=True, slots=True)
class StepTexts:
    id: str
    line: int
    texts: dict[str, str]  # text, help, button
    choices: dict[str, ChoiceTexts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlowTranslation:
    language: str
    flow_id: str
    path: str
    source: str
    source_line: int
    texts: dict[str, str]  # title, summary
    problems: tuple[str, ...] | None
    steps: dict[str, StepTexts]
    stale: bool = False
    # texts of the source this translation lacks, as "step/choice/field" ("title", "problems"...)
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Translations:
    """Every translation of one content snapshot, and what is wrong or left to do."""

    articles: dict[tuple[str, str], ArticleTranslation] = field(default_factory=dict)  # (lang, slug)
    flows: dict[tuple[str, str], FlowTranslation] = field(default_factory=dict)  # (lang, flow id)
    errors: tuple[Problem, ...] = ()  # wrong: an unknown id, a broken file
    warnings: tuple[Problem, ...] = ()  # to do: stale, missing, untranslated
    languages: tuple[str, ...] = ()  # the translated languages checked (not the source's)
    # per language: what has no translation file at all, as (kind, id) pairs
    untranslated: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def todo(self, language: str) -> dict[str, list[tuple[str, str]]]:
        """For the editors: what in *language* is stale, incomplete (sections or texts not
        translated) or missing (no translation at all), as (kind, id) pairs."""
        incomplete = [
            ("article", t.slug)
            for (lang, _), t in sorted(self.articles.items())
            if lang == language and t.missing
        ]
        incomplete += [
            ("flow", t.flow_id)
            for (lang, _), t in sorted(self.flows.items())
            if lang == language and t.missing
        ]
        stale = [
            ("article", t.slug)
            for (lang, _), t in sorted(self.articles.items())
            if lang == language and t.stale
        ]
        stale += [
            ("flow", t.flow_id) for (lang, _), t in sorted(self.flows.items()) if lang == language and t.stale
        ]
        return {
            "stale": stale,
            "incomplete": incomplete,
            "missing": list(self.untranslated.get(language, ())),
        }


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class InLanguage(Generic[T]):
    """Content as shown in a language: *language* is the one it is really in."""

    content: T
    language: str
    fell_back: bool = False  # asked for another language, shown in English (not translated yet)
    stale: bool = False  # translated from an older version of the English


def article_in(
    language: str, slug: str, articles: Mapping[str, Article], translations: Translations
) -> InLanguage[Article] | None:
    """The article in *language*, or in English when it is not translated (None: no article)."""
    english = articles.get(slug)
    if english is None:
        return None
    if language == SOURCE_LANGUAGE:
        return InLanguage(english, SOURCE_LANGUAGE)
    found = translations.articles.get((language, slug))
    if found is None:
        return InLanguage(english, SOURCE_LANGUAGE, fell_back=True)
    return InLanguage(found.article, language, stale=found.stale)


def flow_in(language: str, flow: Flow, translations: Translations) -> InLanguage[Flow]:
    """The flow with its texts in *language*; a text not translated stays in English."""
    if language == SOURCE_LANGUAGE:
        return InLanguage(flow, SOURCE_LANGUAGE)
    found = translations.flows.get((language, flow.id))
    if found is None:
        return InLanguage(flow, SOURCE_LANGUAGE, fell_back=True)
    return InLanguage(translate_flow(flow, found), language, stale=found.stale)


# translated flows kept, by the identity of the flow and translation (a snapshot's, which never
# change): a results or article page in Spanish would otherwise lay a whole flow's texts anew
TRANSLATED_FLOWS_KEPT = 64
_translated: OrderedDict[tuple[int, int], tuple[Flow, FlowTranslation, Flow]] = OrderedDict()
_translated_lock = threading.Lock()


def translate_flow(flow: Flow, translation: FlowTranslation) -> Flow:
    """A Flow with the translated texts laid over *flow*'s (which is left as it was); ids,
    `next`, actions, digest and source stay the source flow's. Worked out once per flow and
    translation, then kept (the last TRANSLATED_FLOWS_KEPT)."""
    key = (id(flow), id(translation))
    with _translated_lock:
        kept = _translated.get(key)
        if kept is not None and kept[0] is flow and kept[1] is translation:
            _translated.move_to_end(key)
            return kept[2]
    made = _laid_over(flow, translation)
    with _translated_lock:
        _translated[key] = (flow, translation, made)  # holding both: their ids are not reused
        while len(_translated) > TRANSLATED_FLOWS_KEPT:
            _translated.popitem(last=False)
    return made


def _laid_over(flow: Flow, translation: FlowTranslation) -> Flow:
    steps: dict[str, Step] = {}
    for sid, step in flow.steps.items():
        texts = translation.steps.get(sid)
        if texts is None:
            steps[sid] = step
            continue
        choices = tuple(_translated_choice(c, texts.choices.get(c.id)) for c in step.choices)
        changes = {k: v for k, v in texts.texts.items() if getattr(step, k)}
        steps[sid] = replace(step, choices=choices, **changes)  # type: ignore[arg-type]
    own = {k: v for k, v in translation.texts.items() if k in FLOW_TEXTS}
    if translation.problems is not None:
        return replace(flow, steps=steps, problems=translation.problems, **own)  # type: ignore[arg-type]
    return replace(flow, steps=steps, **own)  # type: ignore[arg-type]


def _translated_choice(choice: Choice, texts: ChoiceTexts | None) -> Choice:
    if texts is None:
        return choice
    changes = {k: v for k, v in texts.texts.items() if getattr(choice, k)}
    return replace(choice, **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- loading


def language_folders(directory: Path) -> list[Path]:
    """The folders of *directory* that hold translations (named like a language tag)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and LANGUAGE_FOLDER.match(p.name))


def is_translation(path: Path, content_dir: Path, flows_dir: Path) -> bool:
    """Whether *path* is (in) a translation folder of the content or flows folder."""
    resolved = path.resolve()
    for base in (content_dir.resolve(), flows_dir.resolve()):
        try:
            parts = resolved.relative_to(base).parts
        except ValueError:
            continue
        if parts and LANGUAGE_FOLDER.match(parts[0]) and (len(parts) > 1 or path.is_dir()):
            return True
    return False


def load_translations(
    content_dir: Path,
    flows_dir: Path,
    articles: Mapping[str, Article],
    flows: Mapping[str, Flow],
    languages: Collection[str],
    render_cache: Path | None = None,
    display: Callable[[Path], str] | None = None,
    parsed: Mapping[ArticleKey, ArticleText] | None = None,
) -> Translations:
    """Load every translation in content/<lang>/ and flows/<lang>/ and check it against the
    English *articles* and *flows* (as loaded: `Catalog.articles`, flows broken or not).

    *languages*: the offered ones (`Settings.languages`); each but English should have every
    public article and flow translated. A file whose text (and, for a flow, whose English flow)
    did not change since the last load of the same folders is not parsed again; *parsed*: article
    translations parsed already (`parse_article_translation`, by a load's forked processes).
    """
    shown = display or str
    load_key = (str(content_dir), str(flows_dir), ",".join(languages))
    with _last_loads_lock:
        before = _last_loads.get(load_key, _Kept())
    now = _Kept(dict(parsed or {}))
    errors: list[Problem] = []
    warnings: list[Problem] = []
    found_articles: dict[tuple[str, str], ArticleTranslation] = {}
    found_flows: dict[tuple[str, str], FlowTranslation] = {}
    flow_sections = _sections_flows_show(flows)
    folders = [(folder, "article") for folder in language_folders(content_dir)]
    folders += [(folder, "flow") for folder in language_folders(flows_dir)]
    for folder, kind in folders:
        language = folder.name
        for path in sorted(folder.iterdir()):
            wanted = ".md" if kind == "article" else (".yaml", ".yml")
            if not path.is_file() or not path.name.endswith(wanted):
                continue
            where = shown(path)
            if language == SOURCE_LANGUAGE:
                home = "content/" if kind == "article" else "flows/"
                errors.append(
                    Problem(where, 1, f"English is the source language: its files live in {home} itself")
                )
                continue
            if language not in languages:
                # an operator who offers fewer languages keeps the shipped folders: said, not refused
                offered = ", ".join(languages)
                warnings.append(
                    Problem(
                        where,
                        1,
                        f"language '{language}' is not offered (HELPDESK_LANGUAGES: {offered}): not read",
                    )
                )
                continue
            if kind == "article":
                article_found = _load_article_translation(
                    path,
                    where,
                    language,
                    articles,
                    flow_sections,
                    set(flows),
                    render_cache,
                    errors,
                    warnings,
                    _Memo(before.articles, now.articles),
                )
                if article_found is not None:
                    found_articles[(language, article_found.slug)] = article_found
            else:
                flow_found = _flow_translation(
                    path, where, language, flows, errors, warnings, before, now, render_cache
                )
                if flow_found is not None:
                    found_flows[(language, flow_found.flow_id)] = flow_found
    with _last_loads_lock:
        _last_loads[load_key] = now
        _last_loads.move_to_end(load_key)
        while len(_last_loads) > _KEPT_LOADS:
            _last_loads.popitem(last=False)
    translated = tuple(lang for lang in languages if lang != SOURCE_LANGUAGE)
    missing: dict[str, tuple[tuple[str, str], ...]] = {}
    for language in translated:
        lacking = [
            ("article", slug)
            for slug, a in sorted(articles.items())
            if not a.draft and (language, slug) not in found_articles
        ]
        lacking += [
            ("flow", fid)
            for fid, f in sorted(flows.items())
            if not f.draft and (language, fid) not in found_flows
        ]
        missing[language] = tuple(lacking)
        for kind, name in lacking:
            source_path = articles[name].path if kind == "article" else flows[name].path
            warnings.append(Problem(source_path, 1, f"no '{language}' translation yet"))
    return Translations(
        articles=found_articles,
        flows=found_flows,
        errors=tuple(sorted(set(errors))),
        warnings=tuple(sorted(set(warnings))),
        languages=translated,
        untranslated=missing,
    )


def _sections_flows_show(flows: Mapping[str, Flow]) -> dict[tuple[str, str], list[str]]:
    """(slug, section) -> the 'flow/step' that show it beside a step."""
    shown: dict[tuple[str, str], list[str]] = {}
    for flow in flows.values():
        for step in flow.steps.values():
            slug, _, section = step.article.partition("#")
            if section:
                shown.setdefault((slug, section), []).append(f"{flow.id}/{step.id}")
    return shown


def _stale_message(what: str, made_from: str, now: str) -> str:
    return (
        f"stale: translated from version {made_from} of {what}, which is now {now}; "
        f"bring the changes over, then set 'source: {now}'"
    )


def _read_source_key(front: str) -> tuple[str | None, int, str | None]:
    """(the `source` value as written, its line in the front matter or 0, a problem) - read raw, so a
    hash of digits only is not taken for a number."""
    try:
        root = compose(front)
        items = mapping_items(root) if isinstance(root, yaml.MappingNode) else []
    except (yaml.YAMLError, DuplicateKey):
        return None, 0, None  # the article loader reports it
    for key, node, key_line in items:
        if key == "source":
            value = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
            if not SOURCE_HASH.match(value) or line(node) != key_line:
                return None, key_line, "'source' must be the 16 hex digits of the English file's source hash"
            return value, key_line, None
    return None, 0, "missing front matter key 'source' (the source hash of the English file)"


def _load_article_translation(
    path: Path,
    where: str,
    language: str,
    articles: Mapping[str, Article],
    flow_sections: dict[tuple[str, str], list[str]],
    flow_ids: set[str],
    render_cache: Path | None,
    errors: list[Problem],
    warnings: list[Problem],
    memo: _Memo[ArticleKey, ArticleText] | None = None,
) -> ArticleTranslation | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(Problem(where, 1, f"cannot read file: {exc}"))
        return None
    english = articles.get(path.stem)
    if english is None:
        errors.append(
            Problem(where, 1, f"no English article '{path.stem}' to translate (content/{path.stem}.md)")
        )
        return None
    key = article_key(path, where, text)
    own = memo.get(key) if memo is not None else None
    if own is None:
        own = parse_article_translation(path, where, text, render_cache)
    if memo is not None:
        memo.keep(key, own)
    if not own.has_front_matter:
        errors.append(Problem(where, 1, "missing front matter: start the file with '---', the keys, '---'"))
        return None
    source, source_line, problem = own.source, own.source_line, own.source_problem
    if problem:  # +1: the opening '---'
        errors.append(Problem(where, source_line + 1, f"{problem}; it is now {english.digest}"))
    source_line += 1
    article, body, body_line = own.article, own.body, own.body_line
    errors.extend(own.found)
    if article is None:
        return None
    article = replace(
        article, flows=english.flows, order=english.order, draft=english.draft, updated=english.updated
    )
    errors.extend(check_links(article, dict(articles), flow_ids))
    # headings: every one pinned to an id the English has; every English section present
    for number, heading, pin in _headings(body, body_line):
        if pin is None:
            errors.append(
                Problem(
                    where,
                    number,
                    f"heading '{heading}' has no pinned id: end it with {{#id}}, the English heading's id",
                )
            )
        elif pin not in english.spans:
            known = ", ".join(english.spans) or "none"
            errors.append(
                Problem(where, number, f"heading id '{pin}' is not in the English article (its ids: {known})")
            )
    missing = tuple(section for section in english.spans if section not in article.spans)
    for section in missing:
        users = flow_sections.get((english.slug, section), [])
        shown_by = f" (shown beside the flow steps {', '.join(users)})" if users else ""
        warnings.append(Problem(where, 1, f"missing section '#{section}' of the English article{shown_by}"))
    stale = source is not None and source != english.digest
    if stale and source is not None:
        warnings.append(Problem(where, source_line, _stale_message(english.path, source, english.digest)))
    return ArticleTranslation(
        language=language,
        slug=english.slug,
        path=where,
        source=source or "",
        source_line=source_line,
        article=article,
        stale=stale,
        missing=missing,
    )


ArticleKey = tuple[str, str, str]  # the file's path, its path as shown, the digest of its text


def article_key(path: Path, where: str, text: str) -> ArticleKey:
    return (str(path), where, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What a translated article's file says by itself, before it is held to its English article:
    parsed (its Markdown rendered) once per distinct text, by a load's forked processes too."""

    has_front_matter: bool
    source: str | None  # the `source` hash as written, when it is one
    source_line: int  # its line in the front matter, 0 when there is none
    source_problem: str | None
    article: Article | None  # None: it could not be read (see `found`)
    found: tuple[Problem, ...]
    body: str = ""
    body_line: int = 1


def parse_article_translation(path: Path, where: str, text: str, render_cache: Path | None) -> ArticleText:
    """The article a translation's *text* holds (its `source` line read apart: the article loader
    knows no such key)."""
    front, body, body_line = _split(text)
    if front is None:
        return ArticleText(False, None, 0, None, None, ())
    source, source_line, problem = _read_source_key(front)
    lines = text.splitlines(keepends=True)
    if source_line > 0:  # the article loader reads the file without that line
        lines[source_line] = "\n"
    article, found = load_article(
        path, "".join(lines), display_path=where, render_cache=render_cache, fields=TRANSLATED_ARTICLE_FIELDS
    )
    return ArticleText(True, source, source_line, problem, article, tuple(found), body, body_line)


def articles_to_parse(
    content_dir: Path, flows_dir: Path, languages: Collection[str]
) -> list[tuple[Path, str, str]]:
    """(path, path as shown, text) of the translated articles in the offered *languages* that the
    last load of these folders did not parse (for a load to parse them in its forked processes)."""
    with _last_loads_lock:
        before = _last_loads.get((str(content_dir), str(flows_dir), ",".join(languages)), _Kept())
    found = []
    for folder in language_folders(content_dir):
        if folder.name == SOURCE_LANGUAGE or folder.name not in languages:
            continue
        for path in sorted(folder.iterdir()):
            if not path.name.endswith(".md") or not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # said when the translations are loaded
            if article_key(path, str(path), text) not in before.articles:
                found.append((path, str(path), text))
    return found


K = TypeVar("K")
V = TypeVar("V")


@dataclass
class _Memo(Generic[K, V]):
    """What the last load parsed (*before*) and what this one uses (*now*): a file parsed by one
    load and unchanged at the next is not parsed again, and only the files of the last load are
    kept."""

    before: dict[K, V]
    now: dict[K, V]

    def get(self, key: K) -> V | None:
        return self.now.get(key) or self.before.get(key)

    def keep(self, key: K, value: V) -> None:
        self.now[key] = value


FlowKey = tuple[str, str, str, str, str]  # path as shown, text digest, language, English digest and path
_FlowMade = tuple[FlowTranslation | None, tuple[Problem, ...], tuple[Problem, ...]]


# a flow translation's own fields (its steps are kept apart)
_FLOW_TRANSLATION_FIELDS = tuple(f.name for f in fields(FlowTranslation) if f.name != "steps")


@dataclass
class _Kept:
    articles: dict[ArticleKey, ArticleText] = field(default_factory=dict)
    flows: dict[FlowKey, _FlowMade] = field(default_factory=dict)


_KEPT_LOADS = 8
_last_loads: OrderedDict[tuple[str, str, str], _Kept] = OrderedDict()
_last_loads_lock = threading.Lock()


def forget_translation_loads() -> None:
    """Forget what earlier loads parsed (a benchmark's cold start)."""
    with _last_loads_lock:
        _last_loads.clear()


def _headings(body: str, first_line: int) -> Iterable[tuple[int, str, str | None]]:
    """(line, text, pinned id or None) for each ATX heading of level 2 and deeper outside code."""
    fenced = False
    for offset, text in enumerate(body.splitlines()):
        if _FENCE.match(text):
            fenced = not fenced
            continue
        found = _ATX_HEADING.match(text)
        if fenced or not found or len(found.group(1)) < 2:
            continue
        pin = _PINNED.search(found.group(2))
        yield first_line + offset, found.group(2), pin.group(1) if pin else None


def _flow_translation(
    path: Path,
    where: str,
    language: str,
    flows: Mapping[str, Flow],
    errors: list[Problem],
    warnings: list[Problem],
    before: _Kept,
    now: _Kept,
    render_cache: Path | None = None,
) -> FlowTranslation | None:
    """`_load_flow_translation`, once per text and English flow: what it found depends on nothing
    else (kept in *render_cache* too, beside the renderings, for a worker's next boot)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(Problem(where, 1, f"cannot read file: {exc}"))
        return None
    flow = flows.get(path.stem)
    if flow is None:
        errors.append(
            Problem(where, 1, f"no flow '{path.stem}' to translate (the file name is the flow's id)")
        )
        return None
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    key = (where, digest, language, flow.digest, flow.path)
    made = now.flows.get(key) or before.flows.get(key)
    if made is None and render_cache is not None:
        made = _read_kept_flow(render_cache, key)
    if made is None:
        wrong: list[Problem] = []
        to_do: list[Problem] = []
        found = _load_flow_translation(path, where, language, flows, wrong, to_do, text)
        made = (found, tuple(wrong), tuple(to_do))
        if render_cache is not None:
            _keep_flow(render_cache, key, made)
    now.flows[key] = made
    errors.extend(made[1])
    warnings.extend(made[2])
    return made[0]


# A flow translation as found, kept as JSON beside the renderings. The key covers the code that
# reads it: an edit to this module or to the YAML reader makes every one read afresh.
_CODE_VERSION = hashlib.sha256(
    Path(__file__).read_bytes() + Path(yamlsource.__file__ or "").read_bytes()
).hexdigest()[:16]
KEPT_FLOW_SUFFIX = ".translation.json"


def _kept_flow_name(key: FlowKey) -> str:
    named = "\x00".join((_CODE_VERSION, *key)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(named).hexdigest() + KEPT_FLOW_SUFFIX


def _keep_flow(cache_dir: Path, key: FlowKey, made: _FlowMade) -> None:
    found, wrong, to_do = made
    parts: dict[str, Any] = {
        "found": None
        if found is None
        else {
            **{name: getattr(found, name) for name in _FLOW_TRANSLATION_FIELDS},
            "steps": [
                {
                    "id": step.id,
                    "line": step.line,
                    "texts": step.texts,
                    "choices": [[c.id, c.line, c.texts] for c in step.choices.values()],
                }
                for step in found.steps.values()
            ],
        },
        "errors": [[p.path, p.line, p.message] for p in wrong],
        "warnings": [[p.path, p.line, p.message] for p in to_do],
    }
    keep_file(cache_dir, _kept_flow_name(key), json.dumps(parts, ensure_ascii=False, separators=(",", ":")))


def _read_kept_flow(cache_dir: Path, key: FlowKey) -> _FlowMade | None:
    kept = cache_dir / _kept_flow_name(key)
    try:
        parts = json.loads(kept.read_text(encoding="utf-8"))
        os.utime(kept)  # still in use: prune_render_cache keeps it
        found = parts["found"]
        if found is not None:
            steps = {
                step["id"]: StepTexts(
                    id=step["id"],
                    line=step["line"],
                    texts=step["texts"],
                    choices={c[0]: ChoiceTexts(id=c[0], line=c[1], texts=c[2]) for c in step["choices"]},
                )
                for step in found.pop("steps")
            }
            if found["problems"] is not None:
                found["problems"] = tuple(found["problems"])
            found["missing"] = tuple(found["missing"])
            found = FlowTranslation(**found, steps=steps)
        return (
            found,
            tuple(Problem(*p) for p in parts["errors"]),
            tuple(Problem(*p) for p in parts["warnings"]),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _load_flow_translation(
    path: Path,
    where: str,
    language: str,
    flows: Mapping[str, Flow],
    errors: list[Problem],
    warnings: list[Problem],
    text: str | None = None,
) -> FlowTranslation | None:
    def wrong(at: int, message: str) -> None:
        errors.append(Problem(where, at, message))

    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            wrong(1, f"cannot read file: {exc}")
            return None
    flow = flows.get(path.stem)
    if flow is None:
        wrong(1, f"no flow '{path.stem}' to translate (the file name is the flow's id)")
        return None
    try:
        root = compose(text)
    except yaml.YAMLError as exc:
        wrong(syntax_error_line(exc), syntax_error_message(exc))
        return None
    if not isinstance(root, yaml.MappingNode):
        wrong(1, "a flow translation is a mapping: source, title, summary, problems, steps")
        return None
    try:
        items = mapping_items(root)
    except DuplicateKey as dup:
        wrong(dup.line, f"duplicate key '{dup.key}'")
        return None
    source: str | None = None
    source_line = 1
    texts: dict[str, str] = {}
    problems: tuple[str, ...] | None = None
    steps: dict[str, StepTexts] = {}
    steps_line = 1
    for key, node, key_line in items:
        if key == "source":
            source_line = key_line
            value = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
            if SOURCE_HASH.match(value):
                source = value
            else:
                wrong(
                    key_line,
                    "'source' must be the 16 hex digits of the English flow's source hash; "
                    f"it is now {flow.digest}",
                )
        elif key in FLOW_TEXTS:
            value_text = _text(node, key, wrong)
            if value_text is not None:
                texts[key] = value_text
        elif key == "problems":
            problems = _texts(node, wrong)
        elif key == "steps":
            steps_line = key_line
            steps = _steps(node, flow, wrong)
        else:
            wrong(
                key_line,
                f"unknown key '{key}' (a flow translation has: source, title, summary, problems, steps)",
            )
    if source is None and not any(p.path == where and p.line == source_line for p in errors):
        wrong(1, f"missing 'source': the source hash of the English flow; it is now {flow.digest}")
    missing = _missing_texts(flow, texts, problems, steps)
    for name, at in missing:
        warnings.append(Problem(where, at or steps_line, f"not translated: {name}"))
    stale = source is not None and source != flow.digest
    if stale and source is not None:
        warnings.append(Problem(where, source_line, _stale_message(flow.path, source, flow.digest)))
    return FlowTranslation(
        language=language,
        flow_id=flow.id,
        path=where,
        source=source or "",
        source_line=source_line,
        texts=texts,
        problems=problems,
        steps=steps,
        stale=stale,
        missing=tuple(name for name, _ in missing),
    )


def _text(node: yaml.Node, key: str, wrong: Callable[[int, str], None]) -> str | None:
    try:
        value = plain(node)
    except NotAValue as bad:
        wrong(bad.line, f"'{key}' cannot be read: {bad.reason}")
        return None
    if not isinstance(value, str) or not value.strip():
        wrong(line(node), f"'{key}' must be a non-empty text")
        return None
    return value


def _texts(node: yaml.Node, wrong: Callable[[int, str], None]) -> tuple[str, ...] | None:
    try:
        value = plain(node)
    except NotAValue as bad:
        wrong(bad.line, f"'problems' cannot be read: {bad.reason}")
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        wrong(line(node), "'problems' must be a list of texts")
        return None
    return tuple(value)


def _mapping(
    node: yaml.Node, what: str, wrong: Callable[[int, str], None]
) -> list[tuple[str, yaml.Node, int]]:
    if not isinstance(node, yaml.MappingNode):
        wrong(line(node), f"{what} must be a mapping")
        return []
    try:
        return mapping_items(node)
    except DuplicateKey as dup:
        wrong(dup.line, f"duplicate key '{dup.key}' in {what}")
        return []


def _steps(node: yaml.Node, flow: Flow, wrong: Callable[[int, str], None]) -> dict[str, StepTexts]:
    steps: dict[str, StepTexts] = {}
    for sid, step_node, step_line in _mapping(node, "'steps'", wrong):
        step = flow.steps.get(sid)
        if step is None:
            wrong(step_line, f"unknown step '{sid}': flow '{flow.id}' has no such step")
            continue
        texts: dict[str, str] = {}
        choices: dict[str, ChoiceTexts] = {}
        for key, value_node, key_line in _mapping(step_node, f"step '{sid}'", wrong):
            if key in STEP_TEXTS:
                if not getattr(step, key):
                    wrong(key_line, f"step '{sid}' has no {key} in the English flow to translate")
                    continue
                value = _text(value_node, key, wrong)
                if value is not None:
                    texts[key] = value
            elif key == "choices":
                choices = _choices(value_node, step, wrong)
            else:
                wrong(
                    key_line, f"unknown key '{key}' in step '{sid}' (translated: text, help, button, choices)"
                )
        steps[sid] = StepTexts(id=sid, line=step_line, texts=texts, choices=choices)
    return steps


def _choices(node: yaml.Node, step: Step, wrong: Callable[[int, str], None]) -> dict[str, ChoiceTexts]:
    known = {c.id: c for c in step.choices}
    choices: dict[str, ChoiceTexts] = {}
    for cid, choice_node, choice_line in _mapping(node, f"the choices of step '{step.id}'", wrong):
        choice = known.get(cid)
        if choice is None:
            wrong(choice_line, f"unknown choice '{cid}': step '{step.id}' has no such choice")
            continue
        texts: dict[str, str] = {}
        for key, value_node, key_line in _mapping(choice_node, f"choice '{cid}'", wrong):
            if key not in CHOICE_TEXTS:
                wrong(key_line, f"unknown key '{key}' in choice '{cid}' (translated: label, hint)")
            elif not getattr(choice, key):
                wrong(
                    key_line,
                    f"choice '{cid}' of step '{step.id}' has no {key} in the English flow to translate",
                )
            else:
                value = _text(value_node, key, wrong)
                if value is not None:
                    texts[key] = value
        choices[cid] = ChoiceTexts(id=cid, line=choice_line, texts=texts)
    return choices


def _missing_texts(
    flow: Flow, texts: dict[str, str], problems: tuple[str, ...] | None, steps: dict[str, StepTexts]
) -> list[tuple[str, int]]:
    """(name, line in the translation or 0) of every English text the translation lacks."""
    missing: list[tuple[str, int]] = [
        (key, 1) for key in FLOW_TEXTS if getattr(flow, key) and key not in texts
    ]
    if flow.problems and problems is None:
        missing.append(("problems", 1))
    for sid, step in flow.steps.items():
        done = steps.get(sid)
        at = done.line if done else 0
        for key in STEP_TEXTS:
            if getattr(step, key) and (done is None or key not in done.texts):
                missing.append((f"step '{sid}' {key}", at))
        for choice in step.choices:
            choice_done = done.choices.get(choice.id) if done else None
            for key in CHOICE_TEXTS:
                if getattr(choice, key) and (choice_done is None or key not in choice_done.texts):
                    missing.append(
                        (f"step '{sid}' choice '{choice.id}' {key}", choice_done.line if choice_done else at)
                    )
    return missing
