"""Documents of a call (DESIGN.md §3, §5): agent requests, booth uploads, agent reviews.

The agent asks with ``document.request``; the booth captures and uploads over
HTTP (:mod:`signaling.api_documents` calls :meth:`DocumentDesk.upload`); the
image is checked and re-encoded (:mod:`signaling.images`) in a worker thread,
stored content-addressed with 0600 permissions (:mod:`signaling.files`),
recorded in the store and the audit log, and the agent gets ``document.added``.
Reads are allowed to the call's agent and to admins, and every read is audited.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from signaling import images
from signaling import protocol as p
from signaling.calls import Call, CallNotFound
from signaling.files import BlobMissing, FileStore
from signaling.store import DocumentRecord, Identity
from signaling.store import errors as store_errors

if TYPE_CHECKING:
    from signaling.hub import Conn, Hub
    from signaling.sessions import Session

__all__ = ["DocumentDesk", "DocumentError", "Handler"]

log = logging.getLogger(__name__)

Handler = Callable[["Session", "Conn", p.Frame], Awaitable[None]]

_DEFAULT_INSTRUCTION = {
    "id_front": "请把身份证人像面朝上放在高拍仪上",
    "id_back": "请把身份证国徽面朝上放在高拍仪上",
    "household_register": "请把户口簿翻到本人页，平放在高拍仪上",
    "certificate": "请把证书平放在高拍仪上",
    "form": "请把表格平放在高拍仪上",
    "other": "请按工作人员的要求放好材料",
}
_MAX_OPEN_REQUESTS = 50  # per call: a runaway console cannot grow the table without bound


class DocumentError(Exception):
    """A refused upload or read; ``code`` is a protocol error code (or ``gone``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Request:
    request_id: str
    call_id: str
    kind: str


def added_event(doc: DocumentRecord) -> p.DocumentAdded:
    return p.DocumentAdded(
        call_id=doc.call_id, document_id=doc.id, request_id=doc.request_id,
        kind=doc.kind,
        content_type=doc.content_type,
        width=doc.width, height=doc.height, size=doc.size, sha256=doc.sha256,
        url=f"/api/documents/{doc.id}", thumb_url=f"/api/documents/{doc.id}/thumb",
        created_at=doc.created_at.timestamp(),
    )


def can_read(ident: Identity, agent_id: str) -> bool:
    """Documents and face images: the call's agent and admins (DESIGN.md §5)."""
    return ident.role == "admin" or (ident.role == "agent" and ident.subject_id == agent_id)


class DocumentDesk:
    """The hub's document feature: WebSocket handlers plus the HTTP upload and reads."""

    def __init__(self, hub: Hub, files: FileStore) -> None:
        self.hub = hub
        self.files = files
        self.requests: dict[str, _Request] = {}
        # Decoding a 50 MP image takes ~150 MB: at most two at a time.
        self._decode = asyncio.Semaphore(2)
        self.handlers: dict[str, Handler] = {
            "document.request": self._on_request,
            "document.status": self._on_status,
            "document.review": self._on_review,
        }

    # ------------------------------------------------------------------ WebSocket

    async def _on_request(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.DocumentRequest)
        call = self.hub.calls.get(data.call_id)
        call.party_of("agent", session.subject_id)
        open_for_call = [r for r in self.requests.values() if r.call_id == call.call_id]
        if len(open_for_call) >= _MAX_OPEN_REQUESTS:
            raise p.ProtocolError(p.ErrorCode.CONFLICT, "too many open document requests")
        req = _Request("req_" + secrets.token_hex(10), call.call_id, data.kind)
        self.requests[req.request_id] = req
        event = p.DocumentRequested(
            call_id=call.call_id, request_id=req.request_id, kind=data.kind,
            instruction=data.instruction or _DEFAULT_INSTRUCTION[data.kind],
        )
        await self.hub.store.audit(f"agent:{session.subject_id}", "document.request",
                                   call.call_id, {"request_id": req.request_id,
                                                  "kind": data.kind})
        self.hub.reply(conn, frame, "document.requested", event)
        self.hub.push("booth", call.booth_id, "document.requested", event)

    async def _on_status(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.DocumentStatus)
        call = self.hub.calls.get(data.call_id)
        call.party_of("booth", session.subject_id)
        req = self.requests.get(data.request_id)
        if req is None or req.call_id != call.call_id:
            raise p.ProtocolError(p.ErrorCode.NOT_FOUND,
                                  f"no document request {data.request_id} in this call")
        self.hub.push("agent", call.agent_id, "document.status", p.DocumentStatusEvent(
            **data.model_dump()))
        self.hub.reply(conn, frame, "ok")

    async def _on_review(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.DocumentReview)
        doc = await self.hub.store.get_document(data.document_id)
        try:
            call = self.hub.calls.get(doc.call_id)
        except CallNotFound as exc:
            rec = await self.hub.store.get_call(doc.call_id)
            if rec.agent_id != session.subject_id:
                raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "not your call's document") from exc
            raise p.ProtocolError(p.ErrorCode.CONFLICT, "the call has ended") from exc
        call.party_of("agent", session.subject_id)
        doc = await self.hub.store.review_document(doc.id, data.decision, data.reason,
                                                   session.subject_id)
        event = p.DocumentReviewed(
            call_id=doc.call_id, document_id=doc.id, request_id=doc.request_id,
            kind=doc.kind,
            decision=data.decision, reason=data.reason,
        )
        await self.hub.store.audit(f"agent:{session.subject_id}", "document.review", doc.id,
                                   {"call_id": doc.call_id, "decision": data.decision,
                                    "reason": data.reason})
        self.hub.reply(conn, frame, "document.reviewed", event)
        self.hub.push("booth", call.booth_id, "document.reviewed", event)

    # ------------------------------------------------------------------ calls ending

    def call_ended(self, call: Call) -> None:
        for rid in [r.request_id for r in self.requests.values() if r.call_id == call.call_id]:
            del self.requests[rid]

    # ------------------------------------------------------------------ HTTP

    def live_call_of_booth(self, ident: Identity, call_id: str) -> Call:
        """The booth's call in progress, or :class:`DocumentError`."""
        try:
            call = self.hub.calls.get(call_id)
        except CallNotFound as exc:
            raise DocumentError("not_found", f"no call {call_id} in progress") from exc
        if call.booth_id != ident.subject_id:
            raise DocumentError("forbidden", "not this booth's call")
        return call

    async def upload(self, ident: Identity, call_id: str, kind: str, request_id: str | None,
                     body: bytes) -> p.DocumentAdded:
        call = self.live_call_of_booth(ident, call_id)
        if kind not in get_args(p.DocumentKind):
            raise DocumentError("bad_message", f"unknown document kind {kind!r}")
        if request_id is not None:
            req = self.requests.get(request_id)
            if req is None or req.call_id != call_id:
                raise DocumentError("not_found", f"no document request {request_id} in "
                                                 "this call")
        async with self._decode:
            try:
                clean = await asyncio.to_thread(images.clean_image, body,
                                                self.hub.settings.image_max_pixels)
                thumb = await asyncio.to_thread(images.thumbnail, clean.data)
            except images.ImageRejected as exc:
                raise DocumentError(exc.code, exc.message) from exc
        new_blobs = await asyncio.to_thread(self._put_all, clean.data, thumb)
        try:
            doc = await self.hub.store.add_document(
                call_id, ident.subject_id, kind, sha256=new_blobs[0], thumb_sha256=new_blobs[1],
                content_type=clean.content_type, width=clean.width, height=clean.height,
                size=len(clean.data), request_id=request_id,
            )
        except BaseException:
            await asyncio.to_thread(self._drop_new, new_blobs)
            raise
        await self.hub.store.audit(f"booth:{ident.subject_id}", "document.upload", doc.id, {
            "call_id": call_id, "kind": kind, "request_id": request_id, "sha256": doc.sha256,
            "size": doc.size, "width": doc.width, "height": doc.height,
            "source_format": clean.source_format, "upload_bytes": len(body)})
        event = added_event(doc)
        self.hub.push("agent", call.agent_id, "document.added", event)
        self.hub.metrics.inc("xiaowu_documents_total", kind=kind)
        return event

    def _put_all(self, image: bytes, thumb: bytes) -> tuple[str, str, frozenset[str]]:
        (sha, new), (thumb_sha, thumb_new) = self.files.add(image), self.files.add(thumb)
        return sha, thumb_sha, frozenset(x for x, n in ((sha, new), (thumb_sha, thumb_new)) if n)

    def _drop_new(self, blobs: tuple[str, str, frozenset[str]]) -> None:
        for sha in blobs[2]:
            self.files.delete(sha)

    async def _call_agent(self, call_id: str) -> str:
        try:
            return self.hub.calls.get(call_id).agent_id
        except CallNotFound:
            return (await self.hub.store.get_call(call_id)).agent_id

    async def read(self, ident: Identity, document_id: str, variant: str
                   ) -> tuple[bytes, str]:
        """The image (or its thumbnail) for an authorized reader; audited."""
        try:
            doc = await self.hub.store.get_document(document_id)
        except store_errors.NotFound as exc:
            raise DocumentError("not_found", f"no document {document_id}") from exc
        if not can_read(ident, await self._call_agent(doc.call_id)):
            await self.hub.store.audit(f"{ident.role}:{ident.subject_id}", "document.denied",
                                       doc.id, {"variant": variant})
            raise DocumentError("forbidden", "only the call's agent and admins may read it")
        if doc.deleted_at is not None:
            raise DocumentError("gone", "deleted after the retention period")
        sha = doc.thumb_sha256 if variant == "thumb" else doc.sha256
        try:
            data = await asyncio.to_thread(self.files.get, sha)
        except BlobMissing as exc:
            raise DocumentError("gone", "the file is no longer stored") from exc
        await self.hub.store.audit(f"{ident.role}:{ident.subject_id}", "document.read", doc.id,
                                   {"variant": variant, "call_id": doc.call_id})
        return data, "image/jpeg" if variant == "thumb" else doc.content_type

    async def list_for(self, ident: Identity, call_id: str) -> list[dict[str, Any]]:
        try:
            agent_id = await self._call_agent(call_id)
        except store_errors.NotFound as exc:
            raise DocumentError("not_found", f"no call {call_id}") from exc
        if not can_read(ident, agent_id):
            raise DocumentError("forbidden", "only the call's agent and admins may list it")
        out = []
        for doc in await self.hub.store.call_documents(call_id):
            item = added_event(doc).model_dump()
            item.update(review=doc.review, review_reason=doc.review_reason,
                        deleted=doc.deleted_at is not None)
            out.append(item)
        return out
