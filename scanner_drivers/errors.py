"""The one exception tree of :mod:`scanner_drivers`.

::

    ScannerError                 anything a driver raises about a device or a scan
    ├── NoDevice                 no such device, or it cannot be opened
    ├── DeviceBusy               another process holds the device
    ├── Jammed                   the document feeder jammed
    ├── NoDocuments              the feeder (or the watched folder) is empty
    ├── CoverOpen                the scanner cover is open
    ├── ScanTimeout              the scan did not finish in time (process killed)
    └── ScanFailed               any other failure (I/O error, undecodable image, ...)

Foreign exceptions (``OSError``, ``cv2.error``) are translated at the driver
boundary with ``raise ScanFailed(...) from exc``. Wrong *arguments* (a bad
driver spec, an unknown colour mode) are ``ValueError``, not part of this tree.
"""

from __future__ import annotations

__all__ = [
    "CoverOpen",
    "DeviceBusy",
    "Jammed",
    "NoDevice",
    "NoDocuments",
    "ScanFailed",
    "ScanTimeout",
    "ScannerError",
]


class ScannerError(Exception):
    """Base of every device or scan error; ``device`` names the device when known."""

    def __init__(self, message: str, *, device: str | None = None) -> None:
        super().__init__(message)
        self.device = device


class NoDevice(ScannerError):
    """The device does not exist or cannot be opened."""


class DeviceBusy(ScannerError):
    """The device is in use by someone else; retrying later may work."""


class Jammed(ScannerError):
    """The document feeder jammed; a person must clear it."""


class NoDocuments(ScannerError):
    """Nothing to scan: the feeder or the watched folder is empty."""


class CoverOpen(ScannerError):
    """The scanner cover is open."""


class ScanTimeout(ScannerError):
    """The scan took longer than ``CaptureOptions.timeout_s``; it was aborted."""


class ScanFailed(ScannerError):
    """Any other failure: I/O error, corrupt image, frame source ended."""
