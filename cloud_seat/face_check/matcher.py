"""Distances and bands: how close the live face is to the ID portrait (pure).

The score is *advice* for the agent, in three bands by the Euclidean distance
between encodings:

* ``match``     distance ≤ ``match_max``
* ``review``    ``match_max`` < distance ≤ ``mismatch_min``: the agent looks closely
* ``mismatch``  distance > ``mismatch_min``

Why 0.40 / 0.55 and not dlib's 0.6: dlib's model reaches 99.38 % on LFW at 0.6,
but LFW is mostly adult Western faces; on East-Asian faces and on children
different people often come out under 0.6 (face_recognition's own wiki, "Face
Recognition Accuracy Problems", and ageitgey/face_recognition#612). Same-person
pairs on good frames measure 0.25-0.45; an ID photo may be ten or twenty years
old, which pushes a genuine pair towards 0.5. So ``match`` is kept to what
different people rarely reach, everything between 0.40 and 0.55 is left to the
agent's eyes, and only above 0.55, where different people nearly always are,
the advice is ``mismatch``. These are defaults to re-measure on the booths' own
data: a different model needs its own.

The live distance is the median over the best live frames (see :mod:`.check`),
so one odd frame moves it little.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from cloud_seat.face_check.model import Encoding

__all__ = ["BANDS", "Band", "Thresholds", "band", "face_distance", "median_distance"]

Band = Literal["match", "review", "mismatch"]
BANDS: Final = ("match", "review", "mismatch")


@dataclass(frozen=True)
class Thresholds:
    """Band limits: ``match`` at or under ``match_max``, ``mismatch`` above ``mismatch_min``."""

    match_max: float = 0.40
    mismatch_min: float = 0.55

    def __post_init__(self) -> None:
        for name in ("match_max", "mismatch_min"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value) or not 0.0 < value < 2.0:
                raise ValueError(f"{name} must be in (0, 2), got {value!r}")
        if self.match_max > self.mismatch_min:
            raise ValueError(
                f"match_max ({self.match_max}) must not exceed mismatch_min ({self.mismatch_min})"
            )

    def band(self, distance: float) -> Band:
        return band(distance, self)

    def to_json(self) -> dict[str, Any]:
        return {"match_max": self.match_max, "mismatch_min": self.mismatch_min}


def band(distance: float, thresholds: Thresholds) -> Band:
    """The advice band of ``distance``; ``ValueError`` for a negative or non-finite one."""
    if not math.isfinite(distance) or distance < 0.0:
        raise ValueError(f"bad distance {distance!r}")
    if distance <= thresholds.match_max:
        return "match"
    if distance > thresholds.mismatch_min:
        return "mismatch"
    return "review"


def face_distance(a: Encoding, b: Encoding) -> float:
    """Euclidean distance between two encodings of the same model."""
    if a.shape != b.shape:
        raise ValueError(f"encodings of different shapes {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b))


def median_distance(portrait: Encoding, live: Sequence[Encoding]) -> tuple[float, list[float]]:
    """The median distance of ``live`` encodings to ``portrait``, and each distance."""
    if not live:
        raise ValueError("no live encodings")
    distances = [face_distance(portrait, e) for e in live]
    return float(statistics.median(distances)), distances
