"""Synthetic 68-point faces for the pure tests: a 3-D template, moved and projected.

The template is drawn in :mod:`cloud_seat.face_check.pose`'s axes (x to the image's
right, y down, z away from the camera) and puts its six fitted landmarks exactly on
``pose.MODEL_POINTS``, so an ideal projection gives back the pose it was made with.
``eye_open`` scales the lid height (1.0: eye aspect ratio 0.30), ``mouth_open`` drops
the lower lip and the chin (1.0: mouth aspect ratio ~0.41).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from cloud_seat.face_check.pose import MODEL_INDICES, MODEL_POINTS

Points3 = NDArray[np.float64]
Pairs = tuple[tuple[float, float], ...]

EYE_HALF_HEIGHT = 22.5  # EAR = 2h / 150 = 0.30 when open
MOUTH_DROP = 120.0


def template(eye_open: float = 1.0, mouth_open: float = 0.0) -> Points3:
    """The 68 landmarks in 3-D (model units) of a frontal face."""
    p = np.zeros((68, 3))
    for i in range(17):  # jaw, image-left ear -> chin -> image-right ear
        phi = math.radians(-90 + 180 * i / 16)
        p[i] = (300 * math.sin(phi), -150 + 480 * math.cos(phi), 65 + 200 * (1 - math.cos(phi)))
    for k, x in enumerate((-270.0, -220.0, -165.0, -110.0, -60.0)):
        bump = 30 * math.sin(math.pi * k / 4)
        p[17 + k] = (x, -240 - bump, 120)
        p[26 - k] = (-x, -240 - bump, 120)
    for k, (y, z) in enumerate(((-170.0, 110.0), (-115.0, 75.0), (-58.0, 38.0), (0.0, 0.0))):
        p[27 + k] = (0, y, z)
    for k, (x, y, z) in enumerate(((-70.0, 45.0, 90.0), (-35.0, 55.0, 70.0), (0.0, 60.0, 60.0),
                                   (35.0, 55.0, 70.0), (70.0, 45.0, 90.0))):
        p[31 + k] = (x, y, z)
    h = EYE_HALF_HEIGHT * eye_open
    right_eye: Pairs = ((-225, -170), (-175, -170 - h), (-125, -170 - h), (-75, -170),
                        (-125, -170 + h), (-175, -170 + h))
    left_eye: Pairs = ((75, -170), (125, -170 - h), (175, -170 - h), (225, -170),
                       (175, -170 + h), (125, -170 + h))
    for k, (x, y) in enumerate(right_eye):
        p[36 + k] = (x, y, 135 if k in (0, 3) else 125)
    for k, (x, y) in enumerate(left_eye):
        p[42 + k] = (x, y, 135 if k in (0, 3) else 125)
    o = MOUTH_DROP * mouth_open
    outer: Pairs = ((-150, 150), (-100, 125), (-40, 115), (0, 120), (40, 115), (100, 125),
                    (150, 150), (100, 175 + o), (40, 185 + o), (0, 188 + o), (-40, 185 + o),
                    (-100, 175 + o))
    for k, (x, y) in enumerate(outer):
        p[48 + k] = (x, y, 125 if k in (0, 6) else 110)
    inner: Pairs = ((-120, 150), (-40, 148), (0, 148), (40, 148), (120, 150), (40, 152 + o),
                    (0, 152 + o), (-40, 152 + o))
    for k, (x, y) in enumerate(inner):
        p[60 + k] = (x, y, 118)
    for i in range(6, 11):  # the chin drops with the jaw
        p[i][1] += 0.5 * o
    p[list(MODEL_INDICES)] = MODEL_POINTS
    if mouth_open:
        p[8][1] = MODEL_POINTS[1][1] + 0.5 * o
    return p


def rotation(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> NDArray[np.float64]:
    """Rotation in pose.py's signs (degrees): yaw > 0 turns the nose to the image's right."""
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), math.sin(p)], [0, -math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return np.asarray(rz @ rx @ ry, dtype=np.float64)


def project(
    points: Points3,
    *,
    yaw: float = 0.0,
    pitch: float = 0.0,
    roll: float = 0.0,
    image_size: tuple[int, int] = (640, 480),
    eye_span_px: float = 100.0,
    center: tuple[float, float] | None = None,
    pivot_z: float = 250.0,
) -> NDArray[np.float64]:
    """Image coordinates (68 × 2) of ``points`` turned about a pivot behind the nose
    (roughly the neck) and seen by pose.py's pinhole camera."""
    w, h = image_size
    f = float(w)
    z = f * 450.0 / eye_span_px
    cx, cy = center if center is not None else (w / 2, h / 2)
    pivot = np.array([0.0, 0.0, pivot_z])
    moved = (points - pivot) @ rotation(yaw, pitch, roll).T + pivot
    cam = moved + np.array([(cx - w / 2) * z / f, (cy - h / 2) * z / f, z])
    return np.stack([f * cam[:, 0] / cam[:, 2] + w / 2, f * cam[:, 1] / cam[:, 2] + h / 2], 1)


