"""Measures on the 68 iBUG 300-W landmarks (pure functions, no images).

The 68 points, as dlib's shape predictor returns them (0-based; "right" and
"left" are the *resident's*, so in a camera image that is not mirrored the
resident's right eye is on the image's left)::

    0-16   jaw line, from the image-left ear to the image-right ear (8: chin)
    17-21  resident's right eyebrow      22-26  left eyebrow
    27-30  nose bridge, top to tip (30: nose tip)
    31-35  nose base, image-left to image-right
    36-41  resident's right eye: 36 outer corner, 37-38 upper lid, 39 inner corner,
           40-41 lower lid
    42-47  resident's left eye:  42 inner corner, 43-44 upper lid, 45 outer corner,
           46-47 lower lid
    48-59  outer lip line (48, 54: mouth corners)
    60-67  inner lip line (60, 64: inner corners; 61-63 upper, 65-67 lower)

Eye aspect ratio (Soukupová and Čech, "Real-Time Eye Blink Detection using
Facial Landmarks", CVWW 2016): lid-to-lid height over corner-to-corner width,
about 0.25-0.35 for an open eye and under 0.15 for a closed one; it does not
depend on the face's size and hardly on its yaw.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from cloud_seat.face_check.model import Landmarks

__all__ = [
    "JAW",
    "LEFT_EYE",
    "MOUTH_INNER",
    "NOSE_TIP",
    "RIGHT_EYE",
    "eye_aspect_ratio",
    "interocular",
    "mouth_aspect_ratio",
]

JAW: Final = tuple(range(0, 17))
RIGHT_EYE: Final = tuple(range(36, 42))
LEFT_EYE: Final = tuple(range(42, 48))
MOUTH_INNER: Final = tuple(range(60, 68))
NOSE_TIP: Final = 30
CHIN: Final = 8


def _dist(marks: Landmarks, a: int, b: int) -> float:
    return float(np.hypot(*(marks[a] - marks[b])))


def _eye_ratio(marks: Landmarks, eye: tuple[int, ...]) -> float:
    p1, p2, p3, p4, p5, p6 = eye
    width = _dist(marks, p1, p4)
    if width <= 0:
        return 0.0
    return (_dist(marks, p2, p6) + _dist(marks, p3, p5)) / (2.0 * width)


def eye_aspect_ratio(marks: Landmarks) -> float:
    """Mean eye aspect ratio of both eyes: ~0.3 open, falling towards 0 as they close."""
    return (_eye_ratio(marks, RIGHT_EYE) + _eye_ratio(marks, LEFT_EYE)) / 2.0


def mouth_aspect_ratio(marks: Landmarks) -> float:
    """Inner-lip opening over mouth width: ~0 closed, ~0.3 for "ah", 0.6+ wide open.

    The opening is the mean of the three inner-lip gaps (61-67, 62-66, 63-65); the
    width is corner to corner of the outer lips (48-54), which moves less than the
    inner corners when the mouth opens.
    """
    width = _dist(marks, 48, 54)
    if width <= 0:
        return 0.0
    gap = (_dist(marks, 61, 67) + _dist(marks, 62, 66) + _dist(marks, 63, 65)) / 3.0
    return gap / width


def interocular(marks: Landmarks) -> float:
    """Distance between the outer eye corners (36-45), the face's own length unit."""
    return _dist(marks, 36, 45)
