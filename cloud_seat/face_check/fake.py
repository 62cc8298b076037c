"""A :class:`~.model.FaceModel` that is told what it sees, for tests and demos.

``FakeModel(scene)`` calls ``scene(image)`` for the faces "in" an image, as
:class:`~.model.Face` values in that image's own pixels (the check detects on a
scaled copy of each frame, so ``scene`` must scale with the image it is given).
Encodings come from ``encoder(image, face)``, by default a unit vector made
from the image's mean colour, so that identical pictures encode identically.
Landmarks asked for where ``scene`` sees no face (a crop of the ID image, say)
are 68 copies of the box's centre.
It loads nothing and is fast: the flow around the model can be tested alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cloud_seat.face_check.model import Box, Encoding, Face, Landmarks, RGBImage

__all__ = ["FakeModel", "Scene"]

Scene = Callable[[RGBImage], Sequence[Face]]


def _colour_encoding(image: RGBImage, face: Face) -> Encoding:
    vector = np.zeros(128)
    vector[:3] = image.reshape(-1, 3).mean(axis=0) + 1.0
    return vector / np.linalg.norm(vector)


class FakeModel:
    """Faces from ``scene``, encodings from ``encoder``; counts the calls it gets."""

    name = "fake"
    version = "1"

    def __init__(self, scene: Scene,
                 encoder: Callable[[RGBImage, Face], Encoding] | None = None) -> None:
        self._scene = scene
        self._encoder = encoder or _colour_encoding
        self.calls = {"locate": 0, "landmarks": 0, "encode": 0}

    def locate(self, image: RGBImage, *, upsample: int = 0) -> list[Box]:
        self.calls["locate"] += 1
        factor = 2.0**upsample
        faces = self._scene(image)
        boxes = [f.box for f in faces if f.box.height * factor >= 40]
        return sorted(boxes, key=lambda b: b.area, reverse=True)

    def landmarks(self, image: RGBImage, box: Box) -> Landmarks:
        self.calls["landmarks"] += 1
        faces = self._scene(image)
        if not faces:  # e.g. a crop the scene knows nothing of: all points at the centre
            centre = ((box.left + box.right) / 2.0, (box.top + box.bottom) / 2.0)
            return np.tile(np.array(centre, dtype=np.float64), (68, 1))
        nearest = min(faces, key=lambda f: abs(f.box.left - box.left) + abs(f.box.top - box.top))
        return nearest.landmarks

    def encode(self, image: RGBImage, face: Face, *, jitters: int = 1) -> Encoding:
        self.calls["encode"] += 1
        return self._encoder(image, face)
