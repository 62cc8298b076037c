"""The document camera: page detection, flattening and auto-capture on a synthetic video."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from scanner_drivers import CaptureOptions, DeviceState, NoDevice, ScanFailed, ScanTimeout
from scanner_drivers.autocapture import AutoCapture, AutoCaptureSettings
from scanner_drivers.model import Image
from scanner_drivers.pagedetect import find_page, order_corners, warp_page
from scanner_drivers.synthetic import placed_page_frames, render_form, resting_corners
from scanner_drivers.uvc import UvcDriver

MOVING, BLURRED, STILL = 12, 8, 20
A4 = 297 / 210


@pytest.fixture(scope="module")
def page() -> Image:
    return render_form(60)


_videos: dict[tuple[int, int, int], list[Image]] = {}


def video(
    page: Image, *, moving: int = MOVING, blurred: int = BLURRED, still: int = STILL
) -> list[Image]:
    """The placed-page video (cached: rendering it is most of this module's time)."""
    key = (moving, blurred, still)
    if key not in _videos:
        _videos[key] = list(placed_page_frames(page, moving=moving, blurred=blurred, still=still))
    return _videos[key]


def similarity(a: Image, b: Image) -> float:
    """Correlation of the gray levels of ``a`` and ``b``, both shrunk to 80 x 113.

    Shrinking averages the thin ruled lines into blocks, so a page that is in
    place correlates highly while one shifted or rotated by a few % does not.
    """

    def small(im: Image) -> np.ndarray:
        gray = im if im.ndim == 2 else cv2.cvtColor(im, cv2.COLOR_BGR2GRAY)
        return cv2.resize(gray, (80, 113), interpolation=cv2.INTER_AREA).astype(np.float32)

    return float(np.corrcoef(small(a).ravel(), small(b).ravel())[0, 1])


def test_finds_the_resting_page(page: Image) -> None:
    frame = video(page)[-1]
    quad = find_page(frame)
    assert quad is not None
    assert np.abs(quad - resting_corners(page)).max() < 5  # pixels, in a 640x480 frame


def test_flattens_to_an_upright_a4(page: Image) -> None:
    frame = video(page)[-1]
    quad = find_page(frame)
    assert quad is not None
    flat = warp_page(frame, quad)
    h, w = flat.shape[:2]
    assert abs(h / w - A4) < 0.01
    # corners of the page land on the output's corners: the page content lines up
    assert similarity(flat, page) > 0.8
    # no desk left along the borders
    assert cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY)[[1, -2], :].mean() > 200


def test_no_page_on_an_empty_desk(page: Image) -> None:
    assert find_page(video(page)[0]) is None  # the page is still off-frame


def test_order_corners() -> None:
    pts = np.array([[10, 90], [90, 10], [10, 10], [90, 90]], np.float32)
    assert order_corners(pts).tolist() == [[10, 10], [90, 10], [90, 90], [10, 90]]


def test_autocapture_waits_for_still_and_sharp(page: Image) -> None:
    auto = AutoCapture(AutoCaptureSettings(stable_frames=5))
    verdicts = [auto.feed(f) for f in video(page)]
    captured = [v.index for v in verdicts if v.page is not None]
    # never while moving (0..11) or still-but-blurred (12..19); the 5th sharp still frame
    # is 24 (frame 20 differs from the blurred 19, so it is not yet "still")
    assert captured[0] == MOVING + BLURRED + 5
    assert all(not v.good_run for v in verdicts[: MOVING + BLURRED])
    first = verdicts[captured[0]].page
    assert first is not None and abs(first.shape[0] / first.shape[1] - A4) < 0.01


def test_blurred_only_never_captures(page: Image) -> None:
    auto = AutoCapture()
    frames = video(page, still=0, blurred=30)
    assert all(auto.feed(f).page is None for f in frames)


async def test_driver_captures_from_injected_frames(page: Image) -> None:
    consumed = 0
    frames = video(page)

    def source() -> Iterator[Image]:
        nonlocal consumed
        for frame in frames:
            consumed += 1
            yield frame

    driver = UvcDriver(frames=source())
    scan = await driver.capture(CaptureOptions(dpi=100, page_size="a4", mode="gray"))
    assert consumed == MOVING + BLURRED + 5 + 1
    assert scan.image.shape == (round(297 / 25.4 * 100), round(210 / 25.4 * 100))
    assert (scan.meta.driver, scan.meta.device, scan.meta.mode) == ("uvc", "injected", "gray")
    assert similarity(scan.image, page) > 0.8
    await driver.close()


async def test_stream_end_is_scan_failed(page: Image) -> None:
    driver = UvcDriver(frames=video(page, still=0))
    with pytest.raises(ScanFailed):
        await driver.capture()


async def test_timeout_with_a_callable_source(page: Image) -> None:
    desk = video(page)[0]
    driver = UvcDriver(frames=lambda: desk)
    with pytest.raises(ScanTimeout):
        await driver.capture(CaptureOptions(timeout_s=0.2))


async def test_no_feeder(page: Image) -> None:
    with pytest.raises(ValueError):
        await UvcDriver(frames=[]).capture(CaptureOptions(source="feeder"))


async def test_absent_camera_is_offline() -> None:
    driver = UvcDriver("/dev/video-nonexistent")
    assert (await driver.status()).state is DeviceState.OFFLINE
    with pytest.raises(NoDevice):
        await driver.capture()
    await driver.close()
