"""The agent's guidance and the frozen document surface, over the call's video (issue 7).

:class:`GuidePanel` shows ``assist.guide`` large: a checklist (✓ what is ready,
○ what is still needed) or a short text, with a document of the call as the
picture when the agent gave one; 知道了 puts it away.

:class:`DocumentPanel` shows a document of the call large (``document:<id>``,
when the agent points or draws on it) with the agent's drawings and pointer on
it, in coordinates normalized to the image, as the agent sees it. The image is
the booth's own copy of what it uploaded (``images(document_id)``); a booth
that no longer has it shows a blank page with the drawings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from booth_client.remote import PointerView, RemoteView
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.remote_draw import paint_pointer, paint_shapes
from booth_client.ui.video import fit_rect
from booth_client.ui.widgets import Act, button, clear_layout, label, set_min_height, set_text
from signaling import protocol as p
from signaling.annotations import Shape

__all__ = ["GuidePanel", "DocumentPanel", "SurfaceCanvas", "Images"]

Images = Callable[[str], bytes | None]  # document id -> the encoded image, if the booth has it


class SurfaceCanvas(QWidget):
    """A document image fitted into the widget, with drawings and the pointer over it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setMinimumSize(320, 240)
        self.image: QImage | None = None
        self.document_id: str | None = None
        self.shapes: tuple[Shape, ...] = ()
        self.pointer: PointerView | None = None
        self.missing = ""
        self.on_drawn: Callable[[dict[str, Any]], None] | None = None
        self._reported = 0

    def set_image(self, document_id: str | None, images: Images | None) -> None:
        if document_id == self.document_id:
            return
        self.document_id = document_id
        data = images(document_id) if images is not None and document_id else None
        image = QImage.fromData(data) if data else QImage()
        self.image = None if image.isNull() else image
        self.update()

    def set_marks(self, shapes: tuple[Shape, ...], pointer: PointerView | None) -> None:
        if shapes != self.shapes or pointer != self.pointer:
            self.shapes, self.pointer = shapes, pointer
            self.update()

    def image_rect(self) -> QRectF:
        """Where the image lies (the drawings' coordinate frame)."""
        if self.image is not None:
            w, h = self.image.width(), self.image.height()
        else:
            w, h = 210, 297  # an A4 page stands in for a picture the booth no longer has
        return QRectF(fit_rect(w, h, self.width(), self.height()))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        rect = self.image_rect()
        if self.image is not None:
            painter.drawImage(rect, self.image)
        else:
            painter.setPen(QPen(QColor("#9aa7b8"), 3))
            painter.setBrush(QColor("#ffffff"))
            painter.drawRect(rect)
            painter.setPen(QColor("#46566a"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.missing)
        paint_shapes(painter, self.shapes, rect)
        pointer = self.pointer
        if pointer is not None and pointer.visible:
            paint_pointer(painter, rect, pointer.x, pointer.y)
        painter.end()
        if pointer is not None and pointer.visible and pointer.seq != self._reported:
            self._reported = pointer.seq
            if self.on_drawn is not None:
                self.on_drawn({"event": "assist.pointer.drawn", "surface": pointer.surface,
                               "x": pointer.x, "y": pointer.y, "seq": pointer.seq})


class DocumentPanel(QFrame):
    """A document of the call, large, with the agent's drawings on it."""

    def __init__(self, act: Act) -> None:
        super().__init__()
        self.setObjectName("remote.document")
        self.setProperty("role", "overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.images: Images | None = None
        self.title = label("instruction", name="remote.document.title")
        self.close_button = button("secondary", name="remote.document.close",
                                   on_click=lambda: act("remote", "close_document"))
        self.canvas = SurfaceCanvas("remote.document.canvas")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.close_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(36, 28, 36, 28)
        col.setSpacing(16)
        col.addLayout(head)
        col.addWidget(self.canvas, 1)

    def draw(self, remote: RemoteView, lang: Lang) -> None:
        doc = remote.document_id
        set_text(self.title, tr("remote.doc.title", lang))
        set_text(self.close_button, tr("remote.doc.close", lang))
        self.canvas.missing = tr("remote.doc.missing", lang)
        self.canvas.set_image(doc, self.images)
        surface = f"document:{doc}"
        pointer = remote.pointer if remote.pointer is not None and \
            remote.pointer.surface == surface else None
        self.canvas.set_marks(remote.board.shapes(surface), pointer)


class GuidePanel(QFrame):
    """The agent's guidance, large."""

    def __init__(self, act: Act) -> None:
        super().__init__()
        self.setObjectName("remote.guide")
        self.setProperty("role", "overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.images: Images | None = None
        self._shown: tuple[p.AssistGuide, str] | None = None
        self.title = label("accent", name="remote.guide.title")
        self.text = label("instruction", name="remote.guide.text")
        self.items = QVBoxLayout()
        self.items.setSpacing(14)
        self.picture = SurfaceCanvas("remote.guide.picture")
        self.ok = button("primary", name="remote.guide.ok",
                         on_click=lambda: act("remote", "close_guide"))
        set_min_height(self.ok, 120)
        body = QHBoxLayout()
        body.setSpacing(36)
        words = QVBoxLayout()
        words.setSpacing(18)
        words.addWidget(self.text)
        words.addLayout(self.items)
        words.addStretch(1)
        body.addLayout(words, 3)
        body.addWidget(self.picture, 2)
        col = QVBoxLayout(self)
        col.setContentsMargins(44, 36, 44, 36)
        col.setSpacing(24)
        col.addWidget(self.title)
        col.addLayout(body, 1)
        col.addWidget(self.ok)

    def draw(self, guide: p.AssistGuide, lang: Lang) -> None:
        if self._shown == (guide, lang):
            return
        self._shown = (guide, lang)
        set_text(self.title, guide.title)
        set_text(self.text, guide.text or "")
        self.text.setVisible(guide.kind == "text")
        clear_layout(self.items)
        for i, item in enumerate(guide.items or ()):
            row = QHBoxLayout()
            row.setSpacing(20)
            mark = label("guide-mark", "✓" if item.done else str(i + 1), wrap=False,
                         align=Qt.AlignmentFlag.AlignCenter)
            mark.setProperty("done", "true" if item.done else "false")
            words = label("guide-item", item.text, name=f"remote.guide.item.{i}")
            words.setProperty("done", "true" if item.done else "false")
            state = label("hint", tr("guide.done" if item.done else "guide.todo", lang),
                          wrap=False)
            row.addWidget(mark)
            row.addWidget(words, 1)
            row.addWidget(state)
            self.items.addLayout(row)
        self.picture.missing = tr("remote.doc.missing", lang)
        self.picture.set_image(guide.document_id, self.images)
        self.picture.setVisible(guide.document_id is not None)
        set_text(self.ok, tr("guide.ok", lang))
