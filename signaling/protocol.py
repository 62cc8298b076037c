"""Protocol v1: every message of the hub's WebSocket contract as a typed model.

This module is pure: no I/O, no clock, no sockets. Everyone (hub, booth, seat,
test tools) parses and serializes frames through :func:`parse_frame` and
:func:`encode`, so the wire format lives in exactly one place.

Wire format (DESIGN.md §4): one UTF-8 JSON object per text frame, at most
64 KiB::

    {"v": 1, "type": "<name>", "id": "<optional>", "re": "<optional>", "data": {...}}

A frame with ``id`` is a request and gets exactly one reply whose ``re`` is
that id. Pushed events carry neither.

Exception tree::

    ProtocolError(code, message, re)   -- becomes an ``error`` frame
"""

from __future__ import annotations

import json
import re
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from signaling.annotations import Coord, OpName, Shape, Surface, check_op
from signaling.forms import FieldValues, FormDefinition

__all__ = [
    "VERSION",
    "MAX_FRAME_BYTES",
    "ErrorCode",
    "CloseCode",
    "ProtocolError",
    "Frame",
    "INBOUND",
    "OUTBOUND",
    "parse_frame",
    "parse_data",
    "encode",
    "encode_error",
]

VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
_ID_MAX = 64


class ErrorCode(StrEnum):
    """Error codes of DESIGN.md §4; the set is closed for protocol v1."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    INTERNAL = "internal"


class CloseCode(IntEnum):
    """The only reasons the hub closes a connection by itself."""

    NORMAL = 1000
    POLICY = 1008  # sustained abuse
    TOO_BIG = 1009  # oversized frame
    NO_HELLO = 4401  # no hello within the handshake timeout
    REVOKED = 4403  # credential revoked while connected


class ProtocolError(Exception):
    """A request the hub refuses; carried to the client as an ``error`` frame."""

    def __init__(self, code: ErrorCode, message: str, re: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.re = re


class _Data(BaseModel):
    """Base of every ``data`` payload: unknown fields are refused, values are frozen."""

    # allow_inf_nan: a float like 1e400 overflows to inf, which JSON cannot carry.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


_D = TypeVar("_D", bound=_Data)


Ident = Annotated[str, Field(min_length=1, max_length=64)]
ShortText = Annotated[str, Field(max_length=200)]
Gen = Annotated[int, Field(ge=0, le=1_000_000)]

# ---------------------------------------------------------------------------
# Shared value objects


class Subject(_Data):
    id: Ident
    name: ShortText


class ServiceRef(_Data):
    id: Ident
    name: ShortText
    department: ShortText


class BoothRef(_Data):
    id: Ident
    name: ShortText
    region: ShortText


class OfferTicket(_Data):
    ticket_id: Ident
    number: Annotated[str, Field(max_length=16)]
    service: ServiceRef
    booth: BoothRef
    priority: Literal["normal", "priority"] = "normal"
    waited_s: Annotated[int, Field(ge=0)] = 0


class IceServer(_Data):
    urls: list[Annotated[str, Field(max_length=300)]]
    username: str | None = None
    credential: str | None = None


class SessionDescription(_Data):
    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: Annotated[str, Field(max_length=60_000)]


class IceCandidate(_Data):
    candidate: Annotated[str, Field(max_length=1_000)]
    sdpMid: Annotated[str, Field(max_length=64)] | None = None  # noqa: N815 - WebRTC name
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None  # noqa: N815
    usernameFragment: Annotated[str, Field(max_length=256)] | None = None  # noqa: N815


class DepartmentLoad(_Data):
    id: Ident
    name: ShortText
    waiting: Annotated[int, Field(ge=0)]
    oldest_wait_s: Annotated[int, Field(ge=0)]
    agents_available: Annotated[int, Field(ge=0)]


TicketStateName = Literal["waiting", "offered", "serving", "done", "cancelled", "abandoned"]
AgentStateName = Literal["offline", "available", "offered", "in_call", "wrap_up", "away"]

# ---------------------------------------------------------------------------
# Client -> hub


class Hello(_Data):
    """First message on every connection (DESIGN.md §4 handshake)."""

    token: Annotated[str, Field(min_length=1, max_length=512)]
    client: Annotated[str, Field(min_length=1, max_length=100)]
    resume: Ident | None = None


class Ping(_Data):
    """Application heartbeat; send every ``heartbeat_s``. Reply: ``pong``."""


class TicketCreate(_Data):
    service_id: Ident
    priority: Literal["normal", "priority"] = "normal"


class TicketCancel(_Data):
    ticket_id: Ident


class BoothStatus(_Data):
    """Booth health; sent on change and with heartbeats. Reply (if asked): ``ok``."""

    camera: Literal["ok", "missing", "error", "unknown"] = "unknown"
    scanner: Literal["ok", "missing", "error", "busy", "unknown"] = "unknown"
    mic: Literal["ok", "missing", "error", "unknown"] = "unknown"
    speaker: Literal["ok", "missing", "error", "unknown"] = "unknown"
    version: Annotated[str, Field(max_length=64)] = ""
    details: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, max_length=32
    )


class AgentStateRequest(_Data):
    state: Literal["available", "away", "offline"]
    reason: ShortText | None = None


class TicketAccept(_Data):
    offer_id: Ident


class TicketDecline(_Data):
    offer_id: Ident
    reason: ShortText | None = None


class TicketTransfer(_Data):
    """Agent moves its call's ticket to another department's queue (extension)."""

    call_id: Ident
    department_id: Ident
    note: ShortText | None = None


class CallSdp(_Data):
    call_id: Ident
    gen: Gen
    description: SessionDescription


class CallIce(_Data):
    call_id: Ident
    gen: Gen
    candidate: IceCandidate | None


class CallEnd(_Data):
    call_id: Ident
    reason: ShortText = "hangup"


class RatingSubmit(_Data):
    """好差评: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意."""

    call_id: Ident
    level: Annotated[int, Field(ge=1, le=5)]
    indicators: list[ShortText] = Field(default_factory=list, max_length=20)
    reasons: list[ShortText] = Field(default_factory=list, max_length=20)
    comment: Annotated[str, Field(max_length=500)] | None = None


CallOutcome = Literal["resolved", "materials_missing", "referred", "consultation", "unresolved"]
"""The agent's record of a call (``PUT /api/calls/{id}/notes``): 办结 / 需补交材料 /
转办或线下办理 / 咨询答复 / 未解决."""

DocumentKind = Literal[
    "id_front", "id_back", "household_register", "certificate", "form", "other"
]
DocumentFailure = Literal[
    "no_device", "busy", "jammed", "no_documents", "cover_open", "timeout",
    "quality", "upload", "cancelled", "error",
]
Challenge = Literal["blink", "turn_left", "turn_right", "open_mouth"]


class DocumentRequest(_Data):
    """Agent asks the booth of its call to capture a document (extension, issue 5)."""

    call_id: Ident
    kind: DocumentKind
    instruction: ShortText | None = None


class DocumentStatus(_Data):
    """Booth reports progress or failure of a capture it was asked for."""

    call_id: Ident
    request_id: Ident
    state: Literal["capturing", "retrying", "uploading", "failed"]
    code: DocumentFailure | None = None
    message: ShortText | None = None


class DocumentReview(_Data):
    """Agent accepts a document or asks for a re-scan with a reason."""

    document_id: Ident
    decision: Literal["accepted", "rescan"]
    reason: ShortText | None = None


class FaceCheckStart(_Data):
    """Agent starts a face check against an ID-card-front document of its call."""

    call_id: Ident
    document_id: Ident


class FaceCheckSubmit(_Data):
    """Booth has uploaded the live frames of a face check; the hub judges them."""

    call_id: Ident
    check_id: Ident
    frames: Annotated[int, Field(ge=1, le=60)]


class FaceCheckDecide(_Data):
    """Agent's decision on a judged face check: the score is advice, the agent decides."""

    check_id: Ident
    decision: Literal["confirmed", "rejected"]
    note: ShortText | None = None


