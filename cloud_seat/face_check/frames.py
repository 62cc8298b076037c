"""One live frame, analysed once: faces, landmarks, pose, sharpness and gates.

Everything later steps need from a frame is computed here in one pass, so the
gates, the liveness evaluator and the choice of frames to encode share the same
detection and landmarks (the encoder, the costly part, runs only on the few
frames finally chosen).

The detector runs on the frame scaled so that a face of the ``face_size`` gate's
minimum height becomes 80 px, the smallest face dlib's HOG window finds without
upsampling (at 640 × 480: 96 px → 0.83×; at 1280 × 720: 144 px → 0.56×). Faces
too small to pass that gate are thus not seen at all and count as no face; the
cost stays about the same whatever the camera's resolution. Landmarks, pose and
sharpness are measured on the full-resolution frame. ``upsample=1`` (used once
per check, when no frame held a face, to tell "no face" from "too small")
detects on the full frame doubled instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np

from cloud_seat.face_check.gates import GateLimits, GateResult, all_passed, evaluate_gates
from cloud_seat.face_check.gates import sharpness as face_sharpness
from cloud_seat.face_check.landmarks import eye_aspect_ratio, mouth_aspect_ratio
from cloud_seat.face_check.model import Box, FaceModel, Landmarks, RGBImage
from cloud_seat.face_check.pose import Pose, head_pose

__all__ = ["DETECT_FACE_PX", "FrameAnalysis", "analyse_frame"]

DETECT_FACE_PX: Final = 80


@dataclass(frozen=True, eq=False)
class FrameAnalysis:
    """What one frame showed. ``box``/``landmarks``/``pose`` are the largest face's."""

    index: int
    size: tuple[int, int]
    faces: int
    box: Box | None
    landmarks: Landmarks | None
    pose: Pose | None
    sharpness: float | None
    gates: tuple[GateResult, ...]

    @property
    def usable(self) -> bool:
        """Every gate passed: the face may be matched."""
        return all_passed(self.gates)

    @property
    def ear(self) -> float | None:
        return None if self.landmarks is None else eye_aspect_ratio(self.landmarks)

    @property
    def mar(self) -> float | None:
        return None if self.landmarks is None else mouth_aspect_ratio(self.landmarks)


def detection_scale(frame_height: int, limits: GateLimits) -> float:
    return min(1.0, DETECT_FACE_PX / limits.min_face_height(frame_height))


def analyse_frame(model: FaceModel, image: RGBImage, limits: GateLimits, *, index: int = 0,
                  upsample: int = 0) -> FrameAnalysis:
    """Analyse ``image`` (RGB); see the module docstring for the detection scale."""
    h, w = image.shape[:2]
    scale = 1.0 if upsample else detection_scale(h, limits)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA),
                                     dtype=np.uint8)
        boxes = [b.scaled(1.0 / scale).clipped(w, h) for b in model.locate(small)]
    else:
        boxes = model.locate(image, upsample=upsample)
    box = max(boxes, key=lambda b: b.area) if boxes else None
    marks: Landmarks | None = None
    pose: Pose | None = None
    sharp: float | None = None
    if box is not None:
        marks = model.landmarks(image, box)
        try:
            pose = head_pose(marks, (w, h))
        except ValueError:
            pose = None
        sharp = face_sharpness(image, box)
    gates = evaluate_gates(faces=len(boxes), frame_height=h, box=box, pose=pose,
                           sharpness=sharp, limits=limits)
    return FrameAnalysis(index, (w, h), len(boxes), box, marks, pose, sharp, gates)
