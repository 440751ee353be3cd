"""Which version of a flow a diagnosis runs on: the live one (published, or for editors any
draft), or the stored source of the version it began on, so an edited file never breaks it."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..content.live import catalog, flow_for_editors
from ..extensions import db
from ..flows.engine import CompiledFlow, compile_flow
from ..flows.loader import load_flow
from ..models import FlowVersion


def live_flow(flow_id: str, *, sandbox: bool = False) -> CompiledFlow | None:
    """The flow a new diagnosis of *flow_id* begins on: the published one (drafts are not
    served), or in the editors' sandbox any draft or flow with problems, as far as it works."""
    if sandbox:
        return flow_for_editors(flow_id)[0]
    compiled = catalog().flows.get(flow_id)
    if compiled is None or compiled.flow.draft:
        return None
    return compiled


class OnAFlowVersion(Protocol):
    """What finding a diagnosis's flow version reads of it (a `Diagnosis`, or the record of it
    that its pages read)."""

    @property
    def flow_id(self) -> str: ...
    @property
    def flow_digest(self) -> str: ...
    @property
    def path(self) -> list[str]: ...
    @property
    def sandbox(self) -> bool: ...


def flow_of(diagnosis: OnAFlowVersion) -> CompiledFlow | None:
    """The flow version *diagnosis* began on; None when it can't be found any more (the person
    must start again)."""
    current = live_flow(diagnosis.flow_id, sandbox=True) if diagnosis.sandbox else None
    return flow_for(diagnosis, current or catalog().flows.get(diagnosis.flow_id))


def remember_flow_version(compiled: CompiledFlow) -> None:
    """Store the flow's source once, so diagnoses on it can finish after the file changes."""
    flow = compiled.flow
    exists = db.session.scalar(
        select(FlowVersion.id).where(FlowVersion.flow_id == flow.id, FlowVersion.digest == flow.digest)
    )
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                FlowVersion(flow_id=flow.id, digest=flow.digest, path=flow.path, source=flow.source)
            )
    except IntegrityError:
        pass  # another request stored it first


_old_versions: dict[tuple[str, str], CompiledFlow] = {}


def flow_for(diagnosis: OnAFlowVersion, current: CompiledFlow | None) -> CompiledFlow | None:
    """The flow version this diagnosis began on: the live one, or its stored source.

    None when that version cannot be found or read any more (the person must start again).
    """
    if current is not None and current.digest == diagnosis.flow_digest:
        return current
    key = (diagnosis.flow_id, diagnosis.flow_digest)
    if key in _old_versions:
        return _old_versions[key]
    stored = db.session.scalar(
        select(FlowVersion).where(
            FlowVersion.flow_id == diagnosis.flow_id, FlowVersion.digest == diagnosis.flow_digest
        )
    )
    if stored is None:
        return None
    flow, problems = load_flow(stored.path, source=stored.source)
    if flow is None or problems or any(s not in flow.steps for s in diagnosis.path):
        return None
    if any(target not in flow.steps for step in flow.steps.values() for _, target in step.transitions()):
        return None  # a version that never validated (a sandbox run of a broken draft): lost
    try:
        compiled = compile_flow(flow)
    except ValueError:  # a version that never validated (a sandbox run of a broken draft)
        return None
    if len(_old_versions) >= 256:
        _old_versions.pop(next(iter(_old_versions)))
    _old_versions[key] = compiled
    return compiled
