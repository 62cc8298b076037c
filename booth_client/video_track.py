"""The booth's outgoing media tracks for aiortc.

:class:`CameraTrack` sends a :class:`~booth_client.camera.CameraSource` at the
source's frame rate. The camera is only ever touched in a worker thread, so a
slow or hung camera never blocks the event loop, and a camera failure never
ends the track: while the camera is gone the agent sees
:func:`~booth_client.camera.unavailable_frame` and the track keeps retrying.

Status reports (``on_status``), one per change, on the event loop thread::

    None --open ok--> "ok" --read fails--> "missing" | "error" --reopen ok--> "ok"

``CameraUnavailable`` means "missing"; any other failure, and a camera that
gives no frame for ``stall_after_s``, means "error".

:class:`SilenceTrack` is the audio track of a booth without a microphone.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from fractions import Fraction
from typing import Protocol

import numpy as np
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from av import VideoFrame

from booth_client.camera import (
    CameraError,
    CameraSource,
    CameraStatus,
    CameraUnavailable,
    Image,
    unavailable_frame,
)

__all__ = ["CameraTrack", "SilenceTrack", "StatusCallback", "VIDEO_TIME_BASE"]

log = logging.getLogger(__name__)


class StatusCallback(Protocol):
    """``on_status(status, detail)``: ``detail`` is a reason for people, ``None`` for "ok".

    The return value is ignored.
    """

    def __call__(self, status: CameraStatus, detail: str | None, /) -> object: ...


VIDEO_CLOCK_RATE = 90_000  # RTP video clock (RFC 3551 §5)
VIDEO_TIME_BASE = Fraction(1, VIDEO_CLOCK_RATE)


class _Stopped(Exception):
    """A worker job found the track stopped: it must not touch the source."""


class CameraTrack(VideoStreamTrack):
    """An aiortc video track that sends ``source`` at ``source.fps``.

    - Frames are ``av.VideoFrame`` (``bgr24``, ``source.width`` x
      ``source.height``) with a 90 kHz ``pts``: strictly increasing, following
      the wall clock (a late frame skips ahead, it never bursts to catch up).
    - The track opens the source at the first :meth:`recv` (the caller need
      not); reads, opens and closes run in ``executor`` (by default a private
      single thread), one at a time.
    - When the camera fails or will not open, ``on_status`` hears it once;
      the track sends the unavailable picture and tries ``source.close();
      source.open()`` every ``reopen_every_s`` in the background, then reports
      "ok" and sends the camera again after a successful read.
    - ``on_status`` is called on the event loop thread from inside
      :meth:`recv`; an exception it raises is logged, not propagated.

    After use the caller must call :meth:`stop` (aiortc does not): it closes
    the source in the worker and lets the private thread end. ``await``
    :meth:`wait_closed` to know both are done. ``stop()`` must be called on the
    event loop thread, like every aiortc track method.
    """

    def __init__(self, source: CameraSource, *, on_status: StatusCallback | None = None,
                 reopen_every_s: float = 3.0, stall_after_s: float = 2.0,
                 executor: concurrent.futures.Executor | None = None) -> None:
        super().__init__()
        if not source.fps > 0:
            raise ValueError(f"source fps must be > 0, got {source.fps!r}")
        if reopen_every_s <= 0 or stall_after_s <= 0:
            raise ValueError("reopen_every_s and stall_after_s must be > 0")
        self.source = source
        self.frames_sent = 0
        self.last_status: CameraStatus | None = None
        self.last_detail: str | None = None
        self._on_status = on_status
        self._reopen_every = reopen_every_s
        self._stall_after = stall_after_s
        self._own_executor = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="xiaowu-camera")
        # One source call at a time, whatever the executor. (Not `_lock`: pyee, the base
        # class, has its own `_lock` and takes it in emit(); sharing it deadlocks stop().)
        self._source_lock = threading.Lock()
        self._stopped = False
        self._job: asyncio.Future[VideoFrame] | None = None
        self._next_reopen = 0.0
        self._t0: float | None = None
        self._n = 0
        self._fallback: Image | None = None
        self._closed: concurrent.futures.Future[None] | None = None

    # ------------------------------------------------------------------ aiortc

    async def recv(self) -> VideoFrame:
        """The next frame, due at the source's rate. Raises ``MediaStreamError`` once stopped."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._t0 is None:
            # The first frame: the camera's start-up time does not count against the pace.
            frame = await self._camera_frame()
            pts = await self._next_pts()
        else:
            pts = await self._next_pts()
            frame = await self._camera_frame()
        if frame is None:
            frame = VideoFrame.from_ndarray(self._unavailable(), format="bgr24")
        if self.readyState != "live":
            raise MediaStreamError
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        self.frames_sent += 1
        return frame

    async def next_timestamp(self) -> tuple[int, Fraction]:
        """Wait until the next frame is due; its 90 kHz pts (at ``source.fps``, not 30)."""
        if self.readyState != "live":
            raise MediaStreamError
        return await self._next_pts(), VIDEO_TIME_BASE

    def stop(self) -> None:
        """End the track and close the source in the worker. Idempotent; does not block."""
        super().stop()
        if self._stopped:
            return
        self._stopped = True
        job, self._job = self._job, None
        if job is not None:
            if not job.done():
                job.cancel()  # a read already running finishes; its frame is dropped
            elif not job.cancelled():
                job.exception()  # retrieved: asyncio must not log it as lost
        try:
            self._closed = self._executor.submit(self._close_job)
        except RuntimeError:  # the caller's executor is already shut down
            self._closed = concurrent.futures.Future()
            self._close_job()
            self._closed.set_result(None)
        if self._own_executor:
            self._executor.shutdown(wait=False)

    async def wait_closed(self) -> None:
        """After :meth:`stop`: wait until the source is closed and the private thread has ended.

        Waits for a read still running in the camera, however long it takes.
        """
        if self._closed is None:
            raise RuntimeError("wait_closed() before stop()")
        await asyncio.wrap_future(self._closed)
        if self._own_executor:
            self._executor.shutdown(wait=True)  # its queue is empty: returns at once

    # ------------------------------------------------------------------ pacing

    async def _next_pts(self) -> int:
        fps = self.source.fps
        now = time.monotonic()
        if self._t0 is None:
            self._t0, self._n = now, 0
        else:
            self._n += 1
            due = self._t0 + self._n / fps
            if now > due + 1 / fps:
                # More than a frame late (slow camera, busy loop): skip the missed
                # slots so the pts keeps to the wall clock and frames do not burst.
                self._n = int((now - self._t0) * fps)
            elif due > now:
                await asyncio.sleep(due - now)
        return round(self._n * VIDEO_CLOCK_RATE / fps)

    # ------------------------------------------------------------------ camera

    async def _camera_frame(self) -> VideoFrame | None:
        """A frame from the camera, or ``None`` to send the unavailable picture."""
        if self._stopped:
            return None
        loop = asyncio.get_running_loop()
        if self._job is None:
            if self.last_status is None:
                self._job = loop.run_in_executor(self._executor, self._open_job, False)
            elif self.last_status == "ok":
                self._job = loop.run_in_executor(self._executor, self._read_job)
            elif time.monotonic() >= self._next_reopen:
                self._job = loop.run_in_executor(self._executor, self._open_job, True)
            else:
                return None
        job = self._job
        if not job.done() and self.last_status in (None, "ok"):
            await asyncio.wait({job}, timeout=self._stall_after)
        if self._job is not job:  # stopped meanwhile
            return None
        if not job.done():
            if self.last_status in (None, "ok"):
                self._report("error", f"no frame from the camera in {self._stall_after:g} s")
                self._next_reopen = time.monotonic() + self._reopen_every
            return None  # keep waiting for it in the background
        self._job = None
        try:
            frame = job.result()
        except _Stopped:
            return None
        except CameraUnavailable as exc:
            self._failed("missing", exc)
            return None
        except CameraError as exc:
            self._failed("error", exc)
            return None
        except Exception as exc:  # a bug in a source must not end the call
            log.exception("camera %s: unexpected failure", self.source.name)
            self._failed("error", exc)
            return None
        self._report("ok", None)
        return frame

    def _failed(self, status: CameraStatus, exc: BaseException) -> None:
        self._report(status, f"{type(exc).__name__}: {exc}")
        self._next_reopen = time.monotonic() + self._reopen_every

    def _report(self, status: CameraStatus, detail: str | None) -> None:
        if status == self.last_status:
            return
        self.last_status, self.last_detail = status, detail
        if status == "ok":
            log.info("camera %s: ok", self.source.name)
        else:
            log.warning("camera %s: %s (%s)", self.source.name, status, detail)
        if self._on_status is not None:
            try:
                self._on_status(status, detail)
            except Exception:
                log.exception("camera %s: on_status callback failed", self.source.name)

    def _unavailable(self) -> Image:
        if self._fallback is None:
            self._fallback = unavailable_frame(self.source.width, self.source.height)
        return self._fallback

    # ------------------------------------------------------------------ worker thread

    def _read_job(self) -> VideoFrame:
        with self._source_lock:
            if self._stopped:
                raise _Stopped
            image = self.source.read()
        return _to_video_frame(image)

    def _open_job(self, reopen: bool) -> VideoFrame:
        with self._source_lock:
            if self._stopped:
                raise _Stopped
            if reopen:
                self.source.close()
            self.source.open()
            image = self.source.read()
        return _to_video_frame(image)

    def _close_job(self) -> None:
        with self._source_lock:
            try:
                self.source.close()
            except Exception:
                log.exception("camera %s: close failed", self.source.name)


def _to_video_frame(image: Image) -> VideoFrame:
    """``image`` as a ``bgr24`` frame (runs in the worker: the copy stays off the loop)."""
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3
            and image.shape[2] == 3):
        raise CameraError(f"the source gave an invalid frame: {getattr(image, 'shape', image)!r}")
    return VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")


class SilenceTrack(AudioStreamTrack):
    """Audio for a booth without a microphone: aiortc's silence (8 kHz mono, 20 ms frames).

    Call :meth:`stop` when done, like any track.
    """
