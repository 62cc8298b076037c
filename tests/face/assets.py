"""Real face photos for the tests and the benchmark, and pictures built from them.

The photos are the test images that face_recognition 1.3.0 ships in its *source*
distribution (``tests/test_images/``: obama.jpg, obama2.jpg, obama3.jpg, biden.jpg,
...). :func:`face_images` fetches that sdist from the package index with pip (the
only network this touches) into ``~/.cache/xiaowu/sdist`` and extracts the images
to ``~/.cache/xiaowu/face-images``; nothing goes into the repository. It is
idempotent and returns ``None`` (with the reason in :data:`last_error`) when the
download fails.

From a photo: :func:`live_frame` makes a 640 × 480 webcam-like JPEG with the face at
a chosen size, :func:`id_card` pastes the face on a synthetic ID card front
(``scanner_drivers.synthetic``) with a printed-and-scanned look, :func:`chip_photo`
makes a 102 × 126 chip photo.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from cloud_seat.face_check.decode import decode_image
from cloud_seat.face_check.model import Box, default_model
from scanner_drivers.synthetic import render_id_card

SDIST = "face-recognition==1.3.0"
CACHE = Path(os.environ.get("XIAOWU_CACHE", Path.home() / ".cache" / "xiaowu"))
IMAGES = ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "obama_partial_face.jpg")
last_error: str | None = None

BGR = NDArray[np.uint8]


def face_images() -> Path | None:
    """The directory holding the sdist's test images, fetched on first use."""
    global last_error
    target = CACHE / "face-images"
    if all((target / name).is_file() for name in IMAGES):
        return target
    sdist_dir = CACHE / "sdist"
    sdist_dir.mkdir(parents=True, exist_ok=True)
    tarballs = sorted(sdist_dir.glob("face_recognition-1.3.0.tar.gz"))
    if not tarballs:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--no-binary", ":all:", "--no-build-isolation", "--timeout", "30",
               SDIST, "-d", str(sdist_dir)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            last_error = f"pip download {SDIST}: {exc}"
            return None
        tarballs = sorted(sdist_dir.glob("face_recognition-1.3.0.tar.gz"))
        if done.returncode != 0 or not tarballs:
            last_error = f"pip download {SDIST} failed: {done.stderr.strip()[-300:]}"
            return None
    target.mkdir(parents=True, exist_ok=True)
    unpack = Path(tempfile.mkdtemp(dir=CACHE, prefix="face-images."))
    try:
        with tarfile.open(tarballs[0]) as tar:
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if member.isfile() and parts[-3:-1] == ("tests", "test_images"):
                    member.name = parts[-1]
                    tar.extract(member, unpack, filter="data")
        for file in unpack.iterdir():
            file.replace(target / file.name)  # atomic per file: a reader sees whole files
    finally:
        shutil.rmtree(unpack, ignore_errors=True)
    return target if all((target / name).is_file() for name in IMAGES) else None


@functools.cache
def photo(name: str) -> NDArray[np.uint8]:
    """A photo as RGB (decoded by the library's own decoder)."""
    folder = face_images()
    assert folder is not None, last_error
    return decode_image((folder / name).read_bytes(), what=name)


@functools.cache
def face_box(name: str) -> Box:
    """The largest face of a photo, found on a copy scaled to 800 px."""
    image = photo(name)
    scale = 800 / max(image.shape[:2])
    small = np.ascontiguousarray(cv2.resize(image, None, fx=scale, fy=scale,
                                            interpolation=cv2.INTER_AREA), dtype=np.uint8)
    boxes = default_model().locate(small, upsample=1)
    assert boxes, f"no face in {name}"
    return boxes[0].scaled(1 / scale)


