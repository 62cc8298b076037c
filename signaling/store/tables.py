"""SQLAlchemy models: one class per table; the migrations in ``migrations/versions``
create the same schema (a test compares them).

Datetimes are stored through :class:`UTCDateTime`: timezone-aware UTC in and out
on every backend (SQLite keeps no zone, so the type re-attaches UTC on load).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "UTCDateTime",
    "Base",
    "Department",
    "Service",
    "User",
    "UserSkill",
    "SessionToken",
    "Booth",
    "EnrollmentCode",
    "Ticket",
    "TicketCounter",
    "Call",
    "Rating",
    "AuditRow",
    "Meta",
    "Document",
    "FaceCheck",
    "FaceFrame",
    "AssistConsent",
    "AssistForm",
    "table_of",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes; naive values are refused so no local time slips in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        # SQLite stores text without a zone: store naive UTC, re-attach on load.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    ticket_prefix: Mapped[str] = mapped_column(String(1), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Service(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    materials: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class UserSkill(Base):
    __tablename__ = "user_skills"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[str] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    )


class SessionToken(Base):
    __tablename__ = "session_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Booth(Base):
    __tablename__ = "booths"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(32))
    region_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime | None]
    device_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_seen_at: Mapped[datetime | None]


class EnrollmentCode(Base):
    __tablename__ = "enrollment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_state", "state"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"), index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    enqueued_at: Mapped[datetime]
    offered_count: Mapped[int] = mapped_column(Integer, default=0)
    called_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str | None] = mapped_column(String(200))


class TicketCounter(Base):
    __tablename__ = "ticket_counters"

    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_ended_at", "ended_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(200))
    ended_by: Mapped[str | None] = mapped_column(String(16))
    duration_s: Mapped[float | None] = mapped_column(Float)


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="ck_ratings_level"),)

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    indicators: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Document(Base):
    """A document image of a call; the bytes live in the file store under ``sha256``."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), index=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"))
    request_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    thumb_sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    review: Mapped[str] = mapped_column(String(16), default="pending")
    review_reason: Mapped[str | None] = mapped_column(String(200))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class FaceCheck(Base):
    """One face check (人脸核身) of a call: the challenge, the server's result, the
    agent's decision. Images (ID portrait, best live frame) are blobs by hash."""

    __tablename__ = "face_checks"
    __table_args__ = (Index("ix_face_checks_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"))
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    challenges: Mapped[list[Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    judged_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    band: Mapped[str | None] = mapped_column(String(16))
    distance: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    portrait_sha256: Mapped[str | None] = mapped_column(String(64))
    live_sha256: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class FaceFrame(Base):
    """A live frame the booth uploaded for a face check."""

    __tablename__ = "face_frames"

    check_id: Mapped[str] = mapped_column(
        ForeignKey("face_checks.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    t_ms: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class AssistConsent(Base):
    """A resident's consent decision in a call (remote assist): each grant and each
    revocation is a row, so the record shows when the agent could see or control."""

    __tablename__ = "assist_consents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), index=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"))
    scope: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class AssistForm(Base):
    """A form the agent pushed in a call and, once signed, the resident's submission:
    values, signature strokes, the signature PNG (a blob by hash) and the sha256 of the
    whole submission's canonical JSON."""

    __tablename__ = "assist_forms"
    __table_args__ = (Index("ix_assist_forms_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), index=True)
    booth_id: Mapped[str] = mapped_column(ForeignKey("booths.id"))
    agent_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(500))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    strokes: Mapped[list[Any] | None] = mapped_column(JSON)
    signature_sha256: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))


class CallNote(Base):
    """The agent's record of a call (办件记录): its outcome and a short summary, written
    in wrap-up and editable by that agent for a day after the call ended."""

    __tablename__ = "call_notes"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class RatingFollowup(Base):
    """What the service centre did about a poor rating (差评整改): 好差评 rules have every
    rating of 1 or 2 looked into and answered; one row per rated call."""

    __tablename__ = "rating_followups"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    note: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Meta(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def table_of(model: type[Base]) -> Table:
    """The Core ``Table`` of a model (typed, for Core statements such as upserts)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