# ---------------------------------------------------------------------------
# Hub -> client


class Restored(_Data):
    ticket_id: Ident | None = None
    call_id: Ident | None = None


class Welcome(_Data):
    session_id: Ident
    role: Literal["booth", "agent", "admin"]
    subject: Subject
    heartbeat_s: Annotated[int, Field(ge=1)]
    server_time: float
    resumed: bool = False
    restored: Restored = Field(default_factory=Restored)


class Pong(_Data):
    server_time: float


class Ok(_Data):
    """Generic success reply to a request whose contract names no other reply."""


class Error(_Data):
    code: ErrorCode
    message: Annotated[str, Field(max_length=500)]


class Ticket(_Data):
    ticket_id: Ident
    number: Annotated[str, Field(max_length=16)]
    state: TicketStateName
    position: Annotated[int, Field(ge=0)]
    eta_s: Annotated[int, Field(ge=0)]
    service_id: Ident | None = None
    department_id: Ident | None = None
    priority: Literal["normal", "priority"] = "normal"


class TicketUpdate(_Data):
    ticket_id: Ident
    state: TicketStateName
    position: Annotated[int, Field(ge=0)]
    eta_s: Annotated[int, Field(ge=0)]
    department_id: Ident | None = None


class AgentStateEvent(_Data):
    state: AgentStateName
    reason: ShortText | None = None
    wrap_up_s: Annotated[int, Field(ge=0)] | None = None


