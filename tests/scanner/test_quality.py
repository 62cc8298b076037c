"""Quality checks: blur, darkness, glare, page outline."""

from __future__ import annotations

import cv2
import numpy as np

from scanner_drivers.quality import QualityIssue, check_quality
from scanner_drivers.synthetic import placed_page_frames, render_form


def test_a_clean_scan_passes() -> None:
    report = check_quality(render_form(100))
    assert report.ok, report
    assert report.page_found is None  # not asked


def test_blur() -> None:
    blurred = np.asarray(cv2.GaussianBlur(render_form(100), (0, 0), 4), np.uint8)
    assert check_quality(blurred).failed == (QualityIssue.BLURRY,)


def test_too_dark() -> None:
    dark = (render_form(100) * 0.15).astype(np.uint8)
    assert QualityIssue.TOO_DARK in check_quality(dark).failed


def camera_frames() -> list[np.ndarray]:
    return list(placed_page_frames(render_form(60), moving=2, blurred=0, still=1))


def test_glare_on_a_camera_photo() -> None:
    # a camera's auto-exposure keeps paper below saturation: dim the rendered frame so
    photo = (camera_frames()[-1] * 0.85).astype(np.uint8)
    assert check_quality(photo, camera=True).ok
    cv2.circle(photo, (320, 240), 90, (255, 255, 255), -1)  # 8 % of the frame
    assert check_quality(photo, camera=True).failed == (QualityIssue.GLARE,)
    # a flatbed scan's white paper is saturated by nature: not judged as glare
    assert check_quality(render_form(100)).glare_fraction > 0.5


def test_page_outline() -> None:
    frames = camera_frames()
    on_desk = check_quality(frames[-1], camera=True)
    assert on_desk.page_found is True and QualityIssue.NO_PAGE not in on_desk.failed
    empty = check_quality(frames[0], camera=True)
    assert empty.page_found is False and QualityIssue.NO_PAGE in empty.failed
