"""The one async interface every driver implements, and helpers they share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from scanner_drivers.model import (
    CaptureOptions,
    ColorMode,
    DeviceInfo,
    DeviceStatus,
    Image,
    ScanMeta,
    ScanPage,
    Source,
)

__all__ = ["ScannerDriver", "convert_mode", "make_page"]


@runtime_checkable
class ScannerDriver(Protocol):
    """A scanner, camera, folder or renderer that yields pages.

    Contract:
    - ``capture`` returns exactly one page or raises a :class:`ScannerError`;
      with ``source="feeder"`` it takes one sheet.
    - ``capture_pages`` returns every page of one run: for a feeder, until it is
      empty or ``max_pages`` is reached (an empty feeder at the start raises
      ``NoDocuments``); for a flatbed, one page.
    - After ``close`` the driver must not be used again; ``close`` is idempotent.
    """

    @property
    def driver_name(self) -> str: ...

    async def list_devices(self) -> list[DeviceInfo]: ...

    async def status(self) -> DeviceStatus: ...

    async def capture(self, options: CaptureOptions | None = None) -> ScanPage: ...

    async def capture_pages(self, options: CaptureOptions | None = None) -> list[ScanPage]: ...

    async def close(self) -> None: ...


def convert_mode(image: Image, mode: ColorMode) -> Image:
    """Return ``image`` (gray or BGR) converted to ``mode``; lineart is Otsu 0/255."""
    if mode == "color":
        out = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    else:
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if mode == "gray":
            out = gray
        else:
            _, out = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return np.ascontiguousarray(out, dtype=np.uint8)


def make_page(
    image: Image,
    *,
    driver: str,
    device: str,
    dpi: int,
    mode: ColorMode,
    source: Source,
    page_index: int = 0,
) -> ScanPage:
    """Wrap ``image`` with metadata stamped now (UTC)."""
    h, w = image.shape[:2]
    meta = ScanMeta(
        driver=driver,
        device=device,
        dpi=dpi,
        mode=mode,
        source=source,
        page_index=page_index,
        captured_at=datetime.now(UTC),
        width=w,
        height=h,
    )
    return ScanPage(image=image, meta=meta)
