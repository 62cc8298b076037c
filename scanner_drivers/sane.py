"""SANE scanners through the ``scanimage`` command (Debian ``sane-utils``).

Each call runs one ``scanimage`` process (asyncio subprocess): ``-f`` (implies
``-L``) to list devices, ``-A`` to probe a device's options and status, PNM to
stdout for a flatbed page, ``--batch`` into a temporary directory for a feeder.
Errors are mapped from scanimage's stderr (the texts of ``sane_strstatus``) to
the typed tree in :mod:`scanner_drivers.errors`; a scan that outlives
``timeout_s`` is killed and raises ``ScanTimeout``.

The SANE ``test`` backend (``scanimage -d test``) drives the tests; it is not
listed by ``-L`` unless enabled in ``dll.conf`` (pass ``env={"SANE_CONFIG_DIR": ...}``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from scanner_drivers.driver import convert_mode, make_page
from scanner_drivers.errors import (
    CoverOpen,
    DeviceBusy,
    Jammed,
    NoDevice,
    NoDocuments,
    ScanFailed,
    ScannerError,
    ScanTimeout,
)
from scanner_drivers.model import (
    PAGE_SIZES_MM,
    CaptureOptions,
    DeviceInfo,
    DeviceState,
    DeviceStatus,
    Image,
    ScanPage,
)

__all__ = ["SaneDriver", "error_from_stderr"]

# sane_strstatus() texts (sanei/sanei_init_debug / backend/sane_strstatus.c) → our errors.
_STATUS_ERRORS: Sequence[tuple[str, type[ScannerError]]] = (
    ("Document feeder jammed", Jammed),
    ("Document feeder out of documents", NoDocuments),
    ("Scanner cover is open", CoverOpen),
    ("Device busy", DeviceBusy),
)
_OPEN_FAILED = re.compile(r"open of device \S* failed|no SANE devices found", re.IGNORECASE)
_OPTION_LINE = re.compile(r"^\s+--(?P<name>[a-z-]+) (?P<values>[^\[]+?)\s*\[(?P<cur>[^\]]*)\]")
_MODE_NAMES = {
    "color": ("color", "colour", "24bit color"),
    "gray": ("gray", "grayscale", "grey", "8bit gray"),
    "lineart": ("lineart", "binary", "black & white", "halftone"),
}


def error_from_stderr(stderr: str, *, device: str | None) -> ScannerError:
    """Map scanimage's stderr to the most specific error (``ScanFailed`` if unknown)."""
    for text, cls in _STATUS_ERRORS:
        if text.lower() in stderr.lower():
            return cls(text, device=device)
    if _OPEN_FAILED.search(stderr):
        return NoDevice(stderr.strip() or "cannot open device", device=device)
    return ScanFailed(stderr.strip() or "scanimage failed", device=device)


def _decode(data: bytes, device: str) -> Image:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ScanFailed("scanimage returned no decodable image", device=device)
    if image.dtype != np.uint8:  # 16-bit depth: keep the high byte
        image = (np.asarray(image, np.uint16) >> 8).astype(np.uint8)
    return np.ascontiguousarray(image)