class TicketOffer(_Data):
    offer_id: Ident
    ticket: OfferTicket
    timeout_s: Annotated[int, Field(ge=1)]


class TicketWithdrawn(_Data):
    """An offer is no longer valid (timed out, cancelled by the booth...)."""

    offer_id: Ident
    reason: ShortText


class QueueSnapshot(_Data):
    departments: list[DepartmentLoad]


class PeerInfo(_Data):
    kind: Literal["booth", "agent"]
    id: Ident
    name: ShortText
    region: ShortText | None = None
    service: ServiceRef | None = None
    ticket_number: Annotated[str, Field(max_length=16)] | None = None


class CallStart(_Data):
    call_id: Ident
    ticket_id: Ident
    role: Literal["offerer", "answerer"]
    peer: PeerInfo
    ice_servers: list[IceServer]


class CallPeer(_Data):
    """The other party's connection to the hub dropped (``away``) or came back."""

    call_id: Ident
    state: Literal["away", "back"]


class CallEnded(_Data):
    call_id: Ident
    reason: ShortText
    by: Literal["booth", "agent", "hub"]


class RatingRequest(_Data):
    call_id: Ident


class Rating(_Data):
    call_id: Ident
    level: Annotated[int, Field(ge=1, le=5)]


class TicketTransferred(_Data):
    ticket_id: Ident
    department_id: Ident


class DocumentRequested(_Data):
    call_id: Ident
    request_id: Ident
    kind: DocumentKind
    instruction: ShortText | None = None


class DocumentAdded(_Data):
    call_id: Ident
    document_id: Ident
    request_id: Ident | None = None
    kind: DocumentKind
    content_type: Literal["image/jpeg", "image/png"]
    width: Annotated[int, Field(ge=1)]
    height: Annotated[int, Field(ge=1)]
    size: Annotated[int, Field(ge=1)]
    sha256: Annotated[str, Field(min_length=64, max_length=64)]
    url: Annotated[str, Field(max_length=300)]
    thumb_url: Annotated[str, Field(max_length=300)]
    created_at: float


class DocumentStatusEvent(_Data):
    call_id: Ident
    request_id: Ident
    state: Literal["capturing", "retrying", "uploading", "failed"]
    code: DocumentFailure | None = None
    message: ShortText | None = None


class DocumentReviewed(_Data):
    call_id: Ident
    document_id: Ident
    request_id: Ident | None = None
    kind: DocumentKind
    decision: Literal["accepted", "rescan"]
    reason: ShortText | None = None


class FaceCheckStarted(_Data):
    call_id: Ident
    check_id: Ident
    document_id: Ident
    challenges: list[Challenge] = Field(min_length=1, max_length=4)
    baseline_s: Annotated[float, Field(gt=0, le=10)]
    step_s: Annotated[float, Field(gt=0, le=30)]
    fps: Annotated[float, Field(gt=0, le=30)]
    max_frames: Annotated[int, Field(ge=1, le=60)]
    upload_url: Annotated[str, Field(max_length=300)]


class FaceGate(_Data):
    name: Annotated[str, Field(max_length=32)]
    passed: bool
    value: float | None = None
    limit: float | None = None
    hint: Annotated[str, Field(max_length=32)] | None = None


class FaceChallengeResult(_Data):
    action: Challenge
    passed: bool
    value: float | None = None
    limit: float | None = None
    detail: ShortText | None = None


class FaceModelInfo(_Data):
    name: Annotated[str, Field(max_length=64)]
    version: Annotated[str, Field(max_length=64)]


class FaceThresholds(_Data):
    match_max: float
    mismatch_min: float


