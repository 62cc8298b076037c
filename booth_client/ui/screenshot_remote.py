"""Screenshots of remote assist (issue 7) for ``python -m booth_client.ui.screenshot``.

The views come from a real engine fed the frames the hub would send (consent,
pointer, drawings, a pushed form, guidance); the signature is drawn through the
pad's own mouse handling, as a resident's finger would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from booth_client.session import BoothSession, BoothView, Effect, Send
from booth_client.ui.i18n import Lang
from booth_client.ui.window import KioskWindow
from signaling import protocol as p

__all__ = ["render_remote", "SAMPLE_FORM", "draw_signature"]

CALL = "c1"
SAMPLE_FORM: dict[str, Any] = {
    "title": {"zh": "公共租赁住房申请表", "en": "Public rental housing application"},
    "description": {"zh": "请核对工作人员已填写的信息，并补充其余各项。",
                    "en": "Check what the agent filled in and complete the rest."},
    "fields": [
        {"id": "name", "type": "text", "label": {"zh": "申请人姓名", "en": "Applicant"},
         "required": True, "readonly": True, "value": "李秀英"},
        {"id": "id_number", "type": "id_number", "label": {"zh": "身份证号码", "en": "ID number"},
         "required": True, "sensitive": True},
        {"id": "phone", "type": "phone", "label": {"zh": "手机号码", "en": "Mobile phone"},
         "required": True, "sensitive": True,
         "help": {"zh": "工作人员会用这个号码联系您", "en": "The agent will call you on it"}},
        {"id": "household", "type": "number", "label": {"zh": "家庭人口", "en": "Household size"},
         "required": True, "min_value": 1, "max_value": 20, "integer": True},
        {"id": "housing", "type": "choice", "label": {"zh": "现住房情况", "en": "Housing now"},
         "required": True,
         "options": [{"value": "none", "label": {"zh": "无自有住房", "en": "No home of my own"}},
                     {"value": "small", "label": {"zh": "人均不足15平方米",
                                                  "en": "Under 15 m² a person"}}]},
        {"id": "agree", "type": "checkbox",
         "label": {"zh": "本人承诺所填信息真实有效", "en": "I declare this is true"},
         "required": True},
    ],
    "signature": {"label": {"zh": "申请人签名", "en": "Applicant's signature"},
                  "statement": {"zh": "以上信息已经本人核对无误。",
                                "en": "I have checked the information above."}},
}
FILLED = {"id_number": "11010519491231002X", "phone": "13812345678", "household": "3",
          "housing": "none", "agree": True}


class _Remote:
    """An engine in a call with the agent 张敏, fed remote-assist frames."""

    def __init__(self, session: Callable[[], BoothSession], now: float) -> None:
        self.engine = session()
        self.now = now
        self._ids: dict[str, str] = {}

    def keep(self, effects: list[Effect]) -> None:
        for eff in effects:
            if isinstance(eff, Send) and eff.id is not None:
                self._ids[eff.mtype] = eff.id

    def feed(self, mtype: str, re: str | None = None, **data: Any) -> BoothView:
        model = p.OUTBOUND[mtype]
        payload = {"call_id": CALL, **data} if mtype.startswith("assist.") else data
        self.keep(self.engine.frame(p.Frame(type=mtype, re=re,
                                            data=model.model_validate(payload)), self.now))
        return self.engine.view()

    def act(self, action: str, *args: Any) -> BoothView:
        self.keep(self.engine.user_remote(action, *args, now=self.now))
        return self.engine.view()

    def grant(self, scope: str) -> None:
        self.feed("assist.consent.requested", scope=scope)
        self.act("consent", scope, True)
        self.feed("ok", re=self._ids["assist.consent"])

    def annotate(self, sid: str, kind: str, points: list[list[float]], **extra: Any) -> None:
        self.feed("assist.annotate", surface="screen", op="add",
                  shape={"id": sid, "kind": kind, "points": points, **extra})


# 李秀英 in a quick hand: strokes per character in a unit box (x right, y down).
_HAND = (
    (((0.05, 0.22), (0.95, 0.18)), ((0.5, 0.0), (0.52, 0.5)), ((0.48, 0.2), (0.1, 0.5)),
     ((0.55, 0.22), (0.95, 0.45)), ((0.15, 0.55), (0.8, 0.52), (0.5, 0.7)),
     ((0.52, 0.68), (0.55, 1.0), (0.4, 0.95)), ((0.0, 0.8), (1.0, 0.76))),
    (((0.55, 0.0), (0.2, 0.1)), ((0.05, 0.25), (0.95, 0.22)), ((0.5, 0.05), (0.5, 0.5)),
     ((0.45, 0.28), (0.1, 0.5)), ((0.55, 0.3), (0.9, 0.48)),
     ((0.15, 0.6), (0.85, 0.58), (0.6, 0.8), (0.85, 0.78), (0.7, 1.0), (0.55, 0.92)),
     ((0.4, 0.6), (0.3, 0.85), (0.05, 1.0))),
    (((0.05, 0.15), (0.95, 0.12)), ((0.3, 0.0), (0.35, 0.3)), ((0.7, 0.0), (0.65, 0.3)),
     ((0.2, 0.4), (0.25, 0.65), (0.8, 0.62), (0.78, 0.4), (0.2, 0.42)),
     ((0.5, 0.3), (0.5, 0.7), (0.1, 1.0)), ((0.05, 0.72), (0.95, 0.7)),
     ((0.52, 0.72), (1.0, 1.0))),
)


def draw_signature(pad: Any) -> None:
    """Sign 李秀英 on ``pad`` with mouse strokes through its own event handling."""
    w, h = pad.width(), pad.height()

    def at(x: float, y: float) -> QPoint:
        return QPoint(round(x * w), round(y * h))

    for c, strokes in enumerate(_HAND):
        left, top, size = 0.2 + c * 0.21, 0.2, 0.55
        for stroke in strokes:
            pts: list[tuple[float, float]] = []
            for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
                for i in range(8):  # the hand moves through the points, a little slanted
                    t = i / 8
                    x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                    pts.append((left + (x + 0.18 * (1 - y)) * size * h / w * 1.1,
                                top + y * size + 0.01 * math.sin(9 * t + c)))
            pts.append((left + (stroke[-1][0] + 0.18 * (1 - stroke[-1][1])) * size * h / w
                         * 1.1, top + stroke[-1][1] * size))
            QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                             at(*pts[0]))
            for x, y in pts[1:]:
                QTest.mouseMove(pad, at(x, y))
            QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                               at(*pts[-1]))


def render_remote(window: KioskWindow, shot: Callable[[str, BoothView, Callable[[], None] | None],
                                                      None],
                  session: Callable[[], BoothSession], now: float, lang: Lang,
                  frames: Callable[[], None]) -> None:
    """Save booth-consent, booth-annotations, booth-form and booth-signature."""
    app = QApplication.instance()
    assert app is not None

    # The agent asks to see the screen.
    r = _Remote(session, now)
    r.feed("assist.form", form_id="frm_a", form=SAMPLE_FORM)
    view = r.feed("assist.consent.requested", scope="screen")
    shot("consent", view, frames)

    # Shared; the agent points at the phone field and marks the form up.
    r.act("consent", "screen", True)
    r.feed("ok", re=r._ids["assist.consent"])
    r.act("fill", "frm_a", "id_number", FILLED["id_number"])
    r.annotate("box1", "box", [[0.045, 0.815], [0.685, 0.935]], color="yellow", fill=True)
    r.annotate("arrow1", "arrow", [[0.60, 0.50], [0.46, 0.80]], color="red", width=6)
    r.annotate("pen1", "pen", [[0.09 + 0.13 * (1 + math.cos(t / 5)), 0.46 + 0.055 * math.sin(t / 5)]
                               for t in range(0, 33)], color="blue", width=5)
    r.annotate("text1", "text", [[0.49, 0.43]], color="red", text="请在这里填写手机号")
    moves = [r.feed("assist.pointer", x=0.16 + 0.022 * i, y=0.985 - 0.014 * i)
             for i in range(8)]
    view = moves[-1]

    def settle() -> None:
        frames()
        for move in moves:  # each move as it came: the pointer leaves its short trail
            window.render(move)
        for _ in range(3):
            app.processEvents()

    shot("annotations", view, settle)

    # The form with the keyboard open on the phone number, half typed.
    f = _Remote(session, now)
    f.feed("assist.form", form_id="frm_f", form=SAMPLE_FORM)
    f.act("fill", "frm_f", "id_number", FILLED["id_number"])
    view = f.act("fill", "frm_f", "phone", "138123")

    def keyboard() -> None:
        window.render(view)
        window.call_screen.form._activate("phone")
        for _ in range(3):
            app.processEvents()

    shot("form", view, keyboard)

    # Review done; the signature pad with a signature on it.
    s = _Remote(session, now)
    s.feed("assist.form", form_id="frm_s", form=SAMPLE_FORM)
    for key, value in FILLED.items():
        s.act("fill", "frm_s", key, value)
    s.act("review", "frm_s")
    view = s.act("confirm", "frm_s")

    def sign() -> None:
        window.render(view)
        for _ in range(3):
            app.processEvents()
        draw_signature(window.call_screen.form.pad)
        for _ in range(2):
            app.processEvents()

    shot("signature", view, sign)
    s.act("back", "frm_s")
    shot("review", s.engine.view(), None)
