"""The folder driver: oldest first, done/ and failed/, empty and corrupt folders."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner_drivers import CaptureOptions, DeviceState, NoDevice, NoDocuments, ScanFailed
from scanner_drivers.folder import FolderDriver


def put(folder: Path, name: str, value: int, mtime: int) -> Path:
    path = folder / name
    image = np.full((20, 30, 3), value, np.uint8)
    ok, data = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(data.tobytes())
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    put(tmp_path, "b.png", 100, 1_000_002)
    put(tmp_path, "a.jpg", 50, 1_000_001)  # oldest, though listed after b by nothing
    put(tmp_path, "c.tiff", 200, 1_000_003)
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


async def test_oldest_first_and_moved_to_done(folder: Path) -> None:
    driver = FolderDriver(folder)
    first = await driver.capture(CaptureOptions(mode="gray"))
    assert first.image.ndim == 2 and abs(int(first.image.mean()) - 50) <= 2
    assert first.meta.driver == "folder" and first.meta.device == str(folder)
    assert (folder / "done" / "a.jpg").exists() and not (folder / "a.jpg").exists()
    second = await driver.capture()
    assert second.image.shape == (20, 30, 3) and int(second.image.mean()) == 100
    status = await driver.status()
    assert status.state is DeviceState.READY and "1 image" in status.detail


async def test_empty_folder_is_no_documents(tmp_path: Path) -> None:
    with pytest.raises(NoDocuments):
        await FolderDriver(tmp_path).capture()


async def test_corrupt_image_is_scan_failed_and_set_aside(folder: Path) -> None:
    (folder / "0.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    os.utime(folder / "0.png", (1_000_000, 1_000_000))
    driver = FolderDriver(folder)
    with pytest.raises(ScanFailed):
        await driver.capture()
    assert (folder / "failed" / "0.png").exists()
    assert int((await driver.capture()).image.mean()) in range(48, 53)  # then the next one


async def test_without_moving_files_are_remembered(folder: Path) -> None:
    driver = FolderDriver(folder, move_done=False)
    means = [int((await driver.capture()).image.mean()) for _ in range(3)]
    assert means[1:] == [100, 200] and abs(means[0] - 50) <= 2
    assert sorted(p.name for p in folder.iterdir()) == ["a.jpg", "b.png", "c.tiff", "notes.txt"]
    with pytest.raises(NoDocuments):
        await driver.capture()


async def test_feeder_takes_every_waiting_image(folder: Path) -> None:
    driver = FolderDriver(folder)
    pages = await driver.capture_pages(CaptureOptions(source="feeder", max_pages=2))
    assert [p.meta.page_index for p in pages] == [0, 1]
    rest = await driver.capture_pages(CaptureOptions(source="feeder"))
    assert len(rest) == 1
    with pytest.raises(NoDocuments):
        await driver.capture_pages(CaptureOptions(source="feeder"))


async def test_missing_folder(tmp_path: Path) -> None:
    driver = FolderDriver(tmp_path / "nope")
    with pytest.raises(NoDevice):
        await driver.capture()
    assert (await driver.status()).state is DeviceState.OFFLINE
