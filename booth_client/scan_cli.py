"""``xiaowu-booth scanners`` and ``xiaowu-booth scan``: set up and check a booth's scanner.

``scanners [--json] [--scanner folder:/dir]`` lists every driver, the devices
it can see and whether each one opens: SANE through ``scanimage -L`` (and
``scanimage -A`` per device), UVC document cameras that open, the folder
given with ``--scanner`` (a folder needs a path), and the synthetic renderer.

``scan --driver sane:test --out page.png [--resolution 300] [--mode color]
[--source flatbed|feeder] [--scanner-option KEY=VALUE …] [--json]`` captures
one page, runs the quality checks, writes the image (format from the file
name: .png, .jpg/.jpeg, .tif/.tiff) and prints what it did.

Exit codes: 0 done, 1 the scanner failed (the message names the error),
2 usage (bad spec, no ``--out``, a file that cannot be written).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import cv2

from booth_client.capture import failure_code, quality_json
from scanner_drivers import (
    CaptureOptions,
    DeviceInfo,
    DeviceStatus,
    ScannerDriver,
    ScannerError,
    check_quality,
    open_driver,
)
from scanner_drivers.sane import SaneDriver
from scanner_drivers.synthetic import DOCUMENTS
from scanner_drivers.uvc import UvcDriver

__all__ = ["list_scanners", "scan_command", "scanners_command", "backend_options"]

_PROBE_S = 15.0
_WRITABLE = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})


def backend_options(items: list[str]) -> dict[str, str]:
    """``["test-picture=Grid"]`` -> ``{"test-picture": "Grid"}``; ValueError when malformed."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or key.startswith("-"):
            raise ValueError(f"--scanner-option needs KEY=VALUE, not {item!r}")
        out[key] = value
    return out


def _state(status: DeviceStatus) -> dict[str, Any]:
    return {"state": status.state.value, "detail": status.detail}


async def _probe(driver: ScannerDriver) -> dict[str, Any]:
    try:
        return _state(await asyncio.wait_for(driver.status(), _PROBE_S))
    except TimeoutError:
        return {"state": "offline", "detail": f"no answer in {_PROBE_S:g} s"}
    except ScannerError as exc:
        return {"state": "offline", "detail": str(exc)}
    finally:
        await driver.close()


def _device(spec: str, info: DeviceInfo | None, health: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"spec": spec, "name": info.name if info else spec.partition(":")[2]}
    if info is not None:
        out.update(vendor=info.vendor, model=info.model, kind=info.kind)
    out.update(health)
    return out


async def _sane() -> dict[str, Any]:
    entry: dict[str, Any] = {"driver": "sane", "available": False, "devices": [], "error": None}
    if shutil.which("scanimage") is None:
        entry["error"] = "scanimage not found (install sane-utils)"
        return entry
    entry["available"] = True
    try:
        infos = await SaneDriver().list_devices()
    except ScannerError as exc:
        entry["error"] = str(exc)
        return entry
    for info in infos:
        health = await _probe(SaneDriver(info.name))
        entry["devices"].append(_device(f"sane:{info.name}", info, health))
    return entry


async def _uvc() -> dict[str, Any]:
    entry: dict[str, Any] = {"driver": "uvc", "available": True, "devices": [], "error": None}
    for info in await UvcDriver(0).list_devices():
        path = f"/dev/video{info.name}"
        health = await _probe(UvcDriver(path))
        entry["devices"].append(_device(f"uvc:{path}", info, health))
    return entry


async def _folder(spec: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"driver": "folder", "available": True, "devices": [], "error": None}
    if spec is None or not spec.startswith("folder:"):
        entry["error"] = "needs a path: --scanner folder:/path/to/dir"
        return entry
    driver = open_driver(spec)
    infos = await driver.list_devices()
    entry["devices"].append(_device(spec, infos[0] if infos else None,
                                    await _probe(driver)))
    return entry


