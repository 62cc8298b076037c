"""A widget that shows video frames pushed from any thread.

:meth:`VideoWidget.push` takes an ``av.VideoFrame`` (the agent's video from
:class:`~booth_client.media.BoothMedia`) or a numpy image (the booth's own
camera, BGR as OpenCV reads it) from whatever thread produced it. Only the
newest frame is kept: if the Qt thread has not drawn the previous one yet it is
dropped, so a busy UI shows fresh video late rather than old video on time.
The conversion to a ``QImage`` happens in the Qt thread and only for frames
that are drawn.
"""

from __future__ import annotations

import threading
from typing import Any, Literal, Protocol

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from booth_client.ui.theme import VIDEO_BG

__all__ = ["VideoWidget", "to_qimage", "fit_rect", "ArrayFormat"]

ArrayFormat = Literal["rgb24", "bgr24"]


class _VideoFrameLike(Protocol):
    def to_ndarray(self, *, format: str) -> Any: ...  # noqa: A002 - av's own name


def to_qimage(frame: object, array_format: ArrayFormat = "bgr24") -> QImage:
    """An owned ``QImage`` of ``frame`` (``av.VideoFrame`` or an HxWx3 / HxW uint8 array)."""
    if isinstance(frame, np.ndarray):
        arr = frame
        fmt: ArrayFormat = array_format
    elif hasattr(frame, "to_ndarray"):
        vf: _VideoFrameLike = frame
        arr = vf.to_ndarray(format="rgb24")
        fmt = "rgb24"
    else:
        raise TypeError(f"cannot show a {type(frame).__name__} as video")
    if arr.dtype != np.uint8:
        raise ValueError(f"video frames must be uint8, not {arr.dtype}")
    arr = np.ascontiguousarray(arr)
    h, w = int(arr.shape[0]), int(arr.shape[1])
    if arr.ndim == 2:
        qfmt = QImage.Format.Format_Grayscale8
    elif arr.ndim == 3 and arr.shape[2] == 3:
        qfmt = (QImage.Format.Format_RGB888 if fmt == "rgb24"
                else QImage.Format.Format_BGR888)
    else:
        raise ValueError(f"unsupported frame shape {arr.shape}")
    # The QImage borrows the array's memory; copy() gives it its own.
    return QImage(arr.data, w, h, int(arr.strides[0]), qfmt).copy()


def fit_rect(image_w: int, image_h: int, box_w: int, box_h: int) -> QRectF:
    """The largest rectangle of the image's aspect ratio centred in the box."""
    if image_w <= 0 or image_h <= 0 or box_w <= 0 or box_h <= 0:
        return QRectF(0, 0, 0, 0)
    scale = min(box_w / image_w, box_h / image_h)
    w, h = image_w * scale, image_h * scale
    return QRectF((box_w - w) / 2, (box_h - h) / 2, w, h)


class VideoWidget(QWidget):
    """Shows the newest pushed frame, scaled with its aspect ratio kept."""

    _frame_ready = Signal()

    def __init__(self, parent: QWidget | None = None, *, array_format: ArrayFormat = "bgr24",
                 mirror: bool = False, placeholder: str = "", radius: float = 0.0,
                 border: str | None = None) -> None:
        super().__init__(parent)
        self._array_format: ArrayFormat = array_format
        self._mirror = mirror
        self._placeholder = placeholder
        self._radius = radius
        self._border = QColor(border) if border else None
        self._lock = threading.Lock()
        self._pending: object | None = None
        self._image: QImage | None = None
        self.frames_shown = 0
        self.frames_dropped = 0
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, radius == 0.0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Queued even from the Qt thread: frames that arrive before the UI gets
        # round to drawing collapse into one.
        self._frame_ready.connect(self._take, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ any thread

    def push(self, frame: object) -> None:
        """Hand over a frame (thread-safe). Older undrawn frames are dropped."""
        with self._lock:
            scheduled = self._pending is not None
            if scheduled:
                self.frames_dropped += 1
            self._pending = frame
        if not scheduled:
            self._frame_ready.emit()

    # ------------------------------------------------------------------ Qt thread

    def clear(self) -> None:
        """Forget the last picture (a call ended: never show the last agent's face)."""
        with self._lock:
            self._pending = None
        if self._image is not None:
            self._image = None
            self.update()

    def has_image(self) -> bool:
        return self._image is not None

    def image(self) -> QImage | None:
        return self._image

    def set_placeholder(self, text: str) -> None:
        if text != self._placeholder:
            self._placeholder = text
            if self._image is None:
                self.update()

    def placeholder(self) -> str:
        return self._placeholder

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def _take(self) -> None:
        with self._lock:
            frame, self._pending = self._pending, None
        if frame is None:
            return
        try:
            self._image = to_qimage(frame, self._array_format)
        except (TypeError, ValueError):
            return
        self.frames_shown += 1
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        bg = QColor(VIDEO_BG)
        if self._radius:
            path = QPainterPath()
            path.addRoundedRect(QRectF(self.rect()), self._radius, self._radius)
            painter.setClipPath(path)  # the picture's corners follow the rounding
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bg)
            painter.drawRoundedRect(QRectF(self.rect()), self._radius, self._radius)
        else:
            painter.fillRect(self.rect(), bg)
        image = self._image
        if image is not None and not image.isNull():
            target = fit_rect(image.width(), image.height(), self.width(), self.height())
            if self._mirror:
                painter.translate(self.width(), 0)
                painter.scale(-1, 1)
            painter.drawImage(target, image)
        elif self._placeholder:
            painter.setPen(QColor("#e8edf3"))
            font = QFont(self.font())
            font.setPixelSize(max(24, min(44, self.height() // 8)))
            painter.setFont(font)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter
                             | Qt.TextFlag.TextWordWrap, self._placeholder)
        if self._border is not None:
            painter.resetTransform()
            painter.setBrush(Qt.BrushStyle.NoBrush)
            pen = QPen(self._border)
            pen.setWidth(4)
            painter.setPen(pen)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(2, 2, -2, -2),
                                    self._radius, self._radius)
        painter.end()
