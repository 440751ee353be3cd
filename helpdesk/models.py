"""Database tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite keeps no time zone: store naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class FlowVersion(db.Model):  # type: ignore[name-defined]
    """The exact source of every flow version a diagnosis has run on, so it can finish on it."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DiagnosisStatus(StrEnum):
    """Where a diagnosis stands: going on, or ended and how."""

    ACTIVE = "active"
    RESOLVED = "resolved"  # reached a resolved end
    ESCALATED = "escalated"  # reached an end that sends the person to support
    LINKED = "linked"  # handed over to another flow's diagnosis
    ABANDONED = "abandoned"  # given up: the person started over


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
    status: Mapped[str] = mapped_column(String(20), default=DiagnosisStatus.ACTIVE.value, index=True)
    revision: Mapped[int] = mapped_column(default=0)
    # the action step being run right now (claimed by one request; others wait or back off)
    running_step: Mapped[str | None] = mapped_column(String(100))
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("diagnoses.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("staff_links.id"))
    sandbox: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the API's bearer token (its hash only); a handover passes it on to the next diagnosis
    api_token_hash: Mapped[str | None] = mapped_column(String(64))
    # "continue in a browser" links used so far: a link carries this count, so each works once
    browser_handoffs: Mapped[int] = mapped_column(default=0, server_default="0")

    events: Mapped[list[DiagnosisEvent]] = relationship(
        back_populates="diagnosis", order_by="DiagnosisEvent.id"
    )


class DiagnosisEvent(db.Model):  # type: ignore[name-defined]
    """One line of a diagnosis transcript."""

    __tablename__ = "diagnosis_events"
    __table_args__ = (Index("ix_diagnosis_events_diagnosis", "diagnosis_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnosis_id: Mapped[int] = mapped_column(ForeignKey("diagnoses.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    diagnosis: Mapped[Diagnosis] = relationship(back_populates="events")


# the analytics' daily rollups read diagnoses by when they began and by what changed since
Index("ix_diagnoses_created_at", Diagnosis.created_at)
Index("ix_diagnoses_updated_at", Diagnosis.updated_at)
Index("ix_diagnosis_events_at", DiagnosisEvent.at)


class DiagnosisRollup(db.Model):  # type: ignore[name-defined]
    """Counts of one day's diagnoses (by the day they began) of one flow, for the analytics:
    *measure* is status, reached, left (key: step, detail: status), action or checked (key:
    action, detail: answer), minute (key: whole minutes an ended one took). Rebuilt per day from
    the diagnoses (helpdesk/analytics.py)."""

    __tablename__ = "diagnosis_rollups"

    day: Mapped[date] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    detail: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int]


class DiagnosisDuration(db.Model):  # type: ignore[name-defined]
    """How many of one day's ended diagnoses of one flow took *seconds* (rounded) to end; by
    minute first, so the median's minute (found from the rollups' "minute" counts) is read alone."""

    __tablename__ = "diagnosis_durations"
    __table_args__ = (Index("ix_diagnosis_durations_day", "day"),)  # a day rebuilt is deleted first

    flow_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    minute: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    seconds: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int]


class RollupMark(db.Model):  # type: ignore[name-defined]
    """Up to where a rollup has taken in the changes: the time and the last diagnosis seen."""

    __tablename__ = "rollup_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_diagnosis: Mapped[int] = mapped_column(default=0)


class ArticleView(db.Model):  # type: ignore[name-defined]
    """How often an article was read on one day: a count, nothing about the reader."""

    __tablename__ = "article_views"
    __table_args__ = (UniqueConstraint("article", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article: Mapped[str] = mapped_column(String(100))
    day: Mapped[date]
    views: Mapped[int] = mapped_column(default=0)


class SearchMiss(db.Model):  # type: ignore[name-defined]
    """A search that found nothing, counted per day: the query text (scrubbed), never who asked."""

    __tablename__ = "search_misses"
    __table_args__ = (UniqueConstraint("query", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200))
    day: Mapped[date]
    count: Mapped[int] = mapped_column(default=0)


# The full-text index of the content on PostgreSQL (search/postgres.py). It is derived from the
# content files and rebuilt from them, and it exists only there: SQLite search keeps its index in
# memory. Created by migration 0008, and by create_all on PostgreSQL.
SEARCH_INDEX_DDL = (
    # each row is in one language and indexed with that language's text search configuration
    # (config: english, spanish, arabic, simple); the tsvectors are made when a row is written,
    # from its text folded (lower case, no accents) as SQLite search folds it (migration 0022)
    """CREATE TABLE IF NOT EXISTS search_documents (
        id serial PRIMARY KEY,
        kind varchar(10) NOT NULL,
        slug varchar(100) NOT NULL,
        language varchar(20) NOT NULL DEFAULT 'en',
        config regconfig NOT NULL DEFAULT 'english',
        title text NOT NULL,
        summary text NOT NULL,
        keywords text NOT NULL,
        headings text NOT NULL,
        body text NOT NULL,
        -- title A, keywords and summary B, headings C, body D
        document tsvector NOT NULL,
        -- the words of the first tiers of results (search/index.py TIERS)
        title_words tsvector NOT NULL,
        head_words tsvector NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_document ON search_documents USING gin (document)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_title_words ON search_documents USING gin (title_words)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_head_words ON search_documents USING gin (head_words)",
    """CREATE TABLE IF NOT EXISTS search_index_state (
        id integer PRIMARY KEY,
        digest varchar(64) NOT NULL,
        built_at timestamptz NOT NULL DEFAULT now()
    )""",
)
SEARCH_INDEX_DROP = ("DROP TABLE IF EXISTS search_documents", "DROP TABLE IF EXISTS search_index_state")
SEARCH_INDEX_TABLES = frozenset({"search_documents", "search_index_state"})


def described_by_models(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's comparisons: the search index tables are managed by hand (see above)."""
    return not (type_ == "table" and name in SEARCH_INDEX_TABLES)


for _statement in SEARCH_INDEX_DDL:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class ArticleFeedback(db.Model):  # type: ignore[name-defined]
    """A reader's answer to "Was this helpful?"."""

    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    article: Mapped[str] = mapped_column(String(100), index=True)
    helpful: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


ACCOUNT_ID_LENGTH = 64


def new_account_id() -> str:
    """An id for an account made by the embedded directory (opaque, like any directory's)."""
    return str(uuid.uuid4())


class Account(db.Model):  # type: ignore[name-defined]
    """An account of the embedded account directory."""

    __tablename__ = "accounts"

    # the directory's opaque account id (an LDAP entryUUID, an AD objectGUID; for the embedded
    # directory a random UUID, or the old number as a string for accounts made before 0018)
    id: Mapped[str] = mapped_column(String(ACCOUNT_ID_LENGTH), primary_key=True, default=new_account_id)
    # stored case-folded so that uniqueness is case-insensitive on every database
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # None on a shadow row: an account whose password the organisation's directory keeps
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # two-factor: the authenticator key (encrypted with a key derived from the secret key),
    # the phone's measured clock offset in 30-second steps, and the last time step accepted
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_offset: Mapped[int] = mapped_column(default=0, server_default="0")
    totp_last_step: Mapped[int | None]
    # support staff: "staff", "editor" or "admin" (None for everyone else)
    role: Mapped[str | None] = mapped_column(String(20))
    # set by a staff-approved recovery: two-step verification must be set up at the next sign-in
    must_enrol_2fa: Mapped[bool] = mapped_column(default=False, server_default="0")
    # what the help center learnt about the current password when it last saw it in plain text
    # (at a sign-in or when it was set): weak by today's rules, or set by a staff-approved recovery
    password_weak: Mapped[bool] = mapped_column(default=False, server_default="0")
    password_from_recovery: Mapped[bool] = mapped_column(default=False, server_default="0")
    # failed sign-ins up to this time were looked at by the owner ("I've reviewed these")
    failures_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # lock escalation, kept across unlocks: how many locks in a row (forgiven one a quiet period),
    # when the last began, and the failure count that began the current one (one lock per count)
    lock_level: Mapped[int] = mapped_column(default=0, server_default="0")
    last_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_failures: Mapped[int | None]


class RecoveryCode(db.Model):  # type: ignore[name-defined]
    """A single-use recovery code, stored as a salted keyed hash naming its key version."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("account_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ACCOUNT_ID_LENGTH), ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128))  # v2$<salt>$<hmac>; 64 hex before versions
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Device(db.Model):  # type: ignore[name-defined]
    """A browser that has signed in to an account, remembered by a long-lived cookie."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ACCOUNT_ID_LENGTH), ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    summary: Mapped[str] = mapped_column(String(200), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the owner said "this is mine" (cleared when the password is reset or recovered)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInSession(db.Model):  # type: ignore[name-defined]
    """A signed-in browser. Ending the row signs that browser out, in every worker at once."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ACCOUNT_ID_LENGTH), ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the person last proved it was them in this session (sign-in, "Confirm it's you")
    reauthenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInEvent(db.Model):  # type: ignore[name-defined]
    """One sign-in attempt on an account: the sign-in history."""

    __tablename__ = "sign_in_events"
    __table_args__ = (Index("ix_sign_in_events_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ACCOUNT_ID_LENGTH), ForeignKey("accounts.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(64), default="")
    device: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[str] = mapped_column(String(30))


class AccountToken(db.Model):  # type: ignore[name-defined]
    """A reset or unlock link: only its hash is stored; single use, short-lived."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_account", "account_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(ACCOUNT_ID_LENGTH), ForeignKey("accounts.id"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # wrong second-factor codes typed with this (reset) link; at the cap the link is spent
    wrong_codes: Mapped[int] = mapped_column(default=0, server_default="0")


class AuditEntry(db.Model):  # type: ignore[name-defined]
    """One staff action or recovery event. Append-only; each entry hashes the one before it."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))  # who: a staff email, "system", "owner"
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # a predecessor can be had only once: two concurrent appends cannot fork the chain
    previous_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(db.Model):  # type: ignore[name-defined]
    """The newest audit entry, signed with the app's key: removing entries from the end shows."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    last_id: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))


class DiagnosisNote(db.Model):  # type: ignore[name-defined]
    """A staff member's internal note on a diagnosis (never shown to the person)."""

    __tablename__ = "diagnosis_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnosis_id: Mapped[int] = mapped_column(ForeignKey("diagnoses.id"), index=True)
    author: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffLink(db.Model):  # type: ignore[name-defined]
    """A signed link a staff member sent, opening a diagnosis at a chosen step."""

    __tablename__ = "staff_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(320))
    flow_id: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(100), default="")
    answers: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VerificationStatus(StrEnum):
    """Where a verification request stands:
    collecting -> submitted -> (approved: on-hold -> completed | cancelled) | denied;
    on-hold -> paused (the owner signed in) -> on-hold again | denied, as staff decide."""

    COLLECTING = "collecting"  # started: the contact address and the evidence are still to come
    SUBMITTED = "submitted"  # sent: waiting for staff to decide
    ON_HOLD = "on-hold"  # approved: the owner can cancel until the hold ends
    COMPLETED = "completed"  # the contact address set a new password
    CANCELLED = "cancelled"  # by the account's owner, during the hold
    PAUSED = "paused"  # the owner signed in during the hold: nothing happens until staff look again
    DENIED = "denied"


class VerificationRequest(db.Model):  # type: ignore[name-defined]
    """ "No factor left": a person asks staff to confirm who they are and give the account back."""

    __tablename__ = "verification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    account_email: Mapped[str] = mapped_column(String(320))  # as asked for; may match no account
    # the directory's id of the account the approval gave back: bound when staff approve, so the
    # hold, the owner's cancel and the completion act on that account whatever its address becomes
    account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_code_hash: Mapped[str] = mapped_column(String(80), default="")
    contact_code_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_code_tries: Mapped[int] = mapped_column(default=0)
    contact_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=VerificationStatus.COLLECTING.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_approver: Mapped[str] = mapped_column(String(320), default="")  # two-person rule
    first_decision: Mapped[str] = mapped_column(String(10), default="")
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_token_hash: Mapped[str] = mapped_column(String(80), default="")
    reset_token_hash: Mapped[str] = mapped_column(String(80), default="")
    reset_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the language the person asked in (HELPDESK_LANGUAGES; "" the default): the request's mails
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # the IANA time zone the person's browser named when they asked (None: not known): the times in
    # the request's mails are written in it, UTC beside them
    time_zone: Mapped[str | None] = mapped_column(String(64))


class Evidence(db.Model):  # type: ignore[name-defined]
    """An uploaded ID photo or selfie, stored outside static/ under a random name."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("verification_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # id-document, selfie
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvidenceFile(db.Model):  # type: ignore[name-defined]
    """The sealed bytes of one evidence upload when the database is the evidence store
    (cases/evidence_store.py): encrypted before they reach the table, apart from the evidence rows
    so that listing requests never loads the files."""

    __tablename__ = "evidence_files"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # Evidence.stored_name
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class Passkey(db.Model):  # type: ignore[name-defined]
    """A passkey (WebAuthn credential) of an account, kept by the embedded store
    (accounts/passkeys.py). Keyed by the account id as a string, like every help-center record
    the organisation's directory does not keep (no foreign key: the account may live in LDAP)."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE, as the authenticator sent it
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    backup_eligible: Mapped[bool] = mapped_column(default=False)
    backed_up: Mapped[bool] = mapped_column(default=False)  # "synced": refreshed at each use
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RemovedPasskey(db.Model):  # type: ignore[name-defined]
    """A passkey removed from its account, by its credential id only: a later sign-in with it is
    told "this passkey was removed from your account" instead of a bare refusal."""

    __tablename__ = "removed_passkeys"

    credential_id: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebAuthnChallenge(db.Model):  # type: ignore[name-defined]
    """A WebAuthn challenge handed to a browser: single-use, short-lived, kept server-side so any
    worker on any machine can finish the ceremony. *account_id* is set for a registration (the
    signed-in owner) and empty for a sign-in (discoverable: nobody is named yet)."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # register, sign-in
    account_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
