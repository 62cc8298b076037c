"""The SANE driver against the real ``test`` backend (``scanimage -d test``)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from scanner_drivers import (
    CaptureOptions,
    CoverOpen,
    DeviceBusy,
    DeviceState,
    Jammed,
    NoDevice,
    NoDocuments,
    ScanFailed,
    ScannerError,
    ScanTimeout,
)
from scanner_drivers.sane import SaneDriver, error_from_stderr
from tests.conftest import need


@pytest.fixture
def sane_env(tmp_path: Path) -> dict[str, str]:
    """A SANE config that enables the test backend (Debian ships it commented out)."""
    if shutil.which("scanimage") is None:
        need("sane-utils (scanimage)")
    (tmp_path / "dll.conf").write_text("test\n")
    # trailing ':' = then the default config dirs (sane-dll(5))
    return {"SANE_CONFIG_DIR": f"{tmp_path}:"}


@pytest.fixture
def scanner(sane_env: dict[str, str]) -> SaneDriver:
    return SaneDriver("test", env=sane_env)


# Error injection makes scanimage stop reading and cancel while the test backend's
# reader thread may still be writing the page into its pipe; cancelling a thread
# blocked there can deadlock the backend (seen once in CI under load: scanimage
# hung until our 20 s timeout). At 25 dpi the default 80 x 100 mm page is ~23 KB,
# under one pipe buffer, so the reader has always finished before the cancel.
SMALL_PAGE_DPI = 25


def opts(**kw: object) -> CaptureOptions:
    base: dict[str, object] = {"dpi": 50, "timeout_s": 20.0}
    base.update(kw)
    return CaptureOptions(**base)  # type: ignore[arg-type]


async def test_lists_test_devices(sane_env: dict[str, str]) -> None:
    devices = await SaneDriver(env=sane_env).list_devices()
    names = [d.name for d in devices]
    assert "test:0" in names and "test:1" in names
    assert devices[0].driver == "sane" and devices[0].model == "frontend-tester"


async def test_default_device_is_first_listed(sane_env: dict[str, str]) -> None:
    driver = SaneDriver(env=sane_env)
    page = await driver.capture(opts())
    assert page.meta.device == (await driver.list_devices())[0].name


async def test_colour_flatbed_scan(scanner: SaneDriver) -> None:
    page = await scanner.capture(opts(dpi=75, backend_options={"test-picture": "Color pattern"}))
    # the test backend's default scan area is 80 x 100 mm
    assert page.image.shape == (round(100 / 25.4 * 75), round(80 / 25.4 * 75), 3)
    assert page.image.dtype == np.uint8
    assert page.image.std() > 10  # a pattern, not a flat fill
    m = page.meta
    assert (m.driver, m.device, m.dpi, m.mode, m.source, m.page_index) == (
        "sane",
        "test",
        75,
        "color",
        "flatbed",
        0,
    )
    assert (m.width, m.height) == (page.image.shape[1], page.image.shape[0])
    assert m.captured_at.tzinfo is not None


async def test_gray_and_lineart(scanner: SaneDriver) -> None:
    gray = await scanner.capture(opts(mode="gray", backend_options={"test-picture": "Grid"}))
    assert gray.image.ndim == 2
    lineart = await scanner.capture(opts(mode="lineart", backend_options={"test-picture": "Grid"}))
    assert lineart.image.ndim == 2
    assert set(np.unique(lineart.image).tolist()) == {0, 255}


async def test_page_size_sets_scan_area(scanner: SaneDriver) -> None:
    page = await scanner.capture(opts(dpi=100, page_size="id_card"))
    h, w = page.image.shape[:2]
    # the test backend's geometry is in whole millimetres
    assert abs(w - 85.6 / 25.4 * 100) <= 4 and abs(h - 54 / 25.4 * 100) <= 4


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("SANE_STATUS_JAMMED", Jammed),
        ("SANE_STATUS_NO_DOCS", NoDocuments),
        ("SANE_STATUS_COVER_OPEN", CoverOpen),
        ("SANE_STATUS_DEVICE_BUSY", DeviceBusy),
        ("SANE_STATUS_IO_ERROR", ScanFailed),
    ],
)
async def test_injected_errors_are_typed(
    scanner: SaneDriver, status: str, error: type[ScannerError]
) -> None:
    with pytest.raises(error) as info:
        await scanner.capture(
            opts(dpi=SMALL_PAGE_DPI, backend_options={"read-return-value": status})
        )
    assert type(info.value) is error
    assert info.value.device == "test"


async def test_feeder_three_pages(scanner: SaneDriver) -> None:
    pages = await scanner.capture_pages(
        opts(source="feeder", max_pages=3, backend_options={"test-picture": "Grid"})
    )
    assert [p.meta.page_index for p in pages] == [0, 1, 2]
    assert all(p.meta.source == "feeder" for p in pages)
    assert all(p.image.shape == pages[0].image.shape for p in pages)


async def test_feeder_runs_until_empty(scanner: SaneDriver) -> None:
    # the test backend's feeder holds 10 sheets; the run ends when it is empty
    pages = await scanner.capture_pages(opts(dpi=SMALL_PAGE_DPI, source="feeder"))
    assert len(pages) == 10


async def test_feeder_errors(scanner: SaneDriver) -> None:
    with pytest.raises(NoDocuments):
        await scanner.capture_pages(
            opts(dpi=SMALL_PAGE_DPI, source="feeder",
                 backend_options={"read-return-value": "SANE_STATUS_NO_DOCS"})
        )
    with pytest.raises(Jammed):
        await scanner.capture(
            opts(dpi=SMALL_PAGE_DPI, source="feeder",
                 backend_options={"read-return-value": "SANE_STATUS_JAMMED"})
        )


async def test_single_feeder_capture(scanner: SaneDriver) -> None:
    page = await scanner.capture(opts(source="feeder"))
    assert page.meta.source == "feeder" and page.meta.page_index == 0


async def test_timeout_kills_the_scan(scanner: SaneDriver) -> None:
    # 200 ms per pipe buffer: a 600 dpi page takes ~14 s unless killed
    slow = {"read-delay": "yes", "read-delay-duration": "200000"}
    started = time.monotonic()
    with pytest.raises(ScanTimeout):
        await scanner.capture(opts(dpi=600, timeout_s=0.5, backend_options=slow))
    assert time.monotonic() - started < 5
    # the device is usable again straight away: the killed process let go of it
    assert (await scanner.capture(opts())).image.size > 0


async def test_cancelled_capture_kills_scanimage(scanner: SaneDriver) -> None:
    """A booth whose call ends mid-scan cancels the capture: no scanimage may be left
    holding the device."""
    import asyncio
    import subprocess

    slow = {"read-delay": "yes", "read-delay-duration": "200000"}
    task = asyncio.create_task(scanner.capture(opts(dpi=600, timeout_s=30,
                                                    backend_options=slow)))
    await asyncio.sleep(1.0)

    def running() -> list[str]:
        out = subprocess.run(["pgrep", "-f", "scanimage.*read-delay"], capture_output=True,
                             text=True)
        return out.stdout.split()

    assert running(), "the slow scan should be under way"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert running() == []
    assert (await scanner.capture(opts())).image.size > 0


async def test_unknown_device(sane_env: dict[str, str]) -> None:
    driver = SaneDriver("nosuchbackend:0", env=sane_env)
    with pytest.raises(NoDevice):
        await driver.capture(opts())
    status = await driver.status()
    assert status.state is DeviceState.OFFLINE


async def test_status_ready(scanner: SaneDriver) -> None:
    status = await scanner.status()
    assert (status.device, status.state) == ("test", DeviceState.READY)


async def test_missing_scanimage_binary() -> None:
    driver = SaneDriver("test", scanimage="/nonexistent/scanimage")
    with pytest.raises(ScanFailed):
        await driver.capture(opts())


def test_stderr_mapping() -> None:
    assert isinstance(
        error_from_stderr("scanimage: sane_read: Device busy", device=None), DeviceBusy
    )
    assert isinstance(
        error_from_stderr("scanimage: open of device x failed: Invalid argument", device="x"),
        NoDevice,
    )
    assert type(error_from_stderr("something odd", device=None)) is ScanFailed
