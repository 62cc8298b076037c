"""The booth's document capture (scanner -> quality -> encoding) and face-frame capture,
with fake drivers, grabbers and uploads: no sockets."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import cv2
import numpy as np
import pytest

from booth_client.assist_jobs import NoCamera
from booth_client.capture import DocumentScanner, encode_document, failure_code
from booth_client.effects import FacePlan
from booth_client.facecapture import FaceCapture, encode_frame
from scanner_drivers import (
    CaptureOptions,
    CoverOpen,
    DeviceBusy,
    DeviceInfo,
    DeviceState,
    DeviceStatus,
    Jammed,
    NoDevice,
    NoDocuments,
    ScanFailed,
    ScannerError,
    ScanPage,
    ScanTimeout,
)
from scanner_drivers.driver import make_page
from scanner_drivers.synthetic import render_form


class FakeDriver:
    """A scanner that returns ``image`` or raises ``error``; records the options it got."""

    driver_name = "fake"

    def __init__(self, image: Any = None, error: BaseException | None = None,
                 state: DeviceState = DeviceState.READY) -> None:
        self.image = image
        self.error = error
        self.state = state
        self.options: list[CaptureOptions] = []
        self.closed = False

    async def list_devices(self) -> list[DeviceInfo]:
        return [DeviceInfo("fake", "0")]

    async def status(self) -> DeviceStatus:
        if self.error is not None:
            raise self.error
        return DeviceStatus("0", self.state)

    async def capture(self, options: CaptureOptions | None = None) -> ScanPage:
        assert options is not None
        self.options.append(options)
        if self.error is not None:
            raise self.error
        return make_page(self.image, driver="fake", device="0", dpi=options.dpi,
                         mode=options.mode, source=options.source)

    async def capture_pages(self, options: CaptureOptions | None = None) -> list[ScanPage]:
        return [await self.capture(options)]

    async def close(self) -> None:
        self.closed = True


def scanner_with(driver: FakeDriver) -> DocumentScanner:
    return DocumentScanner("fake:0", opener=lambda spec: driver)


@pytest.mark.parametrize("error,code", [
    (NoDevice("gone"), "no_device"), (DeviceBusy("Device busy"), "busy"),
    (Jammed("Document feeder jammed"), "jammed"), (NoDocuments("empty"), "no_documents"),
    (CoverOpen("Scanner cover is open"), "cover_open"), (ScanTimeout("slow"), "timeout"),
    (ScanFailed("I/O error"), "error"), (ScannerError("odd"), "error"),
])
async def test_each_scanner_error_becomes_its_status_code(error: ScannerError,
                                                          code: str) -> None:
    assert failure_code(error) == code
    att = await scanner_with(FakeDriver(error=error)).attempt("form")
    assert not att.ok and att.code == code and att.message == str(error)
    assert att.image is None and "scan_ms" in att.timings_ms


async def test_refused_options_or_a_driver_bug_are_errors_not_a_stuck_capture(
        caplog: pytest.LogCaptureFixture) -> None:
    att = await scanner_with(FakeDriver(error=ValueError("a document camera has no feeder"))
                             ).attempt("form")
    assert (att.code, att.message) == ("error", "a document camera has no feeder")
    att = await scanner_with(FakeDriver(image="not an image")).attempt("form")
    assert att.code == "error" and att.message == "scanner driver failed: AttributeError"
    assert "scanner driver fake:0 failed" in caplog.text


async def test_a_good_page_is_checked_and_encoded_off_the_loop() -> None:
    page = render_form(100)
    driver = FakeDriver(page)
    loop_thread = threading.get_ident()
    seen: list[int] = []
    real = encode_document

    def spy(image: Any, **kw: Any) -> Any:
        seen.append(threading.get_ident())
        return real(image, **kw)

    import booth_client.capture as capture_mod
    capture_mod.encode_document = spy  # type: ignore[assignment]
    try:
        att = await scanner_with(driver).attempt("form")
    finally:
        capture_mod.encode_document = real  # type: ignore[assignment]
    assert att.ok and att.code is None and att.issues == ()
    assert seen and seen[0] != loop_thread  # encoded in a worker thread
    assert att.image is not None and att.image.content_type == "image/png"
    decoded = cv2.imdecode(np.frombuffer(att.image.body, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == page.shape and np.array_equal(decoded, page)  # lossless
    assert att.quality is not None and att.quality["failed"] == []
    assert att.quality["sharpness"] > 100
    assert {"scan_ms", "quality_ms", "encode_ms"} <= set(att.timings_ms)
    opts = driver.options[0]
    assert (opts.dpi, opts.page_size, opts.mode) == (200, None, "color")


async def test_id_cards_are_scanned_at_300_dpi_on_an_id_card_area() -> None:
    driver = FakeDriver(render_form(50))
    scanner = DocumentScanner("fake:0", opener=lambda spec: driver,
                              backend_options={"test-picture": "Grid"}, timeout_s=9)
    await scanner.attempt("id_front")
    opts = driver.options[0]
    assert (opts.dpi, opts.page_size, opts.timeout_s) == (300, "id_card", 9)
    assert dict(opts.backend_options) == {"test-picture": "Grid"}


async def test_a_dark_blurred_page_fails_quality_with_its_issues() -> None:
    dark = np.full((600, 400, 3), 20, np.uint8)
    att = await scanner_with(FakeDriver(dark)).attempt("form")
    assert att.code == "quality" and att.image is None
    assert set(att.issues) == {"blurry", "too_dark"}
    assert att.message == ",".join(att.issues)
    assert att.quality is not None and att.quality["brightness"] == 20.0


async def test_synthetic_renders_the_kind_that_was_asked_for() -> None:
    scanner = DocumentScanner("synthetic")
    card = await scanner.attempt("id_front")
    back = await scanner.attempt("id_back")
    form = await scanner.attempt("household_register")
    assert card.ok and back.ok and form.ok
    assert card.device == "id_card_front" and back.device == "id_card_back"
    assert form.device == "form"
    assert card.image is not None and (card.image.width, card.image.height) == (1011, 638)
    assert await scanner.health() == "ok"
    await scanner.close()


def test_a_bad_spec_is_refused_at_once() -> None:
    with pytest.raises(ValueError):
        DocumentScanner("bogus:1")
    with pytest.raises(ValueError):
        DocumentScanner("synthetic:passport")


@pytest.mark.parametrize("driver,health", [
    (FakeDriver(), "ok"), (FakeDriver(state=DeviceState.BUSY), "busy"),
    (FakeDriver(state=DeviceState.OFFLINE), "missing"),
    (FakeDriver(error=NoDevice("x")), "missing"), (FakeDriver(error=Jammed("x")), "error"),
])
async def test_scanner_health_for_booth_status(driver: FakeDriver, health: str) -> None:
    scanner = scanner_with(driver)
    assert await scanner.health() == health
    await scanner.close()
    assert driver.closed


def test_large_pages_are_jpeg_small_ones_png_and_both_fit() -> None:
    rng = np.random.default_rng(1)
    photo = cv2.GaussianBlur(rng.integers(0, 255, (1944, 2592, 3), np.uint8), (0, 0), 2)
    t0 = time.perf_counter()
    big = encode_document(np.asarray(photo, np.uint8))
    jpeg_ms = (time.perf_counter() - t0) * 1000
    assert big.content_type == "image/jpeg" and (big.width, big.height) == (2592, 1944)
    assert big.body[:2] == b"\xff\xd8" and len(big.body) < 3_000_000
    print(f"5 MP page: {len(big.body)} bytes JPEG in {jpeg_ms:.0f} ms")
    small = encode_document(np.asarray(photo[:1000, :1000], np.uint8))
    assert small.content_type == "image/png" and small.body[:4] == b"\x89PNG"
    tight = encode_document(np.asarray(photo, np.uint8), max_bytes=600_000)
    assert tight.content_type == "image/jpeg" and len(tight.body) <= 600_000
    with pytest.raises(ValueError):
        encode_document(np.asarray(photo, np.uint8), max_bytes=1000)


def test_face_frames_are_scaled_to_vga_jpeg() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    enc = encode_frame(frame)
    assert (enc.width, enc.height) == (640, 360) and enc.body[:2] == b"\xff\xd8"
    assert cv2.imdecode(np.frombuffer(enc.body, np.uint8), cv2.IMREAD_COLOR).shape == (
        360, 640, 3)
    small = encode_frame(np.zeros((240, 320, 3), np.uint8))
    assert (small.width, small.height) == (320, 240)
    with pytest.raises(TypeError):
        encode_frame("nope")


class Grabber:
    def __init__(self, none_first: int = 0) -> None:
        self.grabs = 0
        self.closed = False
        self._none = none_first

    async def grab(self) -> Any:
        self.grabs += 1
        await asyncio.sleep(0.005)
        if self._none > 0:
            self._none -= 1
            return None
        return np.full((480, 640, 3), self.grabs % 255, np.uint8)

    def close(self) -> None:
        self.closed = True


def plan(interval: float = 0.03, max_frames: int = 8) -> FacePlan:
    return FacePlan("c1", "fc1", ("baseline", "blink"), (0.1, 0.1), interval, max_frames,
                    "/api/calls/c1/face-checks/fc1/frames")


async def test_face_capture_paces_tags_uploads_and_finishes() -> None:
    uploads: list[tuple[int, int, str, int]] = []
    events: list[dict[str, Any]] = []

    async def upload(seq: int, t_ms: int, step: str, body: bytes) -> None:
        await asyncio.sleep(0.01)
        uploads.append((seq, t_ms, step, len(body)))

    grabber = Grabber()
    fc = FaceCapture(plan(), grabber, upload, on_event=events.append)
    fc.start()
    await asyncio.sleep(0.1)
    fc.set_step("blink")
    await asyncio.sleep(0.1)
    stored = await fc.finish()
    assert grabber.closed
    assert stored == len(uploads) == fc.taken and 4 <= stored <= 8
    seqs = sorted(u[0] for u in uploads)
    assert seqs == list(range(stored))
    by_seq = sorted(uploads)
    assert by_seq[0][1] == 0  # t_ms counts from the first frame
    assert all(a[1] <= b[1] for a, b in zip(by_seq, by_seq[1:], strict=False))
    assert by_seq[0][2] == "baseline" and by_seq[-1][2] == "blink"
    assert [e["seq"] for e in events if e["event"] == "face.frame"] != []
    done = [e for e in events if e["event"] == "face.capture"]
    assert done == [{"event": "face.capture", "check_id": "fc1", "frames": stored,
                     "failed": 0, "taken": stored, "duration_ms": done[0]["duration_ms"]}]


async def test_face_capture_never_exceeds_max_frames_and_counts_failures() -> None:
    calls = 0

    async def upload(seq: int, t_ms: int, step: str, body: bytes) -> None:
        nonlocal calls
        calls += 1
        if seq % 2:
            raise OSError("refused")

    fc = FaceCapture(plan(interval=0.001, max_frames=5), Grabber(), upload)
    fc.start()
    await asyncio.sleep(0.2)
    stored = await fc.finish()
    assert fc.taken == 5 and calls == 5 and stored == 3 and fc.failed == 2


async def test_face_capture_without_camera_frames_stores_nothing() -> None:
    async def upload(seq: int, t_ms: int, step: str, body: bytes) -> None:
        raise AssertionError("nothing to upload")

    fc = FaceCapture(plan(), NoCamera(), upload)
    fc.start()
    await asyncio.sleep(0.05)
    assert await fc.finish() == 0


async def test_face_capture_cancel_stops_uploads_at_once() -> None:
    started = asyncio.Event()

    async def upload(seq: int, t_ms: int, step: str, body: bytes) -> None:
        started.set()
        await asyncio.sleep(30)

    grabber = Grabber()
    fc = FaceCapture(plan(), grabber, upload)
    fc.start()
    await asyncio.wait_for(started.wait(), 2)
    tasks = fc.cancel()
    assert tasks and grabber.closed
    done, pending = await asyncio.wait(tasks, timeout=1)
    assert not pending and all(t.cancelled() for t in done)