class FaceCheckResult(_Data):
    """The judged check, for the agent: advice, the agent decides."""

    call_id: Ident
    check_id: Ident
    state: Literal["judged", "failed"]
    band: Literal["match", "review", "mismatch"] | None = None
    distance: float | None = None
    thresholds: FaceThresholds
    model: FaceModelInfo
    passed: bool
    gates: list[FaceGate] = Field(default_factory=list, max_length=32)
    liveness: list[FaceChallengeResult] = Field(default_factory=list, max_length=8)
    id_box: list[int] | None = Field(default=None, min_length=4, max_length=4)
    live_box: list[int] | None = Field(default=None, min_length=4, max_length=4)
    portrait_url: Annotated[str, Field(max_length=300)] | None = None
    live_url: Annotated[str, Field(max_length=300)] | None = None
    error: Error | None = None


class FaceCheckStatus(_Data):
    """For the booth: where the check stands and, on a failed gate, what to do."""

    call_id: Ident
    check_id: Ident
    state: Literal["judging", "retry", "done", "decided", "cancelled"]
    hint: Annotated[str, Field(max_length=32)] | None = None


class FaceCheckDecided(_Data):
    call_id: Ident
    check_id: Ident
    decision: Literal["confirmed", "rejected"]
    by: Subject



# ---------------------------------------------------------------------------
# Remote assist (extension, issue 7): consent, pointer, annotations, forms,
# guidance, remote control. Shapes and forms are defined in signaling.annotations
# and signaling.forms (pure, shared with the booth and the console).

ConsentScope = Literal["screen", "control"]


class AssistConsentRequest(_Data):
    """Agent asks the resident for consent to see the screen or to control the kiosk."""

    call_id: Ident
    scope: ConsentScope


class AssistConsentRequested(_Data):
    call_id: Ident
    scope: ConsentScope


class AssistConsent(_Data):
    """Booth: the resident granted or revoked a scope (at any time)."""

    call_id: Ident
    scope: ConsentScope
    granted: bool


class AssistConsentEvent(_Data):
    call_id: Ident
    scope: ConsentScope
    granted: bool
    at: float


class AssistPointer(_Data):
    """The agent's laser pointer over a surface (relayed to the booth, not stored)."""

    call_id: Ident
    surface: Surface = "screen"
    x: Coord
    y: Coord
    visible: bool = True


class AssistAnnotate(_Data):
    """One drawing operation on a surface (relayed to the booth; the hub keeps the board)."""

    call_id: Ident
    surface: Surface
    op: OpName
    shape: Shape | None = None

    @model_validator(mode="after")
    def _shape_for_add(self) -> AssistAnnotate:
        check_op(self.op, self.shape)
        return self


class AssistBoardGet(_Data):
    call_id: Ident
    surface: Surface


class AssistBoard(_Data):
    call_id: Ident
    surface: Surface
    shapes: list[Shape] = Field(default_factory=list, max_length=200)


class AssistFormPush(_Data):
    call_id: Ident
    form: FormDefinition


class AssistFormPushed(_Data):
    call_id: Ident
    form_id: Ident


class AssistForm(_Data):
    call_id: Ident
    form_id: Ident
    form: FormDefinition


class AssistFormProgress(_Data):
    """Booth: what the resident has entered so far (the fields that changed, or all)."""

    call_id: Ident
    form_id: Ident
    values: FieldValues


class AssistFormProgressEvent(_Data):
    call_id: Ident
    form_id: Ident
    values: FieldValues
    masked: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list,
                                                               max_length=50)


class AssistFormSubmitted(_Data):
    call_id: Ident
    form_id: Ident
    values: FieldValues
    sha256: Annotated[str, Field(min_length=64, max_length=64)]
    signature_sha256: Annotated[str, Field(min_length=64, max_length=64)]
    signature_url: Annotated[str, Field(max_length=300)]
    submitted_at: float


class GuideItem(_Data):
    text: Annotated[str, Field(min_length=1, max_length=200)]
    done: bool = False


class AssistGuide(_Data):
    """Agent shows the resident a checklist or a short text (and picture) of the next step."""

    call_id: Ident
    kind: Literal["checklist", "text"]
    title: Annotated[str, Field(min_length=1, max_length=100)]
    items: list[GuideItem] | None = Field(default=None, min_length=1, max_length=30)
    text: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    document_id: Ident | None = None

    @model_validator(mode="after")
    def _by_kind(self) -> AssistGuide:
        if self.kind == "checklist" and self.items is None:
            raise ValueError("a checklist needs items")
        if self.kind == "text" and self.text is None:
            raise ValueError("a text guide needs text")
        return self


