"""One field of a pushed form as the resident sees it: its label, a large input and
the error to fix (issue 7). Drawn from a :class:`~booth_client.remote_forms.FieldView`;
what is entered belongs to the engine, so every touch becomes an intent.

Inputs by type:

- ``text``, ``textarea``, ``number``, ``date``, ``id_number``, ``phone``: a large box
  (``form.field.<id>``); touching it opens the on-screen keyboard for it;
- ``choice``: one large button per option (``form.option.<id>.<value>``), one lit;
- ``multi_choice``: the same, any number lit;
- ``checkbox``: one large button that ticks (``form.check.<id>``);
- ``readonly``: the agent's value as text, marked 工作人员已填写.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from booth_client.remote_forms import Entry, FieldView, entry_text
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.screen_grab import SHARE_MASK, masked
from booth_client.ui.widgets import button, label, set_prop, set_text
from signaling.forms import MASK, FormField, Label

__all__ = ["FieldRow", "text_of", "KEYBOARD_TYPES", "error_text"]

KEYBOARD_TYPES = frozenset({"text", "textarea", "number", "date", "id_number", "phone"})

Fill = Callable[[str, object], None]  # (field id, value)
Activate = Callable[[str], None]  # field id


def text_of(value: Label | None, lang: Lang) -> str:
    """A form's text in the kiosk's language (Chinese when there is no English)."""
    if value is None:
        return ""
    return value.en if lang == "en" and value.en else value.zh


def error_text(f: FormField, code: str, lang: Lang) -> str:
    if code == "range" and (f.min_value is not None or f.max_value is not None):
        lo = "" if f.min_value is None else f"{f.min_value:g}"
        hi = "" if f.max_value is None else f"{f.max_value:g}"
        return f"{tr('form.error.range', lang)}（{tr('form.range', lang, lo=lo, hi=hi)}）"
    return tr(f"form.error.{code}", lang)


class FieldRow(QFrame):
    """A field's row in the form; :meth:`draw` with its view whenever the view changes."""

    def __init__(self, f: FormField, fill: Fill, activate: Activate) -> None:
        super().__init__()
        self.field = f
        self.setObjectName(f"form.row.{f.id}")
        self.setProperty("role", "field-row")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._fill = fill
        self._entry: Entry = None
        self.title = label("field-label", name=f"form.label.{f.id}")
        self.tag = label("field-tag", wrap=False)
        self.help = label("hint")
        self.error = label("field-error", name=f"form.error.{f.id}")
        self.box: QPushButton | None = None
        self.value: QWidget | None = None
        self.options: dict[str, QPushButton] = {}
        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(self.title, 1)
        head.addWidget(self.tag)
        col = QVBoxLayout(self)
        col.setContentsMargins(28, 18, 28, 18)
        col.setSpacing(10)
        col.addLayout(head)
        if f.readonly:
            self.value = label("field-value", name=f"form.value.{f.id}")
            col.addWidget(self.value)
        elif f.type in KEYBOARD_TYPES:
            self.box = button("field-box", name=f"form.field.{f.id}",
                              on_click=lambda: activate(f.id))
            if f.type == "textarea":
                self.box.setProperty("tall", "true")
            col.addWidget(self.box)
        elif f.type == "checkbox":
            check = button("option", name=f"form.check.{f.id}",
                           on_click=lambda: self._fill(f.id, not bool(self._entry)))
            check.setCheckable(True)
            self.options["true"] = check
            col.addWidget(check)
        else:
            wrap = QWidget()
            grid = QHBoxLayout(wrap) if len(f.options or ()) <= 3 else QVBoxLayout(wrap)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setSpacing(14)
            for opt in f.options or ():
                b = button("option", name=f"form.option.{f.id}.{opt.value}",
                           on_click=self._chooser(opt.value))
                b.setCheckable(True)
                self.options[opt.value] = b
                grid.addWidget(b)
            col.addWidget(wrap)
        col.addWidget(self.help)
        col.addWidget(self.error)

    def _chooser(self, value: str) -> Callable[[], None]:
        return lambda: self._choose(value)

    def _choose(self, value: str) -> None:
        f = self.field
        if f.type == "choice":
            self._fill(f.id, value)
            return
        chosen = list(self._entry) if isinstance(self._entry, tuple) else []
        chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        self._fill(f.id, chosen)

    def draw(self, view: FieldView, lang: Lang, active: bool) -> None:
        f = self.field
        self._entry = view.entry
        set_text(self.title, text_of(f.label, lang))
        tag = (tr("form.readonly", lang) if f.readonly
               else tr("form.required", lang) if f.required else "")
        set_text(self.tag, tag)
        self.tag.setVisible(bool(tag))
        set_prop(self.tag, "kind", "lock" if f.readonly else "required")
        set_text(self.help, text_of(f.help, lang))
        self.help.setVisible(f.help is not None)
        shown = entry_text(f, view.entry, lang)
        if f.sensitive:  # the screen share shows it as the agent's view does: masked
            for w in (self.value, self.box):
                if w is not None:
                    w.setProperty(SHARE_MASK, masked(shown))
            for option in self.options.values():
                option.setProperty(SHARE_MASK, MASK)
        if isinstance(self.value, QLabel):
            set_text(self.value, shown)
        if self.box is not None:
            empty = shown == ""
            set_text(self.box, (shown + ("｜" if active else "")) if not empty or active
                     else tr("form.tap_to_enter", lang))
            set_prop(self.box, "state", "active" if active else "empty" if empty else "filled")
        if f.type == "checkbox":
            b = self.options["true"]
            ticked = bool(view.entry)
            b.setChecked(ticked)
            set_text(b, "☑  " + tr("form.yes", lang) if ticked else "☐  " + tr("form.tick", lang))
        else:
            chosen = view.entry if isinstance(view.entry, tuple) else (view.entry,)
            for opt in f.options or ():
                b = self.options[opt.value]
                b.setChecked(opt.value in chosen)
                set_text(b, text_of(opt.label, lang))
        if view.error is not None:
            set_text(self.error, "⚠ " + error_text(f, view.error, lang))
        self.error.setVisible(view.error is not None)
        set_prop(self, "error", "true" if view.error is not None else "false")
