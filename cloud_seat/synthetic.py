"""A cheap synthetic camera for the headless agent: a moving test pattern.

Colour bars, a box that sweeps across them and a text line with the wall-clock
time and the frame number, so a person looking at the booth's screen (or a
screenshot) sees at once that video is live and how stale it is. Frames are
paced by the track itself at ``fps``; 640x360 at 10 fps costs well under a
millisecond of CPU per frame (numpy + OpenCV, nothing else).

After :meth:`MediaStreamTrack.stop`, ``recv`` raises
:class:`~aiortc.mediastreams.MediaStreamError`, as every aiortc track does.
"""

from __future__ import annotations

import asyncio
import fractions
import time

import cv2
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

__all__ = ["SyntheticVideoTrack"]

_CLOCK_RATE = 90_000  # RTP video clock (RFC 3551 §5)
_TIME_BASE = fractions.Fraction(1, _CLOCK_RATE)
# BGR: white, yellow, cyan, green, magenta, red, blue (SMPTE order)
_BARS = [(235, 235, 235), (16, 235, 235), (235, 235, 16), (16, 235, 16), (235, 16, 235),
         (16, 16, 235), (235, 16, 16)]


class SyntheticVideoTrack(MediaStreamTrack):
    """A live video track of ``width`` x ``height`` at ``fps``, labelled ``label``."""

    kind = "video"

    def __init__(self, width: int = 640, height: int = 360, fps: float = 10.0,
                 label: str = "xiaowu seat") -> None:
        self.check(width, height, fps)
        super().__init__()
        self.width, self.height, self.fps = width, height, float(fps)
        self.label = label
        self.frames_sent = 0
        self._start: float | None = None
        self._background = self._bars(width, height)
        self._scale = max(0.4, height / 360 * 0.8)

    @staticmethod
    def check(width: int, height: int, fps: float) -> None:
        """Raise ``ValueError`` unless the track can be made with these settings."""
        if width < 16 or height < 16 or width % 2 or height % 2:
            raise ValueError(f"frame size must be even and at least 16x16, not {width}x{height}")
        if not 0 < fps <= 60:
            raise ValueError(f"fps must be in (0, 60], not {fps}")

    @staticmethod
    def _bars(width: int, height: int) -> npt.NDArray[np.uint8]:
        img = np.zeros((height, width, 3), dtype=np.uint8)
        step = width / len(_BARS)
        for i, colour in enumerate(_BARS):
            img[: height * 3 // 4, int(i * step): int((i + 1) * step)] = colour
        # a grey ramp below the bars shows the encoder's handling of gradients
        ramp = np.linspace(16, 235, width, dtype=np.uint8)
        img[height * 3 // 4:, :, :] = ramp[np.newaxis, :, np.newaxis]
        return img

    def render(self, index: int, now: float) -> npt.NDArray[np.uint8]:
        """The BGR image of frame ``index`` at wall-clock ``now`` (pure; for tests too)."""
        img = self._background.copy()
        box = max(8, self.height // 6)
        period = max(2, int(self.fps * 4))  # one sweep every four seconds
        x = int((index % period) / period * (self.width - box))
        y = self.height * 3 // 8 - box // 2
        cv2.rectangle(img, (x, y), (x + box, y + box), (0, 0, 0), thickness=-1)
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        text = f"{self.label}  {stamp}  #{index}"
        org = (8, self.height - 12)
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, self._scale, (0, 0, 0),
                    thickness=3, lineType=cv2.LINE_AA)
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, self._scale, (255, 255, 255),
                    thickness=1, lineType=cv2.LINE_AA)
        return img

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        index = self.frames_sent
        if self._start is None:
            self._start = time.time()
        else:
            wait = self._start + index / self.fps - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.readyState != "live":
                raise MediaStreamError
        frame = VideoFrame.from_ndarray(self.render(index, time.time()), format="bgr24")
        frame.pts = int(index * _CLOCK_RATE / self.fps)
        frame.time_base = _TIME_BASE
        self.frames_sent += 1
        return frame
