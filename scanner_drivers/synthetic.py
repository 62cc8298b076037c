"""Synthetic documents for demos and tests, and a driver that "scans" them.

``render_id_card`` draws a resident-ID-card-like card (85.6 × 54 mm, ISO ID-1)
with a portrait placeholder and fake fields (Chinese labels: this OpenCV 5
build draws CJK with its built-in font); ``render_form`` draws an A4 form with
ruled lines, boxes and text. Both are BGR ``uint8`` at the requested dpi.
``placed_page_frames`` films a page being put down on a dark desk, for the
UVC driver without a camera.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Literal, get_args

import cv2
import numpy as np
from numpy.typing import NDArray

from scanner_drivers.driver import convert_mode, make_page
from scanner_drivers.errors import NoDocuments
from scanner_drivers.model import (
    PAGE_SIZES_MM,
    CaptureOptions,
    DeviceInfo,
    DeviceState,
    DeviceStatus,
    Image,
    ScanPage,
)

__all__ = [
    "DOCUMENTS",
    "Document",
    "SyntheticDriver",
    "placed_page_frames",
    "render",
    "render_form",
    "render_id_card",
    "resting_corners",
]

Document = Literal["form", "id_card_front", "id_card_back"]
DOCUMENTS: tuple[str, ...] = get_args(Document)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_INK = (30, 30, 30)


def _px(mm: float, dpi: int) -> int:
    return max(1, round(mm / 25.4 * dpi))


def _text(img: Image, text: str, mm_xy: tuple[float, float], dpi: int, size_mm: float) -> None:
    """Put ``text`` with its baseline at ``mm_xy``; ``size_mm`` ≈ cap height."""
    scale = _px(size_mm, dpi) / 22.0  # Hershey simplex: ~22 px cap height at scale 1
    thickness = max(1, round(scale * 1.6))
    org = (_px(mm_xy[0], dpi), _px(mm_xy[1], dpi))
    cv2.putText(img, text, org, _FONT, scale, _INK, thickness, cv2.LINE_AA)


def render_id_card(dpi: int = 300, *, back: bool = False) -> Image:
    """An ID-card-like card, front (portrait, fields) or back (emblem, validity)."""
    w_mm, h_mm = PAGE_SIZES_MM["id_card"]
    img = np.full((_px(h_mm, dpi), _px(w_mm, dpi), 3), (235, 240, 245), np.uint8)
    # a faint guilloche-like background so the card is not flat
    for i in range(0, img.shape[1], max(2, _px(3, dpi))):
        cv2.line(img, (i, 0), (img.shape[1] - i, img.shape[0]), (220, 228, 236), 1)
    if back:
        cv2.circle(img, (_px(14, dpi), _px(14, dpi)), _px(9, dpi), (40, 40, 200), -1)
        _text(img, "中华人民共和国", (28, 14), dpi, 4.5)
        _text(img, "居民身份证", (34, 24), dpi, 5.0)
        _text(img, "签发机关  Issued by: XX County Police", (16, 42), dpi, 2.2)
        _text(img, "有效期限  Valid: 2020.01.01-2040.01.01", (16, 48), dpi, 2.2)
        return img
    x0, y0, x1, y1 = _px(58, dpi), _px(8, dpi), _px(80, dpi), _px(36, dpi)
    cv2.rectangle(img, (x0, y0), (x1, y1), (200, 205, 210), -1)  # portrait placeholder
    cx, cy = (x0 + x1) // 2, y0 + (y1 - y0) * 2 // 5
    cv2.circle(img, (cx, cy), (x1 - x0) // 4, (150, 155, 160), -1)
    cv2.ellipse(
        img, (cx, y1), ((x1 - x0) // 2 - 2, (y1 - y0) // 3), 0, 180, 360, (150, 155, 160), -1
    )
    fields = (
        ("姓名 Name", "ZHANG SAN", 9),
        ("性别 Sex", "M    民族 Han", 16),
        ("出生 Born", "1980.01.02", 23),
        ("住址 Addr", "1 Village Rd", 30),
    )
    for label, value, y in fields:
        _text(img, label, (5, y), dpi, 2.2)
        _text(img, value, (23, y), dpi, 2.6)
    _text(img, "公民身份号码", (5, 47), dpi, 2.4)
    _text(img, "110101198001020016", (30, 47), dpi, 3.2)
    return img


def render_form(dpi: int = 150, *, title: str = "Application Form 申请表") -> Image:
    """An A4 form: title, labelled ruled lines, a table, a signature box."""
    w_mm, h_mm = PAGE_SIZES_MM["a4"]
    img = np.full((_px(h_mm, dpi), _px(w_mm, dpi), 3), 255, np.uint8)
    _text(img, title, (20, 28), dpi, 7)
    line = max(1, _px(0.3, dpi))
    for i, label in enumerate(("Name 姓名", "ID No. 身份证号", "Address 住址", "Phone 电话")):
        y = 50 + i * 14
        _text(img, label, (20, y), dpi, 3.5)
        cv2.line(img, (_px(65, dpi), _px(y + 1, dpi)), (_px(190, dpi), _px(y + 1, dpi)), _INK, line)
    top, rows, cols = 115.0, 8, 4
    for r in range(rows + 1):
        y = _px(top + r * 12, dpi)
        cv2.line(img, (_px(20, dpi), y), (_px(190, dpi), y), _INK, line)
    for c in range(cols + 1):
        x = _px(20 + c * 42.5, dpi)
        cv2.line(img, (x, _px(top, dpi)), (x, _px(top + rows * 12, dpi)), _INK, line)
    for c, head in enumerate(("Item", "Date", "Office", "Note")):
        _text(img, head, (23 + c * 42.5, top + 8), dpi, 3.5)
    _text(img, "Signature 签名", (20, 250), dpi, 3.5)
    cv2.rectangle(img, (_px(65, dpi), _px(235, dpi)), (_px(190, dpi), _px(265, dpi)), _INK, line)
    return img


def render(document: Document, dpi: int) -> Image:
    if document == "form":
        return render_form(dpi)
    return render_id_card(dpi, back=document == "id_card_back")


def placed_page_frames(
    page: Image,
    *,
    size: tuple[int, int] = (640, 480),
    moving: int = 12,
    blurred: int = 8,
    still: int = 20,
    seed: int = 0,
) -> Iterator[Image]:
    """Frames of ``page`` sliding in, settling out of focus, then still and sharp.

    The resting page is rotated ~5° and perspective-skewed; its corners in the
    frame are :func:`resting_corners`. Sensor noise is added to every frame.
    """
    rng = np.random.default_rng(seed)
    rest = resting_corners(page, size)
    for i in range(moving + blurred + still):
        shift = max(0.0, (moving - i) / moving) ** 2 * size[0] * 0.9 if i < moving else 0.0
        quad = rest + np.array([shift, -shift * 0.2], np.float32)
        frame = _desk(size)
        src = np.array(
            [
                [0, 0],
                [page.shape[1] - 1, 0],
                [page.shape[1] - 1, page.shape[0] - 1],
                [0, page.shape[0] - 1],
            ],
            np.float32,
        )
        matrix = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
        cv2.warpPerspective(page, matrix, size, dst=frame, borderMode=cv2.BORDER_TRANSPARENT)
        if i < moving:  # motion blur along the slide
            frame = np.asarray(cv2.blur(frame, (9, 1)), np.uint8)
        elif i < moving + blurred:  # focus hunting
            frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), 3.0), np.uint8)
        noise = rng.normal(0, 1.5, frame.shape)
        yield np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def resting_corners(page: Image, size: tuple[int, int] = (640, 480)) -> NDArray[np.float32]:
    """Where :func:`placed_page_frames` puts the page's TL, TR, BR, BL at rest."""
    h = size[1] * 0.8
    w = h * page.shape[1] / page.shape[0]
    angle = math.radians(5)
    c, s = math.cos(angle), math.sin(angle)
    cx, cy = size[0] / 2, size[1] / 2
    pts = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        pts.append((cx + dx * c - dy * s, cy + dx * s + dy * c))
    quad = np.array(pts, np.float32)
    quad[0] += (6, 4)  # the far edge looks a little shorter: perspective
    quad[1] += (-6, 4)
    return quad


