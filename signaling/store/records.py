"""What the store hands out: small frozen dataclasses, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "Role",
    "IdentityKind",
    "TICKET_STATES",
    "OPEN_TICKET_STATES",
    "UserRecord",
    "Identity",
    "BoothRecord",
    "Material",
    "ServiceRecord",
    "DepartmentRecord",
    "TicketRecord",
    "CallRecord",
    "RatingRecord",
    "DayStats",
    "AuditRecord",
    "AuditVerdict",
    "DocumentRecord",
    "FaceCheckRecord",
    "FaceFrameRecord",
    "ConsentRecord",
    "FormRecord",
]

Role = Literal["agent", "admin"]
IdentityKind = Literal["user", "booth"]

TICKET_STATES = frozenset({"waiting", "offered", "serving", "done", "cancelled", "abandoned"})
OPEN_TICKET_STATES = frozenset({"waiting", "offered", "serving"})


@dataclass(frozen=True)
class UserRecord:
    id: str
    username: str
    display_name: str
    role: Role
    disabled: bool
    created_at: datetime
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Identity:
    """Who holds a token: a user (agent/admin) session or a booth device."""

    kind: IdentityKind
    subject_id: str
    role: Literal["agent", "admin", "booth"]
    name: str
    skills: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if (self.kind == "booth") != (self.role == "booth"):
            raise ValueError(f"identity kind {self.kind!r} does not fit role {self.role!r}")


@dataclass(frozen=True)
class BoothRecord:
    id: str
    name: str
    region_code: str
    region_name: str | None
    created_at: datetime
    revoked_at: datetime | None
    enrolled_at: datetime | None
    device_info: dict[str, Any] | None
    last_seen_at: datetime | None
    has_token: bool

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class Material:
    """One item of a service's materials list (所需材料)."""

    name: str
    name_en: str | None = None
    copies: int | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("material name is empty")
        if self.copies is not None and self.copies < 1:
            raise ValueError(f"material copies must be >= 1, got {self.copies}")

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Material:
        copies = raw.get("copies")
        return cls(
            name=str(raw["name"]),
            name_en=None if raw.get("name_en") is None else str(raw["name_en"]),
            copies=None if copies is None else int(copies),
            note=None if raw.get("note") is None else str(raw["note"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the catalog API; absent optional fields are left out."""
        out: dict[str, Any] = {"name": self.name}
        if self.name_en is not None:
            out["name_en"] = self.name_en
        if self.copies is not None:
            out["copies"] = self.copies
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class ServiceRecord:
    id: str
    department_id: str
    name: str
    name_en: str
    description: str
    materials: tuple[Material, ...]
    sort_order: int
    active: bool


@dataclass(frozen=True)
class DepartmentRecord:
    id: str
    name: str
    name_en: str
    ticket_prefix: str
    sort_order: int
    active: bool
    services: tuple[ServiceRecord, ...] = ()


@dataclass(frozen=True)
class TicketRecord:
    id: str
    number: str
    department_id: str
    service_id: str
    booth_id: str
    priority: str
    state: str
    created_at: datetime
    enqueued_at: datetime
    offered_count: int
    called_at: datetime | None
    ended_at: datetime | None
    agent_id: str | None
    end_reason: str | None


@dataclass(frozen=True)
class CallRecord:
    id: str
    ticket_id: str
    booth_id: str
    agent_id: str
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    ended_by: str | None
    duration_s: float | None


@dataclass(frozen=True)
class RatingRecord:
    call_id: str
    level: int
    indicators: tuple[str, ...]
    reasons: tuple[str, ...]
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class CallSummary:
    """One call as an agent's day list and the admin's call log show it: the ticket,
    service, booth and agent by name, how it ended, the rating and the agent's note."""

    call_id: str
    ticket_number: str
    department_id: str
    service_id: str
    service_name: str
    booth_id: str
    booth_name: str
    agent_id: str
    agent_name: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    end_reason: str | None
    ended_by: str | None
    rating: int | None
    outcome: str | None
    notes: str | None
    notes_updated_at: datetime | None


@dataclass(frozen=True)
class DayStats:
    """One service day (in the store's service time zone), optionally for one agent."""

    day: str
    handled: int
    abandoned: int
    cancelled: int
    calls: int
    avg_call_s: float | None
    ratings: dict[int, int] = field(default_factory=dict)

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    rows: int
    first_broken_seq: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DocumentRecord:
    id: str
    call_id: str
    booth_id: str
    request_id: str | None
    kind: str
    sha256: str
    thumb_sha256: str
    content_type: str
    width: int
    height: int
    size: int
    created_at: datetime
    review: str
    review_reason: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    deleted_at: datetime | None


@dataclass(frozen=True)
class FaceFrameRecord:
    check_id: str
    seq: int
    t_ms: int
    step: str
    sha256: str


@dataclass(frozen=True)
class FaceCheckRecord:
    id: str
    call_id: str
    document_id: str
    booth_id: str
    agent_id: str
    challenges: tuple[str, ...]
    state: str
    created_at: datetime
    judged_at: datetime | None
    result: dict[str, Any] | None
    band: str | None
    distance: float | None
    passed: bool | None
    portrait_sha256: str | None
    live_sha256: str | None
    decision: str | None
    decision_note: str | None
    decided_by: str | None
    decided_at: datetime | None
    deleted_at: datetime | None


@dataclass(frozen=True)
class ConsentRecord:
    id: str
    call_id: str
    booth_id: str
    scope: str
    granted: bool
    reason: str
    at: datetime


@dataclass(frozen=True)
class FormRecord:
    id: str
    call_id: str
    booth_id: str
    agent_id: str
    title: str
    definition: dict[str, Any]
    state: str
    created_at: datetime
    submitted_at: datetime | None
    values: dict[str, Any] | None
    strokes: list[Any] | None
    signature_sha256: str | None
    sha256: str | None
