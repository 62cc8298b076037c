"""The document overlay of the in-call screen: where to put the document, what is
happening, and the resident's two buttons ("ready", "cancel").

It draws :attr:`BoothView.document` (a :class:`~booth_client.assist.DocumentView`)
and nothing else: a picture of the document camera with the requested document
in its frame (:class:`DocumentPicture`, drawn with ``QPainter``; no image
files), the instruction in large type, a line saying what the booth is doing
(a countdown before the picture is taken, the reason of a retry, "sending…"),
and the result. Its buttons send the intents ``document_ready``,
``cancel_document`` and ``dismiss_document``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QVBoxLayout, QWidget

from booth_client.assist import DocPhase, DocumentView
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.theme import BLUE, RED
from booth_client.ui.widgets import Act, button, label, set_prop, set_text

__all__ = ["DocumentOverlay", "DocumentPicture", "instruction_text", "status_text"]

_BUSY = (DocPhase.CAPTURING, DocPhase.UPLOADING)
_CAN_CANCEL = (DocPhase.READY, DocPhase.CAPTURING, DocPhase.RETRYING, DocPhase.UPLOADING)
_RESULTS = (DocPhase.SUBMITTED, DocPhase.ACCEPTED, DocPhase.FAILED)


def instruction_text(doc: DocumentView, lang: Lang) -> tuple[str, str | None]:
    """The big instruction, and a second line (the agent's own words in English mode)."""
    default = tr(f"doc.instruction.{doc.kind}", lang)
    if lang == "zh":
        return doc.instruction or default, None
    return default, doc.instruction  # the agent typed Chinese: show it too, smaller


def status_text(doc: DocumentView, lang: Lang, now: float) -> str:
    """What the booth is doing, in words; counts down where the engine has a deadline."""
    left = max(0, math.ceil(doc.until - now)) if doc.until is not None else 0
    if doc.phase is DocPhase.READY:
        return tr("doc.countdown", lang, n=left)
    if doc.phase is DocPhase.CAPTURING:
        if doc.attempt > 1:
            return (tr("doc.capturing", lang) + "  "
                    + tr("doc.attempt", lang, n=doc.attempt, m=doc.attempts))
        return tr("doc.capturing", lang)
    if doc.phase is DocPhase.RETRYING:
        reason = tr(doc.message, lang) if doc.message else ""
        return f"{reason}\n{tr('doc.retrying', lang, n=left)}".strip()
    if doc.phase is DocPhase.UPLOADING:
        return tr("doc.uploading", lang)
    return tr(doc.message, lang) if doc.message else ""


class DocumentPicture(QWidget):
    """A document camera (高拍仪) seen from the front, with ``kind`` lying in its frame."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = "id_front"
        self.setMinimumSize(360, 300)
        self.setObjectName("doc.picture")

    def set_kind(self, kind: str) -> None:
        if kind != self.kind:
            self.kind = kind
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h = float(self.width()), float(self.height())
        unit = min(w / 1.2, h)
        ox, oy = (w - unit * 1.2) / 2, (h - unit) / 2
        plate = QRectF(ox + unit * 0.05, oy + unit * 0.30, unit * 1.1, unit * 0.62)
        # the plate, with a shadow under it
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#cfd6df"))
        p.drawRoundedRect(plate.translated(0, unit * 0.02), 22, 22)
        p.setBrush(QColor("#eef1f5"))
        p.setPen(QPen(QColor("#9aa7b8"), 3))
        p.drawRoundedRect(plate, 22, 22)
        # the arm and the camera head above the plate
        arm = QPen(QColor("#5d6b7c"), unit * 0.035, Qt.PenStyle.SolidLine,
                   Qt.PenCapStyle.RoundCap)
        p.setPen(arm)
        base = QPointF(plate.right() - unit * 0.08, plate.top() + unit * 0.02)
        elbow = QPointF(plate.right() - unit * 0.08, oy + unit * 0.06)
        head = QPointF(plate.center().x() + unit * 0.12, oy + unit * 0.06)
        p.drawLine(base, elbow)
        p.drawLine(elbow, head)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#3f4b59"))
        p.drawRoundedRect(QRectF(plate.center().x() - unit * 0.16, oy + unit * 0.02,
                                 unit * 0.32, unit * 0.09), 10, 10)
        p.setBrush(QColor("#9fc3ee"))
        p.drawEllipse(QPointF(plate.center().x(), oy + unit * 0.11), unit * 0.035,
                      unit * 0.035)
        # the light cone onto the frame
        frame = plate.adjusted(unit * 0.14, unit * 0.07, -unit * 0.14, -unit * 0.07)
        cone = QPainterPath()
        cone.moveTo(plate.center().x() - unit * 0.03, oy + unit * 0.13)
        cone.lineTo(frame.left(), frame.top())
        cone.lineTo(frame.right(), frame.top())
        cone.lineTo(plate.center().x() + unit * 0.03, oy + unit * 0.13)
        cone.closeSubpath()
        p.setBrush(QColor(11, 78, 162, 28))
        p.drawPath(cone)
        # the frame (取景框): blue corner marks
        corner = QPen(QColor(BLUE), 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        p.setPen(corner)
        c = unit * 0.07
        for x, y, dx, dy in ((frame.left(), frame.top(), 1, 1),
                             (frame.right(), frame.top(), -1, 1),
                             (frame.left(), frame.bottom(), 1, -1),
                             (frame.right(), frame.bottom(), -1, -1)):
            p.drawLine(QPointF(x, y), QPointF(x + dx * c, y))
            p.drawLine(QPointF(x, y), QPointF(x, y + dy * c))
        _draw_document(p, self.kind, frame.adjusted(unit * 0.04, unit * 0.03,
                                                    -unit * 0.04, -unit * 0.03))
        p.end()


def _fit(box: QRectF, aspect: float) -> QRectF:
    """The largest rectangle of ``aspect`` (w / h) centred in ``box``."""
    w = min(box.width(), box.height() * aspect)
    h = w / aspect
    return QRectF(box.center().x() - w / 2, box.center().y() - h / 2, w, h)


def _lines(p: QPainter, left: float, top: float, width: float, n: int, gap: float,
           color: str = "#8795a8") -> None:
    p.setPen(QPen(QColor(color), max(2.0, gap * 0.22), Qt.PenStyle.SolidLine,
                  Qt.PenCapStyle.RoundCap))
    for i in range(n):
        y = top + i * gap
        frac = 1.0 if i % 3 != 2 else 0.6
        p.drawLine(QPointF(left, y), QPointF(left + width * frac, y))


def _draw_document(p: QPainter, kind: str, box: QRectF) -> None:
    p.save()
    if kind in ("id_front", "id_back"):
        card = _fit(box, 85.6 / 54.0).adjusted(6, 6, -6, -6)
        p.setPen(QPen(QColor("#7d93ad"), 3))
        p.setBrush(QColor("#dbe7f4"))
        p.drawRoundedRect(card, card.height() * 0.07, card.height() * 0.07)
        if kind == "id_front":
            photo = QRectF(card.right() - card.width() * 0.34, card.top() + card.height() * 0.14,
                           card.width() * 0.26, card.height() * 0.56)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#c2ccd8"))
            p.drawRect(photo)
            p.setBrush(QColor("#8e9bab"))
            r = photo.width() * 0.22
            p.drawEllipse(QPointF(photo.center().x(), photo.top() + photo.height() * 0.38), r, r)
            p.drawChord(QRectF(photo.left() + photo.width() * 0.12,
                               photo.bottom() - photo.height() * 0.34,
                               photo.width() * 0.76, photo.height() * 0.6), 0, 180 * 16)
            _lines(p, card.left() + card.width() * 0.08, card.top() + card.height() * 0.2,
                   card.width() * 0.48, 4, card.height() * 0.13)
            _lines(p, card.left() + card.width() * 0.08, card.bottom() - card.height() * 0.13,
                   card.width() * 0.84, 1, card.height() * 0.1, "#5d6b7c")
        else:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(RED))
            r = card.height() * 0.17
            centre = QPointF(card.left() + card.width() * 0.16, card.top() + card.height() * 0.3)
            p.drawEllipse(centre, r, r)
            p.setBrush(QColor("#f2c94c"))
            p.drawPolygon(_star(centre, r * 0.6))
            _lines(p, card.left() + card.width() * 0.34, card.top() + card.height() * 0.24,
                   card.width() * 0.5, 2, card.height() * 0.14, "#5d6b7c")
            _lines(p, card.left() + card.width() * 0.16, card.bottom() - card.height() * 0.3,
                   card.width() * 0.7, 2, card.height() * 0.12)
    elif kind == "household_register":
        book = _fit(box, 1.45).adjusted(4, 4, -4, -4)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#8a3a2c"))  # the booklet's cover showing round the pages
        p.drawRoundedRect(book, 8, 8)
        inner = book.adjusted(book.width() * 0.03, book.height() * 0.05,
                              -book.width() * 0.03, -book.height() * 0.05)
        half = inner.width() / 2
        for i in range(2):
            page = QRectF(inner.left() + i * half, inner.top(), half, inner.height())
            p.setPen(QPen(QColor("#b9a88f"), 2))
            p.setBrush(QColor("#fbf6ea"))
            p.drawRect(page)
            _lines(p, page.left() + page.width() * 0.12, page.top() + page.height() * 0.16,
                   page.width() * 0.76, 6, page.height() * 0.12, "#a99c85")
        p.setPen(QPen(QColor("#6b2c21"), 3))
        p.drawLine(QPointF(inner.center().x(), inner.top()),
                   QPointF(inner.center().x(), inner.bottom()))
    else:  # an A4 page: form, certificate, other
        page = _fit(box, 210 / 297).adjusted(4, 4, -4, -4)
        p.setPen(QPen(QColor("#9aa7b8"), 3))
        p.setBrush(QColor("#ffffff"))
        p.drawRect(page)
        if kind == "certificate":
            p.setPen(QPen(QColor("#b08d3c"), 4))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(page.adjusted(8, 8, -8, -8))
        top = page.top() + page.height() * 0.1
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#5d6b7c"))
        p.drawRect(QRectF(page.left() + page.width() * 0.25, top, page.width() * 0.5,
                          page.height() * 0.04))
        _lines(p, page.left() + page.width() * 0.12, top + page.height() * 0.13,
               page.width() * 0.76, 9, page.height() * 0.07)
        if kind == "certificate":
            p.setPen(QPen(QColor(RED), 4))
            p.setBrush(QBrush(QColor(198, 40, 40, 40)))
            r = page.width() * 0.13
            p.drawEllipse(QPointF(page.right() - page.width() * 0.26,
                                  page.bottom() - page.height() * 0.13), r, r)
    p.restore()


def _star(centre: QPointF, r: float) -> list[QPointF]:
    pts = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.42
        angle = -math.pi / 2 + i * math.pi / 5
        pts.append(QPointF(centre.x() + radius * math.cos(angle),
                           centre.y() + radius * math.sin(angle)))
    return pts


class DocumentOverlay(QFrame):
    """Covers the video while a document is being captured; the call goes on underneath."""

    def __init__(self, act: Act, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.setObjectName("doc.overlay")
        self.setProperty("role", "overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.act = act
        self._clock = clock
        self._doc: DocumentView | None = None
        self._lang: Lang = "zh"
        self.picture = DocumentPicture()
        self.kind = label("accent", name="doc.kind")
        self.instruction = label("instruction", name="doc.instruction")
        self.agent_words = label("body", name="doc.agent_words")
        self.rescan = label("banner", name="doc.rescan")
        self.symbol = label("symbol", name="doc.symbol", align=Qt.AlignmentFlag.AlignCenter,
                            wrap=False)
        self.status = label("status", name="doc.status")
        self.progress = QProgressBar()
        self.progress.setObjectName("doc.progress")
        self.progress.setRange(0, 0)  # busy: no percentage to give
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(18)
        self.ready = button("primary", name="doc.ready",
                            on_click=lambda: self.act("document_ready"))
        self.cancel = button("danger-outline", name="doc.cancel",
                             on_click=lambda: self.act("cancel_document"))
        self.dismiss = button("primary", name="doc.dismiss",
                              on_click=lambda: self.act("dismiss_document"))
        for b in (self.ready, self.cancel, self.dismiss):
            b.setMinimumHeight(112)

        text = QVBoxLayout()
        text.setSpacing(18)
        text.addWidget(self.kind)
        text.addWidget(self.instruction)
        text.addWidget(self.agent_words)
        text.addWidget(self.rescan)
        text.addStretch(1)
        status_row = QHBoxLayout()
        status_row.setSpacing(20)
        status_row.addWidget(self.symbol)
        status_row.addWidget(self.status, 1)
        text.addLayout(status_row)
        text.addWidget(self.progress)
        text.addSpacing(12)
        buttons = QHBoxLayout()
        buttons.setSpacing(24)
        buttons.addWidget(self.ready, 3)
        buttons.addWidget(self.dismiss, 3)
        buttons.addWidget(self.cancel, 2)
        text.addLayout(buttons)
        root = QHBoxLayout(self)
        root.setContentsMargins(40, 36, 40, 36)
        root.setSpacing(40)
        root.addWidget(self.picture, 5)
        root.addLayout(text, 6)

    def draw(self, doc: DocumentView, lang: Lang) -> None:
        self._doc, self._lang = doc, lang
        self.picture.set_kind(doc.kind)
        set_text(self.kind, tr(f"doc.kind.{doc.kind}", lang))
        main, second = instruction_text(doc, lang)
        set_text(self.instruction, main)
        set_text(self.agent_words, second or "")
        self.agent_words.setVisible(bool(second))
        show_reason = doc.rescan and doc.phase in (DocPhase.READY, DocPhase.CAPTURING,
                                                   DocPhase.RETRYING)
        if show_reason:
            reason = tr("doc.rescan", lang)
            if doc.agent_reason:
                reason += ("：" if lang == "zh" else ": ") + doc.agent_reason
            set_text(self.rescan, reason)
        self.rescan.setVisible(show_reason)
        ok = doc.phase in (DocPhase.SUBMITTED, DocPhase.ACCEPTED)
        bad = doc.phase in (DocPhase.RETRYING, DocPhase.FAILED)
        set_text(self.symbol, "✓" if ok else "!" if bad else "")
        set_prop(self.symbol, "kind", "ok" if ok else "warn")
        self.symbol.setVisible(ok or bad)
        self.progress.setVisible(doc.phase in _BUSY)
        set_text(self.ready, tr("doc.ready", lang))
        set_text(self.cancel, tr("doc.cancel", lang))
        set_text(self.dismiss, tr("doc.dismiss", lang))
        self.ready.setVisible(doc.phase is DocPhase.READY)
        self.cancel.setVisible(doc.phase in _CAN_CANCEL)
        self.dismiss.setVisible(doc.phase in _RESULTS)
        self.tick()

    def tick(self) -> None:
        """Redraw the countdown (the call screen's timer calls this every second)."""
        if self._doc is not None:
            set_text(self.status, status_text(self._doc, self._lang, self._clock()))
