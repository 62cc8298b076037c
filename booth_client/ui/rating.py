"""The rating screen (好差评): five levels, reasons for 2 and 1, submit or skip.

The level and reasons picked before "submit" are the resident's unfinished
input, like text typed into a field: they live in the buttons' checked state
only until submit or skip, and are forgotten whenever a different call is
being rated (``view.rating_call_id``). Everything else comes from the view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from booth_client.session import BAD_REVIEW_REASONS, BoothView
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.widgets import (
    LANG_BUTTON_W,
    Act,
    ScreenBase,
    button,
    label,
    set_prop,
    set_text,
)

__all__ = ["RatingScreen", "LEVELS", "BAD_LEVELS"]

LEVELS = (5, 4, 3, 2, 1)  # left to right: 非常满意 … 非常不满意
BAD_LEVELS = frozenset({1, 2})  # DESIGN.md §4: 2 and 1 are bad reviews
_CENTER = Qt.AlignmentFlag.AlignCenter


def _stars(level: int) -> str:
    on, off = "★" * level, "★" * (5 - level)
    return (f'<span style="color:#e3a400">{on}</span>'
            f'<span style="color:#c3ccd8">{off}</span>')


class RatingScreen(ScreenBase):
    def __init__(self, act: Act, toggle_lang: Callable[[], None]) -> None:
        super().__init__(act, toggle_lang)
        self._call_id: str | None = None
        self._lang: Lang = "zh"
        self.title = label("title", name="rate.title", align=_CENTER)
        self.subtitle = label("subtitle", name="rate.subtitle", align=_CENTER)

        self.level_buttons: dict[int, QPushButton] = {}
        self.level_labels: dict[int, QLabel] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        levels = QHBoxLayout()
        levels.setSpacing(20)
        for level in LEVELS:
            btn = button("level", name=f"rate.level.{level}",
                         on_click=partial(self._pick, level))
            btn.setCheckable(True)
            inner = QVBoxLayout(btn)
            inner.setContentsMargins(8, 28, 8, 16)
            inner.setSpacing(12)
            stars = label("stars", _stars(level), align=_CENTER, wrap=False)
            stars.setTextFormat(Qt.TextFormat.RichText)
            text = label("level-text", align=_CENTER, name=f"rate.level_text.{level}")
            text.setWordWrap(True)
            for lab in (stars, text):
                lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            # Stars on one line across the row, whatever the text's length below.
            inner.addWidget(stars)
            inner.addWidget(text)
            inner.addStretch(1)
            self.group.addButton(btn, level)
            self.level_buttons[level] = btn
            self.level_labels[level] = text
            levels.addWidget(btn, 1)

        self.reasons_box = QWidget()
        self.reasons_box.setObjectName("rate.reasons")
        box = QVBoxLayout(self.reasons_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(16)
        self.reasons_title = label("body", name="rate.reasons_title")
        box.addWidget(self.reasons_title)
        grid = QGridLayout()
        grid.setSpacing(20)
        self.reason_buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(BAD_REVIEW_REASONS):
            rb = button("reason", name=f"rate.{key}")
            rb.setCheckable(True)
            rb.toggled.connect(lambda _on, b=rb: self._mark(b))
            grid.addWidget(rb, i // 3, i % 3)
            self.reason_buttons[key] = rb
        box.addLayout(grid)
        # Keep the reasons' room when hidden: the level buttons must not move
        # under the resident's finger when 2 or 1 is picked.
        policy = self.reasons_box.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.reasons_box.setSizePolicy(policy)
        self.reasons_box.setVisible(False)

        self.skip = button("secondary", name="rate.skip",
                           on_click=lambda: self.act("skip_rating"))
        self.skip.setMinimumWidth(300)
        self.submit = button("primary", name="rate.submit", on_click=self._submit)
        self.submit.setMinimumWidth(420)

        root = QVBoxLayout(self)
        root.setContentsMargins(48, 20, 48, 28)
        root.setSpacing(20)
        head = QHBoxLayout()
        # An empty box as wide as the language button keeps the title centred.
        balance = QWidget()
        balance.setFixedWidth(LANG_BUTTON_W)
        head.addWidget(balance)
        head.addWidget(self.title, 1)
        head.addWidget(self.lang_button)
        root.addLayout(head)
        root.addWidget(self.subtitle)
        root.addStretch(1)
        root.addLayout(levels)
        root.addSpacing(12)
        root.addWidget(self.reasons_box)
        root.addStretch(2)
        actions = QHBoxLayout()
        actions.setSpacing(40)
        actions.addStretch(1)
        actions.addWidget(self.skip)
        actions.addWidget(self.submit)
        actions.addStretch(1)
        root.addLayout(actions)
        self._busy = False

    # ------------------------------------------------------------------ input

    def level(self) -> int | None:
        checked = self.group.checkedId()
        return checked if checked in LEVELS else None

    def reasons(self) -> tuple[str, ...]:
        """The checked reasons in the engine's order (only for levels 2 and 1)."""
        if self.level() not in BAD_LEVELS:
            return ()
        return tuple(k for k in BAD_REVIEW_REASONS if self.reason_buttons[k].isChecked())

    def _pick(self, level: int) -> None:
        self.level_buttons[level].setChecked(True)
        self._draw_input()

    def _mark(self, btn: QPushButton) -> None:
        key = next(k for k, b in self.reason_buttons.items() if b is btn)
        mark = "✓  " if btn.isChecked() else ""
        set_text(btn, mark + tr(key, self._lang))

    def _submit(self) -> None:
        level = self.level()
        if level is None:
            return
        self.act("rate", level, self.reasons())

    def _forget(self) -> None:
        self.group.setExclusive(False)
        for btn in self.level_buttons.values():
            btn.setChecked(False)
        self.group.setExclusive(True)
        for rb in self.reason_buttons.values():
            rb.setChecked(False)

    # ------------------------------------------------------------------ drawing

    def draw(self, view: BoothView, lang: Lang) -> None:
        if view.rating_call_id != self._call_id:
            self._call_id = view.rating_call_id
            self._forget()
        self._lang = lang
        self._busy = view.busy
        self.render_lang_button(lang)
        set_text(self.title, tr("rate.title", lang))
        set_text(self.subtitle, tr("rate.subtitle", lang))
        for level, text in self.level_labels.items():
            set_text(text, tr(f"rate.{level}", lang))
            set_prop(text, "lang", lang)  # English words are longer: a smaller size
        set_text(self.reasons_title, tr("rate.reasons", lang))
        for rb in self.reason_buttons.values():
            self._mark(rb)
        set_text(self.skip, tr("rate.skip", lang))
        set_text(self.submit, tr("rate.submit", lang))
        self._draw_input()

    def _draw_input(self) -> None:
        level = self.level()
        for lv, btn in self.level_buttons.items():
            set_prop(self.level_labels[lv], "on", "true" if btn.isChecked() else "false")
        self.reasons_box.setVisible(level in BAD_LEVELS)
        self.submit.setEnabled(level is not None and not self._busy)
        self.skip.setEnabled(not self._busy)
