"""The kiosk window as a picture for the screen share (issue 7).

:func:`grab_window` renders the window with ``QWidget.grab()`` (what the
resident sees, the remote layer included) and returns an RGB array at most
``max_width`` wide, for :class:`~booth_client.screen_track.ScreenSource`. It runs
on the Qt thread (the asyncio loop's thread under qasync), a few times a second
while the screen is shared: a 1920x1080 window costs a few milliseconds.

What the agent may not see yet is covered in the picture: a form's ``sensitive``
values are masked on the agent's side until the form is signed
(docs/protocol.md ``assist.form.progress``), so the share must not show them in
clear either. A widget whose ``share_mask`` property is a string is painted over
with that string (``••••002X``: :func:`masked`) in the shared picture only; the
resident's screen is untouched. The on-screen keyboard is covered the same way
while it types into a sensitive field (a key lit as it is pressed would tell).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from signaling.forms import MASK

__all__ = ["grab_window", "qimage_rgb", "masked", "SHARE_MASK"]

SHARE_MASK = "share_mask"


def masked(text: str) -> str:
    """A value as the agent sees it before signing: ``••••`` and, for 8 characters or
    more, the last 4 (the hub's rule, ``signaling.forms.mask_values``)."""
    if not text:
        return ""
    return MASK + text[-4:] if len(text) >= 8 else MASK


def qimage_rgb(image: QImage) -> np.ndarray:
    """An owned HxWx3 RGB array of ``image``."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    raw = np.frombuffer(img.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return raw[:, : w * 3].reshape(h, w, 3).copy()


def _cover(window: QWidget, image: QImage) -> int:
    """Paint the ``share_mask`` of every visible widget over ``image``; returns how many."""
    covers = [(w, w.property(SHARE_MASK)) for w in window.findChildren(QWidget)
              if isinstance(w.property(SHARE_MASK), str) and w.isVisible()]
    if not covers:
        return 0
    ratio = image.devicePixelRatio() or 1.0
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    done = 0
    for widget, text in covers:
        shown = widget.visibleRegion().boundingRect()  # clipped by scroll areas
        if shown.isEmpty():
            continue
        top_left = widget.mapTo(window, shown.topLeft())
        rect = QRect(QPoint(round(top_left.x() * ratio), round(top_left.y() * ratio)),
                     shown.size() * ratio)
        p.setPen(QPen(QColor("#c8d3e2"), 2))
        p.setBrush(QColor("#eef2f7"))
        p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 12, 12)
        if text:
            font = QFont(widget.font())
            font.setPixelSize(max(14, min(40, round(rect.height() * 0.45))))
            p.setFont(font)
            p.setPen(QColor("#46566a"))
            p.drawText(rect.adjusted(24, 0, -12, 0),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        done += 1
    p.end()
    return done


def grab_window(window: QWidget, max_width: int = 1280) -> np.ndarray | None:
    """The window as the agent may see it, scaled down to ``max_width`` (None if hidden)."""
    if not window.isVisible() or window.width() < 2 or window.height() < 2:
        return None
    image = window.grab().toImage()
    _cover(window, image)
    if image.width() > max_width:
        image = image.scaledToWidth(max_width, Qt.TransformationMode.SmoothTransformation)
    return qimage_rgb(image)