class AssistControl(_Data):
    """Agent taps the kiosk screen for the resident (needs the ``control`` consent)."""

    call_id: Ident
    action: Literal["tap"]
    x: Coord
    y: Coord

# ---------------------------------------------------------------------------
# Registries: the type name on the wire -> the model of its ``data``.

INBOUND: dict[str, type[_Data]] = {
    "hello": Hello,
    "ping": Ping,
    "ticket.create": TicketCreate,
    "ticket.cancel": TicketCancel,
    "booth.status": BoothStatus,
    "agent.state": AgentStateRequest,
    "ticket.accept": TicketAccept,
    "ticket.decline": TicketDecline,
    "ticket.transfer": TicketTransfer,
    "call.sdp": CallSdp,
    "call.ice": CallIce,
    "call.end": CallEnd,
    "rating.submit": RatingSubmit,
    "document.request": DocumentRequest,
    "document.status": DocumentStatus,
    "document.review": DocumentReview,
    "face.check.start": FaceCheckStart,
    "face.check.submit": FaceCheckSubmit,
    "face.check.decide": FaceCheckDecide,
    "assist.consent.request": AssistConsentRequest,
    "assist.consent": AssistConsent,
    "assist.pointer": AssistPointer,
    "assist.annotate": AssistAnnotate,
    "assist.board.get": AssistBoardGet,
    "assist.form.push": AssistFormPush,
    "assist.form.progress": AssistFormProgress,
    "assist.guide": AssistGuide,
    "assist.control": AssistControl,
}

OUTBOUND: dict[str, type[_Data]] = {
    "welcome": Welcome,
    "pong": Pong,
    "ok": Ok,
    "error": Error,
    "ticket": Ticket,
    "ticket.update": TicketUpdate,
    "agent.state": AgentStateEvent,
    "ticket.offer": TicketOffer,
    "ticket.withdrawn": TicketWithdrawn,
    "ticket.transferred": TicketTransferred,
    "queue.snapshot": QueueSnapshot,
    "call.start": CallStart,
    "call.sdp": CallSdp,
    "call.ice": CallIce,
    "call.peer": CallPeer,
    "call.ended": CallEnded,
    "rating.request": RatingRequest,
    "rating": Rating,
    "document.requested": DocumentRequested,
    "document.added": DocumentAdded,
    "document.status": DocumentStatusEvent,
    "document.reviewed": DocumentReviewed,
    "face.check.started": FaceCheckStarted,
    "face.check.result": FaceCheckResult,
    "face.check.status": FaceCheckStatus,
    "face.check.decided": FaceCheckDecided,
    "assist.consent.requested": AssistConsentRequested,
    "assist.consent": AssistConsentEvent,
    "assist.pointer": AssistPointer,
    "assist.annotate": AssistAnnotate,
    "assist.board": AssistBoard,
    "assist.form.pushed": AssistFormPushed,
    "assist.form": AssistForm,
    "assist.form.progress": AssistFormProgressEvent,
    "assist.form.submitted": AssistFormSubmitted,
    "assist.guide": AssistGuide,
    "assist.control": AssistControl,
}

# Which roles may send which inbound types (authorization by role; ownership is
# checked by the hub against its state).
ROLES: dict[str, frozenset[str]] = {
    "hello": frozenset({"booth", "agent", "admin"}),
    "ping": frozenset({"booth", "agent", "admin"}),
    "ticket.create": frozenset({"booth"}),
    "ticket.cancel": frozenset({"booth"}),
    "booth.status": frozenset({"booth"}),
    "agent.state": frozenset({"agent"}),
    "ticket.accept": frozenset({"agent"}),
    "ticket.decline": frozenset({"agent"}),
    "ticket.transfer": frozenset({"agent"}),
    "call.sdp": frozenset({"booth", "agent"}),
    "call.ice": frozenset({"booth", "agent"}),
    "call.end": frozenset({"booth", "agent"}),
    "rating.submit": frozenset({"booth"}),
    "document.request": frozenset({"agent"}),
    "document.status": frozenset({"booth"}),
    "document.review": frozenset({"agent"}),
    "face.check.start": frozenset({"agent"}),
    "face.check.submit": frozenset({"booth"}),
    "face.check.decide": frozenset({"agent"}),
    "assist.consent.request": frozenset({"agent"}),
    "assist.consent": frozenset({"booth"}),
    "assist.pointer": frozenset({"agent"}),
    "assist.annotate": frozenset({"agent"}),
    "assist.board.get": frozenset({"booth", "agent"}),
    "assist.form.push": frozenset({"agent"}),
    "assist.form.progress": frozenset({"booth"}),
    "assist.guide": frozenset({"agent"}),
    "assist.control": frozenset({"agent"}),
}


