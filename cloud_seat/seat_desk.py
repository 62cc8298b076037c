"""The headless agent's desk: documents and face checks of the current call.

What :class:`~cloud_seat.agent.HeadlessAgent` does with ``document.*`` and
``face.check.*`` (``docs/protocol.md``), apart from its hub connection and media.
Scripted (the ``xiaowu-seat`` flags): ``request_document`` asks the booth for a
document once the call's media connects; every ``document.added`` is then
downloaded with the session token and checked against its ``sha256`` (and
written to ``save_dir``, 0600); ``review`` answers each document (``rescan``
asks once per request, the re-scan is then accepted); ``face_check`` starts a
check on the first ``id_front`` document that is not sent back, and
``face_decision`` decides it when the result comes.

A desk reaches the hub only through its :class:`SeatLink` (requests, events,
tasks, the HTTP session and the bearer), so it holds no socket of its own; the
agent tells it when a call starts, when its media connects and when it ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import aiohttp

from signaling import protocol as p

__all__ = ["SeatLink", "SeatDesk", "SeatDocument", "SeatFaceCheck", "DEFAULT_RESCAN_REASON",
           "save_private"]

DEFAULT_RESCAN_REASON = "图像不清晰，请重新拍摄"


@dataclass(frozen=True)
class SeatLink:
    """What a desk may use of its agent. ``request`` returns the reply frame (success
    or ``error``, already reported), or None when the hub could not be reached."""

    server: str
    request: Callable[[str, p._Data], Awaitable[p.Frame | None]]
    send: Callable[[str, p._Data], Awaitable[bool]]
    emit: Callable[[dict[str, Any]], None]
    spawn: Callable[[Awaitable[Any], str], asyncio.Task[Any]]
    bearer: Callable[[], dict[str, str]]
    http: Callable[[], aiohttp.ClientSession | None]

    async def get(self, path: str) -> tuple[int, bytes] | str:
        """GET ``path`` on the hub with the session token: (status, body), or why not."""
        session = self.http()
        if session is None:
            return "not running"
        try:
            async with session.get(self.server + path, headers=self.bearer()) as resp:
                return resp.status, await resp.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"


def save_private(directory: Path, name: str, body: bytes) -> str:
    """Write ``directory/name`` 0600 in a 0700 directory (personal data, DESIGN.md §5)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(body)
    return str(path)


@dataclass
class SeatDocument:
    """A document of a call as the seat saw it (``document.added``) and what it did with it.

    ``downloaded`` is the byte count once the image was fetched and its SHA-256
    matched; ``path`` where it was saved; ``review`` the decision the hub confirmed.
    """

    document_id: str
    call_id: str
    request_id: str | None
    kind: str
    content_type: str
    size: int
    sha256: str
    url: str
    downloaded: int | None = None
    path: str | None = None
    review: str | None = None


@dataclass
class SeatFaceCheck:
    """A face check this seat started: its statuses, its result and the decision."""

    check_id: str
    call_id: str
    document_id: str
    challenges: list[str]
    states: list[str] = field(default_factory=list)
    result: p.FaceCheckResult | None = None
    decision: str | None = None