def _jpeg(bgr: BGR, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def _window(name: str, face_px: float, size: tuple[int, int],
            center: tuple[float, float] = (0.5, 0.42)) -> BGR:
    """``size`` = (w, h) of the photo scaled so the face box is ``face_px`` high, the face
    centre at ``center`` (fractions of the window); gray where the photo ends."""
    image, box = photo(name), face_box(name)
    f = face_px / box.height
    w, h = size
    fx, fy = (box.left + box.right) / 2 * f, (box.top + box.bottom) / 2 * f
    matrix = np.array([[f, 0, w * center[0] - fx], [0, f, h * center[1] - fy]], np.float32)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
    out = cv2.warpAffine(image, matrix, size, flags=interp, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=(128, 128, 128))
    return np.asarray(cv2.cvtColor(out, cv2.COLOR_RGB2BGR), dtype=np.uint8)


def live_frame(name: str, *, face_px: float = 200, size: tuple[int, int] = (640, 480),
               blur: float = 0.0, seed: int = 0, quality: int = 85,
               center: tuple[float, float] = (0.5, 0.42)) -> bytes:
    """A webcam-like JPEG of the photo's face; ``blur`` is a Gaussian sigma in pixels."""
    frame = _window(name, face_px, size, center)
    if blur > 0:
        frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), blur), dtype=np.uint8)
    noise = np.random.default_rng(seed).normal(0, 2.0, frame.shape)
    return _jpeg(np.clip(frame + noise, 0, 255).astype(np.uint8), quality)


def side_by_side(left: str, right: str) -> bytes:
    """Two people in one 1280 × 480 frame (each face 200 px high)."""
    frame = np.hstack([_window(left, 200, (640, 480)), _window(right, 200, (640, 480))])
    return _jpeg(frame)


def _mm(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def id_card(name: str, *, dpi: int = 300, angle: float = 2.0, blur: float = 0.8,
            noise: float = 3.0, quality: int = 70, seed: int = 1, flip: bool = False) -> bytes:
    """The photo's face printed on a synthetic ID card front, then "scanned": slight blur,
    noise, a small rotation and perspective, JPEG. ``flip`` scans it upside down."""
    card = render_id_card(dpi)
    x0, y0, x1, y1 = _mm(58, dpi), _mm(8, dpi), _mm(80, dpi), _mm(36, dpi)
    w, h = x1 - x0, y1 - y0
    portrait = _window(name, face_px=0.55 * h, size=(w, h), center=(0.5, 0.45))
    card[y0:y1, x0:x1] = portrait
    ch, cw = card.shape[:2]
    pad = _mm(6, dpi)
    page = cv2.copyMakeBorder(card, pad, pad, pad, pad, cv2.BORDER_CONSTANT,
                              value=(250, 250, 250))
    ph, pw = page.shape[:2]
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    src = np.array([[pad, pad], [pad + cw, pad], [pad + cw, pad + ch], [pad, pad + ch]],
                   np.float32)
    dst = np.array([[pw / 2 + (x - pw / 2) * c - (y - ph / 2) * s,
                     ph / 2 + (x - pw / 2) * s + (y - ph / 2) * c] for x, y in src], np.float32)
    dst[0] += (0.004 * pw, 0.006 * ph)  # far edge a little shorter: perspective
    dst[1] += (-0.004 * pw, 0.006 * ph)
    matrix = cv2.getPerspectiveTransform(src, dst)
    page = cv2.warpPerspective(page, matrix, (pw, ph), borderMode=cv2.BORDER_CONSTANT,
                               borderValue=(250, 250, 250))
    blurred = cv2.GaussianBlur(page, (0, 0), blur)
    rng = np.random.default_rng(seed)
    scan = np.clip(blurred + rng.normal(0, noise, page.shape), 0, 255).astype(np.uint8)
    if flip:
        scan = np.ascontiguousarray(scan[::-1, ::-1])
    return _jpeg(scan, quality)


def id_card_face_region(dpi: int = 300) -> tuple[int, int, int, int]:
    """Where :func:`id_card` (unflipped) puts the portrait, roughly (left, top, right, bottom)."""
    pad = _mm(6, dpi)
    return (_mm(58, dpi) + pad, _mm(8, dpi) + pad, _mm(80, dpi) + pad, _mm(36, dpi) + pad)


def chip_photo(name: str) -> bytes:
    """A 102 × 126 chip-like photo (the face ~60 % of the height)."""
    return _jpeg(_window(name, face_px=0.55 * 126, size=(102, 126), center=(0.5, 0.45)), 90)
