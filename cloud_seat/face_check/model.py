"""The face model behind one small interface, and the dlib model that fills it.

:class:`FaceModel` is everything the check needs from a model: find faces
(:meth:`~FaceModel.locate`), put the 68 iBUG landmarks on one
(:meth:`~FaceModel.landmarks`) and turn it into an encoding whose Euclidean
distance says "same person" when small (:meth:`~FaceModel.encode`). A better
model (one trained on East-Asian faces, say) replaces :class:`DlibModel`
without touching the flow; its thresholds (:class:`~.matcher.Thresholds`) must
then be re-measured, since distances of different models are not comparable.

:class:`DlibModel` is the model of the ``face_recognition`` package: dlib's HOG
frontal-face detector, the 68-point shape predictor and the ResNet encoder
(``dlib_face_recognition_resnet_model_v1``, 99.38 % on LFW at distance 0.6),
with the weight files of ``face_recognition_models``. It calls dlib directly
rather than through ``face_recognition``'s functions so that the landmarks are
computed once and reused for pose, liveness and the encoding. The weights load
lazily, once per process (:func:`default_model`).
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from cloud_seat.face_check.errors import ModelError

__all__ = [
    "Box",
    "DlibModel",
    "Encoding",
    "Face",
    "FaceModel",
    "Landmarks",
    "RGBImage",
    "default_model",
]

RGBImage = NDArray[np.uint8]
"""An image as the model takes it: ``(h, w, 3)`` RGB ``uint8``, C-contiguous."""

Landmarks = NDArray[np.float64]
"""68 × 2 image coordinates (x, y) in the iBUG 300-W order (see :mod:`.landmarks`)."""

Encoding = NDArray[np.float64]
"""A face encoding (128 floats for dlib); compare two with Euclidean distance."""


@dataclass(frozen=True)
class Box:
    """A face box in pixels: ``left, top`` inclusive, ``right, bottom`` exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    def __post_init__(self) -> None:
        if self.right <= self.left or self.bottom <= self.top:
            raise ValueError(f"empty box {self}")

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return self.width * self.height

    def scaled(self, factor: float) -> Box:
        """The box in an image resized by ``factor`` (at least one pixel wide)."""
        left, top = round(self.left * factor), round(self.top * factor)
        return Box(
            left,
            top,
            max(left + 1, round(self.right * factor)),
            max(top + 1, round(self.bottom * factor)),
        )

    def clipped(self, width: int, height: int) -> Box:
        """The part of the box inside a ``width`` × ``height`` image (never empty)."""
        left = min(max(self.left, 0), width - 1)
        top = min(max(self.top, 0), height - 1)
        return Box(left, top, max(left + 1, min(self.right, width)),
                   max(top + 1, min(self.bottom, height)))

    def expanded(self, margin: float) -> Box:
        """Grown by ``margin`` × its size on every side (may leave the image)."""
        dx, dy = round(self.width * margin), round(self.height * margin)
        return Box(self.left - dx, self.top - dy, self.right + dx, self.bottom + dy)

    def as_list(self) -> list[int]:
        return [self.left, self.top, self.right, self.bottom]


@dataclass(frozen=True, eq=False)
class Face:
    """One located face: its box and its 68 landmarks, in the same image's pixels."""

    box: Box
    landmarks: Landmarks

    def __post_init__(self) -> None:
        if self.landmarks.shape != (68, 2):
            raise ValueError(f"landmarks must be 68 x 2, got {self.landmarks.shape}")


