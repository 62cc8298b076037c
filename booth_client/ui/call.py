"""The in-call screen: the agent's video large, the booth's own camera small,
the agent's name, the call time and a red hang-up button.

A banner over the video says when the link or the media path is being rebuilt
(``view.link`` / ``view.media`` is ``reconnecting``) or when the agent's own
connection dropped (``view.call.peer_away``); the resident keeps seeing the
call throughout, as the engine keeps it (DESIGN.md §3: aiortc rebuilds the
peer connection with ``gen + 1``).

Documents and the face check are drawn over the video, never instead of the
call (``view.overlay`` says which): :class:`~booth_client.ui.document.DocumentOverlay`
covers the video area while a document is asked for; during a face check the
self view takes the video area (the agent's picture goes to the corner) under
:class:`~booth_client.ui.facecheck.FaceGuide` and
:class:`~booth_client.ui.facecheck.FacePanel`. The side panel (agent, call
time, hang up) stays as it is.

Remote assist (``view.remote.front``) covers the video the same way, when no
document capture or face check is under way (those wait for nobody): the form
(:class:`~booth_client.ui.form.FormPanel`), the agent's guidance or a document
the agent is drawing on (:mod:`booth_client.ui.remote_panels`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from booth_client.session import BoothView, Link, Media
from booth_client.ui.document import DocumentOverlay
from booth_client.ui.facecheck import FaceGuide, FacePanel, face_mode
from booth_client.ui.form import FormPanel
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.remote_panels import DocumentPanel, GuidePanel, Images
from booth_client.ui.video import VideoWidget
from booth_client.ui.widgets import (
    Act,
    ScreenBase,
    button,
    find_service,
    label,
    service_name,
    set_min_height,
    set_text,
)

__all__ = ["CallScreen", "format_duration", "banner_key"]


def format_duration(seconds: float) -> str:
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def banner_key(view: BoothView) -> str | None:
    """Which warning to show over the video, if any."""
    if view.link is Link.RECONNECTING:
        return "call.reconnecting"  # our own link: we cannot know about the agent
    if view.call is not None and view.call.peer_away:
        return "call.peer_away"
    if view.media is Media.RECONNECTING:
        return "call.reconnecting"
    return None


class _Stage(QWidget):
    """The video area: the agent's video filling it and the self view in the lower right
    corner; in ``face`` mode the other way round. Overlays lie on top."""

    def __init__(self, remote: VideoWidget, local: VideoWidget, guide: FaceGuide,
                 panel: FacePanel, document: DocumentOverlay,
                 covers: tuple[QWidget, ...] = ()) -> None:
        super().__init__()
        self.remote, self.local = remote, local
        self.guide, self.panel, self.document = guide, panel, document
        self.covers = covers  # remote assist's panels: the whole stage, like ``document``
        self.mode = "normal"
        for w in (remote, local, guide, panel, document, *covers):
            w.setParent(self)
        self.arrange()

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.arrange()

    def arrange(self) -> None:
        w, h = self.width(), self.height()
        margin = 24
        panel_h = min(self.panel.sizeHint().height() + 8, h // 3)
        if self.mode == "face":
            # The prompt sits above the picture, not on it: a face is in the upper
            # half of a booth camera's frame and must not be hidden by the words.
            self.panel.setGeometry(0, 0, w, panel_h)
            big, small = self.local, self.remote
            big.setGeometry(0, panel_h + 16, w, max(1, h - panel_h - 16))
        else:
            self.panel.setGeometry(margin, margin, w - 2 * margin, panel_h)
            big, small = self.remote, self.local
            big.setGeometry(0, 0, w, h)
        sw = max(240, w // (5 if self.mode == "face" else 4))
        sh = sw * 9 // 16
        small.setGeometry(QRect(w - sw - margin, h - sh - margin, sw, sh))
        self.guide.setGeometry(self.local.geometry())
        for widget in (self.guide, small, self.panel, *self.covers, self.document):
            widget.raise_()
        self.document.setGeometry(0, 0, w, h)
        for cover in self.covers:
            cover.setGeometry(0, 0, w, h)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.arrange()
        super().resizeEvent(event)


class CallScreen(ScreenBase):
    def __init__(self, act: Act, toggle_lang: Callable[[], None],
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(act, toggle_lang)
        self._clock = clock
        self._started_at: float | None = None
        self._lang: Lang = "zh"
        # The agent's frames are av.VideoFrames (converted as rgb24); the booth's
        # own camera gives BGR arrays and is mirrored, as residents expect of a
        # picture of themselves.
        self.remote = VideoWidget(array_format="rgb24", radius=20.0)
        self.remote.setObjectName("call.remote")
        self.local = VideoWidget(array_format="bgr24", mirror=True, radius=14.0,
                                 border="#ffffff")
        self.local.setObjectName("call.self")
        self.document = DocumentOverlay(act, clock)
        self.document.setVisible(False)
        self.face_guide = FaceGuide()
        self.face_guide.setVisible(False)
        self.face_panel = FacePanel(clock)
        self.face_panel.setVisible(False)
        self.form = FormPanel(act)
        self.guide = GuidePanel(act)
        self.surface = DocumentPanel(act)
        for cover in (self.form, self.guide, self.surface):
            cover.setVisible(False)
        self.stage = _Stage(self.remote, self.local, self.face_guide, self.face_panel,
                            self.document, (self.surface, self.guide, self.form))
        self.banner = label("banner", name="call.banner",
                            align=Qt.AlignmentFlag.AlignCenter)
        self.banner.setVisible(False)

        self.agent = label("big", name="call.agent")
        self.service = label("body", name="call.service")
        self.duration_caption = label("hint", name="call.duration_caption")
        self.timer_label = label("timer", "00:00", name="call.timer", wrap=False)
        self.hint = label("hint", name="call.hint")
        self.hang_up = button("danger", name="call.hang_up",
                              on_click=lambda: self.act("hang_up"))
        set_min_height(self.hang_up, 120)

        panel = QFrame()
        panel.setProperty("role", "card")
        panel.setMinimumWidth(380)
        panel.setMaximumWidth(480)
        side = QVBoxLayout(panel)
        side.setContentsMargins(40, 40, 40, 40)
        side.setSpacing(8)
        side.addWidget(self.agent)
        side.addSpacing(4)
        side.addWidget(self.service)
        side.addSpacing(28)
        side.addWidget(self.duration_caption)
        side.addWidget(self.timer_label)
        side.addSpacing(32)
        side.addWidget(self.hint)
        side.addStretch(1)
        self.lang_button.setMinimumWidth(0)  # as wide as the panel here
        self.lang_button.setMaximumWidth(16777215)
        side.addWidget(self.lang_button)
        side.addSpacing(16)
        side.addWidget(self.hang_up)

        left = QVBoxLayout()
        left.setSpacing(16)
        left.addWidget(self.banner)
        left.addWidget(self.stage, 1)
        root = QHBoxLayout(self)
        root.setContentsMargins(28, 24, 28, 28)
        root.setSpacing(28)
        root.addLayout(left, 3)
        root.addWidget(panel, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    def draw(self, view: BoothView, lang: Lang) -> None:
        self._lang = lang
        self.render_lang_button(lang)
        call = view.call
        set_text(self.duration_caption, tr("call.duration", lang))
        set_text(self.hint, tr("call.hint", lang))
        set_text(self.hang_up, tr("call.hang_up", lang))
        set_text(self.agent, tr("call.agent", lang, name=call.peer_name if call else "—"))
        found = None
        if view.ticket is not None:
            found = find_service(view, view.ticket.service_id)
        set_text(self.service, service_name(found[1], lang) if found else "")
        self.service.setVisible(found is not None)
        self._started_at = call.started_at if call is not None else None
        self.hang_up.setEnabled(call is not None and not view.busy)

        key = banner_key(view)
        if key is not None:
            set_text(self.banner, tr(key, lang))
        self.banner.setVisible(key is not None)

        if view.media is Media.CONNECTED:
            self.remote.set_placeholder(tr("call.waiting_video", lang))
        else:
            self.remote.set_placeholder(tr("call.connecting", lang))
        camera_bad = view.camera in ("missing", "error")
        self.local.set_placeholder(tr("call.no_camera" if camera_bad else "call.self", lang))
        if camera_bad:
            self.local.clear()
        self._draw_overlays(view, lang)
        self._tick()

    def _draw_overlays(self, view: BoothView, lang: Lang) -> None:
        doc = view.document if view.overlay == "document" else None
        face = view.face if view.overlay == "face" else None
        if doc is not None:
            self.document.draw(doc, lang)
        self.document.setVisible(doc is not None)
        if face is not None:
            self.face_panel.draw(face, lang)
        self.face_panel.setVisible(face is not None)
        big_self = face_mode(face)
        self.face_guide.set_step(face.step if face is not None else None)
        self.face_guide.setVisible(big_self)
        self.stage.set_mode("face" if big_self else "normal")
        self._draw_remote(view, lang, busy=doc is not None or face is not None)
        self.stage.arrange()  # the panel's height follows its text

    def set_images(self, images: Images) -> None:
        """Where document pictures come from (the booth's copies of its uploads)."""
        self.guide.images = images
        self.surface.images = images

    def _draw_remote(self, view: BoothView, lang: Lang, busy: bool) -> None:
        remote = view.remote
        front = remote.front if remote is not None and not busy else None
        form = remote.form if remote is not None and front == "form" else None
        guide = remote.guide if remote is not None and front == "guide" else None
        surface = remote if remote is not None and front == "document" and \
            remote.document_id is not None else None
        if form is not None:
            self.form.draw(form, lang)
        if guide is not None:
            self.guide.draw(guide, lang)
        if surface is not None:
            self.surface.draw(surface, lang)
        self.form.setVisible(form is not None)
        self.guide.setVisible(guide is not None)
        self.surface.setVisible(surface is not None)

    def shown(self) -> None:
        self._tick()
        self._timer.start()

    def hidden(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        elapsed = 0.0 if self._started_at is None else self._clock() - self._started_at
        set_text(self.timer_label, format_duration(elapsed))
        if self.document.isVisible():
            self.document.tick()