async def _synthetic() -> dict[str, Any]:
    devices = [_device(f"synthetic:{d}", None,
                       {"state": "ready", "detail": "rendered"}) for d in DOCUMENTS]
    return {"driver": "synthetic", "available": True, "devices": devices, "error": None}


async def list_scanners(spec: str | None = None) -> dict[str, Any]:
    """Every driver with its devices and their health (``ready``, ``busy``, ``offline``)."""
    drivers = await asyncio.gather(_sane(), _uvc(), _folder(spec), _synthetic())
    return {"drivers": list(drivers)}


def scanners_command(args: argparse.Namespace) -> int:
    report = asyncio.run(list_scanners(args.scanner))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    for entry in report["drivers"]:
        if entry["error"] and not entry["devices"]:
            print(f"{entry['driver']:<10} -  {entry['error']}")
        elif not entry["devices"]:
            print(f"{entry['driver']:<10} -  no devices")
        for dev in entry["devices"]:
            what = " ".join(x for x in (dev.get("vendor"), dev.get("model")) if x)
            detail = f"  ({dev['detail']})" if dev.get("detail") else ""
            print(f"{entry['driver']:<10} {dev['spec']:<28} {dev['state']:<8} {what}{detail}")
    return 0


def scan_command(args: argparse.Namespace) -> int:
    spec = args.driver or args.scanner
    if not spec:
        return _usage("scan needs --driver DRIVER[:DEVICE] (e.g. sane:test, synthetic:form)")
    if args.out is None:
        return _usage("scan needs --out FILE (.png, .jpg or .tif)")
    out = Path(args.out)
    if out.suffix.lower() not in _WRITABLE:
        return _usage(f"--out must end in .png, .jpg, .jpeg, .tif or .tiff, not {out.name!r}")
    try:
        driver = open_driver(spec)
        options = CaptureOptions(dpi=args.resolution, mode=args.mode, source=args.source,
                                 timeout_s=args.scan_timeout,
                                 backend_options=backend_options(args.scanner_option))
    except ValueError as exc:
        return _usage(str(exc))
    return asyncio.run(_scan(driver, spec, options, out, args.json))


async def _scan(driver: ScannerDriver, spec: str, options: CaptureOptions, out: Path,
                as_json: bool) -> int:
    t0 = time.perf_counter()
    try:
        page = await driver.capture(options)
    except ScannerError as exc:
        code = failure_code(exc)
        if as_json:
            print(json.dumps({"ok": False, "driver": spec, "code": code, "error": str(exc)},
                             ensure_ascii=False))
        print(f"xiaowu-booth: scanner error ({code}) on {spec}: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # e.g. a document camera asked for its feeder
        print(f"xiaowu-booth: {spec}: {exc}", file=sys.stderr)
        return 2
    finally:
        await driver.close()
    scan_ms = round((time.perf_counter() - t0) * 1000)
    report = await asyncio.to_thread(check_quality, page.image, camera=page.meta.driver == "uvc")
    ok, buf = await asyncio.to_thread(cv2.imencode, out.suffix.lower(), page.image)
    try:
        if not ok:
            raise OSError("cannot encode the page")
        out.write_bytes(buf.tobytes())
    except OSError as exc:
        print(f"xiaowu-booth: cannot write {out}: {exc}", file=sys.stderr)
        return 2
    result: dict[str, Any] = {
        "ok": True, "driver": spec, "device": page.meta.device, "out": str(out),
        "width": page.meta.width, "height": page.meta.height, "dpi": page.meta.dpi,
        "mode": page.meta.mode, "source": page.meta.source, "bytes": int(buf.size),
        "scan_ms": scan_ms, "quality": quality_json(report)}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        failed = ", ".join(result["quality"]["failed"]) or "none"
        print(f"{out}: {page.meta.width}x{page.meta.height} from {spec} "
              f"({page.meta.device}) in {scan_ms} ms; quality checks failed: {failed}")
    return 0


def _usage(message: str) -> int:
    print(f"xiaowu-booth: {message}", file=sys.stderr)
    return 2
