"""The kiosk window as a picture for the screen share (issue 7).

:func:`grab_window` renders the window with ``QWidget.grab()`` (what the
resident sees, the remote layer included) and returns an RGB array at most
``max_width`` wide, for :class:`~booth_client.screen_track.ScreenSource`. It runs
on the Qt thread (the asyncio loop's thread under qasync), a few times a second
while the screen is shared: a 1920x1080 window costs a few milliseconds.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

__all__ = ["grab_window", "qimage_rgb"]


def qimage_rgb(image: QImage) -> np.ndarray:
    """An owned HxWx3 RGB array of ``image``."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    raw = np.frombuffer(img.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * 3].reshape(h, w, 3).copy()


def grab_window(window: QWidget, max_width: int = 1280) -> np.ndarray | None:
    """The window as the resident sees it, scaled down to ``max_width`` (None if hidden)."""
    if not window.isVisible() or window.width() < 2 or window.height() < 2:
        return None
    image = window.grab().toImage()
    if image.width() > max_width:
        image = image.scaledToWidth(max_width, Qt.TransformationMode.SmoothTransformation)
    return qimage_rgb(image)
