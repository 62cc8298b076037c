"""Live frames for a face check: taken from the call's own camera, encoded, uploaded.

The frames come from the camera track the call already sends, through a
second consumer of the peer connection's ``MediaRelay``
(:meth:`booth_client.media.BoothMedia.video_tap`, newest frame only): the call
keeps its camera, its pace and its peer connection, and the hub judges the very
pictures the agent sees. :class:`TrackGrabber` wraps such a track; anything
with ``grab``/``close`` (:class:`FrameGrabber`) will do, and tests pass arrays.

:class:`FaceCapture` runs one check's plan (:class:`~booth_client.effects.FacePlan`):
a frame every ``plan.interval_s`` and never more than ``plan.max_frames``,
each tagged with the step on screen (set by the engine's ``FaceStep``) and its
time since the first frame. Each frame is scaled to at most 640x480 and
encoded as JPEG (quality 85) in a worker thread, then uploaded while the next
ones are taken (at most ``parallel`` uploads at a time). :meth:`FaceCapture.finish`
stops taking frames and waits for the uploads; :meth:`FaceCapture.cancel` stops
everything at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from booth_client.effects import FacePlan

__all__ = ["EncodedFrame", "FaceCapture", "FrameGrabber", "TrackGrabber", "encode_frame"]

log = logging.getLogger(__name__)

MAX_FRAME_SIZE = (640, 480)
FRAME_QUALITY = 85

UploadFrame = Callable[[int, int, str, bytes], Awaitable[object]]  # seq, t_ms, step, jpeg
EventSink = Callable[[dict[str, Any]], None]


class FrameGrabber(Protocol):
    """The newest camera frame (an ``av.VideoFrame`` or a BGR array), or None if there is
    none to be had right now. :meth:`close` when the check is over."""

    async def grab(self) -> Any | None: ...

    def close(self) -> None: ...


class TrackGrabber:
    """Frames from an aiortc video track (a relay proxy of the call's camera)."""

    def __init__(self, track: Any, *, timeout_s: float = 2.0) -> None:
        self._track = track
        self._timeout_s = timeout_s
        self._ended = False

    async def grab(self) -> Any | None:
        if self._ended:
            return None
        from aiortc.mediastreams import MediaStreamError

        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._track.recv()
        except TimeoutError:
            return None
        except MediaStreamError:
            self._ended = True
            return None

    def close(self) -> None:
        self._track.stop()


@dataclass(frozen=True)
class EncodedFrame:
    body: bytes
    width: int
    height: int


def encode_frame(frame: Any, *, max_size: tuple[int, int] = MAX_FRAME_SIZE,
                 quality: int = FRAME_QUALITY) -> EncodedFrame:
    """``frame`` (``av.VideoFrame`` or BGR array) as a JPEG of at most ``max_size``.

    Blocking (conversion, scaling, encoding): call in a thread.
    """
    if isinstance(frame, np.ndarray):
        image = frame
    elif hasattr(frame, "to_ndarray"):
        image = frame.to_ndarray(format="bgr24")
    else:
        raise TypeError(f"not a video frame: {type(frame).__name__}")
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"not an 8-bit image: {image.dtype} {image.shape}")
    h, w = image.shape[:2]
    scale = min(1.0, max_size[0] / w, max_size[1] / h)
    if scale < 1.0:
        w, h = max(1, round(w * scale)), max(1, round(h * scale))
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return EncodedFrame(buf.tobytes(), w, h)


