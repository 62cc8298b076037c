"""The booth's audio in a call: the microphone track it sends and the speaker it feeds.

:class:`MicrophoneTrack` is an aiortc audio track of 20 ms mono frames at
48 kHz read from an :class:`~booth_client.audio_source.AudioSource`;
:class:`SpeakerPlayer` plays the call's received audio on an
:class:`~booth_client.audio_sink.AudioSink`. Each owns one worker thread that
alone touches its device, so a slow, hung or vanished device never blocks the
event loop, and a device failure never ends the call: the agent hears silence
(or the resident hears nothing) while the worker keeps reopening the device.

Health reports (``on_status``), one per change, from the worker thread::

    None --first read / open ok--> "ok" --fails--> "missing" | "error" --reopen ok--> "ok"

:class:`~booth_client.audio_common.AudioUnavailable` means "missing", any
other failure "error"; a microphone that gives nothing for ``stall_after_s``
is "error" too.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from functools import partial

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from booth_client.audio_common import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    AudioError,
    AudioStatus,
    AudioUnavailable,
    Samples,
    StatusCallback,
    silence,
)
from booth_client.audio_sink import AudioSink
from booth_client.audio_source import AudioSource

__all__ = ["AUDIO_TIME_BASE", "MicrophoneTrack", "SpeakerPlayer"]

log = logging.getLogger(__name__)

AUDIO_TIME_BASE = Fraction(1, SAMPLE_RATE)  # RTP clock of Opus (RFC 7587 §4.1)
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
_LEAD_S = 2 * FRAME_S  # how far an unpaced source may run ahead of the wall clock
_MAX_LATE_S = 0.2  # later than this, the track skips ahead instead of bursting


class _Health:
    """One device's status, reported once per change; safe from any thread."""

    def __init__(self, what: str, on_status: StatusCallback | None) -> None:
        self.what = what
        self.status: AudioStatus | None = None
        self.detail: str | None = None
        self._on_status = on_status
        self._lock = threading.Lock()

    def report(self, status: AudioStatus, detail: str | None = None) -> None:
        with self._lock:
            if status == self.status:
                return
            self.status, self.detail = status, detail
        if status == "ok":
            log.info("%s: ok", self.what)
        else:
            log.warning("%s: %s (%s)", self.what, status, detail)
        if self._on_status is not None:
            try:
                self._on_status(status, detail)
            except Exception:
                log.exception("%s: on_status callback failed", self.what)

    def failed(self, exc: Exception) -> None:
        if isinstance(exc, AudioUnavailable):
            self.report("missing", str(exc))
            return
        if not isinstance(exc, AudioError):  # a bug in a source or sink must not end the call
            log.warning("%s: unexpected failure", self.what, exc_info=exc)
        self.report("error", f"{type(exc).__name__}: {exc}")

    def attempt(self, call: Callable[[], object]) -> bool:
        """Run ``call``; a failure is reported (not raised) and gives ``False``."""
        try:
            call()
        except Exception as exc:
            self.failed(exc)
            return False
        return True


def _started(work: Callable[[], None], name: str) -> threading.Thread:
    """A daemon thread running ``work``: a device stuck in a driver call must not keep
    the process from exiting."""
    thread = threading.Thread(target=work, daemon=True, name=name)
    thread.start()
    return thread


async def _joined(thread: threading.Thread | None) -> None:
    """Wait for ``thread`` to end without parking a join in the loop's executor (a device
    that hangs would then hold up the loop's shutdown); cancellable."""
    while thread is not None and thread.is_alive():
        await asyncio.sleep(0.02)


