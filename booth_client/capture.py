"""Document capture on the booth: the scanner driver, the quality checks, the encoding.

:class:`DocumentScanner` wraps the driver named by ``--scanner DRIVER[:DEVICE]``
(:func:`scanner_drivers.open_driver`) and makes one *attempt* at a time: scan
one page with options that suit the kind of document, check its quality
(:func:`scanner_drivers.check_quality`: blur, darkness, glare, page found) and
encode it for upload (:func:`encode_document`). Scanning is the driver's own
asynchronous work (a ``scanimage`` subprocess, a camera read in a worker
thread); the checks and the encoding run in a worker thread
(``asyncio.to_thread``), so the event loop never waits on pixels.

An attempt never raises for a scanner problem: :meth:`DocumentScanner.attempt`
returns an :class:`Attempt` whose ``code`` is the ``document.status`` code of
the failure (:func:`failure_code` translates the scanner_drivers tree)::

    NoDevice -> no_device   DeviceBusy -> busy      Jammed -> jammed
    NoDocuments -> no_documents   CoverOpen -> cover_open   ScanTimeout -> timeout
    ScanFailed, any other ScannerError, a driver bug -> error
    a page that fails a quality check -> quality (``issues`` names the checks)

``--scanner synthetic`` (no document named) renders the document that was
asked for: an ID card's front or back, or an A4 form for any other kind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from scanner_drivers import (
    CaptureOptions,
    CoverOpen,
    DeviceBusy,
    DeviceState,
    Jammed,
    NoDevice,
    NoDocuments,
    QualityIssue,
    QualityReport,
    ScanFailed,
    ScannerDriver,
    ScannerError,
    ScanPage,
    ScanTimeout,
    check_quality,
    open_driver,
)
from scanner_drivers.model import Image, PageSize

__all__ = [
    "Attempt", "DocumentScanner", "EncodedImage", "MAX_UPLOAD_BYTES", "failure_code",
    "encode_document", "quality_json", "scanner_health",
]

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the hub's limit for a document (HTTP 413 above it)

_CODES: tuple[tuple[type[ScannerError], str], ...] = (
    (NoDevice, "no_device"), (DeviceBusy, "busy"), (Jammed, "jammed"),
    (NoDocuments, "no_documents"), (CoverOpen, "cover_open"), (ScanTimeout, "timeout"),
    (ScanFailed, "error"),
)

_SYNTHETIC_DOCUMENT = {"id_front": "id_card_front", "id_back": "id_card_back"}
_ID_KINDS = frozenset({"id_front", "id_back"})


def failure_code(exc: BaseException) -> str:
    """The ``document.status`` code for a scanner failure (``error`` if nothing fits)."""
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code
    return "error"


@dataclass(frozen=True)
class EncodedImage:
    body: bytes
    content_type: str  # image/png | image/jpeg
    width: int
    height: int


def encode_document(image: Image, *, png_max_pixels: int = 2_000_000, jpeg_quality: int = 92,
                    max_bytes: int = MAX_UPLOAD_BYTES) -> EncodedImage:
    """PNG (lossless) up to ``png_max_pixels``; above, JPEG at ``jpeg_quality``.

    A 5-megapixel colour page is ~7 MB and half a second as PNG but ~1 MB and
    ~15 ms as JPEG q92, which reads the same to an agent and uploads several
    times faster over a village line. If the result is still over
    ``max_bytes`` the JPEG quality steps down. Blocking: call in a thread.
    """
    h, w = image.shape[:2]
    if h * w <= png_max_pixels:
        ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        if ok and buf.size <= max_bytes:
            return EncodedImage(buf.tobytes(), "image/png", w, h)
    for quality in (jpeg_quality, 85, 75, 60, 40):
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and buf.size <= max_bytes:
            return EncodedImage(buf.tobytes(), "image/jpeg", w, h)
    raise ValueError(f"a {w}x{h} page does not fit in {max_bytes} bytes")


def quality_json(report: QualityReport) -> dict[str, Any]:
    return {"sharpness": round(report.sharpness, 1), "brightness": round(report.brightness, 1),
            "glare_fraction": round(report.glare_fraction, 4), "page_found": report.page_found,
            "failed": [i.value for i in report.failed]}


@dataclass(frozen=True)
class Attempt:
    """One capture attempt: ``code is None`` means a good, encoded page in ``image``."""

    code: str | None
    message: str | None = None
    issues: tuple[str, ...] = ()
    image: EncodedImage | None = None
    quality: dict[str, Any] | None = None
    driver: str = ""
    device: str = ""
    timings_ms: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code is None


def _ms(t0: float) -> int:
    return round((time.perf_counter() - t0) * 1000)


class DocumentScanner:
    """Captures documents through one driver spec (``sane:test``, ``uvc:0``, ``synthetic``…).

    ``opener`` builds drivers (tests pass fakes); a bad spec raises ``ValueError`` here.
    No device is touched before the first attempt; :meth:`close` closes every driver
    this scanner opened.
    """

    def __init__(self, spec: str, *, backend_options: Mapping[str, str] | None = None,
                 timeout_s: float = 60.0, source: str = "flatbed",
                 opener: Callable[[str], ScannerDriver] = open_driver) -> None:
        if source not in ("flatbed", "feeder"):
            raise ValueError(f"source must be flatbed or feeder, not {source!r}")
        self.spec = spec
        self.driver_name = spec.partition(":")[0]
        self._open = opener
        self._backend_options = dict(backend_options or {})
        self._timeout_s = timeout_s
        self._source = source
        self._drivers: dict[str, ScannerDriver] = {}
        if spec != "synthetic":  # opening touches no device; a bad spec fails now, not mid-call
            self._drivers[spec] = opener(spec)

    def _driver(self, kind: str) -> ScannerDriver:
        spec = self.spec
        if spec == "synthetic":
            spec = "synthetic:" + _SYNTHETIC_DOCUMENT.get(kind, "form")
        if spec not in self._drivers:
            self._drivers[spec] = self._open(spec)
        return self._drivers[spec]

    def options(self, kind: str) -> CaptureOptions:
        """ID cards at 300 dpi on an ID-card-sized area; pages at 200 dpi on the whole plate."""
        page_size: PageSize | None = "id_card" if kind in _ID_KINDS else None
        return CaptureOptions(dpi=300 if kind in _ID_KINDS else 200, mode="color",
                              source="feeder" if self._source == "feeder" else "flatbed",
                              page_size=page_size, timeout_s=self._timeout_s,
                              backend_options=self._backend_options)

    async def attempt(self, kind: str) -> Attempt:
        """Scan, check and encode one page of ``kind``. Never raises for a scanner problem."""
        timings: dict[str, int] = {}
        t0 = time.perf_counter()
        try:
            driver = self._driver(kind)
            page = await driver.capture(self.options(kind))
        except ScannerError as exc:
            return Attempt(failure_code(exc), str(exc)[:200] or type(exc).__name__,
                           driver=self.driver_name, timings_ms={"scan_ms": _ms(t0)})
        except (ValueError, OSError) as exc:  # e.g. a document camera asked for a feeder
            return Attempt("error", str(exc)[:200], driver=self.driver_name,
                           timings_ms={"scan_ms": _ms(t0)})
        except Exception as exc:  # a driver bug: report it rather than hang the capture
            log.exception("booth: scanner driver %s failed", self.spec)
            return Attempt("error", f"scanner driver failed: {type(exc).__name__}"[:200],
                           driver=self.driver_name, timings_ms={"scan_ms": _ms(t0)})
        timings["scan_ms"] = _ms(t0)
        try:
            return await asyncio.to_thread(self._check_and_encode, page, timings)
        except (ValueError, cv2.error, MemoryError) as exc:
            log.warning("booth: cannot encode the page: %s", exc)
            return Attempt("error", f"cannot encode the page: {exc}"[:200],
                           driver=page.meta.driver, device=page.meta.device,
                           timings_ms=timings)

    def _check_and_encode(self, page: ScanPage, timings: dict[str, int]) -> Attempt:
        camera = page.meta.driver == "uvc"
        t0 = time.perf_counter()
        report = check_quality(page.image, camera=camera)
        if camera:
            # The document camera's auto-capture already found the page's outline and
            # flattened it: the flat page has no outline left to find.
            failed = tuple(i for i in report.failed if i is not QualityIssue.NO_PAGE)
            report = QualityReport(report.sharpness, report.brightness, report.glare_fraction,
                                   True, failed)
        timings["quality_ms"] = _ms(t0)
        driver, device = page.meta.driver, page.meta.device
        if not report.ok:
            issues = tuple(i.value for i in report.failed)
            return Attempt("quality", ",".join(issues), issues, quality=quality_json(report),
                           driver=driver, device=device, timings_ms=timings)
        t0 = time.perf_counter()
        image = np.ascontiguousarray(page.image)
        encoded = encode_document(image)
        timings["encode_ms"] = _ms(t0)
        return Attempt(None, image=encoded, quality=quality_json(report), driver=driver,
                       device=device, timings_ms=timings)

    async def health(self) -> str:
        """``booth.status.scanner``: ``ok``, ``busy``, ``missing`` or ``error``."""
        try:
            status = await self._driver("form").status()
        except ScannerError as exc:
            return "missing" if isinstance(exc, NoDevice) else "error"
        except Exception:  # a driver bug must not stop the booth
            log.exception("booth: scanner status failed")
            return "error"
        return {DeviceState.READY: "ok", DeviceState.BUSY: "busy",
                DeviceState.OFFLINE: "missing"}[status.state]

    async def close(self) -> None:
        drivers, self._drivers = list(self._drivers.values()), {}
        for driver in drivers:
            try:
                await driver.close()
            except Exception:
                log.exception("booth: closing the scanner failed")


async def scanner_health(scanner: DocumentScanner | None) -> str:
    return "missing" if scanner is None else await scanner.health()
