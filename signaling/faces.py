"""Face checks (人脸核身, DESIGN.md §3, §5): judged on the server, decided by the agent.

The agent starts a check against an ``id_front`` document of its call; the hub
picks the liveness challenge and tells both sides (``face.check.started``).
The booth uploads live frames over HTTP (:meth:`FaceDesk.add_frame`) and sends
``face.check.submit``; the hub judges them in a worker pool (a
:class:`FaceJudge`, by default :mod:`signaling.face_judge` over
``cloud_seat.face_check``) *outside* the hub lock, so signaling stays
responsive; the agent gets ``face.check.result`` (advice with both faces),
the booth a ``face.check.status`` telling the resident what to do, and the
agent decides with ``face.check.decide``. Every step, and every read of a face
image, is audited; images are 0600 blobs removed by the retention job.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from signaling import images
from signaling import protocol as p
from signaling.calls import Call
from signaling.documents import DocumentError, Handler, can_read
from signaling.files import BlobMissing
from signaling.store import FaceCheckRecord, Identity
from signaling.store import errors as store_errors

if TYPE_CHECKING:
    from signaling.hub import Conn, Hub
    from signaling.sessions import Session

__all__ = ["FaceDesk", "FaceJob", "FaceVerdict", "FaceJudge", "JudgeUnavailable",
           "CHALLENGES", "pick_challenges"]

log = logging.getLogger(__name__)

CHALLENGES: tuple[str, ...] = ("blink", "turn_left", "turn_right", "open_mouth")
_FRAME_MAX_PIXELS = 4_000_000
_MAX_T_MS = 120_000


@dataclass(frozen=True)
class FaceJob:
    """What a judge needs: the ID image, the live frames (bytes, t_ms, step) and the rules."""

    check_id: str
    id_image: bytes
    frames: Sequence[tuple[bytes, int, str]]
    challenges: tuple[str, ...]
    match_max: float
    mismatch_min: float
    baseline_s: float
    step_s: float


@dataclass(frozen=True)
class FaceVerdict:
    """A judge's answer: the result fields of ``face.check.result`` (without ids and
    urls), the ID portrait crop as JPEG and the index (in ``FaceJob.frames``) of the
    best live frame."""

    result: dict[str, Any]
    portrait_jpeg: bytes | None = None
    best_frame: int | None = None
    hint: str | None = None  # for the booth when a gate or the liveness failed


class JudgeUnavailable(Exception):
    """The judge is busy (queue full) or timed out; the check fails, it can be redone."""


class FaceJudge(Protocol):
    async def judge(self, job: FaceJob) -> FaceVerdict: ...

    async def close(self) -> None: ...


def pick_challenges(rng: random.Random) -> tuple[str, str]:
    """Two different actions; never both head turns (one turn is enough to see 3-D
    motion, and two in a row tire elderly residents)."""
    first, second = rng.sample(CHALLENGES, 2)
    while {first, second} == {"turn_left", "turn_right"}:
        first, second = rng.sample(CHALLENGES, 2)
    return first, second


@dataclass
class _Open:
    check_id: str
    call_id: str
    booth_id: str
    agent_id: str
    challenges: tuple[str, ...]
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class FaceDesk:
    def __init__(self, hub: Hub, judge_factory: Callable[[], FaceJudge]) -> None:
        self.hub = hub
        self._judge_factory = judge_factory
        self._judge: FaceJudge | None = None
        self._rng = random.SystemRandom()
        self.open: dict[str, _Open] = {}
        self.handlers: dict[str, Handler] = {
            "face.check.start": self._on_start,
            "face.check.submit": self._on_submit,
            "face.check.decide": self._on_decide,
        }

    @property
    def judge(self) -> FaceJudge:
        if self._judge is None:  # the worker pool starts with the first check
            self._judge = self._judge_factory()
        return self._judge

    async def close(self) -> None:
        for item in list(self.open.values()):
            if item.task is not None:
                item.task.cancel()
        for item in list(self.open.values()):
            if item.task is not None:
                await asyncio.gather(item.task, return_exceptions=True)
        if self._judge is not None:
            await self._judge.close()
            self._judge = None

    def _status(self, item: _Open, state: str, hint: str | None = None,
                *, agent: bool = True, booth: bool = True) -> p.FaceCheckStatus:
        status = p.FaceCheckStatus(call_id=item.call_id, check_id=item.check_id,
                                   state=state, hint=hint)
        if booth:
            self.hub.push("booth", item.booth_id, "face.check.status", status)
        if agent:
            self.hub.push("agent", item.agent_id, "face.check.status", status)
        return status

    # ------------------------------------------------------------------ WebSocket

    async def _on_start(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.FaceCheckStart)
        call = self.hub.calls.get(data.call_id)
        call.party_of("agent", session.subject_id)
        doc = await self.hub.store.get_document(data.document_id)
        if doc.call_id != call.call_id:
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "not a document of this call")
        if doc.kind != "id_front" or doc.deleted_at is not None:
            raise p.ProtocolError(p.ErrorCode.CONFLICT,
                                  "a face check needs an ID card front (id_front) scan")
        for item in [o for o in self.open.values() if o.call_id == call.call_id]:
            await self._cancel(item, "superseded")  # one check at a time per call
        s = self.hub.settings
        challenges = pick_challenges(self._rng)
        rec = await self.hub.store.create_face_check(call.call_id, doc.id, call.booth_id,
                                                     call.agent_id, challenges)
        self.open[rec.id] = _Open(rec.id, call.call_id, call.booth_id, call.agent_id,
                                  challenges)
        await self.hub.store.audit(f"agent:{session.subject_id}", "face.check.start", rec.id,
                                   {"call_id": call.call_id, "document_id": doc.id,
                                    "challenges": list(challenges)})
        started = p.FaceCheckStarted(
            call_id=call.call_id, check_id=rec.id, document_id=doc.id,
            challenges=list(challenges),
            baseline_s=s.face_baseline_s, step_s=s.face_step_s, fps=s.face_fps,
            max_frames=s.face_max_frames,
            upload_url=f"/api/calls/{call.call_id}/face-checks/{rec.id}/frames",
        )
        self.hub.reply(conn, frame, "face.check.started", started)
        self.hub.push("booth", call.booth_id, "face.check.started", started)

    def _open_for(self, check_id: str, kind: str, subject_id: str) -> _Open:
        item = self.open.get(check_id)
        if item is None:
            raise p.ProtocolError(p.ErrorCode.NOT_FOUND, f"no open face check {check_id}")
        if (kind == "booth" and item.booth_id != subject_id) or (
                kind == "agent" and item.agent_id != subject_id):
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "not a face check of your call")
        return item

    async def _on_submit(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.FaceCheckSubmit)
        if data.check_id not in self.open and await self._resubmitted(session, conn, frame,
                                                                        data):
            return
        item = self._open_for(data.check_id, "booth", session.subject_id)
        if item.call_id != data.call_id:
            raise p.ProtocolError(p.ErrorCode.NOT_FOUND, "that check is not of this call")
        stored = await self.hub.store.face_frames(item.check_id)
        if len(stored) != data.frames:
            raise p.ProtocolError(p.ErrorCode.CONFLICT, f"{len(stored)} frames stored, "
                                                        f"{data.frames} announced")
        await self.hub.store.set_face_state(item.check_id, "judging", expect=("started",))
        status = self._status(item, "judging", booth=False)  # the booth gets the reply
        self.hub.reply(conn, frame, "face.check.status", status)
        await self.hub.store.audit(f"booth:{session.subject_id}", "face.check.submit",
                                   item.check_id, {"frames": len(stored)})
        item.task = asyncio.create_task(self._judge_and_report(item),
                                        name=f"face-judge-{item.check_id}")

    async def _resubmitted(self, session: Session, conn: Conn, frame: p.Frame,
                           data: p.FaceCheckSubmit) -> bool:
        """A booth that lost its connection right after submitting sends the submit again
        on resume: answer with where the check stands instead of an error."""
        try:
            rec = await self.hub.store.get_face_check(data.check_id)
        except store_errors.NotFound:
            return False
        if rec.booth_id != session.subject_id or rec.call_id != data.call_id:
            return False
        state = {"judging": "judging", "judged": "done", "failed": "done",
                 "decided": "decided", "cancelled": "cancelled"}.get(rec.state)
        if state is None:
            return False
        hint = None
        if rec.state in ("judged", "failed") and not rec.passed:
            state, hint = "retry", "error" if rec.state == "failed" else "liveness"
        self.hub.reply(conn, frame, "face.check.status", p.FaceCheckStatus(
            call_id=rec.call_id, check_id=rec.id, state=state, hint=hint))
        return True

    async def _on_decide(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.FaceCheckDecide)
        try:
            rec = await self.hub.store.get_face_check(data.check_id)
        except store_errors.NotFound as exc:
            raise p.ProtocolError(p.ErrorCode.NOT_FOUND, str(exc)) from exc
        if rec.agent_id != session.subject_id:
            raise p.ProtocolError(p.ErrorCode.FORBIDDEN, "not a face check of your call")
        rec = await self.hub.store.decide_face_check(rec.id, data.decision, data.note,
                                                     session.subject_id)
        await self.hub.store.audit(f"agent:{session.subject_id}", "face.check.decide", rec.id, {
            "call_id": rec.call_id, "decision": data.decision, "note": data.note,
            "band": rec.band, "distance": rec.distance, "passed": rec.passed})
        self.hub.reply(conn, frame, "face.check.decided", p.FaceCheckDecided(
            call_id=rec.call_id, check_id=rec.id, decision=data.decision,
            by=p.Subject(id=session.subject_id, name=session.name[:200])))
        self.hub.push("booth", rec.booth_id, "face.check.status", p.FaceCheckStatus(
            call_id=rec.call_id, check_id=rec.id, state="decided"))

    # ------------------------------------------------------------------ judging

    async def _load_job(self, item: _Open) -> FaceJob:
        rec = await self.hub.store.get_face_check(item.check_id)
        doc = await self.hub.store.get_document(rec.document_id)
        frames = await self.hub.store.face_frames(item.check_id)
        files = self.hub.files

        def load() -> tuple[bytes, list[tuple[bytes, int, str]]]:
            return files.get(doc.sha256), [(files.get(f.sha256), f.t_ms, f.step)
                                           for f in frames]

        id_image, live = await asyncio.to_thread(load)
        s = self.hub.settings
        return FaceJob(item.check_id, id_image, live, item.challenges, s.face_match_max,
                       s.face_mismatch_min, s.face_baseline_s, s.face_step_s)

    async def _judge_and_report(self, item: _Open) -> None:
        job: FaceJob | None = None
        try:
            job = await self._load_job(item)
            verdict = await self.judge.judge(job)
        except asyncio.CancelledError:
            raise
        except (JudgeUnavailable, BlobMissing) as exc:
            verdict = self._failed("unavailable", str(exc) or "the face check service is busy")
        except Exception as exc:  # a judge fault must not leave the check hanging
            log.exception("face check %s failed", item.check_id)
            verdict = self._failed("internal", f"{type(exc).__name__}")
        await self._report(item, job, verdict)

    def _failed(self, code: str, message: str) -> FaceVerdict:
        s = self.hub.settings
        return FaceVerdict(result={
            "state": "failed", "passed": False,
            "thresholds": {"match_max": s.face_match_max, "mismatch_min": s.face_mismatch_min},
            "model": {"name": "unavailable", "version": "-"},
            "error": {"code": "internal", "message": f"{code}: {message}"[:500]},
        }, hint="error")

    async def _report(self, item: _Open, job: FaceJob | None, verdict: FaceVerdict) -> None:
        files = self.hub.files
        portrait_sha = live_sha = None
        if verdict.portrait_jpeg is not None:
            portrait_sha = await asyncio.to_thread(files.put, verdict.portrait_jpeg)
        if job is not None and verdict.best_frame is not None and \
                0 <= verdict.best_frame < len(job.frames):
            live_sha = await asyncio.to_thread(files.put, job.frames[verdict.best_frame][0])
        result = dict(verdict.result)
        event = p.FaceCheckResult.model_validate({
            **result, "call_id": item.call_id, "check_id": item.check_id,
            "portrait_url": f"/api/face-checks/{item.check_id}/portrait"
            if portrait_sha else None,
            "live_url": f"/api/face-checks/{item.check_id}/live" if live_sha else None,
        })
        async with self.hub.lock:
            try:
                await self.hub.store.save_face_result(
                    item.check_id, state=event.state, result=event.model_dump(mode="json"),
                    band=event.band, distance=event.distance, passed=event.passed,
                    portrait_sha256=portrait_sha, live_sha256=live_sha)
            except store_errors.Conflict:
                return  # cancelled meanwhile (the call ended); nothing to report
            finally:
                self.open.pop(item.check_id, None)
            await self.hub.store.audit("hub", "face.check.result", item.check_id, {
                "call_id": item.call_id, "state": event.state, "band": event.band,
                "distance": event.distance, "passed": event.passed,
                "model": event.model.model_dump(),
                "error": event.error.model_dump() if event.error else None})
            self.hub.push("agent", item.agent_id, "face.check.result", event)
            hint = verdict.hint if (verdict.hint or not event.passed) else None
            if hint is None and not event.passed:
                hint = "liveness"
            self._status(item, "retry" if hint else "done", hint, agent=False)
            self.hub.metrics.inc("xiaowu_face_checks_total", band=event.band or event.state)

    async def _cancel(self, item: _Open, why: str) -> None:
        self.open.pop(item.check_id, None)
        if item.task is not None:
            item.task.cancel()
        try:
            await self.hub.store.set_face_state(item.check_id, "cancelled",
                                                expect=("started", "judging"))
        except store_errors.Conflict:
            return
        await self.hub.store.audit("hub", "face.check.cancel", item.check_id,
                                   {"call_id": item.call_id, "why": why})
        self._status(item, "cancelled", agent=True)

    async def call_ended(self, call: Call) -> None:
        for item in [o for o in self.open.values() if o.call_id == call.call_id]:
            await self._cancel(item, "call_ended")

    # ------------------------------------------------------------------ HTTP

    async def add_frame(self, ident: Identity, call_id: str, check_id: str, seq: int,
                        t_ms: int, step: str, body: bytes) -> int:
        item = self.open.get(check_id)
        if item is None or item.call_id != call_id:
            raise DocumentError("not_found", f"no open face check {check_id} in call {call_id}")
        if item.booth_id != ident.subject_id:
            raise DocumentError("forbidden", "not this booth's face check")
        s = self.hub.settings
        if not 0 <= seq < s.face_max_frames:
            raise DocumentError("bad_message", f"seq must be 0..{s.face_max_frames - 1}")
        if not 0 <= t_ms <= _MAX_T_MS:
            raise DocumentError("bad_message", f"t_ms must be 0..{_MAX_T_MS}")
        if step != "baseline" and step not in item.challenges:
            raise DocumentError("bad_message", f"step must be baseline or one of "
                                               f"{', '.join(item.challenges)}")
        try:
            clean = await asyncio.to_thread(images.clean_image, body, _FRAME_MAX_PIXELS)
        except images.ImageRejected as exc:
            raise DocumentError(exc.code, exc.message) from exc
        sha = await asyncio.to_thread(self.hub.files.put, clean.data)
        try:
            return await self.hub.store.put_face_frame(check_id, seq, t_ms, step, sha,
                                                       s.face_max_frames)
        except store_errors.Conflict as exc:
            raise DocumentError("conflict", str(exc)) from exc

    async def list_for(self, ident: Identity, call_id: str) -> list[dict[str, Any]]:
        try:
            rec = await self.hub.store.get_call(call_id)
        except store_errors.NotFound as exc:
            raise DocumentError("not_found", f"no call {call_id}") from exc
        if not can_read(ident, rec.agent_id):
            raise DocumentError("forbidden", "only the call's agent and admins may list it")
        return [{
            "check_id": c.id, "document_id": c.document_id, "state": c.state,
            "challenges": list(c.challenges), "created_at": c.created_at.timestamp(),
            "result": c.result, "decision": c.decision, "decided_by": c.decided_by,
        } for c in await self.hub.store.call_face_checks(call_id)]

    async def read_image(self, ident: Identity, check_id: str, which: str
                         ) -> tuple[bytes, str]:
        try:
            rec: FaceCheckRecord = await self.hub.store.get_face_check(check_id)
        except store_errors.NotFound as exc:
            raise DocumentError("not_found", f"no face check {check_id}") from exc
        if not can_read(ident, rec.agent_id):
            await self.hub.store.audit(f"{ident.role}:{ident.subject_id}", "face.denied",
                                       rec.id, {"image": which})
            raise DocumentError("forbidden", "only the call's agent and admins may see it")
        if rec.deleted_at is not None:
            raise DocumentError("gone", "deleted after the retention period")
        sha = rec.portrait_sha256 if which == "portrait" else rec.live_sha256
        if sha is None:
            raise DocumentError("not_found", f"this check has no {which} image")
        try:
            data = await asyncio.to_thread(self.hub.files.get, sha)
        except BlobMissing as exc:
            raise DocumentError("gone", "the file is no longer stored") from exc
        await self.hub.store.audit(f"{ident.role}:{ident.subject_id}", "face.read", rec.id,
                                   {"image": which, "call_id": rec.call_id})
        return data, "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"

