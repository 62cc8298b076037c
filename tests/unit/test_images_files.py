"""Upload image checks (signaling.images) and the content-addressed file store."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from signaling.files import BlobMissing, FileStore
from signaling.images import ImageRejected, clean_image, sniff, thumbnail


def _img(fmt: str, size: tuple[int, int] = (64, 48), **kw: object) -> bytes:
    arr = np.zeros((size[1], size[0], 3), np.uint8)
    arr[:, : size[0] // 2] = (200, 30, 30)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, fmt, **kw)
    return out.getvalue()


def test_sniff() -> None:
    assert sniff(_img("JPEG")) == "JPEG"
    assert sniff(_img("PNG")) == "PNG"
    assert sniff(_img("TIFF")) == "TIFF"
    assert sniff(b"GIF89a....") is None
    assert sniff(b"") is None


def test_jpeg_stays_jpeg_png_and_tiff_become_png() -> None:
    for fmt, ctype in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("TIFF", "image/png")):
        clean = clean_image(_img(fmt))
        assert clean.content_type == ctype and (clean.width, clean.height) == (64, 48)
        assert clean.source_format == fmt
        Image.open(io.BytesIO(clean.data)).load()


def test_exif_orientation_applied_and_metadata_dropped() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"  # Make
    data = _img("JPEG", (80, 40), exif=exif.tobytes())
    clean = clean_image(data)
    assert (clean.width, clean.height) == (40, 80)
    out = Image.open(io.BytesIO(clean.data))
    assert b"SecretCam" not in clean.data and not out.getexif()


@pytest.mark.parametrize("data", [
    b"", b"hello", b"\xff\xd8\xff" + b"\x00" * 50, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    b"II*\x00garbage",
])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected) as info:
        clean_image(data)
    assert info.value.code == "bad_message" and info.value.message


def test_truncated_and_mislabelled() -> None:
    jpeg = _img("JPEG", (300, 200), quality=95)
    with pytest.raises(ImageRejected, match="truncated"):
        clean_image(jpeg[: len(jpeg) - 400])
    png = _img("PNG", (300, 200))
    with pytest.raises(ImageRejected):
        clean_image(png[: len(png) // 2])


def test_pixel_limit_checked_before_decoding() -> None:
    data = _img("PNG", (400, 300))
    with pytest.raises(ImageRejected, match="MP limit"):
        clean_image(data, max_pixels=100_000)
    assert clean_image(data, max_pixels=120_000).width == 400


def test_multiframe_refused() -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageRejected, match="multi-frame"):
        clean_image(out.getvalue())


def test_thumbnail_is_small_jpeg() -> None:
    clean = clean_image(_img("PNG", (1600, 1200)))
    thumb = Image.open(io.BytesIO(thumbnail(clean.data)))
    assert thumb.format == "JPEG" and max(thumb.size) <= 320


def test_file_store_roundtrip_permissions_dedup_delete(tmp_path: Path) -> None:
    fs = FileStore(tmp_path / "files")
    sha = fs.put(b"abc")
    assert sha == hashlib.sha256(b"abc").hexdigest()
    assert fs.put(b"abc") == sha and fs.count() == 1
    path = tmp_path / "files" / sha[:2] / sha[2:4] / sha
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert fs.get(sha) == b"abc" and fs.exists(sha)
    assert fs.delete(sha) and not fs.delete(sha)
    assert not path.parent.exists(), "empty fan-out dirs are removed"
    with pytest.raises(BlobMissing):
        fs.get(sha)
    with pytest.raises(ValueError):
        fs.get("../../etc/passwd")


def test_file_store_sweeps_stale_temp_files(tmp_path: Path) -> None:
    fs = FileStore(tmp_path / "files")
    sha = fs.put(b"x")
    tmp = tmp_path / "files" / sha[:2] / sha[2:4] / f".{sha}.1.2.tmp"
    tmp.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(tmp, (old, old))
    assert fs.sweep_temp(3600) == 1 and not tmp.exists() and fs.exists(sha)