class SeatDesk:
    """Documents and face checks. Options as :class:`~cloud_seat.agent.HeadlessAgent`'s
    (checked here, so a script fails before it connects)."""

    def __init__(self, link: SeatLink, *, request_document: str | None = None,
                 document_instruction: str | None = None, review: str | None = None,
                 rescan_reason: str = DEFAULT_RESCAN_REASON, face_check: bool = False,
                 face_decision: str | None = None, save_dir: str | Path | None = None) -> None:
        if request_document is not None and request_document not in get_args(p.DocumentKind):
            raise ValueError(f"request_document must be one of "
                             f"{', '.join(get_args(p.DocumentKind))}, not {request_document!r}")
        for name, text in (("document_instruction", document_instruction),
                           ("rescan_reason", rescan_reason)):
            if text is not None and len(text) > 200:
                raise ValueError(f"{name} is longer than 200 characters")
        if review not in (None, "accepted", "rescan"):
            raise ValueError(f"review must be accepted or rescan, not {review!r}")
        if face_decision not in (None, "confirmed", "rejected"):
            raise ValueError(f"face_decision must be confirmed or rejected, not {face_decision!r}")
        self.link = link
        self.document_kind = request_document
        self.document_instruction = document_instruction
        self.review = review
        self.rescan_reason = rescan_reason
        self.face_check = face_check
        self.face_decision = face_decision
        self.save_dir = Path(save_dir) if save_dir is not None else None
        self.documents: dict[str, SeatDocument] = {}
        self.face_checks: dict[str, SeatFaceCheck] = {}
        self.call_id: str | None = None
        self._asked_at: dict[str, float] = {}  # request_id -> monotonic time of the last ask
        self._rescanned: set[str] = set()  # request ids this seat sent back once
        self._document_asked = False  # request_document was sent for this call
        self._face_started = False  # face_check was started for this call

    # ------------------------------------------------------------------ call hooks

    def call_started(self, call_id: str) -> None:
        self.call_id = call_id
        self._asked_at.clear()  # request ids are per call; keep the seat's memory bounded
        self._rescanned.clear()
        self._document_asked = self._face_started = False

    def media_connected(self) -> None:
        """The call's media connected (again): ask for the scripted document, once a call."""
        if self.document_kind and not self._document_asked:
            self._document_asked = True
            self.link.spawn(self.request_document(self.document_kind, self.document_instruction),
                            "seat-document-request")

    def call_ended(self, call_id: str) -> None:
        if self.call_id == call_id:
            self.call_id = None

    def handle(self, data: p._Data) -> bool:
        """A pushed event of ours (True), or not."""
        if isinstance(data, p.DocumentStatusEvent):
            self.link.emit({"event": "document.status", "call_id": data.call_id,
                            "request_id": data.request_id, "state": data.state,
                            "code": data.code, "message": data.message})
        elif isinstance(data, p.DocumentAdded):
            self._on_document_added(data)
        elif isinstance(data, p.FaceCheckStatus):
            self._on_face_status(data)
        elif isinstance(data, p.FaceCheckResult):
            self._on_face_result(data)
        else:
            return False
        return True

    # ------------------------------------------------------------------ documents

    async def request_document(self, kind: str, instruction: str | None = None) -> str | None:
        """Ask the booth of the current call for a document; the ``request_id``, or None."""
        if self.call_id is None:
            return None
        asked = time.monotonic()
        req = p.DocumentRequest.model_validate(
            {"call_id": self.call_id, "kind": kind, "instruction": instruction})
        reply = await self.link.request("document.request", req)
        if reply is None or reply.type != "document.requested":
            return None  # an error reply was already reported as an ``error`` event
        data = p.parse_data(reply, p.DocumentRequested)
        self._asked_at[data.request_id] = asked
        self.link.emit({"event": "document.requested", "call_id": data.call_id,
                        "request_id": data.request_id, "kind": data.kind,
                        "instruction": data.instruction})
        return data.request_id

    async def review_document(self, document_id: str, decision: str,
                              reason: str | None = None) -> bool:
        """``document.review``: ``accepted``, or ``rescan`` (the booth captures it again)."""
        doc = self.documents.get(document_id)
        asked = time.monotonic()
        req = p.DocumentReview.model_validate(
            {"document_id": document_id, "decision": decision, "reason": reason})
        reply = await self.link.request("document.review", req)
        if reply is None or reply.type != "document.reviewed":
            return False
        data = p.parse_data(reply, p.DocumentReviewed)
        if doc is not None:
            doc.review = data.decision
        if data.decision == "rescan" and data.request_id is not None:
            self._asked_at[data.request_id] = asked  # the re-scan is a new ask
        self.link.emit({"event": "document.reviewed", "call_id": data.call_id,
                        "document_id": data.document_id, "request_id": data.request_id,
                        "decision": data.decision, "reason": data.reason})
        return True

    async def download_document(self, document_id: str) -> bytes | None:
        """Fetch a document (one of :attr:`documents`) with the session token and check
        its SHA-256 and size.

        Emits ``document.downloaded`` (and writes ``save_dir/<document_id>.<ext>``,
        0600) or ``document.download_failed``; returns the bytes or None.
        """
        doc = self.documents[document_id]
        failed: dict[str, Any] = {"event": "document.download_failed", "call_id": doc.call_id,
                                  "document_id": document_id}
        got = await self.link.get(doc.url)
        if isinstance(got, str):
            self.link.emit({**failed, "error": got})
            return None
        status, body = got
        if status != 200:
            self.link.emit({**failed, "status": status,
                            "error": body[:200].decode("utf-8", "replace")})
            return None
        digest = hashlib.sha256(body).hexdigest()
        if digest != doc.sha256 or len(body) != doc.size:
            self.link.emit({**failed, "status": status, "error": "content does not match "
                            f"document.added: sha256 {digest}, {len(body)} bytes"})
            return None
        doc.downloaded = len(body)
        if self.save_dir is not None:
            ext = ".png" if doc.content_type == "image/png" else ".jpg"
            doc.path = await asyncio.to_thread(save_private, self.save_dir,
                                               f"{doc.document_id}{ext}", body)
        asked = self._asked_at.get(doc.request_id or "")
        self.link.emit({"event": "document.downloaded", "call_id": doc.call_id,
                        "document_id": document_id, "request_id": doc.request_id,
                        "kind": doc.kind, "sha256": digest, "bytes": len(body),
                        "ms_since_request": None if asked is None
                        else round((time.monotonic() - asked) * 1000),
                        "path": doc.path})
        return body

    def _on_document_added(self, data: p.DocumentAdded) -> None:
        doc = SeatDocument(data.document_id, data.call_id, data.request_id, data.kind,
                           data.content_type, data.size, data.sha256, data.url)
        self.documents[doc.document_id] = doc
        self.link.emit({"event": "document.added", "call_id": data.call_id,
                        "document_id": data.document_id, "request_id": data.request_id,
                        "kind": data.kind, "content_type": data.content_type,
                        "width": data.width, "height": data.height, "size": data.size,
                        "sha256": data.sha256})
        if self.document_kind or self.review or self.face_check or self.save_dir:
            self.link.spawn(self._handle_document(doc), "seat-document")

    async def _handle_document(self, doc: SeatDocument) -> None:
        """Scripted handling of a new document: download, review, face check."""
        if await self.download_document(doc.document_id) is None:
            return
        if self.call_id != doc.call_id:
            return  # the call is over: nothing left to review
        decision = self.review
        if decision == "rescan" and (doc.request_id is None or doc.request_id in self._rescanned):
            decision = "accepted"  # one re-scan per request, then the new scan is taken
        if decision is not None:
            if decision == "rescan" and doc.request_id is not None:
                self._rescanned.add(doc.request_id)
            reason = self.rescan_reason if decision == "rescan" else None
            await self.review_document(doc.document_id, decision, reason)
        if self.face_check and doc.kind == "id_front" and decision != "rescan" \
                and not self._face_started:
            self._face_started = True
            if await self.start_face_check(doc.document_id) is None:
                self._face_started = False

    # ------------------------------------------------------------------ face checks

    async def start_face_check(self, document_id: str) -> str | None:
        """``face.check.start`` on an ``id_front`` document of the current call; the check id."""
        if self.call_id is None:
            return None
        req = p.FaceCheckStart(call_id=self.call_id, document_id=document_id)
        reply = await self.link.request("face.check.start", req)
        if reply is None or reply.type != "face.check.started":
            return None
        data = p.parse_data(reply, p.FaceCheckStarted)
        self.face_checks[data.check_id] = SeatFaceCheck(
            data.check_id, data.call_id, data.document_id, list(data.challenges))
        self.link.emit({"event": "face.check.started", "call_id": data.call_id,
                        "check_id": data.check_id, "document_id": data.document_id,
                        "challenges": list(data.challenges), "max_frames": data.max_frames})
        return data.check_id

    async def decide_face_check(self, check_id: str, decision: str,
                                note: str | None = None) -> bool:
        """``face.check.decide``: ``confirmed`` or ``rejected`` (the score is only advice)."""
        req = p.FaceCheckDecide.model_validate(
            {"check_id": check_id, "decision": decision, "note": note})
        reply = await self.link.request("face.check.decide", req)
        if reply is None or reply.type != "face.check.decided":
            return False
        data = p.parse_data(reply, p.FaceCheckDecided)
        check = self.face_checks.get(check_id)
        if check is not None:
            check.decision = data.decision
        self.link.emit({"event": "face.check.decided", "call_id": data.call_id,
                        "check_id": data.check_id, "decision": data.decision,
                        "by": data.by.name})
        return True

    def _on_face_status(self, data: p.FaceCheckStatus) -> None:
        check = self.face_checks.get(data.check_id)
        if check is not None:
            check.states.append(data.state)
        self.link.emit({"event": "face.check.status", "call_id": data.call_id,
                        "check_id": data.check_id, "state": data.state, "hint": data.hint})

    def _on_face_result(self, data: p.FaceCheckResult) -> None:
        check = self.face_checks.get(data.check_id)
        if check is not None:
            check.result = data
        self.link.emit({"event": "face.check.result", "call_id": data.call_id,
                        "check_id": data.check_id, "state": data.state, "band": data.band,
                        "distance": data.distance, "passed": data.passed,
                        "thresholds": data.thresholds.model_dump(),
                        "model": data.model.model_dump(),
                        "failed_gates": [g.name for g in data.gates if not g.passed],
                        "liveness": {c.action: c.passed for c in data.liveness},
                        "error": data.error.model_dump(mode="json") if data.error else None})
        if self.face_decision is not None and check is not None:
            self.link.spawn(self.decide_face_check(data.check_id, self.face_decision),
                            "seat-face-decide")
