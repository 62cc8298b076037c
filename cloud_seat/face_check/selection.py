"""Which live frames are encoded and matched (pure).

Encoding is the costly step (~75 ms per frame and jitter on one core), so only
``k`` frames (3 by default) are encoded, chosen among the frames that passed
every gate:

1. The best frame of each step, in step order (baseline, then each challenge):
   the face matched is then the face that did the challenges. A photo held up
   for the baseline and a different person doing the actions would put that
   person's frames into the median, which then lands on them.
2. Filled up to ``k`` with the best remaining frames.

"Best" ranks frames with a neutral face first (eyes open: eye ratio at least
0.75 of the median of the usable frames; mouth ratio under 0.30), then by
``min(sharpness, 400) / (1 + off_frontal / 10°)``: sharper and more frontal,
with sharpness capped because beyond ~400 it measures noise and JPEG ringing
more than detail.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Final

from cloud_seat.face_check.frames import FrameAnalysis

__all__ = ["choose_frames", "frame_score"]

_SHARPNESS_CAP: Final = 400.0
_EYES_OPEN: Final = 0.75
_MOUTH_NEUTRAL: Final = 0.30


def frame_score(frame: FrameAnalysis) -> float:
    """Sharper and more frontal is better (0 for a frame without a measured face)."""
    if frame.sharpness is None or frame.pose is None:
        return 0.0
    return min(frame.sharpness, _SHARPNESS_CAP) / (1.0 + frame.pose.off_frontal / 10.0)


def choose_frames(frames: Sequence[FrameAnalysis], steps: Sequence[str],
                  k: int = 3) -> list[int]:
    """Indices (``FrameAnalysis.index``) of up to ``k`` usable frames, best first.

    ``steps[i]`` is the step of ``frames[i]``. Empty when no frame is usable.
    """
    if len(steps) != len(frames):
        raise ValueError("one step per frame")
    usable = [(f, s) for f, s in zip(frames, steps, strict=True) if f.usable]
    if not usable or k < 1:
        return []
    ears = [f.ear for f, _ in usable if f.ear is not None]
    ear_ref = statistics.median(ears) if ears else 0.0

    def key(item: tuple[FrameAnalysis, str]) -> tuple[bool, float]:
        f = item[0]
        neutral = (f.ear or 0.0) >= _EYES_OPEN * ear_ref and (f.mar or 0.0) < _MOUTH_NEUTRAL
        return (neutral, frame_score(f))

    ranked = sorted(usable, key=key, reverse=True)
    chosen: list[tuple[FrameAnalysis, str]] = []
    for step in dict.fromkeys(steps):  # first appearance order
        best = next((item for item in ranked if item[1] == step), None)
        if best is not None and len(chosen) < k:
            chosen.append(best)
    for item in ranked:
        if len(chosen) >= k:
            break
        if item not in chosen:
            chosen.append(item)
    chosen.sort(key=key, reverse=True)
    return [f.index for f, _ in chosen]
