"""Head pose (yaw, pitch, roll in degrees) from 68 landmarks: a pure function.

Six landmarks (nose tip, chin, outer eye corners, mouth corners) are fitted with
``cv2.solvePnP`` to a generic 3-D face (the widely used six-point model, in
arbitrary units) seen by a pinhole camera whose focal length is the image width
and whose centre is the image centre. The generic face and the guessed camera
make the absolute angles rough (a few degrees off for a real face, more for
faces unlike the model); the liveness checks therefore compare the pose against
the resident's own baseline, and the frontal gate is generous (30°).

Sign conventions, for a camera image that is **not mirrored** (the camera's own
view, as the agent sees the resident)::

    yaw   > 0  the resident turned to THEIR LEFT: the nose moves towards the
               image's RIGHT (+x). turn_right gives yaw < 0.
    pitch > 0  the resident looks up: the nose moves towards the image's top (-y).
    roll  > 0  the head tilts so that the eye line turns clockwise in the image
               (the resident's left ear, on the image right, goes down).

The angles are read off the fitted rotation R directly: yaw and pitch from
where the face's forward axis (out of the nose) points, roll from where its
ear-to-ear axis points; no Euler-angle order is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
from numpy.typing import NDArray

from cloud_seat.face_check.model import Landmarks

__all__ = ["MODEL_INDICES", "MODEL_POINTS", "Pose", "head_pose"]

MODEL_INDICES: Final = (30, 8, 36, 45, 48, 54)
"""The landmarks fitted: nose tip, chin, outer eye corners (image left, right), mouth corners."""

MODEL_POINTS: Final[NDArray[np.float64]] = np.array(
    [
        (0.0, 0.0, 0.0),  # 30 nose tip
        (0.0, 330.0, 65.0),  # 8 chin
        (-225.0, -170.0, 135.0),  # 36 outer corner of the eye on the image's left
        (225.0, -170.0, 135.0),  # 45 outer corner of the eye on the image's right
        (-150.0, 150.0, 125.0),  # 48 mouth corner, image left
        (150.0, 150.0, 125.0),  # 54 mouth corner, image right
    ],
    dtype=np.float64,
)
"""The generic face in the camera's axes when frontal: x to the image's right, y down,
z away from the camera (the nose tip is nearest)."""

_FORWARD: Final = np.array([0.0, 0.0, -1.0])  # out of the nose, towards the camera
_EAR_TO_EAR: Final = np.array([1.0, 0.0, 0.0])  # image-left ear to image-right ear
_EYE_SPAN: Final = float(MODEL_POINTS[3][0] - MODEL_POINTS[2][0])


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees (see the module docstring for the signs)."""

    yaw: float
    pitch: float
    roll: float

    @property
    def off_frontal(self) -> float:
        """The larger of ``|yaw|`` and ``|pitch|``: what the frontal gate limits."""
        return max(abs(self.yaw), abs(self.pitch))


def _camera(width: int, height: int) -> NDArray[np.float64]:
    f = float(width)
    return np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])


def head_pose(marks: Landmarks, image_size: tuple[int, int]) -> Pose:
    """The head pose of ``marks`` (68 × 2) in an image of ``image_size`` = (width, height).

    Raises ``ValueError`` for degenerate landmarks (all on one point or a line).
    """
    if marks.shape != (68, 2):
        raise ValueError(f"landmarks must be 68 x 2, got {marks.shape}")
    width, height = image_size
    if width <= 0 or height <= 0:
        raise ValueError(f"bad image size {image_size}")
    image_points = np.ascontiguousarray(marks[list(MODEL_INDICES)], dtype=np.float64)
    span = float(np.hypot(*(image_points[3] - image_points[2])))
    if not math.isfinite(span) or span < 1.0:
        raise ValueError("degenerate landmarks: the eye corners coincide")
    camera = _camera(width, height)
    # Start the iteration from a frontal face at the distance its eye span implies:
    # from there Levenberg-Marquardt does not wander into the mirrored solution.
    z = camera[0, 0] * _EYE_SPAN / span
    nose = image_points[0]
    tvec0 = np.array([[(nose[0] - width / 2.0) * z / camera[0, 0]],
                      [(nose[1] - height / 2.0) * z / camera[1, 1]], [z]])
    rvec0 = np.zeros((3, 1))
    ok, rvec, _tvec = cv2.solvePnP(
        MODEL_POINTS, image_points, camera, np.zeros(4), rvec0, tvec0,
        useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        raise ValueError("solvePnP found no pose")
    rotation, _ = cv2.Rodrigues(rvec)
    fwd = rotation @ _FORWARD
    side = rotation @ _EAR_TO_EAR
    yaw = math.degrees(math.atan2(fwd[0], -fwd[2]))
    pitch = math.degrees(math.atan2(-fwd[1], math.hypot(fwd[0], fwd[2])))
    roll = math.degrees(math.atan2(side[1], side[0]))
    return Pose(yaw=yaw, pitch=pitch, roll=roll)