class SaneDriver:
    """One SANE device (``device=None``: the first one ``scanimage -L`` lists).

    ``env`` is added to the process environment of every ``scanimage`` run.
    """

    driver_name = "sane"

    def __init__(
        self,
        device: str | None = None,
        *,
        scanimage: str = "scanimage",
        env: Mapping[str, str] | None = None,
        probe_timeout_s: float = 20.0,
    ) -> None:
        self._device = device
        self._scanimage = scanimage
        self._env = {**os.environ, **(env or {})}
        self._probe_timeout_s = probe_timeout_s
        self._options: dict[str, list[str]] | None = None
        self._closed = False

    async def _run(
        self, argv: Sequence[str], timeout_s: float, device: str | None
    ) -> tuple[int, bytes, str]:
        """Run scanimage; kill it and raise ``ScanTimeout`` after ``timeout_s``."""
        if self._closed:
            raise RuntimeError("driver is closed")
        try:
            proc = await asyncio.create_subprocess_exec(
                self._scanimage,
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._env,
            )
        except OSError as exc:
            raise ScanFailed(f"cannot run {self._scanimage}: {exc}", device=device) from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise ScanTimeout(f"scanimage took over {timeout_s:g} s", device=device) from None
        except asyncio.CancelledError:
            # The caller gave up (e.g. the call ended mid-scan): an orphaned scanimage
            # would hold the device, so it goes too.
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            raise
        assert proc.returncode is not None
        return proc.returncode, out, err.decode(errors="replace")

    async def list_devices(self) -> list[DeviceInfo]:
        """Every device ``scanimage -L`` finds (may be empty)."""
        rc, out, err = await self._run(["-f", "%d\t%v\t%m\t%t%n"], self._probe_timeout_s, None)
        if rc != 0:
            raise error_from_stderr(err, device=None)
        devices = []
        for line in out.decode(errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                devices.append(DeviceInfo("sane", parts[0], parts[1], parts[2], parts[3]))
        return devices

    async def _device_name(self) -> str:
        if self._device is None:
            devices = await self.list_devices()
            if not devices:
                raise NoDevice("no SANE devices found")
            self._device = devices[0].name
        return self._device

    async def _probe(self, device: str) -> dict[str, list[str]]:
        """Open the device once (``-A``) and cache its option value lists."""
        if self._options is None:
            rc, out, err = await self._run(["-d", device, "-A"], self._probe_timeout_s, device)
            if rc != 0:
                raise error_from_stderr(err, device=device)
            options: dict[str, list[str]] = {}
            for line in out.decode(errors="replace").splitlines():
                m = _OPTION_LINE.match(line)
                if m and "|" in m["values"]:
                    options[m["name"]] = [v.strip() for v in m["values"].split("|")]
            self._options = options
        return self._options

    async def status(self) -> DeviceStatus:
        """READY if the device opens, BUSY if it is held, OFFLINE otherwise."""
        try:
            device = await self._device_name()
            self._options = None
            await self._probe(device)
        except DeviceBusy as exc:
            return DeviceStatus(self._device or "", DeviceState.BUSY, str(exc))
        except ScannerError as exc:
            return DeviceStatus(self._device or "", DeviceState.OFFLINE, str(exc))
        return DeviceStatus(device, DeviceState.READY)

    def _argv(
        self, device: str, options: CaptureOptions, probed: dict[str, list[str]]
    ) -> list[str]:
        argv = ["-d", device, "--format=pnm", f"--resolution={options.dpi}"]
        modes = probed.get("mode", [])
        wanted = _pick(modes, _MODE_NAMES[options.mode])
        if wanted is None and options.mode == "lineart":
            # No lineart mode (e.g. the test backend): 1-bit gray is the same thing.
            wanted = _pick(modes, _MODE_NAMES["gray"])
            if "1" in probed.get("depth", []):
                argv.append("--depth=1")
        if wanted is not None:
            argv.append(f"--mode={wanted}")
        sources = probed.get("source", [])
        keys = ("adf", "feeder") if options.source == "feeder" else ("flatbed", "normal")
        source = next((s for s in sources if any(k in s.lower() for k in keys)), None)
        if source is not None:
            argv.append(f"--source={source}")
        elif options.source == "feeder":
            raise ScanFailed("device has no document feeder", device=device)
        if options.page_size is not None:
            w_mm, h_mm = PAGE_SIZES_MM[options.page_size]
            argv += ["-l", "0", "-t", "0", "-x", f"{w_mm:g}", "-y", f"{h_mm:g}"]
        argv += [f"--{k}={v}" for k, v in options.backend_options.items()]
        return argv

    async def capture(self, options: CaptureOptions | None = None) -> ScanPage:
        options = options or CaptureOptions()
        if options.source == "feeder":
            return (await self._batch(options, max_pages=1))[0]
        device = await self._device_name()
        argv = self._argv(device, options, await self._probe(device))
        rc, out, err = await self._run(argv, options.timeout_s, device)
        if rc != 0:
            raise error_from_stderr(err, device=device)
        image = await asyncio.to_thread(_decode, out, device)
        return self._page(image, device, options, 0)

    async def capture_pages(self, options: CaptureOptions | None = None) -> list[ScanPage]:
        options = options or CaptureOptions()
        if options.source == "flatbed":
            return [await self.capture(options)]
        return await self._batch(options, max_pages=options.max_pages)

    async def _batch(self, options: CaptureOptions, max_pages: int | None) -> list[ScanPage]:
        device = await self._device_name()
        argv = self._argv(device, options, await self._probe(device))
        with tempfile.TemporaryDirectory(prefix="xiaowu-scan-") as tmp:
            argv.append(f"--batch={Path(tmp) / 'page-%04d.pnm'}")
            if max_pages is not None:
                argv.append(f"--batch-count={max_pages}")
            rc, _, err = await self._run(argv, options.timeout_s, device)
            if rc != 0:
                raise error_from_stderr(err, device=device)
            files = sorted(Path(tmp).glob("page-*.pnm"))
            if not files:  # scanimage exits 0 when the feeder is empty from the start
                raise NoDocuments("Document feeder out of documents", device=device)
            images = await asyncio.to_thread(
                lambda: [_decode(f.read_bytes(), device) for f in files])
        return [self._page(im, device, options, i) for i, im in enumerate(images)]

    def _page(self, image: Image, device: str, options: CaptureOptions, index: int) -> ScanPage:
        if options.mode == "lineart" and image.ndim == 2:
            image = np.where(image > 127, 255, 0).astype(np.uint8)
        else:
            image = convert_mode(image, options.mode)
        return make_page(
            image,
            driver=self.driver_name,
            device=device,
            dpi=options.dpi,
            mode=options.mode,
            source=options.source,
            page_index=index,
        )

    async def close(self) -> None:
        self._closed = True


def _pick(values: Sequence[str], names: Sequence[str]) -> str | None:
    for value in values:
        if value.lower() in names:
            return value
    return None
