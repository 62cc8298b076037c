"""Auto-capture for a document camera: a pure state machine fed one frame at a time.

A frame counts as *good* when a page outline is found, the frame differs from
the previous one by less than ``max_motion`` (mean absolute difference of the
downscaled gray images: the page is still) and the flattened page is sharp
(variance of the Laplacian at least ``min_sharpness``). After ``stable_frames``
good frames in a row, :meth:`AutoCapture.feed` returns the flattened page from
the full-resolution frame (outline found again at full size); any bad frame
resets the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from scanner_drivers.model import Image
from scanner_drivers.pagedetect import Quad, find_page, warp_page
from scanner_drivers.quality import sharpness

__all__ = ["AutoCapture", "AutoCaptureSettings", "FrameVerdict"]


@dataclass(frozen=True)
class AutoCaptureSettings:
    analysis_width: int = 320
    max_motion: float = 2.5
    min_sharpness: float = 1000.0
    stable_frames: int = 5

    def __post_init__(self) -> None:
        if self.stable_frames < 1 or self.analysis_width < 64:
            raise ValueError("stable_frames must be >= 1 and analysis_width >= 64")


@dataclass(frozen=True)
class FrameVerdict:
    """What one frame showed; ``page`` is set on the frame that completes a capture."""

    index: int
    quad: Quad | None  # in full-resolution pixels
    motion: float
    sharpness: float
    good_run: int
    page: Image | None = None


class AutoCapture:
    """Feed frames in order; the first verdict with ``page`` set is the capture.

    After a capture the run restarts, so a caller that keeps feeding needs the
    page to stay still for another ``stable_frames`` frames to capture again.
    """

    def __init__(self, settings: AutoCaptureSettings | None = None) -> None:
        self.settings = settings or AutoCaptureSettings()
        self._previous: Image | None = None
        self._run = 0
        self._index = -1

    def feed(self, frame: Image) -> FrameVerdict:
        s = self.settings
        self._index += 1
        scale = s.analysis_width / frame.shape[1]
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        small = np.asarray(
            cv2.resize(
                gray,
                (s.analysis_width, max(1, round(gray.shape[0] * scale))),
                interpolation=cv2.INTER_AREA,
            ),
            np.uint8,
        )
        motion = float("inf")
        if self._previous is not None and self._previous.shape == small.shape:
            motion = float(cv2.absdiff(small, self._previous).mean())
        self._previous = small
        quad_small = find_page(small)
        sharp = 0.0
        if quad_small is not None:
            sharp = sharpness(warp_page(small, quad_small, snap_tolerance=0.0))
        good = quad_small is not None and motion <= s.max_motion and sharp >= s.min_sharpness
        self._run = self._run + 1 if good else 0
        quad = None if quad_small is None else (quad_small / scale).astype(np.float32)
        page = None
        if quad is not None and self._run >= s.stable_frames:
            # the outline found at analysis size is off by ~1/scale px: find it again at full size
            refined = find_page(frame) if scale < 1 else None
            quad = refined if refined is not None else quad
            page = warp_page(frame, quad)
            self._run = 0
        return FrameVerdict(self._index, quad, motion, sharp, self._run, page)
