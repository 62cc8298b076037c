"""The on-screen keyboard of the form screen: large keys for fingers that are not
used to touchscreens (issue 7).

It types into whatever the form screen says (``on_key``): a character, or
``"\\b"`` (退格) / ``"\\x18"`` (清空) / ``"\\n"`` (收起). Its layout follows the
field: digits for numbers, phone numbers and dates (with ``-``), digits and
``X`` for a resident ID number, digits and capital letters for text. Chinese
text is not typed here: a kiosk has no pinyin input for older hands, so the
agent fills Chinese text in (a pre-filled or read-only field of the pushed
form); the keyboard says so under a text field.

Every key is a ``QPushButton`` named ``kb.<key>`` (``kb.7``, ``kb.X``,
``kb.backspace``, ``kb.clear``, ``kb.space``, ``kb.done``) so tests
and the kiosk's scripted resident press them like a finger would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QPushButton, QVBoxLayout

from booth_client.ui.i18n import Lang, tr
from booth_client.ui.widgets import button, clear_layout, label, set_text

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
        self.note = label("hint", name="kb.note")
        self.grid = QGridLayout()
        self.grid.setSpacing(10)
        col = QVBoxLayout(self)
        col.setContentsMargins(20, 14, 20, 14)
        col.setSpacing(8)
        col.addLayout(self.grid)
        col.addWidget(self.note)
        self._build()

    def set_mode(self, mode: Mode, lang: Lang) -> None:
        if mode != self.mode or lang != self._lang:
            self.mode, self._lang = mode, lang
            self._build()

    def _key(self, name: str, text: str, press: str, role: str = "key") -> QPushButton:
        btn = button(role, text, name=f"kb.{name}", on_click=lambda: self._on_key(press))
        self.keys[name] = btn
        return btn

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
            self.grid.addWidget(self._key("space", tr("kb.space", lang), " ", "key-fn"),
                                last, 2, 1, 4)
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
