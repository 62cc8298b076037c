"""Bytes to an RGB array, refusing anything that is not one whole, sane image.

Live frames and ID scans arrive from a booth, which is not trusted: a renamed
text file, a truncated JPEG, a decompression bomb or a 1 × 60 000 strip must
end as :class:`~.errors.BadImage`, never as a crash of a worker. The format is
recognised by its magic bytes (JPEG, PNG, BMP, WebP) *and* a full decode; the
pixel count is read from the header before any pixel is decoded. The EXIF
orientation is applied, so a phone-style rotated JPEG stands upright.
"""

from __future__ import annotations

import io
import warnings
from typing import Final

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cloud_seat.face_check.errors import BadImage
from cloud_seat.face_check.model import RGBImage

__all__ = ["MAX_PIXELS", "MIN_SIDE", "decode_image", "encode_jpeg"]

MAX_PIXELS: Final = 40_000_000  # a 600-dpi A4 scan is 35 MP; frames are ~1 MP
MIN_SIDE: Final = 32  # nothing smaller holds a face the model can find
_MAX_ASPECT: Final = 20.0
_MAGIC: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"BM", "BMP"),
    (b"RIFF", "WEBP"),
)


def _sniff(data: bytes) -> str | None:
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            if fmt == "WEBP" and data[8:12] != b"WEBP":
                return None
            return fmt
    return None


def decode_image(data: bytes, *, what: str = "image") -> RGBImage:
    """Decode ``data`` to a C-contiguous ``(h, w, 3)`` RGB ``uint8`` array.

    ``what`` names the input in error messages ("ID image", "frame 3").
    Raises :class:`BadImage` for anything that is not a whole supported image.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BadImage(f"{what}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise BadImage(f"{what}: empty")
    fmt = _sniff(data)
    if fmt is None:
        raise BadImage(f"{what}: not a JPEG, PNG, BMP or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise BadImage(f"{what}: {w}x{h} is more than {MAX_PIXELS} pixels")
                if min(w, h) < MIN_SIDE or max(w, h) > _MAX_ASPECT * min(w, h):
                    raise BadImage(f"{what}: {w}x{h} is too small or too narrow for a face")
                img.load()  # a truncated or corrupt file fails here, not later
                upright = ImageOps.exif_transpose(img)
                rgb = upright.convert("RGB")
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, UnidentifiedImageError, EOFError) as exc:
        raise BadImage(f"{what}: cannot decode {fmt}: {exc}") from exc
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def encode_jpeg(image: RGBImage, quality: int = 90) -> bytes:
    """A fresh JPEG of ``image`` (for the portrait crop the agent is shown)."""
    buf = io.BytesIO()
    Image.fromarray(image, "RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()
