"""Image quality checks run before a page is accepted (pure functions).

``check_quality`` measures blur (variance of the Laplacian), darkness (mean
brightness) and glare (fraction of saturated pixels), and looks for a page
outline; the result lists every check that failed. Glare and the outline are
judged only for camera photos (``camera=True``): on a flatbed scan white paper
is legitimately saturated and fills the whole image.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import cv2
import numpy as np

from scanner_drivers.model import Image
from scanner_drivers.pagedetect import find_page

__all__ = ["QualityIssue", "QualityReport", "QualityThresholds", "check_quality", "sharpness"]


class QualityIssue(enum.Enum):
    BLURRY = "blurry"
    TOO_DARK = "too_dark"
    GLARE = "glare"
    NO_PAGE = "no_page"


@dataclass(frozen=True)
class QualityThresholds:
    """Limits; measured on the image scaled to ``analysis_width`` pixels wide."""

    min_sharpness: float = 100.0
    min_brightness: float = 60.0
    max_glare_fraction: float = 0.05
    glare_level: int = 250
    analysis_width: int = 800


@dataclass(frozen=True)
class QualityReport:
    sharpness: float
    brightness: float
    glare_fraction: float
    page_found: bool | None  # None: not checked (not a camera photo)
    failed: tuple[QualityIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.failed


def _gray(image: Image, width: int) -> Image:
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if gray.shape[1] > width:
        height = max(1, round(gray.shape[0] * width / gray.shape[1]))
        gray = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    return np.asarray(gray, dtype=np.uint8)


def sharpness(gray: Image) -> float:
    """Variance of the Laplacian: high for crisp edges, low for blur."""
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def check_quality(
    image: Image, thresholds: QualityThresholds | None = None, *, camera: bool = False
) -> QualityReport:
    """Measure ``image``; ``camera=True`` adds the glare and page-outline checks."""
    t = thresholds or QualityThresholds()
    gray = _gray(image, t.analysis_width)
    sharp = sharpness(gray)
    brightness = float(gray.mean())
    glare = float(np.count_nonzero(gray >= t.glare_level)) / gray.size
    failed: list[QualityIssue] = []
    if sharp < t.min_sharpness:
        failed.append(QualityIssue.BLURRY)
    if brightness < t.min_brightness:
        failed.append(QualityIssue.TOO_DARK)
    page_found: bool | None = None
    if camera:
        if glare > t.max_glare_fraction:
            failed.append(QualityIssue.GLARE)
        page_found = find_page(gray) is not None
        if not page_found:
            failed.append(QualityIssue.NO_PAGE)
    return QualityReport(sharp, brightness, glare, page_found, tuple(failed))
