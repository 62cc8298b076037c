"""Find a page in a photo and flatten it (pure functions, no device).

``find_page`` returns the page's four corners (largest convex 4-point contour
from Canny edges, ``approxPolyDP``); ``warp_page`` maps them onto an upright
rectangle whose aspect is the measured one, snapped to a known paper size
(:data:`~scanner_drivers.model.PAGE_SIZES_MM`) when within ``snap_tolerance``.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from scanner_drivers.model import PAGE_SIZES_MM, Image

__all__ = ["Quad", "find_page", "order_corners", "warp_page"]

Quad = NDArray[np.float32]
"""Four corners ``(4, 2)`` in image pixels, ordered TL, TR, BR, BL."""


def order_corners(points: NDArray[np.float32]) -> Quad:
    """Order four points top-left, top-right, bottom-right, bottom-left."""
    pts = points.reshape(4, 2).astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]],
        dtype=np.float32,
    )


def find_page(image: Image, *, min_area_fraction: float = 0.1) -> Quad | None:
    """The largest convex quadrilateral covering at least ``min_area_fraction``.

    Returns ``None`` when no such shape is found (also when the page fills the
    whole frame, as on a flatbed scan: there is no edge to see).
    """
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    edges = cv2.Canny(blurred, 50, 150)
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = min_area_fraction * gray.shape[0] * gray.shape[1]
    best: Quad | None = None
    best_area = min_area
    for contour in contours:
        hull = cv2.convexHull(contour)
        area = float(cv2.contourArea(hull))
        if area < best_area:
            continue
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            best, best_area = order_corners(approx.astype(np.float32)), area
    return best


def _snap(aspect: float, tolerance: float) -> float:
    """``aspect`` (h / w) replaced by the nearest paper's aspect if close enough."""
    for w_mm, h_mm in PAGE_SIZES_MM.values():
        for paper in (h_mm / w_mm, w_mm / h_mm):
            if abs(aspect - paper) / paper <= tolerance:
                return paper
    return aspect


def warp_page(
    image: Image, quad: Quad, *, width: int | None = None, snap_tolerance: float = 0.08
) -> Image:
    """The page inside ``quad`` as an upright rectangle.

    ``width`` sets the output width (default: the measured mean edge length);
    the height follows from the (snapped) aspect.
    """
    tl, tr, br, bl = quad
    w_meas = float(np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    h_meas = float(np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    aspect = _snap(h_meas / max(w_meas, 1.0), snap_tolerance)
    out_w = int(round(width if width is not None else w_meas))
    out_h = max(1, int(round(out_w * aspect)))
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    warped = cv2.warpPerspective(image, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC)
    return np.ascontiguousarray(warped, dtype=np.uint8)
