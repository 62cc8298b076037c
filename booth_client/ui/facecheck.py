"""The face-check overlay of the in-call screen: a face outline over the resident's own
(mirrored) picture and one big prompt at a time, with a countdown.

It draws :attr:`BoothView.face` (a :class:`~booth_client.assist.FaceView`):
while frames are taken the self view fills the video area (the call screen
swaps it with the agent's picture) and :class:`FaceGuide` dims everything but
an oval; :class:`FacePanel` shows the step ("请眨眨眼", "请向左转头" …), the
seconds left and "step 2 of 3", then what the hub said (judging, a hint such as
"请靠近一点", done, decided). The resident has nothing to press: the agent
starts and restarts checks.

The self view is a mirror, so "turn left" (the resident's own left) moves the
face towards the screen's left: the arrow points that way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from booth_client.assist import FacePhase, FaceView
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.widgets import label, set_prop, set_text

__all__ = ["FaceGuide", "FacePanel", "face_mode", "prompt_key"]

_BIG_SELF = frozenset({FacePhase.STEPS, FacePhase.SENDING, FacePhase.RETRY})


def face_mode(face: FaceView | None) -> bool:
    """Whether the self view takes the whole video area (frames are being taken, or the
    resident has to adjust before the agent starts again)."""
    return face is not None and face.phase in _BIG_SELF


def prompt_key(face: FaceView) -> str:
    """The i18n key of the big line."""
    if face.phase is FacePhase.STEPS and face.step is not None:
        return f"face.step.{face.step}"
    return face.message or "face.judging"


def oval_rect(w: float, h: float) -> QRectF:
    """Where the face should be: an upright oval a little above the middle of the picture."""
    oh = h * 0.72
    ow = min(w * 0.8, oh * 0.74)
    return QRectF(w / 2 - ow / 2, h * 0.47 - oh / 2, ow, oh)


class FaceGuide(QWidget):
    """Transparent layer over the self view: dim outside the oval, the oval, a turn arrow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("face.guide")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.step: str | None = None

    def set_step(self, step: str | None) -> None:
        if step != self.step:
            self.step = step
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h = float(self.width()), float(self.height())
        oval = oval_rect(w, h)
        outside = QPainterPath()
        outside.addRect(QRectF(0, 0, w, h))
        hole = QPainterPath()
        hole.addEllipse(oval)
        p.fillPath(outside.subtracted(hole), QColor(10, 20, 35, 150))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor("#ffffff"), 10))
        p.drawEllipse(oval)
        p.setPen(QPen(QColor("#7fb2ff"), 4, Qt.PenStyle.DashLine))
        p.drawEllipse(oval.adjusted(-12, -12, 12, 12))
        if self.step in ("turn_left", "turn_right"):
            self._arrow(p, oval, -1 if self.step == "turn_left" else 1)
        p.end()

    def _arrow(self, p: QPainter, oval: QRectF, direction: int) -> None:
        size = oval.width() * 0.34
        cy = oval.center().y()
        x0 = oval.left() - 30 if direction < 0 else oval.right() + 30
        tip = x0 + direction * size
        shaft = size * 0.55
        half = size * 0.32
        poly = QPolygonF([
            QPointF(x0, cy - half * 0.45), QPointF(x0 + direction * shaft, cy - half * 0.45),
            QPointF(x0 + direction * shaft, cy - half), QPointF(tip, cy),
            QPointF(x0 + direction * shaft, cy + half), QPointF(x0 + direction * shaft,
                                                               cy + half * 0.45),
            QPointF(x0, cy + half * 0.45)])
        p.setPen(QPen(QColor("#0b4ea2"), 4))
        p.setBrush(QColor("#ffd666"))
        p.drawPolygon(poly)


class FacePanel(QFrame):
    """The prompt band over the top of the video."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.setObjectName("face.panel")
        self.setProperty("role", "prompt-panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._clock = clock
        self._face: FaceView | None = None
        self._lang: Lang = "zh"
        self.title = label("prompt-sub", name="face.title")
        self.step = label("prompt-sub", name="face.step_of",
                          align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.prompt = label("prompt", name="face.prompt")
        self.sub = label("prompt-sub", name="face.sub")
        self.countdown = label("countdown", name="face.countdown",
                               align=Qt.AlignmentFlag.AlignCenter, wrap=False)
        self.countdown.setMinimumWidth(150)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.step)
        body = QHBoxLayout()
        body.setSpacing(24)
        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(self.prompt)
        text.addWidget(self.sub)
        body.addLayout(text, 1)
        body.addWidget(self.countdown)
        root = QVBoxLayout(self)
        root.setContentsMargins(36, 18, 36, 22)
        root.setSpacing(6)
        root.addLayout(head)
        root.addLayout(body)
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.tick)

    def draw(self, face: FaceView, lang: Lang) -> None:
        self._face, self._lang = face, lang
        steps = face.phase is FacePhase.STEPS
        set_text(self.title, tr("face.title", lang))
        set_text(self.prompt, tr(prompt_key(face), lang))
        n, m = min(face.index + 1, len(face.steps)), len(face.steps)
        set_text(self.step, tr("face.step_of", lang, n=n, m=m) if steps else "")
        self.step.setVisible(steps)
        if steps:
            sub = tr("face.guide", lang)
        elif face.phase is FacePhase.RETRY or face.phase is FacePhase.FAILED:
            sub = tr("face.wait_agent", lang)
        else:
            sub = ""
        set_text(self.sub, sub)
        self.sub.setVisible(bool(sub))
        set_prop(self, "tone", {FacePhase.RETRY: "warn", FacePhase.FAILED: "warn",
                                FacePhase.DECIDED: "ok"}.get(face.phase, "info"))
        self.countdown.setVisible(steps)
        if steps:
            self._timer.start()
        else:
            self._timer.stop()
        self.tick()

    def tick(self) -> None:
        face = self._face
        if face is None or face.step_ends_at is None:
            return
        left = max(0, math.ceil(face.step_ends_at - self._clock()))
        set_text(self.countdown, str(left))

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)
