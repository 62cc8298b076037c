"""scanner_drivers: scanners, document cameras, folders and renderers behind one interface.

Every driver implements :class:`ScannerDriver` (async: ``list_devices``,
``status``, ``capture``, ``capture_pages``, ``close``) and returns
:class:`ScanPage` (a ``uint8`` BGR or gray image plus :class:`ScanMeta`).
Pick one with :func:`open_driver` (``"sane:test"``, ``"uvc:0"``,
``"folder:/path"``, ``"synthetic:id_card_front"``).

Errors form one tree (all in :mod:`scanner_drivers.errors`)::

    ScannerError
    ├── NoDevice
    ├── DeviceBusy
    ├── Jammed
    ├── NoDocuments
    ├── CoverOpen
    ├── ScanTimeout
    └── ScanFailed

This package imports nothing from the rest of Xiaowu.
"""

from scanner_drivers.driver import ScannerDriver
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
    CaptureOptions,
    DeviceInfo,
    DeviceState,
    DeviceStatus,
    ScanMeta,
    ScanPage,
)
from scanner_drivers.quality import QualityIssue, QualityReport, check_quality
from scanner_drivers.registry import open_driver

__all__ = [
    "CaptureOptions",
    "CoverOpen",
    "DeviceBusy",
    "DeviceInfo",
    "DeviceState",
    "DeviceStatus",
    "Jammed",
    "NoDevice",
    "NoDocuments",
    "QualityIssue",
    "QualityReport",
    "ScanFailed",
    "ScanMeta",
    "ScanPage",
    "ScanTimeout",
    "ScannerDriver",
    "ScannerError",
    "check_quality",
    "open_driver",
]
