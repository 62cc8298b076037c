"""Small building blocks shared by the screens: styled labels and buttons, the
status bar, and the base class every screen derives from.

A screen is drawn from a :class:`~booth_client.session.BoothView` and a
language by :meth:`ScreenBase.draw`; it keeps no booth state of its own and
reports what the resident touched by calling ``act(intent, *args)``, which the
kiosk forwards to :meth:`booth_client.runner.BoothRunner.act`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QWidget,
)

from booth_client.session import BoothView, DepartmentItem, Link, ServiceItem
from booth_client.ui.i18n import Lang, tr

__all__ = [
    "Act", "ScreenBase", "StatusBar", "label", "button", "set_prop", "set_text",
    "set_min_height", "scroll_area", "clear_layout", "centered",
    "header_row", "dept_name", "service_name", "service_materials", "find_service",
]


LANG_BUTTON_W = 220


class Act(Protocol):
    def __call__(self, intent: str, *args: Any) -> None: ...


def set_prop(widget: QWidget, name: str, value: str) -> None:
    """Set a style property and re-apply the stylesheet if it changed."""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def set_text(widget: QLabel | QPushButton, text: str) -> None:
    if widget.text() != text:
        widget.setText(text)


def label(role: str, text: str = "", *, name: str = "", wrap: bool = True,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
          | Qt.AlignmentFlag.AlignVCenter) -> QLabel:
    lab = QLabel(text)
    lab.setProperty("role", role)
    lab.setWordWrap(wrap)
    lab.setAlignment(align)
    if name:
        lab.setObjectName(name)
    return lab


def button(role: str, text: str = "", *, name: str = "",
           on_click: Callable[[], None] | None = None) -> QPushButton:
    btn = QPushButton(text)
    btn.setProperty("role", role)
    btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a touchscreen: no focus rings
    btn.setCursor(Qt.CursorShape.PointingHandCursor)
    if name:
        btn.setObjectName(name)
    if on_click is not None:
        # A zero-argument slot: Qt would otherwise pass ``checked`` into the
        # first parameter of a callback with default arguments.
        btn.clicked.connect(lambda: on_click())
    return btn


def set_min_height(btn: QPushButton, px: int) -> None:
    """A taller button than its role's; the stylesheet's ``min-height`` would win
    over ``setMinimumHeight``, so this goes through a stylesheet too."""
    btn.setStyleSheet(f"QPushButton {{ min-height: {px}px; }}")


def scroll_area(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that a finger can drag.

    Pages whose length comes from the catalog scroll instead of pushing the
    window past the screen; the scroll bar is thick enough to touch.
    """
    area = QScrollArea()
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setProperty("role", "scroll")
    content.setProperty("role", "scroll-content")
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.TouchGesture)
    return area


def clear_layout(layout: QLayout) -> None:
    """Remove and delete every item (``deleteLater``: a button may be mid-signal)."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()
        elif item.layout() is not None:
            child = item.layout()
            assert child is not None
            clear_layout(child)
            child.deleteLater()


def centered(widget: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget)
    row.addStretch(1)
    return row


def dept_name(dept: DepartmentItem, lang: Lang) -> str:
    return dept.name_en if lang == "en" and dept.name_en else dept.name


def service_name(svc: ServiceItem, lang: Lang) -> str:
    return svc.name_en if lang == "en" and svc.name_en else svc.name


def service_materials(svc: ServiceItem, lang: Lang) -> tuple[str, ...]:
    if lang == "en" and len(svc.materials_en) == len(svc.materials):
        return svc.materials_en
    return svc.materials


def find_service(view: BoothView, service_id: str | None
                 ) -> tuple[DepartmentItem, ServiceItem] | None:
    for dept in view.departments:
        for svc in dept.services:
            if svc.id == service_id:
                return dept, svc
    return None


class ScreenBase(QWidget):
    """One kiosk screen. Subclasses build their widgets once and :meth:`draw` often."""

    def __init__(self, act: Act, toggle_lang: Callable[[], None]) -> None:
        super().__init__()
        self.setProperty("role", "screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.act = act
        self._toggle_lang = toggle_lang
        self.lang_button = button("lang", name="lang.toggle", on_click=toggle_lang)
        self.lang_button.setFixedWidth(LANG_BUTTON_W)

    def draw(self, view: BoothView, lang: Lang) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def shown(self) -> None:
        """The screen just came to the front."""

    def hidden(self) -> None:
        """Another screen came to the front."""

    def render_lang_button(self, lang: Lang) -> None:
        set_text(self.lang_button, tr("lang.toggle", lang))


def header_row(*widgets: QWidget | None) -> QHBoxLayout:
    """A row: the first widget left, the last right, the middle ones centred."""
    row = QHBoxLayout()
    row.setSpacing(24)
    for i, w in enumerate(widgets):
        if w is None:
            row.addStretch(1)
        else:
            row.addWidget(w, 1 if i not in (0, len(widgets) - 1) else 0)
    return row


_LINK_KEYS = {
    Link.ONLINE: "status.online",
    Link.CONNECTING: "status.connecting",
    Link.RECONNECTING: "status.reconnecting",
    Link.OFFLINE: "status.offline",
}


class StatusBar(QFrame):
    """The thin band on top: booth name, connection state, date and time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self.setObjectName("statusbar")
        self.setFixedHeight(64)
        self._clock = clock
        self._lang: Lang = "zh"
        self.brand = label("brand", wrap=False, name="status.brand")
        self.dot = label("dot", "●", wrap=False)
        self.link = label("link", wrap=False, name="status.link")
        self.time = label("time", wrap=False, name="status.time")
        row = QHBoxLayout(self)
        row.setContentsMargins(32, 0, 32, 0)
        row.setSpacing(12)
        row.addWidget(self.brand)
        row.addStretch(1)
        row.addWidget(self.dot)
        row.addWidget(self.link)
        row.addSpacing(40)
        row.addWidget(self.time)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def draw(self, view: BoothView, lang: Lang) -> None:
        self._lang = lang
        name = view.booth_name or tr("status.booth_unknown", lang)
        set_text(self.brand, f"{tr('status.brand', lang)}  ·  {name}")
        set_text(self.link, tr(_LINK_KEYS[view.link], lang))
        set_prop(self.dot, "state", view.link.value)
        self._tick()

    def _tick(self) -> None:
        t = time.localtime(self._clock())
        if self._lang == "zh":
            text = f"{t.tm_year}年{t.tm_mon}月{t.tm_mday}日  {t.tm_hour:02d}:{t.tm_min:02d}"
        else:
            text = time.strftime("%d %b %Y  %H:%M", t)
        set_text(self.time, text)