class MicrophoneTrack(MediaStreamTrack):
    """An aiortc audio track: ``source`` in 20 ms ``s16`` mono frames at 48 kHz.

    - ``pts`` counts samples (time base 1/48000) and follows the wall clock: a
      track held up for more than 200 ms skips ahead rather than bursting.
    - The worker thread (started by :meth:`start`, or by the first
      :meth:`recv`) opens the source, reads it frame by frame into a short
      buffer (``buffer_frames``, the oldest dropped beyond it, so latency stays
      bounded and a device nobody reads between calls cannot queue stale sound)
      and keeps an unpaced source to real time.
    - While the source is missing or failing the track sends silence and the
      worker tries ``source.close(); source.open()`` every ``reopen_every_s``.

    After use the caller must call :meth:`stop` (aiortc does not) and may
    ``await`` :meth:`wait_closed` to know the source is closed.
    """

    kind = "audio"

    def __init__(self, source: AudioSource, *, on_status: StatusCallback | None = None,
                 reopen_every_s: float = 3.0, stall_after_s: float = 1.0,
                 buffer_frames: int = 4) -> None:
        super().__init__()
        if reopen_every_s <= 0 or stall_after_s <= 0 or buffer_frames < 1:
            raise ValueError("reopen_every_s and stall_after_s must be > 0, buffer_frames >= 1")
        self.source = source
        self.health = _Health(f"microphone {source.name}", on_status)
        self.frames_sent = self.frames_captured = self.frames_dropped = 0
        self._reopen_every = reopen_every_s
        self._stall_after = stall_after_s
        self._buffer: deque[Samples] = deque()
        self._buffer_frames = buffer_frames
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_read = time.monotonic()
        self._t0: float | None = None
        self._n = 0

    def start(self) -> None:
        """Start the worker (idempotent; does nothing once stopped)."""
        if self._thread is None and not self._halt.is_set():
            self._last_read = time.monotonic()
            self._thread = _started(self._work, "xiaowu-microphone")

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms frame, due by the wall clock. Raises ``MediaStreamError`` once stopped."""
        if self.readyState != "live":
            raise MediaStreamError
        self.start()
        pts = await self._next_pts()
        if self.readyState != "live":
            raise MediaStreamError
        try:
            samples = self._buffer.popleft()
        except IndexError:
            samples = silence()
            if (self.health.status == "ok"
                    and time.monotonic() - self._last_read > self._stall_after):
                self.health.report("error", f"no sound from the microphone in "
                                            f"{self._stall_after:g} s")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, pts, AUDIO_TIME_BASE
        self.frames_sent += 1
        return frame

    def stop(self) -> None:
        """End the track; the worker closes the source. Idempotent; does not block."""
        super().stop()
        self._halt.set()

    async def wait_closed(self) -> None:
        """After :meth:`stop`: wait until the worker has closed the source and ended."""
        await _joined(self._thread)

    async def _next_pts(self) -> int:
        now = time.monotonic()
        if self._t0 is None:
            self._t0, self._n = now, 0
        else:
            self._n += 1
            due = self._t0 + self._n * FRAME_S
            if now - due > _MAX_LATE_S:
                self._n = int((now - self._t0) / FRAME_S)
            elif due > now:
                await asyncio.sleep(due - now)
        return self._n * FRAME_SAMPLES

    # ------------------------------------------------------------------ worker thread

    def _work(self) -> None:
        next_open = 0.0
        opened = False
        start, read_s = 0.0, 0.0
        try:
            while not self._halt.is_set():
                if not opened:
                    if self._halt.wait(max(0.0, next_open - time.monotonic())):
                        break
                    opened = self.health.attempt(self.source.open)
                    if not opened:
                        next_open = time.monotonic() + self._reopen_every
                        continue
                    start, read_s = time.monotonic(), 0.0
                samples = self._read()
                if samples is None:
                    opened = False
                    next_open = time.monotonic() + self._reopen_every
                    continue
                self._keep(samples)
                read_s += FRAME_S
                ahead = start + read_s - time.monotonic()
                if ahead > _LEAD_S:  # a file, a tone, a null-backed test PCM
                    self._halt.wait(ahead - _LEAD_S)
                elif ahead < -_MAX_LATE_S:  # a device slower than the clock: start afresh
                    start, read_s = time.monotonic(), 0.0
        finally:
            self.health.attempt(self.source.close)

    def _read(self) -> Samples | None:
        try:
            samples = self.source.read(FRAME_SAMPLES)
            if samples.shape != (FRAME_SAMPLES,):
                raise ValueError(f"the source gave {samples.shape} samples, not {FRAME_SAMPLES}")
        except Exception as exc:
            self.health.failed(exc)
            self.health.attempt(self.source.close)
            return None
        self._last_read = time.monotonic()
        self.health.report("ok")
        return samples

    def _keep(self, samples: Samples) -> None:
        self.frames_captured += 1
        while len(self._buffer) >= self._buffer_frames:
            self._buffer.popleft()
            self.frames_dropped += 1
        self._buffer.append(samples)


class SpeakerPlayer:
    """Plays the call's received audio on ``sink`` from a worker thread.

    :meth:`feed` (from the event loop, any thread) queues a frame; more than
    ``max_queue`` frames waiting (the device is slower than the call, or stuck)
    drops the newest, counted in ``frames_dropped``. The worker opens the sink
    at :meth:`start` (so a missing speaker is reported before any call) and,
    while it is missing or failing, drops what arrives and tries
    ``sink.close(); sink.open()`` every ``reopen_every_s``.

    After use the caller must call :meth:`stop`; ``await`` :meth:`wait_closed`
    to know the sink is closed.
    """

    def __init__(self, sink: AudioSink, *, on_status: StatusCallback | None = None,
                 reopen_every_s: float = 3.0, max_queue: int = 10) -> None:
        if reopen_every_s <= 0 or max_queue < 1:
            raise ValueError("reopen_every_s must be > 0 and max_queue >= 1")
        self.sink = sink
        self.health = _Health(f"speaker {sink.name}", on_status)
        self.frames_in = self.frames_played = self.frames_dropped = 0
        self._reopen_every = reopen_every_s
        self._max_queue = max_queue
        self._queue: queue.Queue[av.AudioFrame | None] = queue.Queue()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker (idempotent; does nothing once stopped)."""
        if self._thread is None and not self._stopped:
            self._thread = _started(self._work, "xiaowu-speaker")

    def feed(self, frame: av.AudioFrame) -> None:
        """Queue one received frame for the speaker. Never blocks."""
        if self._stopped:
            return
        self.frames_in += 1
        if self._queue.qsize() >= self._max_queue:
            self.frames_dropped += 1
            return
        self._queue.put_nowait(frame)

    def stop(self) -> None:
        """Stop playing; the worker closes the sink. Idempotent; does not block."""
        if not self._stopped:
            self._stopped = True
            self._queue.put_nowait(None)

    async def wait_closed(self) -> None:
        """After :meth:`stop`: wait until the worker has closed the sink and ended."""
        await _joined(self._thread)

    def _work(self) -> None:
        opened = False
        next_open = 0.0
        try:
            while True:
                if not opened and time.monotonic() >= next_open:
                    self.health.attempt(self.sink.close)
                    opened = self.health.attempt(self.sink.open)
                    if opened:
                        self.health.report("ok")
                    else:
                        next_open = time.monotonic() + self._reopen_every
                wait = None if opened else max(0.05, next_open - time.monotonic())
                try:
                    frame = self._queue.get(timeout=wait)
                except queue.Empty:
                    continue
                if frame is None:
                    return
                if opened and self.health.attempt(partial(self.sink.write, frame)):
                    self.frames_played += 1
                    continue
                self.frames_dropped += 1
                if opened:  # the write failed: the device went away
                    opened = False
                    next_open = time.monotonic() + self._reopen_every
        finally:
            self.health.attempt(self.sink.close)
