"""What the resident always sees and can always touch while the agent looks or helps
(issue 7): the share bar, and the consent question.

:class:`ShareBar` is a strip under the status bar, shown on every screen while the
screen is shared (``RemoteView.sharing``): "工作人员正在查看您的屏幕" and a big 停止共享
button; while the agent may tap, also "工作人员正在协助操作" and 收回控制.

:class:`ConsentPrompt` covers the whole window while the agent asks for a scope
(``RemoteView.asking``): the question in plain words, large 同意 / 不同意 buttons,
and how long until no answer counts as no.

Both are resident-only: a remote tap never lands on them
(:func:`booth_client.ui.remote_control.blocked`), so the agent can neither grant
itself a consent nor hide the bar.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from booth_client.remote import Consent, RemoteView, Scope
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.widgets import Act, button, label, set_min_height, set_text

__all__ = ["ShareBar", "ConsentPrompt", "BLOCKED"]

BLOCKED = "remote_blocked"  # a widget property: remote taps may not press it or its children


class ShareBar(QFrame):
    """Shown while the screen is shared; its buttons revoke at once."""

    def __init__(self, act: Act) -> None:
        super().__init__()
        self.setObjectName("remote.bar")
        self.setProperty("role", "sharebar")
        self.setProperty(BLOCKED, True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.dot = label("share-dot", "●", wrap=False)
        self.screen_text = label("share-text", name="remote.bar.screen", wrap=False)
        self.control_text = label("share-text", name="remote.bar.control", wrap=False)
        self.stop = button("danger", name="remote.stop_share",
                           on_click=lambda: act("remote", "stop_share"))
        self.revoke = button("danger-outline", name="remote.revoke_control",
                             on_click=lambda: act("remote", "revoke_control"))
        for b in (self.stop, self.revoke):
            set_min_height(b, 92)
        row = QHBoxLayout(self)
        row.setContentsMargins(40, 10, 28, 10)
        row.setSpacing(20)
        row.addWidget(self.dot)
        texts = QVBoxLayout()
        texts.setSpacing(0)
        texts.addWidget(self.screen_text)
        texts.addWidget(self.control_text)
        row.addLayout(texts, 1)
        row.addWidget(self.revoke)
        row.addWidget(self.stop)
        self.setVisible(False)

    def draw(self, remote: RemoteView | None, lang: Lang) -> None:
        shared = remote is not None and remote.sharing
        self.setVisible(shared)
        if remote is None or not shared:
            return
        starting = remote.screen is Consent.GRANTING
        set_text(self.screen_text, tr("remote.bar.starting" if starting else "remote.bar.screen",
                                      lang))
        control = remote.control is not Consent.OFF
        set_text(self.control_text, tr("remote.bar.control", lang))
        self.control_text.setVisible(control)
        set_text(self.stop, tr("remote.bar.stop_share", lang))
        set_text(self.revoke, tr("remote.bar.revoke_control", lang))
        self.revoke.setVisible(control)


class ConsentPrompt(QWidget):
    """The consent question over the whole window (it takes every touch while shown)."""

    def __init__(self, parent: QWidget, act: Act,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("remote.consent")
        self.setProperty(BLOCKED, True)
        self._act = act
        self._clock = clock
        self._lang: Lang = "zh"
        self.scope: Scope | None = None
        self._until: float | None = None
        self.card = QFrame(self)
        self.card.setProperty("role", "consent-card")
        self.card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.title = label("accent", name="remote.consent.title")
        self.question = label("instruction", name="remote.consent.question")
        self.detail = label("body", name="remote.consent.detail")
        self.countdown = label("hint", name="remote.consent.countdown")
        self.yes = button("primary", name="remote.consent.yes", on_click=lambda: self._answer(True))
        self.no = button("secondary", name="remote.consent.no",
                         on_click=lambda: self._answer(False))
        for b in (self.yes, self.no):
            b.setProperty("emphasis", "huge")  # before the style sheet below polishes it
            set_min_height(b, 150)
        col = QVBoxLayout(self.card)
        col.setContentsMargins(64, 56, 64, 56)
        col.setSpacing(24)
        col.addWidget(self.title)
        col.addWidget(self.question)
        col.addWidget(self.detail)
        col.addSpacing(16)
        row = QHBoxLayout()
        row.setSpacing(40)
        row.addWidget(self.no, 1)
        row.addWidget(self.yes, 1)
        col.addLayout(row)
        col.addWidget(self.countdown)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.setVisible(False)

    def _answer(self, granted: bool) -> None:
        if self.scope is not None:
            self._act("remote", "consent", self.scope.value, granted)

    def draw(self, remote: RemoteView | None, lang: Lang) -> None:
        scope = remote.asking if remote is not None else None
        self.scope, self._lang = scope, lang
        self._until = remote.asking_until if remote is not None else None
        if scope is None:
            self._timer.stop()
            self.setVisible(False)
            return
        set_text(self.title, tr(f"remote.consent.title.{scope.value}", lang))
        set_text(self.question, tr(f"remote.consent.question.{scope.value}", lang))
        set_text(self.detail, tr(f"remote.consent.detail.{scope.value}", lang))
        set_text(self.yes, tr("remote.consent.yes", lang))
        set_text(self.no, tr("remote.consent.no", lang))
        self._tick()
        if not self.isVisible():
            self.setVisible(True)
            self.raise_()
            self._timer.start()
        self.arrange()

    def _tick(self) -> None:
        if self._until is not None:
            left = max(0, math.ceil(self._until - self._clock()))
            set_text(self.countdown, tr("remote.consent.timeout", self._lang, n=left))

    def arrange(self) -> None:
        w, h = self.width(), self.height()
        cw = min(w - 80, 1280)
        self.card.setFixedWidth(cw)
        ch = self.card.sizeHint().height()
        self.card.setGeometry((w - cw) // 2, max(20, (h - ch) // 2), cw, min(ch, h - 40))

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.arrange()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(10, 20, 35, 165))  # the kiosk dimmed behind the question
        p.end()
