"""Database tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class FlowVersion(db.Model):  # type: ignore[name-defined]
    """The exact source of every flow version a diagnosis has run on, so it can finish on it."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Diagnosis(db.Model):  # type: ignore[name-defined]
    """One person's walk through one flow: where they are, what they answered."""

    __tablename__ = "diagnoses"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    flow_id: Mapped[str] = mapped_column(String(100), index=True)
    flow_digest: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(100))
    # steps visited, oldest first; the current step is the last entry
    path: Mapped[list[str]] = mapped_column(JSON, default=list)
    # answers[i] is the answer or outcome that led from path[i] to path[i + 1]
    answers: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    revision: Mapped[int] = mapped_column(default=0)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("diagnoses.id"))
    sandbox: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    events: Mapped[list[DiagnosisEvent]] = relationship(
        back_populates="diagnosis", order_by="DiagnosisEvent.id"
    )


class DiagnosisEvent(db.Model):  # type: ignore[name-defined]
    """One line of a diagnosis transcript."""

    __tablename__ = "diagnosis_events"
    __table_args__ = (Index("ix_diagnosis_events_diagnosis", "diagnosis_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnosis_id: Mapped[int] = mapped_column(ForeignKey("diagnoses.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    diagnosis: Mapped[Diagnosis] = relationship(back_populates="events")


class ArticleFeedback(db.Model):  # type: ignore[name-defined]
    """A reader's answer to "Was this helpful?"."""

    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    article: Mapped[str] = mapped_column(String(100), index=True)
    helpful: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