@runtime_checkable
class FaceModel(Protocol):
    """What the face check needs from a face model. Implementations are not thread-safe."""

    @property
    def name(self) -> str:
        """The model's name, e.g. ``dlib_face_recognition_resnet_model_v1``."""
        ...

    @property
    def version(self) -> str:
        """Versions of the code and weights: results of different versions differ."""
        ...

    def locate(self, image: RGBImage, *, upsample: int = 0) -> list[Box]:
        """Boxes of the faces in ``image``, largest first. ``upsample`` doubles the
        image that many times first (finds smaller faces, costs 4× per step)."""
        ...

    def landmarks(self, image: RGBImage, box: Box) -> Landmarks:
        """The 68 landmarks of the face in ``box``."""
        ...

    def encode(self, image: RGBImage, face: Face, *, jitters: int = 1) -> Encoding:
        """The encoding of ``face``; ``jitters`` > 1 averages randomly jittered crops."""
        ...


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


class DlibModel:
    """dlib HOG detector + 68-point predictor + ResNet encoder (face_recognition's model).

    The weights (~100 MB) load on first use; :meth:`load` forces it (a pool's worker
    initializer calls it so the first check does not pay for it).
    """

    name = "dlib_face_recognition_resnet_model_v1"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector: Any = None
        self._predictor: Any = None
        self._encoder: Any = None
        self._dlib: Any = None
        self.version = f"dlib-{_version('dlib-bin')}+models-{_version('face_recognition_models')}"

    def load(self) -> DlibModel:
        """Load the weights now (idempotent); :class:`ModelError` when they are missing."""
        with self._lock:
            if self._encoder is not None:
                return self
            try:
                import dlib

                with warnings.catch_warnings():
                    # face_recognition_models imports pkg_resources, which warns on import.
                    warnings.simplefilter("ignore", UserWarning)
                    warnings.simplefilter("ignore", DeprecationWarning)
                    import face_recognition_models as weights

                detector = dlib.get_frontal_face_detector()
                predictor = dlib.shape_predictor(weights.pose_predictor_model_location())
                encoder = dlib.face_recognition_model_v1(weights.face_recognition_model_location())
            except (ImportError, RuntimeError, OSError) as exc:
                raise ModelError(f"cannot load the dlib face model: {exc}") from exc
            self._dlib, self._detector, self._predictor = dlib, detector, predictor
            self._encoder = encoder
            return self

    def locate(self, image: RGBImage, *, upsample: int = 0) -> list[Box]:
        self.load()
        try:
            rects = self._detector(image, upsample)
        except RuntimeError as exc:
            raise ModelError(f"face detector failed: {exc}") from exc
        h, w = image.shape[:2]
        boxes = []
        for r in rects:
            # dlib rectangles are inclusive and may stick out of the image.
            left, top = max(0, r.left()), max(0, r.top())
            right, bottom = min(w, r.right() + 1), min(h, r.bottom() + 1)
            if right > left and bottom > top:
                boxes.append(Box(left, top, right, bottom))
        boxes.sort(key=lambda b: b.area, reverse=True)
        return boxes

    def _rect(self, box: Box) -> Any:
        return self._dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)

    def landmarks(self, image: RGBImage, box: Box) -> Landmarks:
        self.load()
        try:
            shape = self._predictor(image, self._rect(box))
        except RuntimeError as exc:
            raise ModelError(f"landmark predictor failed: {exc}") from exc
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def encode(self, image: RGBImage, face: Face, *, jitters: int = 1) -> Encoding:
        self.load()
        dlib = self._dlib
        points = dlib.points([dlib.point(round(x), round(y)) for x, y in face.landmarks])
        shape = dlib.full_object_detection(self._rect(face.box), points)
        try:
            vector = self._encoder.compute_face_descriptor(image, shape, max(1, jitters))
        except RuntimeError as exc:
            raise ModelError(f"face encoder failed: {exc}") from exc
        return np.array(vector, dtype=np.float64)


_default: DlibModel | None = None
_default_lock = threading.Lock()


def default_model(*, load: bool = True) -> DlibModel:
    """This process's one :class:`DlibModel`; loaded now unless ``load`` is false (then
    on its first use, so that a request that fails on bad input never loads it)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = DlibModel()
    return _default.load() if load else _default
