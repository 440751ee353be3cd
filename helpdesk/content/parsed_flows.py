"""Parsed flows kept by the digest of their text, beside the renderings (`instance/rendered/`): a
worker's next boot, and the other workers, read a flow's parts instead of parsing its YAML again.

Kept as JSON (never pickle: reading one builds only strings, numbers, lists and the flow's own
dataclasses), and only a flow that loaded without problems and that JSON gives back equal (one
with a parameter YAML reads as a date, say, is parsed at every load).
The key covers the code that parses: an edit to the loader or the spec makes every flow parsed
afresh.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from .. import yamlsource
from ..flows import loader, spec
from ..flows.spec import Choice, Flow, Step
from .render import keep_file


def _code_version() -> str:
    """The digest of the code a parsed flow comes from (this module's included)."""
    digest = hashlib.sha256()
    for module in (loader, spec, yamlsource):
        digest.update(Path(module.__file__ or "").read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()
SUFFIX = ".flow.json"
_STEP_FIELDS = tuple(f.name for f in fields(Step))
_CHOICE_FIELDS = tuple(f.name for f in fields(Choice))


def key_of(shown: str, source: str) -> str:
    """The name a flow's parts are kept under: its text, where it is shown from, the code."""
    text = f"{CODE_VERSION}\x00{shown}\x00{source}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def read_kept(cache_dir: Path, shown: str, source: str) -> Flow | None:
    """The flow kept for this text, or None (never kept, unreadable: parse it)."""
    kept = cache_dir / f"{key_of(shown, source)}{SUFFIX}"
    try:
        parts = json.loads(kept.read_text(encoding="utf-8"))
        os.utime(kept)  # still in use: prune_render_cache keeps it
        return _flow(parts, source)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def keep(cache_dir: Path, flow: Flow) -> None:
    """Keep *flow*'s parts for the next load (written after the load returns, as renderings are)."""
    if not all(_as_in_json(step.params) for step in flow.steps.values()):
        return  # JSON would give another flow back (a date in its parameters, a number as a key...)
    text = json.dumps(_parts(flow), ensure_ascii=False, separators=(",", ":"))
    keep_file(cache_dir, f"{key_of(flow.path, flow.source)}{SUFFIX}", text)


def _as_in_json(value: object) -> bool:
    """Whether JSON gives *value* back equal and of the same types (every other part of a flow is
    text, whole numbers, flags and lists of texts, which it does)."""
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_as_in_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _as_in_json(v) for k, v in value.items())
    return False


def _parts(flow: Flow) -> dict[str, Any]:
    parts = {f.name: getattr(flow, f.name) for f in fields(Flow) if f.name not in ("steps", "source")}
    parts["steps"] = [
        {
            **{name: getattr(step, name) for name in _STEP_FIELDS},
            "choices": [{name: getattr(c, name) for name in _CHOICE_FIELDS} for c in step.choices],
        }
        for step in flow.steps.values()
    ]
    return parts


def _flow(parts: dict[str, Any], source: str) -> Flow:
    steps = {}
    for values in parts.pop("steps"):
        values = {name: values[name] for name in _STEP_FIELDS}
        values["choices"] = tuple(Choice(**choice) for choice in values["choices"])
        steps[values["id"]] = Step(**values)
    parts["problems"] = tuple(parts["problems"])
    return Flow(steps=steps, source=source, **parts)
