"""The simple screens: welcome, waiting, thanks, and the one-message screens
(connecting, disabled, unenrolled).

The choosing, call and rating screens live in their own modules
(``choose.py``, ``call.py``, ``rating.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout

from booth_client.session import BoothView
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.widgets import (
    Act,
    ScreenBase,
    button,
    centered,
    find_service,
    header_row,
    label,
    service_name,
    set_prop,
    set_text,
)

__all__ = ["WelcomeScreen", "MessageScreen", "WaitingScreen", "ThanksScreen",
           "ahead_text", "eta_minutes"]

_CENTER = Qt.AlignmentFlag.AlignCenter


class WelcomeScreen(ScreenBase):
    def __init__(self, act: Act, toggle_lang: Callable[[], None]) -> None:
        super().__init__(act, toggle_lang)
        self.logo = label("logo", "晓", align=_CENTER, wrap=False)
        self.title = label("hero", name="welcome.title", align=_CENTER)
        self.subtitle = label("subtitle", name="welcome.subtitle", align=_CENTER)
        self.start = button("hero", name="welcome.start", on_click=lambda: self.act("start"))
        self.start.setMinimumWidth(560)

        root = QVBoxLayout(self)
        root.setContentsMargins(64, 32, 64, 48)
        root.addLayout(header_row(None, self.lang_button))
        root.addStretch(2)
        root.addLayout(centered(self.logo))
        root.addSpacing(40)
        root.addWidget(self.title)
        root.addSpacing(16)
        root.addWidget(self.subtitle)
        root.addStretch(1)
        root.addLayout(centered(self.start))
        root.addStretch(1)
        steps = QHBoxLayout()
        steps.setSpacing(16)
        steps.addStretch(1)
        self.step_labels: list[QLabel] = []
        for i in range(1, 4):
            no = label("step-no", str(i), align=_CENTER, wrap=False)
            text = label("step", wrap=False, name=f"welcome.step{i}")
            steps.addWidget(no)
            steps.addWidget(text)
            if i < 3:
                steps.addSpacing(16)
                steps.addWidget(label("step", "—", wrap=False))
                steps.addSpacing(16)
            self.step_labels.append(text)
        steps.addStretch(1)
        root.addLayout(steps)
        root.addStretch(1)

    def draw(self, view: BoothView, lang: Lang) -> None:
        self.render_lang_button(lang)
        set_text(self.title, tr("welcome.title", lang))
        set_text(self.subtitle, tr("welcome.subtitle", lang))
        set_text(self.start, tr("welcome.start", lang))
        for i, lab in enumerate(self.step_labels, start=1):
            set_text(lab, tr(f"welcome.step{i}", lang))
        self.start.setEnabled(not view.busy)


class MessageScreen(ScreenBase):
    """One big message: ``connecting``, ``disabled`` or ``unenrolled``."""

    SYMBOLS = {"connecting": ("…", "info"), "disabled": ("!", "warn"),
               "unenrolled": ("i", "info")}

    def __init__(self, act: Act, toggle_lang: Callable[[], None], key: str) -> None:
        super().__init__(act, toggle_lang)
        self.key = key
        text, kind = self.SYMBOLS.get(key, ("i", "info"))
        self.symbol = label("symbol", text, align=_CENTER, wrap=False)
        self.symbol.setProperty("kind", kind)
        self.title = label("title", name=f"{key}.title", align=_CENTER)
        self.hint = label("subtitle", name=f"{key}.hint", align=_CENTER)
        root = QVBoxLayout(self)
        root.setContentsMargins(96, 32, 96, 48)
        root.addLayout(header_row(None, self.lang_button))
        root.addStretch(1)
        card = QFrame()
        card.setProperty("role", "card")
        card.setMaximumWidth(1240)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(80, 64, 80, 72)
        inner.setSpacing(28)
        inner.addLayout(centered(self.symbol))
        inner.addSpacing(8)
        inner.addWidget(self.title)
        inner.addWidget(self.hint)
        root.addLayout(centered(card))
        root.addStretch(2)

    def draw(self, view: BoothView, lang: Lang) -> None:
        self.render_lang_button(lang)
        set_text(self.title, tr(f"{self.key}.title", lang))
        set_text(self.hint, tr(f"{self.key}.hint", lang))


def ahead_text(position: int, lang: Lang) -> str:
    """``position`` is the number of people ahead (0: the resident is next)."""
    if position <= 0:
        return tr("wait.next", lang)
    if position == 1:
        return tr("wait.ahead_one", lang)
    return tr("wait.ahead", lang, n=position)


def eta_minutes(eta_s: int) -> int:
    return max(1, math.ceil(eta_s / 60))


class WaitingScreen(ScreenBase):
    def __init__(self, act: Act, toggle_lang: Callable[[], None]) -> None:
        super().__init__(act, toggle_lang)
        self.your_number = label("subtitle", name="wait.your_number", align=_CENTER)
        self.number = label("ticket", name="wait.number", align=_CENTER, wrap=False)
        self.priority = label("badge", name="wait.priority", align=_CENTER, wrap=False)
        self.priority.setVisible(False)  # shown for a priority ticket only
        self.service = label("body", name="wait.service", align=_CENTER)
        self.ahead = label("big", name="wait.ahead", align=_CENTER)
        self.eta = label("subtitle", name="wait.eta", align=_CENTER)
        self.hint = label("hint", name="wait.hint", align=_CENTER)
        self.cancel = button("danger-outline", name="wait.cancel",
                             on_click=lambda: self.act("cancel_ticket"))
        self.cancel.setMinimumWidth(360)

        # Noto Sans CJK's line box is ~1.45 em; the digits need ~1.05 em.
        self.number.setFixedHeight(196)

        root = QVBoxLayout(self)
        root.setContentsMargins(64, 20, 64, 28)
        root.setSpacing(0)
        root.addLayout(header_row(None, self.lang_button))
        root.addStretch(1)
        card = QFrame()
        card.setProperty("role", "card")
        card.setMinimumWidth(820)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(72, 24, 72, 28)
        inner.setSpacing(4)
        heading = QHBoxLayout()  # 您的号码 [优先办理]: the badge takes no extra line
        heading.addStretch(1)
        heading.addWidget(self.your_number)
        heading.addSpacing(20)
        heading.addWidget(self.priority)
        heading.addStretch(1)
        inner.addLayout(heading)
        inner.addWidget(self.number)
        inner.addSpacing(8)
        inner.addWidget(self.service)
        inner.addSpacing(20)
        inner.addWidget(self.ahead)
        inner.addWidget(self.eta)
        root.addLayout(centered(card))
        root.addSpacing(20)
        root.addWidget(self.hint)
        root.addStretch(1)
        root.addSpacing(16)
        root.addLayout(centered(self.cancel))

    def draw(self, view: BoothView, lang: Lang) -> None:
        self.render_lang_button(lang)
        set_text(self.your_number, tr("wait.your_number", lang))
        set_text(self.hint, tr("wait.hint", lang))
        set_text(self.cancel, tr("wait.cancel", lang))
        ticket = view.ticket
        if ticket is None:  # between a cancel's reply and the move to welcome
            self.priority.setVisible(False)
            set_text(self.number, "—")
            set_text(self.service, "")
            set_text(self.ahead, "")
            set_text(self.eta, "")
            self.cancel.setEnabled(False)
            return
        set_text(self.number, ticket.number)
        set_text(self.priority, tr("wait.priority", lang))
        self.priority.setVisible(ticket.priority)
        found = find_service(view, ticket.service_id)
        set_text(self.service, service_name(found[1], lang) if found else "")
        if ticket.state == "waiting":
            set_text(self.ahead, ahead_text(ticket.position, lang))
            set_prop(self.ahead, "role", "big")
            set_text(self.eta, tr("wait.eta", lang, m=eta_minutes(ticket.eta_s)))
            self.eta.setVisible(True)
        else:  # offered to an agent / being served: the call is about to start
            set_text(self.ahead, tr("wait.connecting", lang))
            set_prop(self.ahead, "role", "accent")
            set_text(self.eta, "")
            self.eta.setVisible(False)
        self.cancel.setEnabled(not view.busy)


class ThanksScreen(ScreenBase):
    def __init__(self, act: Act, toggle_lang: Callable[[], None]) -> None:
        super().__init__(act, toggle_lang)
        self.check = label("check", "✓", align=_CENTER, wrap=False)
        self.title = label("hero", name="thanks.title", align=_CENTER)
        self.subtitle = label("subtitle", name="thanks.subtitle", align=_CENTER)
        self.done = button("primary", name="thanks.done", on_click=lambda: self.act("done"))
        self.done.setMinimumWidth(420)
        root = QVBoxLayout(self)
        root.setContentsMargins(64, 32, 64, 48)
        root.addLayout(header_row(None, self.lang_button))
        root.addStretch(2)
        root.addLayout(centered(self.check))
        root.addSpacing(48)
        root.addWidget(self.title)
        root.addSpacing(16)
        root.addWidget(self.subtitle)
        root.addStretch(1)
        root.addLayout(centered(self.done))
        root.addStretch(1)

    def draw(self, view: BoothView, lang: Lang) -> None:
        self.render_lang_button(lang)
        set_text(self.title, tr("thanks.title", lang))
        set_text(self.subtitle, tr("thanks.subtitle", lang))
        set_text(self.done, tr("thanks.done", lang))
