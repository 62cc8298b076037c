"""The form screen: a form the agent pushed, filled, reviewed and signed on the kiosk
(issue 7). It covers the call's video area (the agent's name, the call time and
hang-up stay beside it) and draws :attr:`RemoteView.form`
(:class:`~booth_client.remote_forms.FormView`) page by page:

- ``filling``: every field large (:class:`~booth_client.ui.form_fields.FieldRow`),
  errors at their fields, the on-screen keyboard under the field being typed
  into, and 下一步：核对;
- ``review``: every value listed, 返回修改 or 确认无误，去签名;
- ``signing``: the declaration, the :class:`~booth_client.ui.signature.SignaturePad`,
  清除重写, 返回核对, 签好了，提交;
- ``submitting`` / ``submitted`` / ``failed``: what happened, with 完成 or 重新提交.

The only state kept here is what is on screen: which field the keyboard types
into. Every value typed goes to the engine at once (``remote fill``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from booth_client.remote_forms import FieldView, FormPhase, FormView, entry_text
from booth_client.ui.form_fields import KEYBOARD_TYPES, FieldRow, text_of
from booth_client.ui.i18n import Lang, tr
from booth_client.ui.keyboard import BACKSPACE, CLEAR, DONE, OnScreenKeyboard, mode_for
from booth_client.ui.screen_grab import SHARE_MASK, masked
from booth_client.ui.signature import SignaturePad
from booth_client.ui.widgets import (
    Act,
    button,
    clear_layout,
    label,
    scroll_area,
    set_min_height,
    set_prop,
    set_text,
)

__all__ = ["FormPanel"]

_RESULT = (FormPhase.SUBMITTING, FormPhase.SUBMITTED, FormPhase.FAILED)


class FormPanel(QFrame):
    """Covers the video while a pushed form is open."""

    def __init__(self, act: Act) -> None:
        super().__init__()
        self.setObjectName("form.panel")
        self.setProperty("role", "overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.act = act
        self.view: FormView | None = None
        self._lang: Lang = "zh"
        self.active: str | None = None  # the field the keyboard types into
        self.rows: dict[str, FieldRow] = {}
        self._built_for: str | None = None

        self.title = label("accent", name="form.title")
        self.waiting = label("hint", name="form.waiting", wrap=False)
        self.description = label("body", name="form.description")
        self.notice = label("banner", name="form.notice")
        self.next = button("primary", name="form.next",
                           on_click=lambda: self._intent("review"))
        head = QHBoxLayout()
        head.setSpacing(24)
        titles = QVBoxLayout()
        titles.setSpacing(4)
        titles.addWidget(self.title)
        titles.addWidget(self.waiting)
        head.addLayout(titles, 1)
        head.addWidget(self.next, 0, Qt.AlignmentFlag.AlignTop)

        self.pages = QStackedWidget()
        self.pages.setProperty("role", "pages")
        self.fill_page, self.fields_area, self.keyboard = self._fill_page()
        self.review_page, self.review_list = self._review_page()
        self.sign_page, self.pad = self._sign_page()
        self.result_page = self._result_page()
        for page in (self.fill_page, self.review_page, self.sign_page, self.result_page):
            self.pages.addWidget(page)

        col = QVBoxLayout(self)
        col.setContentsMargins(36, 28, 36, 28)
        col.setSpacing(14)
        col.addLayout(head)
        col.addWidget(self.description)
        col.addWidget(self.notice)
        col.addWidget(self.pages, 1)

    # ------------------------------------------------------------------ pages

    def _fill_page(self) -> tuple[QWidget, QScrollArea, OnScreenKeyboard]:
        page = QWidget()
        self.fields_box = QWidget()
        self.fields_col = QVBoxLayout(self.fields_box)
        self.fields_col.setContentsMargins(0, 0, 12, 0)
        self.fields_col.setSpacing(14)
        area = scroll_area(self.fields_box)
        area.setObjectName("form.fields")
        keyboard = OnScreenKeyboard(self._key)
        keyboard.setVisible(False)
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(12)
        col.addWidget(area, 1)
        col.addWidget(keyboard)
        return page, area, keyboard

    def _review_page(self) -> tuple[QWidget, QVBoxLayout]:
        page = QWidget()
        self.review_title = label("instruction", name="form.review.title")
        self.review_hint = label("body", name="form.review.hint")
        box = QWidget()
        rows = QVBoxLayout(box)
        rows.setContentsMargins(0, 0, 12, 0)
        rows.setSpacing(6)
        self.edit = button("secondary", name="form.edit", on_click=lambda: self._intent("edit"))
        self.confirm = button("primary", name="form.confirm",
                              on_click=lambda: self._intent("confirm"))
        for b in (self.edit, self.confirm):
            set_min_height(b, 110)
        buttons = QHBoxLayout()
        buttons.setSpacing(24)
        buttons.addWidget(self.edit, 2)
        buttons.addWidget(self.confirm, 3)
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(12)
        col.addWidget(self.review_title)
        col.addWidget(self.review_hint)
        col.addWidget(scroll_area(box), 1)
        col.addLayout(buttons)
        return page, rows

    def _sign_page(self) -> tuple[QWidget, SignaturePad]:
        page = QWidget()
        self.sign_label = label("instruction", name="form.sign.label")
        self.statement = label("body", name="form.sign.statement")
        # what is being signed, in brief, right above the pad
        self.summary_box = QFrame()
        self.summary_box.setProperty("role", "summary")
        self.summary_box.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.summary = QGridLayout(self.summary_box)
        self.summary.setContentsMargins(20, 12, 20, 12)
        self.summary.setHorizontalSpacing(28)
        self.summary.setVerticalSpacing(4)
        pad = SignaturePad()
        pad.changed.connect(self._pad_changed)
        self.clear = button("secondary", name="form.sign.clear", on_click=pad.clear)
        self.back = button("secondary", name="form.sign.back",
                           on_click=lambda: self._intent("back"))
        self.submit = button("primary", name="form.sign.submit", on_click=self._sign)
        for b in (self.clear, self.back, self.submit):
            set_min_height(b, 110)
        buttons = QHBoxLayout()
        buttons.setSpacing(24)
        buttons.addWidget(self.back, 2)
        buttons.addWidget(self.clear, 2)
        buttons.addWidget(self.submit, 3)
        col = QVBoxLayout(page)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(12)
        col.addWidget(self.sign_label)
        col.addWidget(self.summary_box)
        col.addWidget(self.statement)
        col.addWidget(pad, 1)
        col.addLayout(buttons)
        return page, pad

    def _result_page(self) -> QWidget:
        page = QWidget()
        self.symbol = label("symbol", name="form.symbol", align=Qt.AlignmentFlag.AlignCenter,
                            wrap=False)
        self.result = label("status", name="form.result", align=Qt.AlignmentFlag.AlignCenter)
        self.digest = label("hint", name="form.digest", align=Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(18)
        self.done = button("primary", name="form.done",
                           on_click=lambda: self._intent("close_form"))
        self.retry = button("primary", name="form.retry",
                            on_click=lambda: self._intent("retry"))
        for b in (self.done, self.retry):
            set_min_height(b, 110)
        col = QVBoxLayout(page)
        col.setContentsMargins(60, 20, 60, 20)
        col.setSpacing(24)
        col.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.symbol)
        row.addStretch(1)
        col.addLayout(row)
        col.addWidget(self.result)
        col.addWidget(self.digest)
        col.addWidget(self.progress)
        col.addStretch(1)
        buttons = QHBoxLayout()
        buttons.setSpacing(24)
        buttons.addWidget(self.retry)
        buttons.addWidget(self.done)
        col.addLayout(buttons)
        return page

    # ------------------------------------------------------------------ intents

    def _intent(self, action: str, *args: object) -> None:
        if self.view is not None:
            self.act("remote", action, self.view.form_id, *args)

    def _fill(self, field_id: str, value: object) -> None:
        self._intent("fill", field_id, value)

    def _activate(self, field_id: str) -> None:
        if field_id != self.active:
            self.keyboard.reset()  # letters composed for the last field are not for this one
        self.active = field_id
        if self.view is not None:
            self.draw(self.view, self._lang, force=True)
        QTimer.singleShot(0, self._show_active)  # once the keyboard has taken its room

    def _show_active(self) -> None:
        row = self.rows.get(self.active or "")
        if row is not None and row.isVisible():
            bar = self.fields_area.verticalScrollBar()
            bar.setValue(min(bar.maximum(), max(0, row.y() - 8)))

    def _key(self, key: str) -> None:
        view, field_id = self.view, self.active
        if view is None or field_id is None:
            return
        if key == DONE:
            self.active = None
            self.draw(view, self._lang, force=True)
            return
        fv = next((f for f in view.fields if f.field.id == field_id), None)
        if fv is None:
            return
        text = entry_text(fv.field, fv.entry)
        if key == BACKSPACE:
            text = text[:-1]
        elif key == CLEAR:
            text = ""
        else:
            text += key
        self._fill(field_id, text)

    def _pad_changed(self) -> None:
        self.submit.setEnabled(self.pad.has_signature())

    def _sign(self) -> None:
        if self.pad.has_signature():
            self._intent("sign", self.pad.signature())

    # ------------------------------------------------------------------ drawing

    def draw(self, view: FormView, lang: Lang, force: bool = False) -> None:
        """Draw ``view``; the same view again changes nothing (pointer moves redraw the
        window often), unless ``force`` (the keyboard moved to another field)."""
        if not force and view == self.view and lang == self._lang:
            return
        new_form = self.view is None or self.view.form_id != view.form_id
        old_phase = self.view.phase if self.view is not None else None
        self.view, self._lang = view, lang
        if new_form or self._built_for != view.form_id:
            self._build(view)
            self.active = None
            self.pad.clear()
        if view.phase is not FormPhase.SIGNING and old_phase is FormPhase.SIGNING:
            self.pad.clear()
        d = view.definition
        set_text(self.title, text_of(d.title, lang))
        set_text(self.waiting, tr("form.waiting", lang, n=view.waiting) if view.waiting else "")
        self.waiting.setVisible(view.waiting > 0)
        set_text(self.description, text_of(d.description, lang))
        self.description.setVisible(d.description is not None and self.active is None
                                    and view.phase is FormPhase.FILLING)
        notice = view.failure if view.phase is FormPhase.FILLING else None
        if notice:
            set_text(self.notice, tr(notice, lang))
        self.notice.setVisible(bool(notice))
        set_text(self.next, tr("form.next", lang))
        self.next.setVisible(view.phase is FormPhase.FILLING)
        if view.phase is FormPhase.FILLING:
            self._draw_fill(view, lang)
            self.pages.setCurrentWidget(self.fill_page)
        elif view.phase is FormPhase.REVIEW:
            self._draw_review(view, lang)
            self.pages.setCurrentWidget(self.review_page)
        elif view.phase is FormPhase.SIGNING:
            self._draw_sign(view, lang)
            self.pages.setCurrentWidget(self.sign_page)
        else:
            self._draw_result(view, lang)
            self.pages.setCurrentWidget(self.result_page)

    def _build(self, view: FormView) -> None:
        clear_layout(self.fields_col)
        self.rows = {}
        for fv in view.fields:
            row = FieldRow(fv.field, self._fill, self._activate)
            self.rows[fv.field.id] = row
            self.fields_col.addWidget(row)
        self.fields_col.addStretch(1)
        self._built_for = view.form_id

    def _draw_fill(self, view: FormView, lang: Lang) -> None:
        active: FieldView | None = None
        for fv in view.fields:
            on = fv.field.id == self.active
            self.rows[fv.field.id].draw(fv, lang, on)
            if on:
                active = fv
        typing = (active is not None and active.field.type in KEYBOARD_TYPES
                  and not active.field.readonly)
        if typing and active is not None:
            self.keyboard.set_mode(mode_for(active.field.type), lang)
        else:
            self.active = None
        # keys light up as they are pressed: covered in the share while typing a secret
        secret = typing and active is not None and active.field.sensitive
        self.keyboard.setProperty(SHARE_MASK, tr("kb.hidden", "zh") if secret else None)
        self.keyboard.setVisible(typing)

    def _draw_review(self, view: FormView, lang: Lang) -> None:
        set_text(self.review_title, tr("form.review.title", lang))
        set_text(self.review_hint, tr("form.review.hint", lang))
        set_text(self.edit, tr("form.review.edit", lang))
        set_text(self.confirm, tr("form.review.confirm", lang))
        clear_layout(self.review_list)
        for fv in view.fields:
            row = QFrame()
            row.setProperty("role", "review-row")
            row.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
            line = QHBoxLayout(row)
            line.setContentsMargins(24, 12, 24, 12)
            line.setSpacing(24)
            name = label("review-label", text_of(fv.field.label, lang))
            name.setMinimumWidth(300)
            name.setMaximumWidth(460)
            shown = entry_text(fv.field, fv.entry, lang) or tr("form.empty", lang)
            value = label("review-value", shown, name=f"form.review.{fv.field.id}")
            if fv.field.sensitive:
                value.setProperty(SHARE_MASK, masked(entry_text(fv.field, fv.entry, lang)))
            line.addWidget(name)
            line.addWidget(value, 1)
            self.review_list.addWidget(row)
        self.review_list.addStretch(1)

    def _draw_sign(self, view: FormView, lang: Lang) -> None:
        sig = view.definition.signature
        set_text(self.sign_label, text_of(sig.label, lang))
        clear_layout(self.summary)
        sep = "：" if lang == "zh" else ": "
        for i, fv in enumerate(view.fields):
            name = text_of(fv.field.label, lang) + sep
            shown = entry_text(fv.field, fv.entry, lang) or tr("form.empty", lang)
            pair = label("summary", name + shown, wrap=False)
            if fv.field.sensitive:
                pair.setProperty(SHARE_MASK,
                                 name + masked(entry_text(fv.field, fv.entry, lang)))
            self.summary.addWidget(pair, i // 2, i % 2)
        set_text(self.statement, text_of(sig.statement, lang))
        self.statement.setVisible(sig.statement is not None)
        self.pad.hint = tr("form.sign.hint", lang)
        self.pad.update()
        set_text(self.clear, tr("form.sign.clear", lang))
        set_text(self.back, tr("form.sign.back", lang))
        set_text(self.submit, tr("form.sign.submit", lang))
        self.submit.setEnabled(self.pad.has_signature())

    def _draw_result(self, view: FormView, lang: Lang) -> None:
        phase = view.phase
        ok = phase is FormPhase.SUBMITTED
        set_text(self.symbol, "✓" if ok else "!" if phase is FormPhase.FAILED else "…")
        set_prop(self.symbol, "kind", "ok" if ok else "warn")
        self.symbol.setVisible(phase is not FormPhase.SUBMITTING)
        key = ("form.submitting" if phase is FormPhase.SUBMITTING
               else "form.submitted" if ok else view.failure or "form.failed.refused")
        set_text(self.result, tr(key, lang))
        set_text(self.digest, f"SHA-256 {view.sha256[:16]}…" if ok and view.sha256 else "")
        self.digest.setVisible(ok and bool(view.sha256))
        self.progress.setVisible(phase is FormPhase.SUBMITTING)
        set_text(self.done, tr("form.done", lang))
        set_text(self.retry, tr("form.retry", lang))
        self.done.setVisible(phase in (FormPhase.SUBMITTED, FormPhase.FAILED))
        self.retry.setVisible(phase is FormPhase.FAILED and view.retryable)