def _desk(size: tuple[int, int]) -> Image:
    desk = np.full((size[1], size[0], 3), (42, 46, 52), np.uint8)
    for y in range(0, size[1], 24):  # wood-grain-ish stripes, low contrast
        cv2.line(desk, (0, y), (size[0], y + 6), (48, 52, 58), 2)
    return desk


class SyntheticDriver:
    """A driver that renders ``document`` on every capture (the feeder holds ``sheets``)."""

    driver_name = "synthetic"

    def __init__(self, document: Document = "form", *, sheets: int = 3) -> None:
        if document not in DOCUMENTS:
            raise ValueError(f"unknown synthetic document {document!r}; one of {DOCUMENTS}")
        self._document = document
        self._sheets = sheets
        self._fed = 0

    async def list_devices(self) -> list[DeviceInfo]:
        return [DeviceInfo("synthetic", d, "Xiaowu", "renderer", "virtual") for d in DOCUMENTS]

    async def status(self) -> DeviceStatus:
        return DeviceStatus(self._document, DeviceState.READY)

    def _page(self, options: CaptureOptions, index: int) -> ScanPage:
        image = convert_mode(render(self._document, options.dpi), options.mode)
        return make_page(
            image,
            driver=self.driver_name,
            device=self._document,
            dpi=options.dpi,
            mode=options.mode,
            source=options.source,
            page_index=index,
        )

    async def capture(self, options: CaptureOptions | None = None) -> ScanPage:
        options = options or CaptureOptions()
        if options.source == "feeder":
            if self._fed >= self._sheets:
                raise NoDocuments("synthetic feeder is empty", device=self._document)
            self._fed += 1
        return await asyncio.to_thread(self._page, options, 0)  # rendering takes ~25 ms

    async def capture_pages(self, options: CaptureOptions | None = None) -> list[ScanPage]:
        options = options or CaptureOptions()
        if options.source == "flatbed":
            return [await asyncio.to_thread(self._page, options, 0)]
        left = self._sheets - self._fed
        if left <= 0:
            raise NoDocuments("synthetic feeder is empty", device=self._document)
        n = min(left, options.max_pages or left)
        self._fed += n
        return await asyncio.to_thread(lambda: [self._page(options, i) for i in range(n)])

    async def close(self) -> None:
        pass
