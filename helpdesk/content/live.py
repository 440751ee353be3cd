"""Where the app keeps its current content snapshot, how views reach it, and live reload:
changed files are noticed (by their sizes and times, at most every few seconds, in every
worker of every machine) and a new snapshot is loaded in the background and swapped in whole;
requests meanwhile are served from the old one. A broken edit keeps the last good one live."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

from ..config import Settings
from ..flows.engine import CompiledFlow, compile_flow
from ..flows.spec import Flow
from ..problems import ContentError, Problem
from .catalog import ARTICLE_SUFFIXES, FLOW_SUFFIXES, Catalog, load_catalog
from .memory import handed_back_as_freed, release_freed_memory
from .render import prune_render_cache
from .translations import language_folders

KEY = "helpdesk.catalog"
LIVE_KEY = "helpdesk.live_content"


def catalog() -> Catalog:
    return current_app.extensions[KEY]


def pending_problems() -> tuple[Problem, ...]:
    """Problems of the files on disk that kept the last good content live (for editors)."""
    return current_app.extensions[LIVE_KEY].problems


def fingerprint(*directories: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every content file: cheap to take, changes on any edit."""
    found = []
    for directory in directories:
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_file() and entry.name.endswith(FLOW_SUFFIXES + ARTICLE_SUFFIXES):
                stat = entry.stat()
                found.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


def content_folders(settings: Settings) -> tuple[Path, ...]:
    """The folders whose files make the content: the English sources and their translations."""
    return (
        settings.content_dir,
        settings.flows_dir,
        *language_folders(settings.content_dir),
        *language_folders(settings.flows_dir),
    )


@dataclass
class LiveContent:
    """One per app (so one per worker process): what is on disk, and when it was last looked at."""

    seen: tuple[tuple[str, int, int], ...]
    action_names: frozenset[str]  # the fixes flows may name (the registry lives above content)
    checked_at: float = field(default_factory=time.monotonic)
    problems: tuple[Problem, ...] = ()
    on_disk: Catalog | None = None  # what the files hold when it could not go live
    lock: threading.Lock = field(default_factory=threading.Lock)
    loading: threading.Thread | None = None  # the one background load under way, if any

    def refresh(self, app: Flask) -> None:
        """Look at the files if the interval has passed; if they changed, start loading them in
        the background (at most one load at a time) and return at once: the request goes on
        with the snapshot being served, and the new one is swapped in whole when it is ready."""
        settings: Settings = app.extensions["helpdesk.settings"]
        now = time.monotonic()
        if now - self.checked_at < settings.reload_seconds or not self.lock.acquire(blocking=False):
            return  # another request in this worker is already looking
        try:
            self.checked_at = now
            if self.loading is not None:
                return  # its end looks again: an edit made meanwhile is not missed
            current = fingerprint(*content_folders(settings))
            if current == self.seen:
                return
            self.loading = threading.Thread(
                target=self._load, args=(app, current), name="content-reload", daemon=True
            )
            self.loading.start()
        finally:
            self.lock.release()

    def settle(self, timeout: float | None = None) -> None:
        """Wait for the background load under way, if any (the CLI and tests; never a request)."""
        loading = self.loading
        if loading is not None:
            loading.join(timeout)

    def _load(self, app: Flask, current: tuple[tuple[str, int, int], ...]) -> None:
        settings: Settings = app.extensions["helpdesk.settings"]
        try:
            # with its translations in the offered languages (a wrong one is left out; `flask
            # content check` says what is wrong with it)
            loaded = load_catalog(
                settings.content_dir,
                settings.flows_dir,
                self.action_names,
                render_cache=render_cache_dir(settings),
                languages=settings.languages,
            )
        except Exception:  # a bug, not a bad file (those are problems): keep serving, try again
            app.logger.exception("content not reloaded")
            with self.lock:
                self.loading = None
            return
        with self.lock:
            self.seen = current
            self.loading = None
            self.checked_at = 0.0  # look again at the next request: files may have changed meanwhile
            if loaded.problems:
                self.problems = loaded.problems  # the last good content stays live
                self.on_disk = loaded
                app.logger.warning("content not reloaded: %d problem(s)", len(loaded.problems))
            else:
                self.problems, self.on_disk = (), None
                app.extensions[KEY] = loaded  # one assignment: requests see the old or the new, whole
        release_freed_memory()  # the old snapshot, once no request holds it, and the load's garbage


def render_cache_dir(settings: Settings) -> Path:
    """Where rendered Markdown is kept by digest, for this worker's next boot and the others."""
    return settings.instance_dir / "rendered"


def load_into(app: Flask, action_names: Collection[str]) -> Catalog:
    """Load the content; refuse to start on broken content, listing every problem."""
    settings: Settings = app.extensions["helpdesk.settings"]
    seen = fingerprint(*content_folders(settings))
    names = frozenset(action_names)
    cache = render_cache_dir(settings)
    prune_render_cache(cache)
    with handed_back_as_freed():
        loaded = load_catalog(
            settings.content_dir, settings.flows_dir, names, render_cache=cache, languages=settings.languages
        )
    if loaded.problems:
        raise ContentError(list(loaded.problems))
    for wrong in loaded.translations.errors:
        app.logger.warning("translation left out: %s:%d: %s", wrong.path, wrong.line, wrong.message)
    release_freed_memory()
    app.extensions[KEY] = loaded
    live = LiveContent(seen, names)
    app.extensions[LIVE_KEY] = live
    if settings.reload_seconds >= 0:
        app.before_request(lambda: live.refresh(app))
    return loaded


_lenient: dict[tuple[str, str], CompiledFlow] = {}


def flow_for_editors(flow_id: str) -> tuple[CompiledFlow | None, bool]:
    """The live flow, or (for editors) the version on disk that has problems, leniently compiled.

    The second value says whether it has problems.
    """
    live = catalog().flows.get(flow_id)
    on_disk = current_app.extensions[LIVE_KEY].on_disk
    broken = (on_disk.broken_flows if on_disk else catalog().broken_flows).get(flow_id)
    if broken is None:
        return live, False
    key = (broken.id, broken.digest)
    if key not in _lenient:
        _lenient[key] = compile_flow(broken, lenient=True)
    return _lenient[key], True


def flows_with_problems() -> list[Flow]:
    on_disk = current_app.extensions[LIVE_KEY].on_disk
    return sorted((on_disk.broken_flows if on_disk else catalog().broken_flows).values(), key=lambda f: f.id)
