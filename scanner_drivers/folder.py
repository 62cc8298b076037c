"""Images dropped into a directory: demos, and kiosks fed by a vendor's scanner bridge.

``capture`` takes the oldest unread image (``.jpg``, ``.jpeg``, ``.png``,
``.tif``, ``.tiff``; oldest by modification time, then name). With
``move_done=True`` a read file is moved to ``done/`` (a corrupt one to
``failed/``), so the folder itself is the queue and survives restarts;
otherwise read files are remembered in memory for this driver's lifetime.
An empty folder raises ``NoDocuments``; an undecodable file ``ScanFailed``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import cv2
import numpy as np

from scanner_drivers.driver import convert_mode, make_page
from scanner_drivers.errors import NoDevice, NoDocuments, ScanFailed
from scanner_drivers.model import (
    CaptureOptions,
    DeviceInfo,
    DeviceState,
    DeviceStatus,
    Image,
    ScanPage,
)

__all__ = ["IMAGE_SUFFIXES", "FolderDriver"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff"})


def _read(path: Path) -> Image | None:
    # np.fromfile + imdecode: cv2.imread cannot open non-ASCII paths on every platform
    data = np.fromfile(path, np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return None if image is None else np.asarray(image, np.uint8)


class FolderDriver:
    """Pages from the image files in ``path`` (which must exist)."""

    driver_name = "folder"

    def __init__(self, path: str | os.PathLike[str], *, move_done: bool = True) -> None:
        self.path = Path(path)
        self.move_done = move_done
        self._read: set[str] = set()

    def _pending(self) -> list[Path]:
        if not self.path.is_dir():
            raise NoDevice(f"no such folder: {self.path}", device=str(self.path))
        files = [
            p
            for p in self.path.iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and p.name not in self._read
        ]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def _settle(self, path: Path, ok: bool) -> None:
        if self.move_done:
            target = self.path / ("done" if ok else "failed")
            target.mkdir(exist_ok=True)
            path.replace(target / path.name)
        else:
            self._read.add(path.name)

    def _take(self, options: CaptureOptions, index: int) -> ScanPage:
        pending = self._pending()
        if not pending:
            raise NoDocuments(f"no images in {self.path}", device=str(self.path))
        path = pending[0]
        try:
            image = _read(path)
        except OSError as exc:
            raise ScanFailed(f"cannot read {path.name}: {exc}", device=str(self.path)) from exc
        self._settle(path, image is not None)
        if image is None:
            raise ScanFailed(f"not a decodable image: {path.name}", device=str(self.path))
        return make_page(
            convert_mode(image, options.mode),
            driver=self.driver_name,
            device=str(self.path),
            dpi=options.dpi,
            mode=options.mode,
            source=options.source,
            page_index=index,
        )

    async def list_devices(self) -> list[DeviceInfo]:
        return [DeviceInfo("folder", str(self.path), kind="directory")]

    async def status(self) -> DeviceStatus:
        try:
            n = len(await asyncio.to_thread(self._pending))
        except NoDevice as exc:
            return DeviceStatus(str(self.path), DeviceState.OFFLINE, str(exc))
        return DeviceStatus(str(self.path), DeviceState.READY, f"{n} image(s) waiting")

    async def capture(self, options: CaptureOptions | None = None) -> ScanPage:
        return await asyncio.to_thread(self._take, options or CaptureOptions(), 0)

    async def capture_pages(self, options: CaptureOptions | None = None) -> list[ScanPage]:
        """Flatbed: one image. Feeder: every waiting image, up to ``max_pages``."""
        options = options or CaptureOptions()
        if options.source == "flatbed":
            return [await self.capture(options)]
        pages = [await asyncio.to_thread(self._take, options, 0)]
        while options.max_pages is None or len(pages) < options.max_pages:
            try:
                pages.append(await asyncio.to_thread(self._take, options, len(pages)))
            except NoDocuments:
                break
        return pages

    async def close(self) -> None:
        pass
