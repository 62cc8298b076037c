"""Value objects shared by every driver: capture options, scanned pages, devices.

All are frozen dataclasses checked in ``__post_init__``; an invalid value is a
programming error and raises ``ValueError``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PAGE_SIZES_MM",
    "CaptureOptions",
    "ColorMode",
    "DeviceInfo",
    "DeviceState",
    "DeviceStatus",
    "Image",
    "PageSize",
    "ScanMeta",
    "ScanPage",
    "Source",
]

Image = NDArray[np.uint8]
"""An image: ``(h, w, 3)`` BGR or ``(h, w)`` gray, ``uint8``. Lineart is gray 0/255."""

ColorMode = Literal["color", "gray", "lineart"]
Source = Literal["flatbed", "feeder"]
PageSize = Literal["a4", "a5", "letter", "id_card"]

PAGE_SIZES_MM: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "a4": (210.0, 297.0),
        "a5": (148.0, 210.0),
        "letter": (215.9, 279.4),
        "id_card": (85.6, 54.0),  # ISO/IEC 7810 ID-1, the resident ID card
    }
)
"""Width × height in millimetres, in the orientation the page is usually read."""


@dataclass(frozen=True)
class CaptureOptions:
    """What to capture. Drivers honour what their hardware can and ignore the rest.

    ``max_pages`` bounds a feeder run (``None``: until the feeder is empty).
    ``backend_options`` are passed to the backend verbatim (SANE: ``--key=value``).
    """

    dpi: int = 200
    mode: ColorMode = "color"
    source: Source = "flatbed"
    page_size: PageSize | None = None
    max_pages: int | None = None
    timeout_s: float = 60.0
    backend_options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 10 <= self.dpi <= 4800:
            raise ValueError(f"dpi must be in 10..4800, got {self.dpi}")
        if self.mode not in get_args(ColorMode):
            raise ValueError(f"unknown colour mode {self.mode!r}")
        if self.source not in get_args(Source):
            raise ValueError(f"unknown source {self.source!r}")
        if self.page_size is not None and self.page_size not in PAGE_SIZES_MM:
            raise ValueError(f"unknown page size {self.page_size!r}")
        if self.max_pages is not None and self.max_pages < 1:
            raise ValueError("max_pages must be >= 1")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        for key in self.backend_options:
            if not key or key.startswith("-") or "=" in key:
                raise ValueError(f"bad backend option name {key!r}")


@dataclass(frozen=True)
class ScanMeta:
    """Where a page came from. ``dpi`` is nominal where the driver cannot measure it."""

    driver: str
    device: str
    dpi: int
    mode: ColorMode
    source: Source
    page_index: int
    captured_at: datetime
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.captured_at.tzinfo is None:
            raise ValueError("captured_at must be timezone-aware")
        if self.page_index < 0 or self.width <= 0 or self.height <= 0:
            raise ValueError("page_index, width and height must be positive")


@dataclass(frozen=True, eq=False)
class ScanPage:
    """One captured page: the pixels and their metadata (sizes must agree)."""

    image: Image
    meta: ScanMeta

    def __post_init__(self) -> None:
        if self.image.dtype != np.uint8 or self.image.ndim not in (2, 3):
            raise ValueError(f"image must be uint8 gray or BGR, got {self.image.dtype}")
        if self.image.ndim == 3 and self.image.shape[2] != 3:
            raise ValueError("a colour image must have 3 channels (BGR)")
        h, w = self.image.shape[:2]
        if (w, h) != (self.meta.width, self.meta.height):
            raise ValueError(f"meta says {self.meta.width}x{self.meta.height}, image is {w}x{h}")


@dataclass(frozen=True)
class DeviceInfo:
    """A device a driver can open: ``name`` is what goes after ``driver:`` in a spec."""

    driver: str
    name: str
    vendor: str = ""
    model: str = ""
    kind: str = ""


class DeviceState(enum.Enum):
    READY = "ready"
    BUSY = "busy"
    OFFLINE = "offline"


@dataclass(frozen=True)
class DeviceStatus:
    device: str
    state: DeviceState
    detail: str = ""
