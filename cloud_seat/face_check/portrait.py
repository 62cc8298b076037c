"""The ID portrait: find the face on an ID card scan or a chip photo and encode it.

Two sources:

* **Card** (``portrait_from_card``): a scan or document-camera photo of the ID
  card's front. The printed portrait is small (about 26 × 32 mm on a resident ID
  card: a ~200 px face at 300 dpi, ~70 px at 100 dpi), so the detector runs on a
  700 px copy first (cheap, and enough for a 300-dpi scan), then on the image as
  it is and, when that finds nothing, on the image upsampled once (faces from
  ~40 px). A card scanned upside down or sideways is tried in the
  other three orientations before giving up with :class:`~.errors.NoFaceOnId`.
  Faces smaller than half the largest are ignored (ghost images, patterns);
  two or more left is :class:`~.errors.ManyFacesOnId`.
* **Chip** (``portrait_from_chip``): the 102 × 126 photo read from the card's
  chip. It is upscaled 3× (bicubic) and padded with its own border, since
  the detector wants some context around a face that fills the picture.

Either way the face is then cut out with a margin from the full-resolution
(upright) image, resized so that the face box is 200 px high, landmarked and
encoded there with a few jitters (``jitters``, default 3: the encoding of the
one reference image is worth the extra ~75 ms each). ``box`` is in the pixels
of the original image as decoded (EXIF-upright); ``crop`` is what the agent is
shown next to the live face.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import cv2
import numpy as np

from cloud_seat.face_check.decode import decode_image
from cloud_seat.face_check.errors import ManyFacesOnId, NoFaceOnId
from cloud_seat.face_check.model import Box, Encoding, Face, FaceModel, RGBImage

__all__ = [
    "Portrait",
    "portrait_from_card",
    "portrait_from_chip",
    "read_portrait",
]

CARD_MAX_SIDE: Final = 1600  # a 600-dpi card scan is 2022 px wide; its face is ~400 px
CHIP_UPSCALE: Final = 3.0
CROP_MARGIN: Final = 0.6
CROP_FACE_PX: Final = 200
GHOST_FRACTION: Final = 0.5
COARSE_SIDE: Final = 700


@dataclass(frozen=True, eq=False)
class Portrait:
    """The encoded ID portrait. ``rotation`` is how far (degrees, counter-clockwise)
    the image had to be turned for the face to stand upright."""

    encoding: Encoding
    box: Box
    crop: RGBImage
    source: Literal["card", "chip"]
    rotation: int = 0


def _resize(image: RGBImage, factor: float) -> RGBImage:
    if factor == 1.0:
        return image
    interp = cv2.INTER_CUBIC if factor > 1.0 else cv2.INTER_AREA
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.ascontiguousarray(cv2.resize(image, size, interpolation=interp), dtype=np.uint8)


def _faces(model: FaceModel, image: RGBImage, *, coarse: bool = False) -> list[Box]:
    """Faces, in ``image``'s pixels; ghosts (< half the largest face) dropped.

    Tried from cheap to costly until something is found: with ``coarse``, on a copy
    scaled so its longer side is 700 px (a 300-dpi card's portrait is then still
    ~110 px, and detection ~3× cheaper); then as it is; then upsampled once."""
    tries: list[tuple[float, int]] = [(1.0, 0), (1.0, 1)]
    longest = max(image.shape[:2])
    if coarse and longest > COARSE_SIDE * 1.2:
        tries.insert(0, (COARSE_SIDE / longest, 0))
    for scale, upsample in tries:
        boxes = model.locate(_resize(image, scale), upsample=upsample)
        if boxes:
            largest = max(b.height for b in boxes)
            kept = [b for b in boxes if b.height >= GHOST_FRACTION * largest]
            h, w = image.shape[:2]
            return [b.scaled(1.0 / scale).clipped(w, h) for b in kept]
    return []


def _unrotate(box: Box, k: int, width: int, height: int) -> Box:
    """``box`` found in ``np.rot90(image, k)`` back in ``image`` (``width`` × ``height``)."""
    corners = ((box.left, box.top), (box.right, box.bottom))
    xs, ys = [], []
    for x, y in corners:
        if k == 0:
            ox, oy = x, y
        elif k == 1:
            ox, oy = width - y, x
        elif k == 2:
            ox, oy = width - x, height - y
        else:
            ox, oy = y, height - x
        xs.append(ox)
        ys.append(oy)
    return Box(min(xs), min(ys), max(xs), max(ys))


def _encode_at(model: FaceModel, image: RGBImage, box: Box,
               jitters: int) -> tuple[Encoding, RGBImage]:
    """Cut the face out with a margin, scale it to a 200 px face, landmark and encode."""
    h, w = image.shape[:2]
    region = box.expanded(CROP_MARGIN).clipped(w, h)
    factor = CROP_FACE_PX / box.height
    crop = _resize(np.ascontiguousarray(image[region.top : region.bottom,
                                              region.left : region.right]), factor)
    ch, cw = crop.shape[:2]
    inner = Box(box.left - region.left, box.top - region.top,
                box.right - region.left, box.bottom - region.top).scaled(factor).clipped(cw, ch)
    face = Face(inner, model.landmarks(crop, inner))
    return model.encode(crop, face, jitters=jitters), crop


def portrait_from_card(model: FaceModel, image: RGBImage, *, jitters: int = 3) -> Portrait:
    """The portrait on an ID card front (RGB). :class:`NoFaceOnId` / :class:`ManyFacesOnId`."""
    h, w = image.shape[:2]
    scale = min(1.0, CARD_MAX_SIDE / max(h, w))
    work = _resize(image, scale)
    for k in (0, 2, 1, 3):  # upright first, then upside down, then sideways
        boxes = _faces(model, np.ascontiguousarray(np.rot90(work, k)), coarse=True)
        if not boxes:
            continue
        if len(boxes) > 1:
            raise ManyFacesOnId(f"{len(boxes)} faces on the ID image; expected one portrait")
        upright = np.ascontiguousarray(np.rot90(image, k))
        uh, uw = upright.shape[:2]
        box = boxes[0].scaled(1.0 / scale).clipped(uw, uh)
        encoding, crop = _encode_at(model, upright, box, jitters)
        original = _unrotate(box, k, w, h).clipped(w, h)
        return Portrait(encoding, original, crop, "card", 90 * k)
    raise NoFaceOnId("no face found on the ID image (tried all four orientations)")


def portrait_from_chip(model: FaceModel, image: RGBImage, *, jitters: int = 3) -> Portrait:
    """The chip photo (102 × 126 on a resident ID card), upscaled before encoding."""
    h, w = image.shape[:2]
    big = _resize(image, CHIP_UPSCALE)
    pad = round(0.25 * max(big.shape[:2]))
    padded = np.ascontiguousarray(
        cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REPLICATE), dtype=np.uint8)
    boxes = _faces(model, padded)
    if not boxes:
        raise NoFaceOnId("no face found on the chip photo")
    if len(boxes) > 1:
        raise ManyFacesOnId(f"{len(boxes)} faces on the chip photo; expected one")
    ph, pw = padded.shape[:2]
    box = boxes[0].clipped(pw, ph)
    encoding, crop = _encode_at(model, padded, box, jitters)
    original = Box(box.left - pad, box.top - pad, box.right - pad, box.bottom - pad)
    return Portrait(encoding, original.scaled(1.0 / CHIP_UPSCALE).clipped(w, h), crop, "chip")


def read_portrait(model: FaceModel, data: bytes, *, chip: bool = False,
                  jitters: int = 3) -> Portrait:
    """Decode ``data`` (:class:`~.errors.BadImage`) and find its portrait."""
    image = decode_image(data, what="chip photo" if chip else "ID image")
    if chip:
        return portrait_from_chip(model, image, jitters=jitters)
    return portrait_from_card(model, image, jitters=jitters)
