"""The remote-assist layer over the whole kiosk window (issue 7).

:class:`RemoteLayer` lies on top of everything the kiosk shows and never takes
a touch (``WA_TransparentForMouseEvents``): the resident's fingers go through
it to the buttons below. It draws, from :class:`~booth_client.remote.RemoteView`:

- while the screen is shared, a thick amber frame round the whole window (red
  inside it while the agent may also tap): the resident always sees that the
  agent is looking;
- the agent's drawings on the ``screen`` surface, in coordinates normalized to
  the window (the same window the screen share sends, so both sides agree);
- the agent's laser pointer on the ``screen`` surface: a large red dot with a
  short fading trail;
- a ripple where each remote tap landed, so every tap made for the resident is
  seen by the resident.

``on_drawn`` (a test and measuring hook) hears of every pointer position once it
has been painted: ``{"event": "assist.pointer.drawn", "surface", "x", "y", "seq",
"px": [x, y] in window pixels, "size": [width, height] of the window}``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from booth_client.remote import Consent, RemoteView
from booth_client.ui.remote_draw import TrailPoint, paint_pointer, paint_ripple, paint_shapes
from booth_client.ui.theme import AMBER_BORDER, RED

__all__ = ["RemoteLayer", "FRAME_PX", "TRAIL_S", "RIPPLE_S"]

FRAME_PX = 10
TRAIL_S = 0.6  # how long a pointer position stays in the trail
RIPPLE_S = 1.2  # how long a tap's ripple spreads
_TRAIL_MAX = 24


class RemoteLayer(QWidget):
    """Size it to the window (the window does, on every resize) and :meth:`set_view`."""

    def __init__(self, parent: QWidget, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.setObjectName("remote.layer")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setAutoFillBackground(False)
        self._clock = clock
        self.view: RemoteView | None = None
        self.trail: deque[tuple[float, float, float]] = deque(maxlen=_TRAIL_MAX)
        self._pointer_seq = 0
        self._reported_seq = 0
        self._tap_seq = 0
        self.ripples: list[tuple[float, float, float]] = []  # x, y, started
        self.on_drawn: Callable[[dict[str, Any]], None] | None = None
        self.painted = 0  # paint passes (tests)
        self._anim = QTimer(self)
        self._anim.setInterval(33)
        self._anim.timeout.connect(self._animate)

    def set_view(self, view: RemoteView | None) -> None:
        """Draw ``view`` (None: no call, nothing to draw)."""
        if view == self.view:
            return
        now = self._clock()
        pointer = view.pointer if view is not None else None
        if pointer is None or view is None:
            self.trail.clear()
            self._pointer_seq = self._reported_seq = 0
        elif pointer.seq != self._pointer_seq:
            self._pointer_seq = pointer.seq
            if pointer.visible and pointer.surface == "screen":
                self.trail.append((pointer.x, pointer.y, now))
            else:
                self.trail.clear()
        tap = view.tap if view is not None else None
        if tap is None:
            self._tap_seq = 0
            self.ripples.clear()
        elif tap.seq != self._tap_seq:
            self._tap_seq = tap.seq
            self.ripples.append((tap.x, tap.y, now))
        self.view = view
        self.setVisible(view is not None)
        self.raise_()
        self._animate()

    def _animate(self) -> None:
        now = self._clock()
        while self.trail and now - self.trail[0][2] > TRAIL_S and len(self.trail) > 1:
            self.trail.popleft()
        self.ripples = [r for r in self.ripples if now - r[2] < RIPPLE_S]
        moving = len(self.trail) > 1 or bool(self.ripples)
        if moving and not self._anim.isActive():
            self._anim.start()
        elif not moving and self._anim.isActive():
            self._anim.stop()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        view = self.view
        if view is None:
            return
        p = QPainter(self)
        rect = QRectF(self.rect())
        now = self._clock()
        if view.sharing:
            self._frame(p, rect, view.control is Consent.ON)
        paint_shapes(p, view.board.shapes("screen"), rect)
        for x, y, started in self.ripples:
            paint_ripple(p, rect, x, y, (now - started) / RIPPLE_S)
        pointer = view.pointer
        if pointer is not None and pointer.visible and pointer.surface == "screen":
            trail: list[TrailPoint] = [(x, y, min(1.0, (now - t) / TRAIL_S))
                                       for x, y, t in list(self.trail)[:-1]]
            paint_pointer(p, rect, pointer.x, pointer.y, trail)
        p.end()
        self.painted += 1
        if pointer is not None and pointer.seq != self._reported_seq and pointer.visible \
                and pointer.surface == "screen":
            self._reported_seq = pointer.seq
            if self.on_drawn is not None:
                self.on_drawn({"event": "assist.pointer.drawn", "surface": pointer.surface,
                               "x": pointer.x, "y": pointer.y, "seq": pointer.seq,
                               "px": [round(pointer.x * rect.width()),
                                      round(pointer.y * rect.height())],
                               "size": [self.width(), self.height()]})

    @staticmethod
    def _frame(p: QPainter, rect: QRectF, control: bool) -> None:
        p.save()
        half = FRAME_PX / 2
        p.setPen(QPen(QColor(AMBER_BORDER), FRAME_PX))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect.adjusted(half, half, -half, -half))
        if control:
            inner = FRAME_PX + 3
            p.setPen(QPen(QColor(RED), 4, Qt.PenStyle.DashLine))
            p.drawRect(rect.adjusted(inner, inner, -inner, -inner))
        p.restore()
