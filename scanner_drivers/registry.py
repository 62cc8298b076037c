"""Open a driver from a spec string, as written in a booth's configuration.

=================================  ==========================================
``sane``                           SANE, first device ``scanimage -L`` lists
``sane:test``, ``sane:epson2:...`` SANE device by name (everything after ``sane:``)
``uvc:0``, ``uvc:/dev/video2``     document camera by V4L2 index or path
``folder:/srv/scans``              images dropped into a directory
``synthetic``, ``synthetic:form``  rendered documents (``form``, ``id_card_front``,
                                   ``id_card_back``)
=================================  ==========================================

A spec that fits none of these raises ``ValueError``.
"""

from __future__ import annotations

from typing import Any, cast

from scanner_drivers.driver import ScannerDriver
from scanner_drivers.folder import FolderDriver
from scanner_drivers.sane import SaneDriver
from scanner_drivers.synthetic import DOCUMENTS, Document, SyntheticDriver
from scanner_drivers.uvc import UvcDriver

__all__ = ["DRIVER_NAMES", "open_driver"]

DRIVER_NAMES = ("sane", "uvc", "folder", "synthetic")


def open_driver(spec: str, **kwargs: Any) -> ScannerDriver:
    """A driver for ``spec``; ``kwargs`` go to the driver's constructor.

    Opening is cheap: no device is touched until the first call on the driver.
    """
    kind, sep, arg = spec.partition(":")
    if kind == "sane":
        if sep and not arg:
            raise ValueError(f"empty SANE device in {spec!r}")
        return SaneDriver(arg or None, **kwargs)
    if kind == "uvc":
        if arg.isdigit():
            return UvcDriver(int(arg), **kwargs)
        if arg.startswith("/dev/"):
            return UvcDriver(arg, **kwargs)
        raise ValueError(f"uvc needs a camera index or /dev path, got {spec!r}")
    if kind == "folder":
        if not arg:
            raise ValueError("folder needs a path: folder:/path/to/dir")
        return FolderDriver(arg, **kwargs)
    if kind == "synthetic":
        document = arg or "form"
        if document not in DOCUMENTS:
            raise ValueError(f"unknown synthetic document {document!r}; one of {DOCUMENTS}")
        return SyntheticDriver(cast(Document, document), **kwargs)
    raise ValueError(f"unknown scanner spec {spec!r}; drivers: {', '.join(DRIVER_NAMES)}")
