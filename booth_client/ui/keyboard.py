"""The on-screen keyboard of the form screen: large keys for fingers that are not
used to touchscreens (issue 7).

It types into whatever the form screen says (``on_key``): a character, or
``"\\b"`` (退格) / ``"\\x18"`` (清空) / ``"\\n"`` (收起). Its layout follows the
field: digits for numbers, phone numbers and dates (with ``-``), digits and
``X`` for a resident ID number, digits and capital letters for text. Text fields
also take Chinese: the 拼音 key switches the letters to pinyin input
(:mod:`booth_client.pinyin`); the letters typed show above the keys with large
buttons for the characters and words they spell (张, 北京), ‹ › for more. The
agent can still fill Chinese text in for a resident who prefers that.

Every key is a ``QPushButton`` named ``kb.<key>`` (``kb.7``, ``kb.X``,
``kb.backspace``, ``kb.clear``, ``kb.space``, ``kb.done``, ``kb.ime``,
``kb.cand.0`` … ``kb.cand.5``, ``kb.prev``, ``kb.next``) so tests and the
kiosk's scripted resident press them like a finger would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout

from booth_client.pinyin import PAGE_SIZE, Composer, PinyinIndex
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.widgets import button, clear_layout, label, set_prop, set_text

__all__ = ["OnScreenKeyboard", "Mode", "BACKSPACE", "CLEAR", "DONE", "mode_for"]

Mode = Literal["digits", "id", "phone", "number", "date", "text"]
BACKSPACE, CLEAR, DONE = "\b", "\x18", "\n"

_DIGIT_ROWS = ("123", "456", "789")
_EXTRA: dict[str, str] = {"digits": "", "id": "X", "phone": "", "number": ".-", "date": "-"}
_LETTER_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM.")


def mode_for(field_type: str) -> Mode:
    """The keyboard a field of this type needs."""
    return {"id_number": "id", "phone": "phone", "number": "number", "date": "date"}.get(
        field_type, "text")  # type: ignore[return-value]


class OnScreenKeyboard(QFrame):
    """Build once; :meth:`set_mode` when another field becomes active."""

    def __init__(self, on_key: Callable[[str], None]) -> None:
        super().__init__()
        self.setObjectName("kb")
        self.setProperty("role", "keyboard")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._on_key = on_key
        self.mode: Mode = "digits"
        self._lang: Lang = "zh"
        self.keys: dict[str, QPushButton] = {}
        self.pinyin = False  # text fields: letters as typed, or pinyin → 汉字
        self._composer: Composer | None = None
        # the dictionaries take ~0.5 s to index: do it before the first 拼音 tap
        threading.Thread(target=PinyinIndex.default, name="pinyin-index", daemon=True).start()
        self.note = label("hint", name="kb.note")
        self.grid = QGridLayout()
        self.grid.setSpacing(10)
        self.compose_bar = QFrame()
        self.compose_bar.setProperty("role", "compose")
        bar = QHBoxLayout(self.compose_bar)
        bar.setContentsMargins(12, 6, 12, 6)
        bar.setSpacing(10)
        self.composing = label("composing", name="kb.composing", wrap=False)
        self.composing.setMinimumWidth(220)
        bar.addWidget(self.composing)
        self.candidates = [button("candidate", name=f"kb.cand.{i}",
                                  on_click=lambda i=i: self._pick(i))  # type: ignore[misc]
                           for i in range(PAGE_SIZE)]
        for cand in self.candidates:
            bar.addWidget(cand, 1)
        self.prev = button("key-fn", "‹", name="kb.prev", on_click=lambda: self._turn(-1))
        self.next = button("key-fn", "›", name="kb.next", on_click=lambda: self._turn(1))
        for b in (self.prev, self.next):
            b.setFixedWidth(90)
            bar.addWidget(b)
        col = QVBoxLayout(self)
        col.setContentsMargins(20, 14, 20, 14)
        col.setSpacing(8)
        col.addWidget(self.compose_bar)
        col.addLayout(self.grid)
        col.addWidget(self.note)
        self._build()

    def set_mode(self, mode: Mode, lang: Lang) -> None:
        if mode != self.mode or lang != self._lang:
            self.mode, self._lang = mode, lang
            self._build()

    def reset(self) -> None:
        """Another field: drop letters composed for the last one."""
        if self._composer is not None and self._composer.active:
            self._composer.clear()
            self._draw_compose()

    # ------------------------------------------------------------------ keys

    def _key(self, name: str, text: str, press: str, role: str = "key") -> QPushButton:
        btn = button(role, text, name=f"kb.{name}", on_click=lambda: self._press(press))
        self.keys[name] = btn
        return btn

    def _press(self, key: str) -> None:
        composer = self._composer if self.pinyin and self.mode == "text" else None
        if composer is None:
            self._on_key(key)
            return
        if key.isascii() and key.isalpha():
            composer.type(key)
        elif key == BACKSPACE:
            if not composer.backspace():
                self._on_key(key)
        elif key == " " and composer.active:
            self._on_key(composer.commit_first())
        else:  # clear, done, digits and punctuation: the composition is given up
            composer.clear()
            self._on_key(key)
        self._draw_compose()

    def _pick(self, i: int) -> None:
        if self._composer is not None:
            text = self._composer.pick(i)
            if text:
                self._on_key(text)
            self._draw_compose()

    def _turn(self, step: int) -> None:
        if self._composer is not None:
            self._composer.turn(step)
            self._draw_compose()

    def _toggle_ime(self) -> None:
        self.pinyin = not self.pinyin
        if self.pinyin and self._composer is None:
            self._composer = Composer(PinyinIndex.default())
        if self._composer is not None:
            self._composer.clear()
        # the same keys: only the toggle and the composition bar change (rebuilding
        # the grid under a visible keyboard would leave the new keys hidden a moment)
        ime = self.keys.get("ime")
        if ime is not None:
            set_prop(ime, "on", "true" if self.pinyin else "false")
        self._draw_compose()

    def _draw_compose(self) -> None:
        composer = self._composer
        on = self.mode == "text" and self.pinyin and composer is not None
        self.compose_bar.setVisible(on)
        if not on or composer is None:
            return
        set_text(self.composing, composer.letters or tr("kb.pinyin_hint", self._lang))
        set_prop(self.composing, "empty", "false" if composer.active else "true")
        shown = composer.shown()
        for i, cand in enumerate(self.candidates):
            set_text(cand, shown[i].text if i < len(shown) else "")
            cand.setEnabled(i < len(shown))
        self.prev.setEnabled(composer.page > 0)
        self.next.setEnabled(composer.page < composer.pages() - 1)

    def _build(self) -> None:
        clear_layout(self.grid)
        self.keys = {}
        lang = self._lang
        if self.mode == "text":
            for r, row in enumerate(_LETTER_ROWS):
                for c, ch in enumerate(row):
                    self.grid.addWidget(self._key(ch, ch, ch), r, c)
            last = len(_LETTER_ROWS)
            self.grid.addWidget(self._key("clear", tr("kb.clear", lang), CLEAR, "key-fn"),
                                last, 0, 1, 2)
            # a toggle: 拼音 lit while pinyin is on, tap again for letters
            ime = button("key-fn", tr("kb.to_pinyin", lang), name="kb.ime",
                         on_click=self._toggle_ime)
            set_prop(ime, "on", "true" if self.pinyin else "false")
            self.keys["ime"] = ime
            self.grid.addWidget(ime, last, 2, 1, 2)
            self.grid.addWidget(self._key("space", tr("kb.space", lang), " ", "key-fn"),
                                last, 4, 1, 2)
            self.grid.addWidget(self._key("backspace", tr("kb.backspace", lang), BACKSPACE,
                                          "key-fn"), last, 6, 1, 2)
            self.grid.addWidget(self._key("done", tr("kb.done", lang), DONE, "key-fn"),
                                last, 8, 1, 2)
        else:
            for r, row in enumerate(_DIGIT_ROWS):
                for c, ch in enumerate(row):
                    self.grid.addWidget(self._key(ch, ch, ch), r, c)
            extra = _EXTRA.get(self.mode, "")
            self.grid.addWidget(self._key("0", "0", "0"), 3, 1)
            if extra:
                self.grid.addWidget(self._key(extra[0], extra[0], extra[0]), 3, 0)
            if len(extra) > 1:
                self.grid.addWidget(self._key(extra[1], extra[1], extra[1]), 3, 2)
            self.grid.addWidget(self._key("backspace", tr("kb.backspace", lang), BACKSPACE,
                                          "key-fn"), 0, 3)
            self.grid.addWidget(self._key("clear", tr("kb.clear", lang), CLEAR, "key-fn"), 1, 3)
            self.grid.addWidget(self._key("done", tr("kb.done", lang), DONE, "key-fn"), 3, 3)
        set_text(self.note, tr("kb.chinese", lang) if self.mode == "text" else "")
        self.note.setVisible(self.mode == "text")
        self._draw_compose()
