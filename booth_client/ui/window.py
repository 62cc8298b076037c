"""The kiosk window: a status bar, a notice banner and one screen per ``Screen``.

:meth:`KioskWindow.render` draws a :class:`~booth_client.session.BoothView`
and nothing else holds booth state: the engine decides which screen is up,
what the ticket says and when to go home; the window only remembers the last
view to redraw it (a language switch, the call timer) and the display
language, a preference of whoever stands at the booth that goes back to the
default when the engine says the resident left (:meth:`reset_resident`).

Every touch is reported as the ``touch`` intent so the engine can push its
inactivity timeouts back; buttons report their own intents on release.

Remote assist (issue 7) adds three things at window level, over every screen:
the share bar under the status bar (停止共享 / 收回控制, while the screen is
shared), the consent question (over everything, while the agent asks) and the
remote layer (the frame, the agent's pointer and drawings, tap ripples; it lets
every touch through). :meth:`inject_tap` presses the window for the agent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QInputEvent, QResizeEvent
from PySide6.QtWidgets import QApplication, QStackedWidget, QVBoxLayout, QWidget

from booth_client.session import BoothView, Link, Media, Screen
from booth_client.ui.call import CallScreen
from booth_client.ui.choose import ChooseScreen
from booth_client.ui.i18n import Lang, other_lang, tr
from booth_client.ui.rating import RatingScreen
from booth_client.ui.remote_bar import ConsentPrompt, ShareBar
from booth_client.ui.remote_control import inject_tap
from booth_client.ui.remote_overlay import RemoteLayer
from booth_client.ui.remote_panels import Images
from booth_client.ui.screens import MessageScreen, ThanksScreen, WaitingScreen, WelcomeScreen
from booth_client.ui.video import VideoWidget
from booth_client.ui.widgets import Act, ScreenBase, StatusBar, label, set_text

__all__ = ["KioskWindow"]

_TOUCH_EVENTS = (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin)
_STARTING = BoothView(screen=Screen.CONNECTING, link=Link.CONNECTING, media=Media.IDLE,
                      booth_name="", departments=(), department_id=None, service_id=None,
                      ticket=None, call=None, rating_call_id=None, notice=None,
                      camera="unknown", busy=False)


class KioskWindow(QWidget):
    """Construct with the runner's ``act``; connect ``on_view`` to :meth:`render`."""

    closed = Signal()

    def __init__(self, act: Act, *, lang: Lang = "zh",
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.setObjectName("kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle("晓屋政务服务 Xiaowu")
        self._act = act
        self.default_lang: Lang = lang
        self.lang: Lang = lang
        self._view: BoothView | None = None
        self._video_call: str | None = None  # whose frames the video widgets hold
        self._last_touch = -1

        self.status = StatusBar(clock)
        self.banner = label("banner", name="window.banner", align=Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.call_screen = CallScreen(act, self.toggle_lang, clock)
        self.screens: dict[Screen, ScreenBase] = {
            Screen.UNENROLLED: MessageScreen(act, self.toggle_lang, "unenrolled"),
            Screen.CONNECTING: MessageScreen(act, self.toggle_lang, "connecting"),
            Screen.DISABLED: MessageScreen(act, self.toggle_lang, "disabled"),
            Screen.WELCOME: WelcomeScreen(act, self.toggle_lang),
            Screen.CHOOSING: ChooseScreen(act, self.toggle_lang),
            Screen.WAITING: WaitingScreen(act, self.toggle_lang),
            Screen.IN_CALL: self.call_screen,
            Screen.RATING: RatingScreen(act, self.toggle_lang),
            Screen.THANKS: ThanksScreen(act, self.toggle_lang),
        }
        for widget in self.screens.values():
            self.stack.addWidget(widget)
        self.stack.setCurrentWidget(self.screens[Screen.CONNECTING])

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self.status)
        self.share_bar = ShareBar(act)
        root.addWidget(self.share_bar)
        # The banner sits in its own strip so that hiding it hides its margins too.
        self.banner_strip = QWidget()
        strip = QVBoxLayout(self.banner_strip)
        strip.setContentsMargins(56, 12, 56, 0)
        strip.addWidget(self.banner)
        self.banner_strip.setVisible(False)
        root.addWidget(self.banner_strip)
        root.addWidget(self.stack, 1)
        self.consent = ConsentPrompt(self, act, clock)
        self.remote_layer = RemoteLayer(self)
        self.remote_layer.setVisible(False)

        # Until the runner's first view: "connecting", drawn but not remembered.
        self._draw(_STARTING)
        self._view = None

        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    # ------------------------------------------------------------------ video sinks

    @property
    def remote_video(self) -> VideoWidget:
        """Where the agent's frames go (``BoothMedia(on_remote_video=...push)``)."""
        return self.call_screen.remote

    @property
    def self_video(self) -> VideoWidget:
        """Where the booth's own camera frames go (BGR arrays)."""
        return self.call_screen.local

    # ------------------------------------------------------------------ drawing

    # The name the runner's callers know (``on_view=window.render``); it shadows
    # QWidget.render (paint into a device), which the kiosk never calls from Python.
    def render(self, view: BoothView) -> None:  # type: ignore[override]
        """Draw ``view``. Drawing the same view again changes nothing."""
        self._view = view
        self._draw(view)

    def _draw(self, view: BoothView) -> None:
        lang = self.lang
        self.status.draw(view, lang)
        if view.notice:
            banner: str | None = tr(view.notice, lang)
        elif view.link is Link.RECONNECTING and view.screen is not Screen.IN_CALL:
            banner = tr("call.reconnecting", lang)
        else:
            banner = None
        if banner is not None:
            set_text(self.banner, banner)
        self.banner_strip.setVisible(banner is not None)

        call_id = view.call.call_id if view.call is not None else None
        if call_id != self._video_call:
            self._video_call = call_id
            self.remote_video.clear()
            self.self_video.clear()

        self.share_bar.draw(view.remote, lang)
        widget = self.screens[view.screen]
        widget.draw(view, lang)
        current = self.stack.currentWidget()
        if current is not widget:
            if isinstance(current, ScreenBase):
                current.hidden()
            self.stack.setCurrentWidget(widget)
            widget.shown()
        self.consent.draw(view.remote, lang)
        self.remote_layer.set_view(view.remote)

    def set_images(self, images: Images) -> None:
        """Where document pictures come from (``BoothRunner.document_image``)."""
        self.call_screen.set_images(images)

    def set_remote_events(self, emit: Callable[[dict[str, Any]], None]) -> None:
        """Hear of every pointer position painted (``assist.pointer.drawn``; test hook)."""
        self.remote_layer.on_drawn = emit
        self.call_screen.surface.canvas.on_drawn = emit

    def inject_tap(self, x: float, y: float, seq: int = 0) -> str | None:
        """A remote tap (``assist.control``, the resident's control grant on): press what
        lies at (``x``, ``y``) 0..1 of the window. Returns what was pressed (or refused)."""
        return inject_tap(self, x, y)

    def current_screen(self) -> ScreenBase:
        widget = self.stack.currentWidget()
        assert isinstance(widget, ScreenBase)
        return widget

    def view(self) -> BoothView | None:
        """The last view drawn."""
        return self._view

    def set_lang(self, lang: Lang) -> None:
        if lang != self.lang:
            self.lang = lang
            self._draw(self._view or _STARTING)

    def toggle_lang(self) -> None:
        self.set_lang(other_lang(self.lang))

    def reset_resident(self) -> None:
        """The resident left (``on_reset``): default language, no pictures of them."""
        self.remote_video.clear()
        self.self_video.clear()
        self.set_lang(self.default_lang)

    # ------------------------------------------------------------------ Qt

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.consent.setGeometry(self.rect())
        self.remote_layer.setGeometry(self.rect())
        self.remote_layer.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _TOUCH_EVENTS and isinstance(watched, QWidget) \
                and watched.window() is self:
            # One press travels up the parent chain; report it once.
            stamp = event.timestamp() if isinstance(event, QInputEvent) else 0
            if stamp == 0 or stamp != self._last_touch:
                self._last_touch = stamp
                self._act("touch")
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.closed.emit()
        super().closeEvent(event)
