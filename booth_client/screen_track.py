"""The kiosk screen as the call's second video track (issue 7, remote assist).

Every peer connection the booth builds carries two video m-lines, in this order
(``BoothMedia.start``)::

    m=video  mid 0  sendrecv   the booth camera (and the agent's video back)
    m=audio  mid 1  sendrecv   the microphone (and the agent's voice back)
    m=video  mid 2  sendonly   the kiosk screen (this module)

so granting and stopping a screen share never needs a renegotiation: the third
m-line exists from the first offer on (and in every ``gen`` rebuilt after), and
simply carries no RTP until the resident's ``screen`` grant is recorded by the
hub. A console tells the tracks apart by the order of the video m-lines: the
first is the camera, the second the screen.

While shared (:meth:`ScreenSource.start`), :class:`ScreenTrack` sends a picture
every ``1 / fps`` seconds (4 by default: enough to read text, cheap to encode),
at most ``max_width`` pixels wide, taken by the ``grab`` function on the event
loop's thread (the kiosk's Qt thread under qasync: ``QWidget.grab()``). Without
a ``grab`` (headless) it sends a rendered placeholder instead. When sharing
stops, one dark frame goes out so that the last picture the agent's side holds
is not the resident's screen, then nothing more.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

__all__ = ["ScreenSource", "ScreenTrack", "placeholder_picture", "SCREEN_FPS"]

log = logging.getLogger(__name__)

SCREEN_FPS = 4.0
_CLOCK = 90_000
_TIME_BASE = fractions.Fraction(1, _CLOCK)

Grab = Callable[[], Any]  # -> an HxWx3 uint8 RGB array, or None when there is nothing to show


def placeholder_picture(width: int = 640, height: int = 360, stopped: bool = False
                        ) -> np.ndarray:
    """A stand-in for the screen (RGB): a headless booth's kiosk, or "sharing stopped"."""
    img = np.empty((height, width, 3), np.uint8)
    if stopped:
        img[:] = (24, 34, 47)  # the kiosk's video background: nothing to see
        return img
    img[:] = (242, 245, 249)  # the kiosk's page colour
    img[: height // 12] = (11, 78, 162)  # its status bar
    for i, top in enumerate(range(height // 5, height - height // 8, height // 7)):
        left = width // 10
        img[top: top + height // 16, left: left + width * (6 - i % 3) // 8] = (200, 211, 226)
    return img


def _even(n: int) -> int:
    return max(2, n - n % 2)


def fit_picture(arr: Any, max_width: int) -> np.ndarray:
    """``arr`` as a contiguous RGB array with even sides, no wider than ``max_width``."""
    a = np.asarray(arr)
    if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
        raise ValueError(f"a screen picture is HxWx3 uint8, not {a.shape} {a.dtype}")
    h, w = int(a.shape[0]), int(a.shape[1])
    if w > max_width:  # nearest-neighbour: the grabber should scale smoothly itself
        step = w / max_width
        cols = (np.arange(max_width) * step).astype(np.intp)
        rows = (np.arange(int(h / step)) * step).astype(np.intp)
        a = a[rows][:, cols]
        h, w = int(a.shape[0]), int(a.shape[1])
    return np.ascontiguousarray(a[: _even(h), : _even(w)])


class ScreenSource:
    """Whether the screen is shared, and how to take a picture of it. One per booth,
    shared by the :class:`ScreenTrack` of every peer connection it builds.

    ``on_frame(width, height)`` is called for every picture sent (statistics)."""

    def __init__(self, grab: Grab | None = None, *, fps: float = SCREEN_FPS,
                 max_width: int = 1280,
                 on_frame: Callable[[int, int], None] | None = None) -> None:
        if fps <= 0 or max_width < 16:
            raise ValueError("fps must be > 0 and max_width >= 16")
        self.grab = grab
        self.fps = fps
        self.max_width = max_width
        self.on_frame = on_frame
        self.sharing = False
        self.frames_sent = 0
        self.size: tuple[int, int] | None = None
        self._changed: asyncio.Event | None = None
        self._stop_frame_due = False

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def start(self) -> None:
        """Send the screen from now on (call on the event loop's thread)."""
        if not self.sharing:
            log.info("booth: screen share on")
        self.sharing, self._stop_frame_due = True, False
        self._event().set()

    def stop(self) -> None:
        """Stop sending the screen at once; one dark frame follows."""
        if self.sharing:
            log.info("booth: screen share off")
            self._stop_frame_due = True
        self.sharing = False
        self._event().set()

    async def wait_turn(self) -> None:
        """Until there is something to send (sharing, or the dark frame after it)."""
        while not (self.sharing or self._stop_frame_due):
            event = self._event()
            event.clear()
            await event.wait()

    def picture(self) -> np.ndarray | None:
        """The next picture to send, or None (not shared any more)."""
        if self._stop_frame_due and not self.sharing:
            self._stop_frame_due = False
            size = self.size or (640, 360)
            return placeholder_picture(size[0], size[1], stopped=True)
        if not self.sharing:
            return None
        raw = self.grab() if self.grab is not None else None
        if raw is None:
            size = self.size or (640, 360)
            raw = placeholder_picture(size[0], size[1])
        arr = fit_picture(raw, self.max_width)
        self.size = (int(arr.shape[1]), int(arr.shape[0]))
        return arr


class ScreenTrack(MediaStreamTrack):
    """The screen's video track of one peer connection (``BoothMedia`` makes one per
    ``gen``). Sends nothing until the source is shared."""

    kind = "video"

    def __init__(self, source: ScreenSource) -> None:
        super().__init__()
        self._source = source
        self._start = time.monotonic()
        self._next = 0.0

    async def recv(self) -> VideoFrame:
        source = self._source
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            await source.wait_turn()
            now = time.monotonic()
            if now < self._next:
                await asyncio.sleep(self._next - now)
            arr = source.picture()
            if arr is None:
                continue  # stopped while waiting for the slot: nothing goes out
            self._next = time.monotonic() + 1.0 / source.fps
            frame = VideoFrame.from_ndarray(arr, format="rgb24")
            frame.pts = int((time.monotonic() - self._start) * _CLOCK)
            frame.time_base = _TIME_BASE
            source.frames_sent += 1
            if source.on_frame is not None:
                source.on_frame(frame.width, frame.height)
            return frame