class FaceCapture:
    """One face check's frames. :meth:`start`, then :meth:`finish` or :meth:`cancel`.

    ``upload(seq, t_ms, step, jpeg)`` raises on failure; a failed frame is
    counted, not retried here (the uploader has its own retries). ``seq``
    counts from 0; ``t_ms`` from the first frame.
    """

    def __init__(self, plan: FacePlan, grabber: FrameGrabber, upload: UploadFrame, *,
                 on_event: EventSink | None = None, parallel: int = 3,
                 clock: Callable[[], float] = time.monotonic,
                 encode: Callable[[Any], EncodedFrame] = encode_frame) -> None:
        self.plan = plan
        self.step = plan.steps[0]
        self.taken = 0
        self.stored = 0
        self.failed = 0
        self._grabber = grabber
        self._upload = upload
        self._on_event = on_event
        self._clock = clock
        self._encode = encode
        self._slots = asyncio.Semaphore(parallel)
        self._loop_task: asyncio.Task[None] | None = None
        self._shipping: set[asyncio.Task[None]] = set()
        self._t0: float | None = None
        self._started = 0.0
        self._closed = False

    def start(self) -> None:
        self._started = self._clock()
        self._loop_task = asyncio.create_task(self._run(), name=f"face-{self.plan.check_id}")

    def set_step(self, step: str) -> None:
        self.step = step

    async def _run(self) -> None:
        interval = self.plan.interval_s
        due = self._clock()
        while self.taken < self.plan.max_frames:
            frame = await self._grabber.grab()
            now = self._clock()
            if frame is not None:
                if self._t0 is None:
                    self._t0 = now
                seq, t_ms, step = self.taken, round((now - self._t0) * 1000), self.step
                self.taken += 1
                task = asyncio.create_task(self._ship(seq, t_ms, step, frame),
                                           name=f"face-frame-{seq}")
                self._shipping.add(task)
                task.add_done_callback(self._shipping.discard)
            due += interval
            if due < now:  # late (slow camera): keep the pace from here, do not burst
                due = now
            await asyncio.sleep(max(0.0, due - now))

    async def _ship(self, seq: int, t_ms: int, step: str, frame: Any) -> None:
        t0 = time.perf_counter()
        try:
            encoded = await asyncio.to_thread(self._encode, frame)
        except (TypeError, ValueError, cv2.error) as exc:
            self.failed += 1
            log.warning("booth: face frame %d not encoded: %s", seq, exc)
            return
        encode_ms = round((time.perf_counter() - t0) * 1000)
        async with self._slots:
            t1 = time.perf_counter()
            event: dict[str, Any] = {
                "event": "face.frame", "check_id": self.plan.check_id, "seq": seq,
                "t_ms": t_ms, "step": step, "bytes": len(encoded.body),
                "width": encoded.width, "height": encoded.height, "encode_ms": encode_ms}
            try:
                await self._upload(seq, t_ms, step, encoded.body)
            except Exception as exc:  # UploadError, or anything the uploader did not expect
                self.failed += 1
                event.update(ok=False, error=str(exc)[:200])
            else:
                self.stored += 1
                event.update(ok=True)
            event["upload_ms"] = round((time.perf_counter() - t1) * 1000)
            self._emit(event)

    async def finish(self) -> int:
        """Take no more frames, wait for every upload; the number of frames stored."""
        await self._stop_loop()
        while self._shipping:
            await asyncio.gather(*list(self._shipping), return_exceptions=True)
        self._close()
        self._emit({"event": "face.capture", "check_id": self.plan.check_id,
                    "frames": self.stored, "failed": self.failed, "taken": self.taken,
                    "duration_ms": round((self._clock() - self._started) * 1000)})
        return self.stored

    def cancel(self) -> list[asyncio.Task[None]]:
        """Stop taking and uploading now; returns the tasks still ending (to await)."""
        tasks = [t for t in (self._loop_task, *self._shipping) if t is not None]
        for task in tasks:
            task.cancel()
        self._close()
        return tasks

    async def _stop_loop(self) -> None:
        task, self._loop_task = self._loop_task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})  # unlike ``await task``, never mistakes our own cancellation
        if not task.cancelled() and task.exception() is not None:
            log.error("booth: face capture loop failed", exc_info=task.exception())

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._grabber.close()

    def _emit(self, event: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(event)
