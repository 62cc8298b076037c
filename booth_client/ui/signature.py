"""The signature pad: a handwritten signature on the touchscreen (issue 7).

:class:`SignaturePad` takes touch events (a finger) and mouse events (a mouse, or
a pen tablet that speaks mouse) and keeps each stroke as points ``(x, y, t_ms)``:
x and y normalized 0..1 over the pad, ``t_ms`` whole milliseconds from the first
touch, never going back (docs/protocol.md, "Remote assist forms"). Points closer
than a pixel and a half to the last are dropped, and the limits the hub puts on
a signature (strokes, points) are kept here, so whatever the pad gives is
accepted. :meth:`SignaturePad.signature` renders the strokes to a PNG (black ink
on a transparent background, the pad's size) and returns both.

Remote taps never reach the pad (it is marked resident-only): the agent cannot
sign for the resident.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTouchEvent,
)
from PySide6.QtWidgets import QWidget

from booth_client.remote_forms import SignatureData
from booth_client.ui.remote_bar import BLOCKED
from signaling.forms import MAX_SIGNATURE_POINTS, MAX_STROKE_POINTS, MAX_STROKES

__all__ = ["SignaturePad", "render_png"]

_MIN_STEP_PX = 1.5
_INK = "#111a2b"

Stroke = list[tuple[float, float, int]]


def _path(strokes: list[Stroke], w: float, h: float) -> QPainterPath:
    path = QPainterPath()
    for stroke in strokes:
        if not stroke:
            continue
        x0, y0, _ = stroke[0]
        path.moveTo(x0 * w, y0 * h)
        if len(stroke) == 1:
            path.lineTo(x0 * w + 0.1, y0 * h)  # a dot
        for x, y, _t in stroke[1:]:
            path.lineTo(x * w, y * h)
    return path


def render_png(strokes: list[Stroke], width: int, height: int, ink_px: float = 5.0) -> bytes:
    """The strokes as a PNG of ``width`` x ``height``: ink on transparency."""
    img = QImage(max(1, width), max(1, height), QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(QColor(_INK), ink_px, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                  Qt.PenJoinStyle.RoundJoin))
    p.drawPath(_path(strokes, float(width), float(height)))
    p.end()
    rgba = img.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h, stride = rgba.width(), rgba.height(), rgba.bytesPerLine()
    raw = np.frombuffer(rgba.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    out = io.BytesIO()
    Image.fromarray(raw[:, : w * 4].reshape(h, w, 4).copy()).save(out, "PNG", optimize=True)
    return out.getvalue()


class SignaturePad(QWidget):
    """Draw with a finger or the mouse; ``changed`` fires as strokes come and go."""

    changed = Signal()

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.setObjectName("form.signature_pad")
        self.setProperty(BLOCKED, True)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        self.setMinimumHeight(280)
        self._clock = clock
        self.strokes: list[Stroke] = []
        self._t0: float | None = None
        self._last_t = 0
        self._down = False
        self.hint = ""

    # ------------------------------------------------------------------ strokes

    @property
    def points(self) -> int:
        return sum(len(s) for s in self.strokes)

    def has_signature(self) -> bool:
        """Enough ink to be a signature (the hub wants at least two points)."""
        return self.points >= 2

    def clear(self) -> None:
        self.strokes = []
        self._t0, self._last_t, self._down = None, 0, False
        self.update()
        self.changed.emit()

    def _t_ms(self) -> int:
        now = self._clock()
        if self._t0 is None:
            self._t0 = now
        t = max(self._last_t, round((now - self._t0) * 1000))
        self._last_t = t
        return t

    def _norm(self, pos: QPointF) -> tuple[float, float]:
        w, h = max(1, self.width()), max(1, self.height())
        x = min(1.0, max(0.0, pos.x() / w))
        y = min(1.0, max(0.0, pos.y() / h))
        return round(x, 4), round(y, 4)

    def _begin(self, pos: QPointF) -> None:
        if len(self.strokes) >= MAX_STROKES or self.points >= MAX_SIGNATURE_POINTS:
            self._down = False
            return
        x, y = self._norm(pos)
        self.strokes.append([(x, y, self._t_ms())])
        self._down = True
        self.update()

    def _extend(self, pos: QPointF) -> None:
        if not self._down or not self.strokes:
            return
        stroke = self.strokes[-1]
        if len(stroke) >= MAX_STROKE_POINTS or self.points >= MAX_SIGNATURE_POINTS:
            return
        x, y = self._norm(pos)
        lx, ly, _ = stroke[-1]
        if abs(x - lx) * self.width() < _MIN_STEP_PX and \
                abs(y - ly) * self.height() < _MIN_STEP_PX:
            return
        stroke.append((x, y, self._t_ms()))
        self.update()

    def _end(self, pos: QPointF) -> None:
        if self._down:
            self._extend(pos)
            self._down = False
            self.changed.emit()

    def signature(self) -> SignatureData:
        """The strokes and their PNG, as the submission carries them."""
        strokes = tuple(tuple(stroke) for stroke in self.strokes if stroke)
        png = render_png(self.strokes, self.width(), self.height())
        return SignatureData(strokes, png)

    # ------------------------------------------------------------------ Qt events

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if isinstance(event, QTouchEvent) and kind in (
                QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd):
            points = event.points()
            if points:
                # the window's coordinates, mapped here: right for touches Qt delivers and
                # for touch events sent straight to the pad (the kiosk's scripted resident)
                pos = self.mapFrom(self.window(), points[0].scenePosition())
                if kind == QEvent.Type.TouchBegin:
                    self._begin(pos)
                elif kind == QEvent.Type.TouchUpdate:
                    self._extend(pos)
                else:
                    self._end(pos)
            event.accept()
            return True
        if kind == QEvent.Type.TouchCancel:
            self._down = False
            event.accept()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._extend(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._end(event.position())

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        p.setPen(QPen(QColor("#9db2d0"), 3))
        p.setBrush(QColor("#ffffff"))
        p.drawRoundedRect(rect, 18, 18)
        base = rect.bottom() - rect.height() * 0.22
        p.setPen(QPen(QColor("#c8d3e2"), 3, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(rect.left() + 40, base), QPointF(rect.right() - 40, base))
        if not self.strokes and self.hint:
            p.setPen(QColor("#9aa7b8"))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.hint)
        p.setPen(QPen(QColor(_INK), 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(_path(self.strokes, float(self.width()), float(self.height())))
        p.end()
