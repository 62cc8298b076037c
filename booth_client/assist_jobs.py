"""Carries out the engine's document and face-check effects: the adapter's half of
:mod:`booth_client.assist`.

:meth:`AssistJobs.handle` is called on the event loop, synchronously, for every
effect of :data:`booth_client.effects.AssistEffect` the moment the engine
returns it: a cancellation (``CancelCapture``, ``CancelFaceCapture``,
``StopAssist``) therefore takes effect before anything else runs, and nothing
is uploaded for a call after the engine has seen it end. Work runs in tasks
that this object tracks (and :meth:`close` cancels and awaits): a capture
attempt (:class:`~booth_client.capture.DocumentScanner`), a document upload
(:class:`~booth_client.uploads.Uploader`), a face check's frames
(:class:`~booth_client.facecapture.FaceCapture`). Results go back to the engine
through ``apply``; what happened is reported as JSON events (``on_event``).

Events (headless mode prints them as JSON lines)::

    document.capture  one attempt: ok, code, issues, quality numbers, sizes, ms timings
    document.upload   ok with document_id and sha256, or the refusal; ms timings
    face.step         the prompt changed
    face.frame        one frame encoded and uploaded (or not)
    face.capture      a check's frames are all uploaded: how many were stored
    assist.stopped    a call ended: how many tasks were cancelled
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from booth_client._guard import guarded
from booth_client.assist import CaptureResult, UploadDone, UploadFailed
from booth_client.capture import DocumentScanner, EncodedImage
from booth_client.effects import (
    AssistEffect,
    CancelCapture,
    CancelFaceCapture,
    Effect,
    FaceStep,
    FinishFaceCapture,
    StartCapture,
    StartFaceCapture,
    StopAssist,
    UploadDocument,
)
from booth_client.facecapture import FaceCapture, FrameGrabber
from booth_client.uploads import Uploader, UploadError

if TYPE_CHECKING:
    from booth_client.session import BoothSession

__all__ = ["AssistJobs", "NoCamera"]

log = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]

# What the scanner's booth.status becomes after an attempt that failed with a code.
_SCANNER_AFTER = {"no_device": "missing", "jammed": "error", "cover_open": "error",
                  "error": "error"}


class NoCamera:
    """A grabber for a booth without a camera source: no frames, ever."""

    async def grab(self) -> Any | None:
        return None

    def close(self) -> None:
        pass


class AssistJobs:
    """One per runner. ``grabber`` makes a frame source per face check (None: no camera)."""

    def __init__(self, engine: BoothSession, apply: Callable[[list[Effect]], None],
                 uploader: Uploader, *, scanner: DocumentScanner | None,
                 grabber: Callable[[], FrameGrabber] | None = None,
                 on_event: EventSink | None = None,
                 on_scanner: Callable[[str], None] | None = None,
                 on_document: Callable[[str, str, EncodedImage], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._apply = apply
        self._uploader = uploader
        self.scanner = scanner
        self._grabber = grabber
        self._on_event = on_event
        self._on_scanner = on_scanner
        self._on_document = on_document  # (call id, document id, image): the booth's copy
        self._clock = clock
        self._images: dict[tuple[str, str], tuple[int, EncodedImage]] = {}
        self._tasks: dict[tuple[str, str], set[asyncio.Task[None]]] = {}
        self._faces: dict[str, tuple[str, FaceCapture]] = {}  # check id -> (call id, capture)
        self._ending: set[asyncio.Task[None]] = set()  # cancelled, still unwinding
        self._first_attempt: dict[tuple[str, str], float] = {}

    # ------------------------------------------------------------------ effects

    def handle(self, eff: AssistEffect) -> None:
        """Carry out one effect (on the loop; returns at once)."""
        if isinstance(eff, StartCapture):
            key = (eff.call_id, eff.request_id)
            if eff.attempt == 1:
                self._first_attempt[key] = time.perf_counter()
            self._spawn(key, self._capture(eff))
        elif isinstance(eff, UploadDocument):
            self._spawn((eff.call_id, eff.request_id), self._upload(eff))
        elif isinstance(eff, CancelCapture):
            key = (eff.call_id, eff.request_id)
            self._cancel(key)
            self._images.pop(key, None)
        elif isinstance(eff, StartFaceCapture):
            self._start_face(eff)
        elif isinstance(eff, FaceStep):
            self._event({"event": "face.step", "check_id": eff.check_id, "step": eff.step,
                         "index": eff.index})
            entry = self._faces.get(eff.check_id)
            if entry is not None:
                entry[1].set_step(eff.step)
        elif isinstance(eff, FinishFaceCapture):
            entry = self._faces.get(eff.check_id)
            if entry is not None:
                self._spawn((entry[0], "face:" + eff.check_id), self._finish_face(eff.check_id))
        elif isinstance(eff, CancelFaceCapture):
            self._cancel_face(eff.check_id)
        elif isinstance(eff, StopAssist):
            self._stop(eff.call_id)

    def _spawn(self, key: tuple[str, str], coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(guarded(coro, log, "document / face check job"),
                                   name=f"assist-{key[1]}")
        tasks = self._tasks.setdefault(key, set())
        tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            tasks.discard(t)
            if not tasks and self._tasks.get(key) is tasks:
                del self._tasks[key]

        task.add_done_callback(done)

    def _cancel(self, key: tuple[str, str]) -> int:
        tasks = self._tasks.pop(key, set())
        for task in tasks:
            task.cancel()
            self._ending.add(task)
            task.add_done_callback(self._ending.discard)
        return len(tasks)

    def _stop(self, call_id: str) -> None:
        cancelled = sum(self._cancel(key) for key in list(self._tasks) if key[0] == call_id)
        for check_id, (owner, _) in list(self._faces.items()):
            if owner == call_id:
                cancelled += self._cancel_face(check_id)
        for key in [k for k in self._images if k[0] == call_id]:
            del self._images[key]
        for key in [k for k in self._first_attempt if k[0] == call_id]:
            del self._first_attempt[key]
        self._event({"event": "assist.stopped", "call_id": call_id, "cancelled": cancelled})

    # ------------------------------------------------------------------ documents

    async def _capture(self, eff: StartCapture) -> None:
        key = (eff.call_id, eff.request_id)
        base = {"call_id": eff.call_id, "request_id": eff.request_id, "kind": eff.kind,
                "attempt": eff.attempt}
        if self.scanner is None:
            result = CaptureResult(eff.request_id, eff.attempt, False, "no_device",
                                   "no scanner is configured on this booth (--scanner)")
            self._event({"event": "document.capture", **base, "ok": False,
                         "code": result.code, "message": result.message})
            self._apply(self._engine.capture_result(result, self._clock()))
            return
        self._scanner("busy")
        after = "ok"
        try:
            att = await self.scanner.attempt(eff.kind)
            after = _SCANNER_AFTER.get(att.code or "", "ok")
        finally:
            self._scanner(after)
        event: dict[str, Any] = {"event": "document.capture", **base, "ok": att.ok,
                                 "code": att.code, "message": att.message,
                                 "issues": list(att.issues), "driver": att.driver,
                                 "device": att.device, "quality": att.quality,
                                 **att.timings_ms}
        if att.image is not None:
            event.update(width=att.image.width, height=att.image.height,
                         content_type=att.image.content_type, bytes=len(att.image.body))
            self._images[key] = (eff.attempt, att.image)
        self._event(event)
        result = CaptureResult(eff.request_id, eff.attempt, att.ok, att.code, att.message,
                               att.issues)
        self._apply(self._engine.capture_result(result, self._clock()))

    async def _upload(self, eff: UploadDocument) -> None:
        key = (eff.call_id, eff.request_id)
        base = {"call_id": eff.call_id, "request_id": eff.request_id, "kind": eff.kind,
                "attempt": eff.attempt}
        item = self._images.pop(key, None)
        call = self._engine.call
        if call is None or call.call_id != eff.call_id:
            return  # the call is over: upload nothing (StopAssist is on its way)
        if item is None or item[0] != eff.attempt:
            failed = UploadFailed(eff.request_id, "the captured image is gone")
            self._event({"event": "document.upload", **base, "ok": False,
                         "message": failed.message})
            self._apply(self._engine.upload_failed(failed, self._clock()))
            return
        image = item[1]
        try:
            receipt = await self._uploader.document(eff.call_id, eff.kind, eff.request_id,
                                                    image.body, image.content_type)
        except UploadError as exc:
            self._event({"event": "document.upload", **base, "ok": False,
                         "status": exc.status, "code": exc.code, "message": exc.message})
            self._apply(self._engine.upload_failed(
                UploadFailed(eff.request_id, exc.message, exc.status), self._clock()))
            return
        started = self._first_attempt.pop(key, None)
        if self._on_document is not None:  # remote assist shows it as a drawing surface
            self._on_document(eff.call_id, receipt.document_id, image)
        self._event({"event": "document.upload", **base, "ok": True,
                     "document_id": receipt.document_id, "sha256": receipt.sha256,
                     "width": receipt.width, "height": receipt.height, "size": receipt.size,
                     "content_type": receipt.content_type, "bytes": len(image.body),
                     "tries": receipt.attempts, "upload_ms": receipt.upload_ms,
                     "since_capture_ms": None if started is None
                     else round((time.perf_counter() - started) * 1000)})
        self._apply(self._engine.upload_done(UploadDone(eff.request_id, receipt.document_id),
                                             self._clock()))

    def _scanner(self, status: str) -> None:
        if self._on_scanner is not None:
            self._on_scanner(status)

    # ------------------------------------------------------------------ face check

    def _start_face(self, eff: StartFaceCapture) -> None:
        plan = eff.plan
        if plan.check_id in self._faces:
            return
        grabber: FrameGrabber = self._grabber() if self._grabber is not None else NoCamera()
        uploader = self._uploader

        async def upload(seq: int, t_ms: int, step: str, body: bytes) -> int:
            return await uploader.frame(plan.upload_url, seq, t_ms, step, body)

        capture = FaceCapture(plan, grabber, upload, on_event=self._event)
        self._faces[plan.check_id] = (plan.call_id, capture)
        capture.start()

    async def _finish_face(self, check_id: str) -> None:
        entry = self._faces.get(check_id)
        if entry is None:
            return
        stored = await entry[1].finish()
        self._faces.pop(check_id, None)
        self._apply(self._engine.face_capture_done(check_id, stored, self._clock()))

    def _cancel_face(self, check_id: str) -> int:
        entry = self._faces.pop(check_id, None)
        cancelled = self._cancel((entry[0], "face:" + check_id)) if entry is not None else 0
        if entry is None:
            return cancelled
        for task in entry[1].cancel():
            cancelled += 1
            self._ending.add(task)
            task.add_done_callback(self._ending.discard)
        return cancelled

    # ------------------------------------------------------------------ lifecycle

    def running(self) -> int:
        """Tasks still running or unwinding (tests check that a stop leaves none)."""
        return sum(len(t) for t in self._tasks.values()) + len(self._ending) + len(self._faces)

    async def close(self) -> None:
        """Cancel everything and wait for it to end."""
        for key in list(self._tasks):
            self._cancel(key)
        for check_id in list(self._faces):
            self._cancel_face(check_id)
        self._images.clear()
        while self._ending:
            await asyncio.wait(set(self._ending))

    def _event(self, ev: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(ev)
