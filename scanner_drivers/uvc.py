"""A UVC document camera (高拍仪) through OpenCV, with page detection and auto-capture.

The camera is opened at its highest resolution: MJPEG is requested (raw YUYV
at 5-13 MP is too slow over USB 2) and the sizes in :data:`COMMON_SIZES` are
tried from largest down, keeping the first the device reports back.
``capture`` reads frames until :class:`~scanner_drivers.autocapture.AutoCapture`
sees a page that is still and sharp, then returns it flattened.

The frame source is injectable: ``frames`` may be any iterable of frames or a
callable returning the next frame (``None`` when the stream ends); the tests
feed :func:`scanner_drivers.synthetic.placed_page_frames`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from scanner_drivers.autocapture import AutoCapture, AutoCaptureSettings
from scanner_drivers.driver import convert_mode, make_page
from scanner_drivers.errors import NoDevice, ScanFailed, ScanTimeout
from scanner_drivers.model import (
    PAGE_SIZES_MM,
    CaptureOptions,
    DeviceInfo,
    DeviceState,
    DeviceStatus,
    Image,
    ScanPage,
)

__all__ = ["COMMON_SIZES", "FrameSource", "UvcDriver", "open_camera"]

COMMON_SIZES: tuple[tuple[int, int], ...] = (
    (4208, 3120), (3264, 2448), (2592, 1944), (2048, 1536), (1920, 1080),
    (1600, 1200), (1280, 960), (1280, 720), (1024, 768), (800, 600), (640, 480),
)  # fmt: skip
"""Sizes document cameras commonly offer (13, 8, 5, 3 MP, ... VGA), largest first."""

FrameSource = Iterable[Image] | Callable[[], Image | None]


def open_camera(device: int | str) -> tuple[cv2.VideoCapture, tuple[int, int]]:
    """Open a V4L2 camera at its largest supported size; raise ``NoDevice`` if absent."""
    cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
    if not cap.isOpened():
        raise NoDevice(f"cannot open camera {device!r}", device=str(device))
    cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
    best = (0, 0)
    for w, h in COMMON_SIZES:
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
        got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if got == (w, h):  # the device accepted this mode; sizes run largest first
            best = got
            break
        best = max(best, got, key=lambda s: s[0] * s[1])
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, best[0])
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, best[1])
    return cap, best


class UvcDriver:
    """A document camera at ``device`` (V4L2 index or path), or an injected ``frames`` source.

    The camera is opened lazily on the first capture and released by ``close``.
    """

    driver_name = "uvc"

    def __init__(
        self,
        device: int | str = 0,
        *,
        frames: FrameSource | None = None,
        settings: AutoCaptureSettings | None = None,
    ) -> None:
        self._device = device
        self._settings = settings or AutoCaptureSettings()
        self._cap: cv2.VideoCapture | None = None
        self._injected = frames is not None
        self._next: Callable[[], Image | None] | None = None
        if frames is not None:
            self._next = frames if callable(frames) else _from_iterator(iter(frames))
        self.size: tuple[int, int] | None = None
        """The camera's frame size once opened (width, height)."""

    @property
    def device_name(self) -> str:
        return "injected" if self._injected else str(self._device)

    async def _reader(self) -> Callable[[], Image | None]:
        if self._next is None:
            cap, self.size = await asyncio.to_thread(open_camera, self._device)
            self._cap = cap

            def read() -> Image | None:
                ok, frame = cap.read()
                return np.asarray(frame, np.uint8) if ok else None

            self._next = read
        return self._next

    async def list_devices(self) -> list[DeviceInfo]:
        """The V4L2 capture nodes present (``/dev/video*``); no camera is opened."""
        nodes = sorted(Path("/dev").glob("video*"))
        return [DeviceInfo("uvc", n.name.removeprefix("video"), kind="v4l2") for n in nodes]

    async def status(self) -> DeviceStatus:
        try:
            await self._reader()
        except NoDevice as exc:
            return DeviceStatus(self.device_name, DeviceState.OFFLINE, str(exc))
        return DeviceStatus(self.device_name, DeviceState.READY)

    async def capture(self, options: CaptureOptions | None = None) -> ScanPage:
        """Wait for a still, sharp page and return it flattened.

        Raises ``ScanTimeout`` after ``options.timeout_s`` and ``ScanFailed`` if
        the frame source ends first. With ``page_size`` set the page is resized
        to that paper at ``options.dpi``; otherwise it keeps the camera's pixels.
        """
        options = options or CaptureOptions()
        if options.source != "flatbed":
            raise ValueError("a document camera has no feeder")
        read = await self._reader()
        auto = AutoCapture(self._settings)
        deadline = time.monotonic() + options.timeout_s

        def step() -> Image | None:
            frame = read()
            if frame is None:
                raise ScanFailed("camera stream ended", device=self.device_name)
            return auto.feed(frame).page

        while time.monotonic() < deadline:
            # reading and analysing a multi-megapixel frame takes 10-100 ms: off the loop
            page = await asyncio.to_thread(step)
            if page is not None:
                return await asyncio.to_thread(self._finish, page, options)
        raise ScanTimeout(
            f"no still, sharp page in {options.timeout_s:g} s", device=self.device_name
        )

    def _finish(self, page: Image, options: CaptureOptions) -> ScanPage:
        if options.page_size is not None:
            w_mm, h_mm = PAGE_SIZES_MM[options.page_size]
            if (page.shape[0] > page.shape[1]) != (h_mm > w_mm):
                w_mm, h_mm = h_mm, w_mm
            size = (round(w_mm / 25.4 * options.dpi), round(h_mm / 25.4 * options.dpi))
            page = np.asarray(cv2.resize(page, size, interpolation=cv2.INTER_CUBIC), np.uint8)
        return make_page(
            convert_mode(page, options.mode),
            driver=self.driver_name,
            device=self.device_name,
            dpi=options.dpi,
            mode=options.mode,
            source="flatbed",
        )

    async def capture_pages(self, options: CaptureOptions | None = None) -> list[ScanPage]:
        return [await self.capture(options)]

    async def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        if not self._injected:
            self._next = None


def _from_iterator(frames: Iterator[Image]) -> Callable[[], Image | None]:
    return lambda: next(frames, None)
