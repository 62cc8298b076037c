"""Documents of a call and face checks: metadata rows; the images are blobs in the
file store (:mod:`signaling.files`), named by their sha256.

Retention (:meth:`DocumentOps.expire_personal_data`) marks rows deleted and
returns the hashes that no live row references any more, for the caller to
remove from the file store; metadata and audit rows stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .base import StoreBase
from .credentials import new_id
from .errors import Conflict, NotFound
from .records import DocumentRecord, FaceCheckRecord, FaceFrameRecord
from .tables import Call, Document, FaceCheck, FaceFrame

__all__ = ["DocumentOps", "DOCUMENT_KINDS", "FACE_STATES"]

DOCUMENT_KINDS = frozenset(
    {"id_front", "id_back", "household_register", "certificate", "form", "other"}
)
# started -> judging -> judged | failed -> decided ; any open state -> cancelled
FACE_STATES = frozenset({"started", "judging", "judged", "failed", "decided", "cancelled"})


def _doc(d: Document) -> DocumentRecord:
    return DocumentRecord(
        id=d.id, call_id=d.call_id, booth_id=d.booth_id, request_id=d.request_id, kind=d.kind,
        sha256=d.sha256, thumb_sha256=d.thumb_sha256, content_type=d.content_type,
        width=d.width, height=d.height, size=d.size, created_at=d.created_at, review=d.review,
        review_reason=d.review_reason, reviewed_by=d.reviewed_by, reviewed_at=d.reviewed_at,
        deleted_at=d.deleted_at,
    )


def _check(c: FaceCheck) -> FaceCheckRecord:
    return FaceCheckRecord(
        id=c.id, call_id=c.call_id, document_id=c.document_id, booth_id=c.booth_id,
        agent_id=c.agent_id, challenges=tuple(str(x) for x in c.challenges), state=c.state,
        created_at=c.created_at, judged_at=c.judged_at, result=c.result, band=c.band,
        distance=c.distance, passed=c.passed, portrait_sha256=c.portrait_sha256,
        live_sha256=c.live_sha256, decision=c.decision, decision_note=c.decision_note,
        decided_by=c.decided_by, decided_at=c.decided_at, deleted_at=c.deleted_at,
    )


async def _get(s: AsyncSession, model: type[Document] | type[FaceCheck], key: str,
               what: str) -> Any:
    row = await s.get(model, key)
    if row is None:
        raise NotFound(f"no {what} {key!r}")
    return row


class DocumentOps(StoreBase):
    # -- documents -------------------------------------------------------

    async def add_document(
        self, call_id: str, booth_id: str, kind: str, *, sha256: str, thumb_sha256: str,
        content_type: str, width: int, height: int, size: int,
        request_id: str | None = None, now: datetime | None = None,
    ) -> DocumentRecord:
        if kind not in DOCUMENT_KINDS:
            raise ValueError(f"unknown document kind {kind!r}")
        at = self._now(now)
        async with self._db.write() as s:
            call = await s.get(Call, call_id)
            if call is None:
                raise NotFound(f"no call {call_id!r}")
            if call.booth_id != booth_id:
                raise Conflict(f"call {call_id} is not this booth's")
            row = Document(
                id=new_id("doc"), call_id=call_id, booth_id=booth_id, request_id=request_id,
                kind=kind, sha256=sha256, thumb_sha256=thumb_sha256,
                content_type=content_type, width=width, height=height, size=size,
                created_at=at, review="pending",
            )
            s.add(row)
            await s.flush()
            return _doc(row)

    async def get_document(self, document_id: str) -> DocumentRecord:
        async with self._db.read() as s:
            return _doc(await _get(s, Document, document_id, "document"))

    async def call_documents(self, call_id: str) -> list[DocumentRecord]:
        async with self._db.read() as s:
            rows = await s.scalars(
                select(Document).where(Document.call_id == call_id)
                .order_by(Document.created_at, Document.id)
            )
            return [_doc(r) for r in rows.all()]

    async def review_document(
        self, document_id: str, decision: str, reason: str | None, by: str,
        now: datetime | None = None,
    ) -> DocumentRecord:
        if decision not in ("accepted", "rescan"):
            raise ValueError(f"unknown review decision {decision!r}")
        at = self._now(now)
        async with self._db.write() as s:
            row: Document = await _get(s, Document, document_id, "document")
            if row.deleted_at is not None:
                raise Conflict(f"document {document_id} was deleted by retention")
            row.review, row.review_reason = decision, (reason or None)
            row.reviewed_by, row.reviewed_at = by, at
            await s.flush()
            return _doc(row)

    # -- face checks -----------------------------------------------------

    async def create_face_check(
        self, call_id: str, document_id: str, booth_id: str, agent_id: str,
        challenges: Sequence[str], now: datetime | None = None,
    ) -> FaceCheckRecord:
        at = self._now(now)
        async with self._db.write() as s:
            doc: Document = await _get(s, Document, document_id, "document")
            if doc.call_id != call_id:
                raise Conflict(f"document {document_id} is not of call {call_id}")
            row = FaceCheck(
                id=new_id("fc"), call_id=call_id, document_id=document_id, booth_id=booth_id,
                agent_id=agent_id, challenges=list(challenges), state="started",
                created_at=at,
            )
            s.add(row)
            await s.flush()
            return _check(row)

    async def get_face_check(self, check_id: str) -> FaceCheckRecord:
        async with self._db.read() as s:
            return _check(await _get(s, FaceCheck, check_id, "face check"))

    async def call_face_checks(self, call_id: str) -> list[FaceCheckRecord]:
        async with self._db.read() as s:
            rows = await s.scalars(select(FaceCheck).where(FaceCheck.call_id == call_id)
                                   .order_by(FaceCheck.created_at, FaceCheck.id))
            return [_check(r) for r in rows.all()]

    async def put_face_frame(
        self, check_id: str, seq: int, t_ms: int, step: str, sha256: str, max_frames: int,
        now: datetime | None = None,
    ) -> int:
        """Store (or replace) frame ``seq``; returns how many frames the check has.
        ``Conflict`` once the check is past ``started`` or has ``max_frames`` others."""
        at = self._now(now)
        async with self._db.write() as s:
            check: FaceCheck = await _get(s, FaceCheck, check_id, "face check")
            if check.state != "started":
                raise Conflict(f"face check {check_id} is {check.state}; frames are closed")
            frame = await s.get(FaceFrame, (check_id, seq))
            frames = list((await s.scalars(
                select(FaceFrame.seq).where(FaceFrame.check_id == check_id))).all())
            if frame is None:
                if len(frames) >= max_frames:
                    raise Conflict(f"face check {check_id} already has {max_frames} frames")
                s.add(FaceFrame(check_id=check_id, seq=seq, t_ms=t_ms, step=step,
                                sha256=sha256, created_at=at))
                return len(frames) + 1
            frame.t_ms, frame.step, frame.sha256, frame.created_at = t_ms, step, sha256, at
            return len(frames)

    async def face_frames(self, check_id: str) -> list[FaceFrameRecord]:
        async with self._db.read() as s:
            rows = await s.scalars(
                select(FaceFrame).where(FaceFrame.check_id == check_id).order_by(FaceFrame.seq))
            return [FaceFrameRecord(r.check_id, r.seq, r.t_ms, r.step, r.sha256)
                    for r in rows.all()]

    async def set_face_state(self, check_id: str, state: str, *, expect: Iterable[str]
                             ) -> FaceCheckRecord:
        """Move a check to ``state`` if it is in one of ``expect`` (else ``Conflict``)."""
        if state not in FACE_STATES:
            raise ValueError(f"unknown face check state {state!r}")
        allowed = frozenset(expect)
        async with self._db.write() as s:
            row: FaceCheck = await _get(s, FaceCheck, check_id, "face check")
            if row.state not in allowed:
                raise Conflict(f"face check {check_id} is {row.state}")
            row.state = state
            await s.flush()
            return _check(row)

    async def save_face_result(
        self, check_id: str, *, state: str, result: dict[str, Any], band: str | None,
        distance: float | None, passed: bool | None, portrait_sha256: str | None,
        live_sha256: str | None, now: datetime | None = None,
    ) -> FaceCheckRecord:
        at = self._now(now)
        async with self._db.write() as s:
            row: FaceCheck = await _get(s, FaceCheck, check_id, "face check")
            if row.state != "judging":
                raise Conflict(f"face check {check_id} is {row.state}")
            row.state, row.result, row.band, row.distance = state, result, band, distance
            row.passed, row.judged_at = passed, at
            row.portrait_sha256, row.live_sha256 = portrait_sha256, live_sha256
            await s.flush()
            return _check(row)

    async def decide_face_check(
        self, check_id: str, decision: str, note: str | None, by: str,
        now: datetime | None = None,
    ) -> FaceCheckRecord:
        if decision not in ("confirmed", "rejected"):
            raise ValueError(f"unknown decision {decision!r}")
        at = self._now(now)
        async with self._db.write() as s:
            row: FaceCheck = await _get(s, FaceCheck, check_id, "face check")
            if row.state not in ("judged", "failed"):
                raise Conflict(f"face check {check_id} is {row.state}; nothing to decide yet")
            row.state, row.decision, row.decision_note = "decided", decision, note or None
            row.decided_by, row.decided_at = by, at
            await s.flush()
            return _check(row)

    async def cancel_face_checks(self, call_id: str) -> list[str]:
        """Cancel the call's checks that are still open; returns their ids."""
        async with self._db.write() as s:
            ids = list((await s.scalars(select(FaceCheck.id).where(
                FaceCheck.call_id == call_id, FaceCheck.state.in_(("started", "judging"))
            ))).all())
            if ids:
                await s.execute(update(FaceCheck).where(FaceCheck.id.in_(ids))
                                .values(state="cancelled"))
            return ids

    # -- retention -------------------------------------------------------

    async def expire_personal_data(self, before: datetime, now: datetime | None = None,
                                   limit: int = 500) -> tuple[int, int, set[str]]:
        """Mark documents and face checks created before ``before`` deleted.

        Returns (documents, face checks, blob hashes no longer referenced by any
        live row) for the caller to remove from the file store."""
        at = self._now(now)
        cut = self._now(before)
        async with self._db.write() as s:
            docs = list((await s.scalars(select(Document).where(
                Document.created_at < cut, Document.deleted_at.is_(None)).limit(limit))).all())
            checks = list((await s.scalars(select(FaceCheck).where(
                FaceCheck.created_at < cut, FaceCheck.deleted_at.is_(None)).limit(limit))).all())
            candidates: set[str] = set()
            for d in docs:
                d.deleted_at = at
                candidates |= {d.sha256, d.thumb_sha256}
            for c in checks:
                c.deleted_at = at
                candidates |= {x for x in (c.portrait_sha256, c.live_sha256) if x}
            if checks:
                frames = await s.scalars(select(FaceFrame).where(
                    FaceFrame.check_id.in_([c.id for c in checks])))
                for f in frames.all():
                    candidates.add(f.sha256)
                    await s.delete(f)
            await s.flush()
            if not candidates:
                return len(docs), len(checks), set()
            still: set[str] = set()
            for chunk in _chunks(sorted(candidates), 200):
                still |= set((await s.scalars(select(Document.sha256).where(
                    Document.deleted_at.is_(None), Document.sha256.in_(chunk)))).all())
                still |= set((await s.scalars(select(Document.thumb_sha256).where(
                    Document.deleted_at.is_(None), Document.thumb_sha256.in_(chunk)))).all())
                still |= set((await s.scalars(select(FaceFrame.sha256).where(
                    FaceFrame.sha256.in_(chunk)))).all())
                for col in (FaceCheck.portrait_sha256, FaceCheck.live_sha256):
                    still |= {x for x in (await s.scalars(select(col).where(
                        FaceCheck.deleted_at.is_(None), col.in_(chunk)))).all() if x}
            return len(docs), len(checks), candidates - still


def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]
