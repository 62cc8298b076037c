"""Painting the agent's drawings and laser pointer (issue 7) with ``QPainter``.

Shapes come from ``signaling.annotations`` in coordinates normalized to their
surface (0..1 from the top left); :func:`paint_shapes` maps them onto any
rectangle: the whole kiosk window for the ``screen`` surface, the fitted image
for a ``document:<id>`` surface. A shape's ``width`` is in pixels of a
1920-pixel-wide surface and scales with the rectangle, as the protocol says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPen,
    QRadialGradient,
)

from signaling.annotations import Shape

__all__ = ["PALETTE", "paint_shapes", "paint_pointer", "paint_ripple", "to_px", "TrailPoint"]

# The protocol's colour names -> what the booth shows (saturated, visible on white and video).
PALETTE = {"red": "#e53935", "yellow": "#fbc02d", "green": "#2e9d46", "blue": "#1e6fd9",
           "white": "#ffffff", "black": "#1b1b1b"}
_SURFACE_W = 1920.0

TrailPoint = tuple[float, float, float]  # x, y (0..1), age 0 (now) .. 1 (gone)


def to_px(rect: QRectF, x: float, y: float) -> QPointF:
    return QPointF(rect.left() + x * rect.width(), rect.top() + y * rect.height())


def _scale(rect: QRectF) -> float:
    return max(0.25, rect.width() / _SURFACE_W)


def paint_shapes(p: QPainter, shapes: Iterable[Shape], rect: QRectF) -> None:
    """Draw ``shapes`` (oldest first) over ``rect``."""
    scale = _scale(rect)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for shape in shapes:
        color = QColor(PALETTE.get(shape.color, PALETTE["red"]))
        width = max(2.0, shape.width * scale * 1.5)  # a touch bolder for older eyes
        pts = [to_px(rect, x, y) for x, y in shape.points]
        if shape.kind == "pen":
            _pen(p, pts, color, width)
        elif shape.kind == "arrow":
            _arrow(p, pts[0], pts[1], color, width)
        elif shape.kind == "box":
            _box(p, pts[0], pts[1], color, width, shape.fill)
        elif shape.kind == "text" and shape.text:
            _text(p, pts[0], shape.text, color, scale)
    p.restore()


def _pen(p: QPainter, pts: Sequence[QPointF], color: QColor, width: float) -> None:
    pen = QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if len(pts) == 1:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawEllipse(pts[0], width / 2, width / 2)
        return
    path = QPainterPath(pts[0])
    for pt in pts[1:]:
        path.lineTo(pt)
    p.drawPath(path)


def _arrow(p: QPainter, a: QPointF, b: QPointF, color: QColor, width: float) -> None:
    head = max(22.0, width * 4.5)
    angle = math.atan2(b.y() - a.y(), b.x() - a.x())
    back = QPointF(b.x() - head * 0.8 * math.cos(angle), b.y() - head * 0.8 * math.sin(angle))
    p.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(a, back)
    wing = math.radians(28)
    left = QPointF(b.x() - head * math.cos(angle - wing), b.y() - head * math.sin(angle - wing))
    right = QPointF(b.x() - head * math.cos(angle + wing),
                    b.y() - head * math.sin(angle + wing))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawPolygon([b, left, right])


def _box(p: QPainter, a: QPointF, b: QPointF, color: QColor, width: float, fill: bool) -> None:
    rect = QRectF(a, b).normalized()
    if fill:  # a highlighter over the text: translucent, its edge a little stronger
        fill_color = QColor(color)
        fill_color.setAlpha(80)
        edge = QColor(color)
        edge.setAlpha(170)
        p.setPen(QPen(edge, max(2.0, width / 2)))
        p.setBrush(fill_color)
    else:
        p.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(rect, 6, 6)


def _text(p: QPainter, at: QPointF, text: str, color: QColor, scale: float) -> None:
    font = QFont(p.font())
    font.setPixelSize(max(18, round(44 * scale)))
    font.setBold(True)
    path = QPainterPath()
    ascent = font.pixelSize() * 0.9
    path.addText(QPointF(at.x(), at.y() + ascent), font, text)
    halo = QColor("#ffffff") if color.lightness() < 160 else QColor("#1b1b1b")
    p.setPen(QPen(halo, max(4.0, 6 * scale), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                  Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)  # the halo keeps the words readable on any background
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawPath(path)


def paint_pointer(p: QPainter, rect: QRectF, x: float, y: float,
                  trail: Sequence[TrailPoint] = ()) -> None:
    """The agent's laser pointer: a large red dot with a glow and a fading trail."""
    scale = _scale(rect)
    r = max(10.0, 17 * scale)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(Qt.PenStyle.NoPen)
    for tx, ty, age in trail:
        alpha = int(150 * (1 - age))
        if alpha <= 0:
            continue
        p.setBrush(QColor(229, 57, 53, alpha))
        p.drawEllipse(to_px(rect, tx, ty), r * (1 - 0.55 * age), r * (1 - 0.55 * age))
    centre = to_px(rect, x, y)
    glow = QRadialGradient(centre, r * 2.6)
    glow.setColorAt(0.0, QColor(255, 60, 50, 200))
    glow.setColorAt(0.45, QColor(255, 40, 40, 90))
    glow.setColorAt(1.0, QColor(255, 40, 40, 0))
    p.setBrush(QBrush(glow))
    p.drawEllipse(centre, r * 2.6, r * 2.6)
    p.setBrush(QColor("#ff1f1f"))
    p.setPen(QPen(QColor("#ffffff"), max(2.0, 3 * scale)))
    p.drawEllipse(centre, r, r)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(255, 255, 255, 200))
    p.drawEllipse(QPointF(centre.x() - r * 0.3, centre.y() - r * 0.3), r * 0.28, r * 0.28)
    p.restore()


def paint_ripple(p: QPainter, rect: QRectF, x: float, y: float, progress: float) -> None:
    """Where a remote tap landed: rings spreading out (``progress`` 0 .. 1)."""
    scale = _scale(rect)
    centre = to_px(rect, x, y)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    for lag in (0.0, 0.25):
        t = progress - lag
        if not 0 <= t <= 1:
            continue
        radius = (20 + 90 * t) * scale * 1.4
        color = QColor(30, 111, 217, int(230 * (1 - t)))
        p.setPen(QPen(color, max(3.0, 8 * scale * (1 - t))))
        p.drawEllipse(centre, radius, radius)
    dot = QColor(30, 111, 217, int(220 * max(0.0, 1 - progress)))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(dot)
    p.drawEllipse(centre, 12 * scale * 1.4, 12 * scale * 1.4)
    p.restore()
