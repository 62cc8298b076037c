"""Uploaded images: sniff, fully decode, refuse what is not a real image, re-encode.

Pure CPU work on bytes (no I/O); the hub runs it in a worker thread. Only JPEG,
PNG and TIFF are accepted, recognised by their magic bytes *and* by a full
decode: a renamed text file, a truncated or corrupt JPEG and a
decompression bomb (dimensions read from the header before any pixel is
decoded) are refused with :class:`ImageRejected`. What is stored is always a
fresh encoding (JPEG stays JPEG, PNG and TIFF become PNG): metadata such as
EXIF GPS positions is dropped, the EXIF orientation applied, and a reader never
gets the uploader's original bytes (which could carry a polyglot payload).

Exception tree::

    ImageRejected   -- not a supported, whole, reasonably sized image (.code, .message)
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final, Literal

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "ImageRejected",
    "CleanImage",
    "MAX_PIXELS",
    "sniff",
    "clean_image",
    "thumbnail",
]

MAX_PIXELS: Final = 50_000_000  # a 50-megapixel page is far beyond any document camera
_MAGIC: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_JPEG_QUALITY: Final = 92
_THUMB_PX: Final = 320

ContentType = Literal["image/jpeg", "image/png"]

# Pillow's own bomb guard warns (then errors) near 89 MP; ours is lower and
# checked first, so its warning is never the thing that decides.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 2


class ImageRejected(Exception):
    """The upload is not an image the hub keeps; ``code`` is ``bad_message`` or ``too_large``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: ContentType
    width: int
    height: int
    source_format: str


def sniff(data: bytes) -> str | None:
    """The format named by the magic bytes (``JPEG``, ``PNG``, ``TIFF``) or ``None``."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None


def _open_whole(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    fmt = sniff(data)
    if fmt is None:
        raise ImageRejected("bad_message", "not a JPEG, PNG or TIFF image")
    try:
        with warnings.catch_warnings():
            # Pillow warns about quirky metadata (corrupt EXIF, odd TIFF tags): the
            # full decode below decides; only a bomb warning is an error here.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.format != fmt:
                raise ImageRejected("bad_message", f"content says {fmt} but decodes as "
                                                   f"{img.format}")
            width, height = img.size
            if width < 1 or height < 1:
                raise ImageRejected("bad_message", "image has no pixels")
            if width * height > max_pixels:
                raise ImageRejected("bad_message", f"image is {width}×{height} "
                                                   f"({width * height / 1e6:.0f} MP), over the "
                                                   f"{max_pixels / 1e6:.0f} MP limit")
            if getattr(img, "n_frames", 1) > 1:
                raise ImageRejected("bad_message", "multi-frame images are not accepted")
            img.load()  # decodes every pixel: truncated or corrupt data fails here
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("bad_message", f"decompression bomb: over the "
                                           f"{max_pixels / 1e6:.0f} MP limit ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("bad_message", f"corrupt or truncated {fmt}: "
                                           f"{str(exc)[:200]}") from exc
    return img, fmt


def clean_image(data: bytes, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """Decode ``data`` completely and re-encode it; :class:`ImageRejected` if it is not
    a whole JPEG, PNG or TIFF of at most ``max_pixels`` pixels."""
    img, fmt = _open_whole(data, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = ImageOps.exif_transpose(img) or img
    except (OSError, ValueError, SyntaxError) as exc:  # a broken EXIF block
        raise ImageRejected("bad_message", f"corrupt image metadata: {exc}") from exc
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=False)
        ctype: ContentType = "image/jpeg"
    else:
        if img.mode not in ("1", "L", "LA", "RGB", "RGBA", "P"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        img.save(out, "PNG", compress_level=3)
        ctype = "image/png"
    return CleanImage(out.getvalue(), ctype, img.width, img.height, fmt)


def thumbnail(data: bytes, size: int = _THUMB_PX) -> bytes:
    """A JPEG no larger than ``size`` px on its long side, of an image :func:`clean_image`
    produced (so it is trusted)."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much faster
        small = img.convert("RGB")
        small.thumbnail((size, size))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80)
        return out.getvalue()