class Frame(BaseModel):
    """A parsed, validated frame: its ``data`` is the model registered for ``type``."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: str
    id: str | None = None
    re: str | None = None
    data: _Data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _loads(raw: str | bytes) -> Any:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        size = len(text.encode("utf-8")) if isinstance(raw, str) else len(raw)
    except UnicodeError as exc:  # not UTF-8, or a str holding a lone surrogate
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid UTF-8 text: {exc}") from exc
    if size > MAX_FRAME_BYTES:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"frame of {size} bytes exceeds {MAX_FRAME_BYTES}")
    try:
        obj = _DECODER.decode(text)
        if _SURROGATE_ESCAPE.search(text):
            # An escape such as "\ud800" decodes to a lone surrogate, which no UTF-8
            # text frame can carry: echoing it (an id, a relayed field) would fail in
            # the sender. UnicodeEncodeError is a ValueError. Only frames that hold
            # such an escape pay for this second pass (the relay hot path does not).
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {exc}") from exc
    return obj


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "data"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_frame(raw: str | bytes, registry: dict[str, type[_Data]] | None = None) -> Frame:
    """Parse one text frame into a :class:`Frame`.

    ``registry`` defaults to :data:`INBOUND` (what the hub accepts); clients pass
    :data:`OUTBOUND`. Raises :class:`ProtocolError` with the code of DESIGN.md §4;
    the error's ``re`` is the frame's id whenever that could be read.
    """
    reg = INBOUND if registry is None else registry
    obj = _loads(raw)
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "a frame must be a JSON object")
    msg_id = obj.get("id")
    if msg_id is not None and (not isinstance(msg_id, str) or not 0 < len(msg_id) <= _ID_MAX):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"id must be a string of 1..{_ID_MAX} chars")
    re_ = obj.get("re")
    if re_ is not None and not isinstance(re_, str):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "re must be a string", msg_id)
    version = obj.get("v")
    if version != VERSION or isinstance(version, bool):
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION, f"protocol version {version!r} is not supported; use 1",
            msg_id,
        )
    mtype = obj.get("type")
    if not isinstance(mtype, str):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "type must be a string", msg_id)
    model = reg.get(mtype)
    if model is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {mtype[:64]!r}", msg_id)
    extra = set(obj) - {"v", "type", "id", "re", "data"}
    if extra:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"unknown envelope fields: {sorted(extra)[:5]}", msg_id
        )
    data = obj.get("data", {})
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "data must be a JSON object", msg_id)
    try:
        # Inbound frames are validated strictly: "5" is not a rating level and true is
        # not 1 (a resident's 好差评 must be what they pressed).
        parsed = model.model_validate(data, strict=reg is INBOUND)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, _describe(exc), msg_id) from exc
    return Frame(type=mtype, id=msg_id, re=re_, data=parsed)


def parse_data(frame: Frame, model: type[_D]) -> _D:
    """Return ``frame.data`` as ``model`` (the hub's handlers know the type they got)."""
    if not isinstance(frame.data, model):
        raise TypeError(f"{frame.type} carries {type(frame.data).__name__}, not {model.__name__}")
    return frame.data


def encode(
    mtype: str, data: _Data | None = None, *, re: str | None = None, id: str | None = None
) -> str:
    """Serialize one frame. ``data`` must be the model registered for ``mtype``.

    The envelope is written around pydantic's own JSON for ``data`` (compact,
    UTF-8 kept as is): the same text as ``json.dumps`` of the whole, at a
    quarter of the cost, which matters on the relay path.
    """
    head = '{"v":1,"type":' + json.dumps(mtype, ensure_ascii=False)
    if id is not None:
        head += ',"id":' + json.dumps(id, ensure_ascii=False)
    if re is not None:
        head += ',"re":' + json.dumps(re, ensure_ascii=False)
    body = "{}" if data is None else data.model_dump_json()
    return head + ',"data":' + body + "}"


def encode_error(code: ErrorCode, message: str, re: str | None) -> str:
    """Serialize an ``error`` frame; ``re`` is always present (null for events)."""
    env = {
        "v": VERSION,
        "type": "error",
        "re": re,
        "data": {"code": str(code), "message": message[:500]},
    }
    return json.dumps(env, ensure_ascii=False, separators=(",", ":"))

