"""A diagnosis as staff read it: every step, answer and outcome, with times, and their notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext, lazy_gettext
from markupsafe import Markup
from sqlalchemy import select

from ..cases.diagnoses import flow_for
from ..cases.reference import normalise_reference
from ..content.render import render_inline
from ..extensions import db
from ..flows.engine import CompiledFlow
from ..models import Diagnosis, DiagnosisEvent, DiagnosisNote

NOTE_LIMIT = 4000
STEP_TEXT_LENGTH = 160
# what a detail of an event means, for staff; keys not named here are shown with their own name
DETAIL_NAMES = {
    "signed_in": lazy_gettext("signed in"),
    "undone": lazy_gettext("answers undone"),
    "flow": lazy_gettext("continued in flow"),
    "reference": lazy_gettext("continued as"),
    "simulated": lazy_gettext("simulated (sandbox)"),
    "via": lazy_gettext("opened by"),
    "link": lazy_gettext("support link"),
    "flow_version": lazy_gettext("flow version"),
    "continued_from": lazy_gettext("continued from"),
    "action": lazy_gettext("fix"),
    "message": lazy_gettext("message shown"),
    "attempts": lazy_gettext("attempts"),
}
# what happened, in words: the events a diagnosis records (kept under these names) and where it stands
EVENT_NAMES = {
    "started": lazy_gettext("started"),
    "answered": lazy_gettext("answered"),
    "action": lazy_gettext("fix tried"),
    "checked": lazy_gettext("fix checked"),
    "went_back": lazy_gettext("went back"),
    "continued": lazy_gettext("continued"),
    "restarted": lazy_gettext("started over"),
    "opened_in_browser": lazy_gettext("opened in a browser"),
    "active": lazy_gettext("in progress"),
    "resolved": lazy_gettext("resolved"),
    "escalated": lazy_gettext("sent to support"),
    "linked": lazy_gettext("handed over"),
    "abandoned": lazy_gettext("abandoned"),
}


def in_words(kind: str) -> str:
    """An event's kind or a diagnosis's status as staff read it; one not named here, as it is."""
    return str(EVENT_NAMES.get(kind, kind.replace("_", " ")))


@dataclass(frozen=True)
class Line:
    at: datetime
    kind: str
    step: str
    step_text: str
    answer: str  # the choice's label, or the outcome
    detail: dict[str, Any]

    @property
    def details(self) -> list[str]:
        """The event's details in words: "signed in: yes", "answers undone: 2"."""
        return [
            gettext(
                "%(name)s: %(value)s", name=DETAIL_NAMES.get(key, key.replace("_", " ")), value=_word(value)
            )
            for key, value in self.detail.items()
        ]


@dataclass
class Transcript:
    diagnosis: Diagnosis
    flow_title: str
    lines: list[Line]
    notes: list[DiagnosisNote]
    related: list[Diagnosis] = field(default_factory=list)  # the diagnoses it continued from / into


def find(reference: str) -> Diagnosis | None:
    normalised = normalise_reference(reference)
    if normalised is None:
        return None
    return db.session.scalar(select(Diagnosis).where(Diagnosis.reference == normalised))


def read(diagnosis: Diagnosis, current: CompiledFlow | None) -> Transcript:
    compiled = flow_for(diagnosis, current)
    lines = []
    for event in db.session.scalars(
        select(DiagnosisEvent).where(DiagnosisEvent.diagnosis_id == diagnosis.id).order_by(DiagnosisEvent.id)
    ):
        lines.append(_line(event, compiled))
    notes = list(
        db.session.scalars(
            select(DiagnosisNote).where(DiagnosisNote.diagnosis_id == diagnosis.id).order_by(DiagnosisNote.id)
        )
    )
    related = list(
        db.session.scalars(
            select(Diagnosis).where(
                (Diagnosis.parent_id == diagnosis.id) | (Diagnosis.id == (diagnosis.parent_id or -1))
            )
        )
    )
    title = compiled.flow.title if compiled else diagnosis.flow_id
    return Transcript(diagnosis, title, lines, notes, related)


def _line(event: DiagnosisEvent, compiled: CompiledFlow | None) -> Line:
    step_text, answer = event.step, str(event.detail.get("answer", ""))
    if compiled is not None and event.step in compiled.flow.steps:
        step = compiled.step(event.step)
        step_text = _plain(step.text) or step.action or step.id
        labels = {c.id: c.label for c in step.choices}
        answer = labels.get(answer, answer)
    detail = {k: v for k, v in event.detail.items() if k not in ("answer", "next")}
    return Line(event.at, event.kind, event.step, step_text, answer, detail)


def _plain(markdown_text: str) -> str:
    """A step's text as the person read it, without Markdown's marks (**, _, links)."""
    words = " ".join(Markup(render_inline(markdown_text)).striptags().split())  # noqa: S704 (read only)
    return words if len(words) <= STEP_TEXT_LENGTH else words[: STEP_TEXT_LENGTH - 1].rstrip() + "…"


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value is None:
        return "—"
    return str(value)


def add_note(diagnosis: Diagnosis, author: str, text: str) -> DiagnosisNote:
    text = text.replace("\x00", "").strip()
    if not text:
        raise ValueError(gettext("Write the note first."))
    if len(text) > NOTE_LIMIT:
        raise ValueError(gettext("Keep notes under %(limit)d characters.", limit=NOTE_LIMIT))
    note = DiagnosisNote(diagnosis_id=diagnosis.id, author=author, text=text)
    db.session.add(note)
    db.session.commit()
    return note
