"""Quality gates a live frame passes before its face is matched (pure functions).

Each gate has a name (as in ``face.check.result``), a measured value, its limit
and, when it fails, a hint code the booth turns into words for the resident:

============  ==========================================  ===========  ===============
gate          value                                       passes when  hint on failure
============  ==========================================  ===========  ===============
one_face      faces found in the frame                    == 1         no_face /
                                                                       many_faces
face_size     face box height, pixels                     >= limit     too_small
frontal       max(|yaw|, |pitch|), degrees (pose.py)      <= 30        not_frontal
sharpness     variance of the Laplacian of the face,      >= 20        blurry
              scaled to 128 px high, gray
============  ==========================================  ===========  ===============

Why these limits:

* ``face_size``: the box (dlib's, brow to chin) must be at least 20 % of the
  frame's height and at least 80 px. At 640 × 480 that is 96 px, which the
  encoder's 150 px face chip needs no more than 1.6× upsampling for; a resident
  sitting at the booth (~60 cm from a 60° camera) fills ~30 %, one standing back
  at 1 m ~18 % and is asked to come closer. The 80 px floor is also the smallest
  face dlib's HOG detector finds without upsampling (see :mod:`.frames`).
* ``frontal``: the encoder is trained on all poses, but distances grow quickly
  past ~30° and the generic-model pose is itself only good to a few degrees, so
  the gate is generous; liveness turns are measured separately.
* ``sharpness``: measured on the face only (a sharp background must not hide a
  blurred face), scaled to 128 px high so that faces of the sizes that pass
  ``face_size`` measure alike (smaller faces are upscaled to 128 px and measure
  lower: they do hold less detail). On the face_recognition test photos (JPEG
  q80) a sharp face measures 100-650; a Gaussian blur of σ ≈ 1 px at that size
  45-90 (still matched well), σ ≈ 2 px 13-25, σ ≈ 3 px 6-12. The limit 20
  rejects the clearly blurred and leaves ordinary webcam softness alone. Sensor
  noise in a dark room raises the value, so dim, noisy frames can pass this
  gate: light is the booth's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

import cv2
import numpy as np

from cloud_seat.face_check.model import Box, RGBImage
from cloud_seat.face_check.pose import Pose

__all__ = [
    "GATE_NAMES",
    "HINTS",
    "GateLimits",
    "GateResult",
    "all_passed",
    "evaluate_gates",
    "first_hint",
    "sharpness",
]

GATE_NAMES: Final = ("one_face", "face_size", "frontal", "sharpness")
HINTS: Final = ("no_face", "many_faces", "too_small", "not_frontal", "blurry")
SHARPNESS_SIZE: Final = 128


@dataclass(frozen=True)
class GateLimits:
    """The gates' limits; see the module docstring for why these defaults."""

    min_face_fraction: float = 0.20
    min_face_px: int = 80
    max_off_frontal_deg: float = 30.0
    min_sharpness: float = 20.0

    def __post_init__(self) -> None:
        if not 0.0 < self.min_face_fraction < 1.0:
            raise ValueError("min_face_fraction must be in (0, 1)")
        if self.min_face_px < 20:
            raise ValueError("min_face_px must be >= 20")
        if not 0.0 < self.max_off_frontal_deg <= 90.0:
            raise ValueError("max_off_frontal_deg must be in (0, 90]")
        if self.min_sharpness < 0.0:
            raise ValueError("min_sharpness must be >= 0")

    def min_face_height(self, frame_height: int) -> int:
        """The smallest face box height, in pixels, that passes in a frame this high."""
        return max(self.min_face_px, round(self.min_face_fraction * frame_height))


@dataclass(frozen=True)
class GateResult:
    """One gate on one frame. ``value`` is ``None`` when it could not be measured
    (no face); ``hint`` is set only when the gate failed and the resident can fix it."""

    name: str
    passed: bool
    value: float | None
    limit: float
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if self.value is not None:
            out["value"] = round(self.value, 3)
        return out


def sharpness(image: RGBImage, box: Box) -> float:
    """Variance of the Laplacian of the face in ``box``, gray, scaled to 128 px high."""
    h, w = image.shape[:2]
    b = box.clipped(w, h)
    crop = image[b.top : b.bottom, b.left : b.right]
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    size = (max(1, round(SHARPNESS_SIZE * b.width / b.height)), SHARPNESS_SIZE)
    interp = cv2.INTER_AREA if b.height > SHARPNESS_SIZE else cv2.INTER_LINEAR
    gray = cv2.resize(gray, size, interpolation=interp)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def evaluate_gates(
    *,
    faces: int,
    frame_height: int,
    box: Box | None,
    pose: Pose | None,
    sharpness: float | None,
    limits: GateLimits,
) -> tuple[GateResult, ...]:
    """The four gates, in :data:`GATE_NAMES` order, for one frame.

    ``box``, ``pose`` and ``sharpness`` describe the frame's largest face (``None``
    when there is none, or when its pose could not be fitted). With several faces
    the largest is still measured, so the agent sees more than "many faces".
    """
    one = GateResult(
        "one_face", faces == 1, float(faces), 1.0,
        None if faces == 1 else ("no_face" if faces == 0 else "many_faces"),
    )
    need = float(limits.min_face_height(frame_height))
    if box is None:
        size = GateResult("face_size", False, None, need)
    else:
        ok = box.height >= need
        size = GateResult("face_size", ok, float(box.height), need, None if ok else "too_small")
    if pose is None:
        frontal = GateResult("frontal", False, None, limits.max_off_frontal_deg,
                             None if box is None else "not_frontal")
    else:
        ok = pose.off_frontal <= limits.max_off_frontal_deg
        frontal = GateResult("frontal", ok, pose.off_frontal, limits.max_off_frontal_deg,
                             None if ok else "not_frontal")
    if sharpness is None:
        sharp = GateResult("sharpness", False, None, limits.min_sharpness)
    else:
        ok = sharpness >= limits.min_sharpness and bool(np.isfinite(sharpness))
        sharp = GateResult("sharpness", ok, sharpness, limits.min_sharpness,
                           None if ok else "blurry")
    return (one, size, frontal, sharp)


def all_passed(gates: Sequence[GateResult]) -> bool:
    return bool(gates) and all(g.passed for g in gates)


def first_hint(gates: Sequence[GateResult]) -> str | None:
    """The hint of the first failed gate: the one thing to tell the resident."""
    for gate in gates:
        if not gate.passed and gate.hint is not None:
            return gate.hint
    return None