def flat_tilt(marks2d: NDArray[np.float64], degrees: float) -> NDArray[np.float64]:
    """A printed photo of ``marks2d`` turned ``degrees`` about its vertical axis: x squeezed
    about the face's centre by cos(angle) (no parallax), as a rigid flat picture does."""
    centre_x = float(marks2d[:, 0].mean())
    out = marks2d.copy()
    out[:, 0] = centre_x + (out[:, 0] - centre_x) * math.cos(math.radians(degrees))
    return out


# ----------------------------------------------------------------------------- series

Motion = Callable[[float], dict[str, float]]
"""Seconds since the step began -> keyword arguments: yaw, pitch, roll, eye_open, mouth_open."""


def still(t: float) -> dict[str, float]:
    return {}


def blink(t: float, at: float = 0.8, length: float = 0.4) -> dict[str, float]:
    return {"eye_open": 0.15 if at <= t < at + length else 1.0}


def _ramp(t: float, start: float, peak: float, hold: float, end: float) -> float:
    if t < start or t >= end:
        return 0.0
    if t < peak:
        return (t - start) / (peak - start)
    if t < hold:
        return 1.0
    return 1.0 - (t - hold) / (end - hold)


def turn(deg: float) -> Motion:
    """Turn ``deg`` degrees (yaw; > 0 is the resident's left) and back."""
    return lambda t: {"yaw": deg * _ramp(t, 0.4, 1.2, 2.0, 2.8)}


def nod(deg: float) -> Motion:
    return lambda t: {"pitch": deg * _ramp(t, 0.4, 1.2, 2.0, 2.8)}


def open_mouth(amount: float = 1.0) -> Motion:
    return lambda t: {"mouth_open": amount * _ramp(t, 0.3, 0.9, 1.8, 2.4)}


def delayed(motion: Motion, seconds: float) -> Motion:
    return lambda t: motion(t - seconds) if t >= seconds else {}


def face_at(*, yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0, eye_open: float = 1.0,
            mouth_open: float = 0.0, eye_span_px: float = 100.0) -> NDArray[np.float64]:
    return project(template(eye_open, mouth_open), yaw=yaw, pitch=pitch, roll=roll,
                   eye_span_px=eye_span_px)


def series(plan: Sequence[tuple[str, float, Motion]], *, fps: float = 5.0, jitter: float = 0.4,
           seed: int = 0) -> list[tuple[int, str, NDArray[np.float64]]]:
    """Frames ``(t_ms, step, landmarks)`` for steps shown one after another: each
    ``(step, seconds, motion)``. ``jitter`` (pixels, Gaussian) imitates the landmark
    noise of a real camera; 0 gives exact repeats for a still face."""
    rng = np.random.default_rng(seed)
    out = []
    t0 = 0.0
    for step, seconds, motion in plan:
        for k in range(int(round(seconds * fps))):
            t = k / fps
            marks = face_at(**motion(t))
            if jitter:
                marks = marks + rng.normal(0, jitter, marks.shape)
            out.append((int(round((t0 + t) * 1000)), step, marks))
        t0 += seconds
    return out
