"""Remote assist on the kiosk, offscreen: the consent question and the share bar, the
agent's pointer and drawings painted where they belong, remote taps pressing real
buttons (and not the resident's own controls), a form filled on the on-screen
keyboard, reviewed and signed with touch events."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from booth_client import session as s
from booth_client.remote import Consent
from booth_client.remote_forms import FormPhase
from booth_client.ui.call import CallScreen
from booth_client.ui.screen_grab import SHARE_MASK, grab_window, qimage_rgb
from booth_client.ui.signature import SignaturePad
from booth_client.ui.window import KioskWindow
from tests.ui.flows import Booth, LoopbackRunner, frame
from tests.ui.helpers import click, visible_texts
from tests.unit.test_booth_remote import FORM, ID


@pytest.fixture
def booth() -> Booth:
    b = Booth()
    b.in_call()
    return b


@pytest.fixture
def kiosk(qapp: QApplication, booth: Booth) -> Any:
    """A window driven by the real engine: touches become intents, views are drawn."""
    holder: dict[str, LoopbackRunner] = {}
    win = KioskWindow(lambda intent, *a: holder["r"].act(intent, *a),
                      clock=lambda: booth.now)
    holder["r"] = LoopbackRunner(booth, win.render)
    win.resize(1920, 1080)
    win.show()
    win.render(booth.view())
    qapp.processEvents()
    try:
        yield win
    finally:
        win.close()
        win.deleteLater()
        qapp.processEvents()


def feed(booth: Booth, win: KioskWindow, mtype: str, **data: Any) -> s.BoothView:
    view = booth.feed(mtype, **{"call_id": "c1", **data})
    win.render(view)
    QApplication.processEvents()
    return view


def ok_last_consent(booth: Booth, win: KioskWindow) -> None:
    """The hub's ``ok`` to the booth's last consent."""
    rid = booth.last_request("assist.consent")
    win.render(booth.feed("ok", re=rid))
    QApplication.processEvents()


def button(win: QWidget, name: str) -> QPushButton:
    btn = win.findChild(QPushButton, name)
    assert btn is not None, name
    return btn


def grant(booth: Booth, win: KioskWindow, scope: str) -> None:
    feed(booth, win, "assist.consent.requested", scope=scope)
    click(button(win, "remote.consent.yes"))
    ok_last_consent(booth, win)


def center(win: QWidget, widget: QWidget) -> tuple[float, float]:
    pt = widget.mapTo(win, widget.rect().center())
    return pt.x() / win.width(), pt.y() / win.height()


def rgb_at(win: KioskWindow, x: int, y: int) -> tuple[int, int, int]:
    arr = grab_window(win, max_width=4000)
    assert arr is not None
    r, g, b = (int(v) for v in arr[y, x])
    return r, g, b


# ---------------------------------------------------------------------------- consent


def test_consent_question_then_the_share_bar_stops_sharing(kiosk: KioskWindow,
                                                           booth: Booth) -> None:
    assert not kiosk.consent.isVisible() and not kiosk.share_bar.isVisible()
    feed(booth, kiosk, "assist.consent.requested", scope="screen")
    assert kiosk.consent.isVisible()
    texts = visible_texts(kiosk.consent)
    assert "工作人员请求查看您的屏幕，以便指导您操作。\n是否同意？" in texts
    yes, no = button(kiosk, "remote.consent.yes"), button(kiosk, "remote.consent.no")
    assert yes.text() == "同意" and no.text() == "不同意"
    assert yes.height() >= 140 and yes.width() >= 300
    click(yes)
    view = booth.view().remote
    assert view is not None and view.screen is Consent.GRANTING
    assert not kiosk.consent.isVisible()
    assert kiosk.share_bar.isVisible()  # the frame and the stop button show at once
    ok_last_consent(booth, kiosk)
    assert visible_texts(kiosk.share_bar)[:2] == ["●", "工作人员正在查看您的屏幕"]
    assert not button(kiosk, "remote.revoke_control").isVisible()
    grant(booth, kiosk, "control")
    assert "工作人员正在协助操作" in visible_texts(kiosk.share_bar)
    click(button(kiosk, "remote.revoke_control"))
    view = booth.view().remote
    assert view is not None and view.control is Consent.OFF and view.screen is Consent.ON
    click(button(kiosk, "remote.stop_share"))
    view = booth.view().remote
    assert view is not None and view.screen is Consent.OFF
    assert not kiosk.share_bar.isVisible()
    sent = [(e.data.scope, e.data.granted) for e in booth.sent  # type: ignore[attr-defined]
            if e.mtype == "assist.consent"]
    assert sent == [("screen", True), ("control", True), ("control", False),
                    ("screen", False)]


def test_declining_in_english(kiosk: KioskWindow, booth: Booth) -> None:
    kiosk.set_lang("en")
    feed(booth, kiosk, "assist.consent.requested", scope="control")  # screen not shared
    assert not kiosk.consent.isVisible(), "control is never asked without the screen"
    grant(booth, kiosk, "screen")
    feed(booth, kiosk, "assist.consent.requested", scope="control")
    assert button(kiosk, "remote.consent.yes").text() == "Agree"
    click(button(kiosk, "remote.consent.no"))
    view = booth.view().remote
    assert view is not None and view.control is Consent.OFF
    assert "Stop sharing" in visible_texts(kiosk.share_bar)


# ---------------------------------------------------------------------------- pointer


def test_the_pointer_is_painted_where_the_agent_points(kiosk: KioskWindow,
                                                       booth: Booth) -> None:
    drawn: list[dict[str, Any]] = []
    kiosk.set_remote_events(drawn.append)
    layer = kiosk.remote_layer
    assert layer.geometry() == kiosk.rect()
    x, y = 0.3, 0.6
    px, py = round(x * kiosk.width()), round(y * kiosk.height())
    before = rgb_at(kiosk, px, py)
    painted = layer.painted
    feed(booth, kiosk, "assist.pointer", x=x, y=y)
    QApplication.processEvents()
    assert layer.painted > painted, "the layer repainted"
    r, g, b = rgb_at(kiosk, px, py)
    assert r > 200 and g < 90 and b < 90, f"a red dot at the spot, not {r, g, b}"
    assert drawn and drawn[-1]["event"] == "assist.pointer.drawn"
    assert drawn[-1]["px"] == [px, py] and drawn[-1]["surface"] == "screen"
    far = rgb_at(kiosk, round(0.8 * kiosk.width()), py)
    assert not (far[0] > 200 and far[1] < 90), "only there"
    feed(booth, kiosk, "assist.pointer", x=x, y=y, visible=False)
    QApplication.processEvents()
    assert rgb_at(kiosk, px, py) == before
    # the layer never takes a touch: the window finds what lies under it
    assert kiosk.childAt(QPoint(px, py)) is not layer


def test_drawings_are_painted_over_the_kiosk(kiosk: KioskWindow, booth: Booth) -> None:
    feed(booth, kiosk, "assist.annotate", surface="screen", op="add",
         shape={"id": "b1", "kind": "box", "color": "blue", "width": 12,
                "points": [[0.2, 0.3], [0.4, 0.5]]})
    QApplication.processEvents()
    w, h = kiosk.width(), kiosk.height()
    r, g, b = rgb_at(kiosk, round(0.2 * w) + 1, round(0.4 * h))
    assert b > 150 and r < 100, "the box's left edge is blue"
    feed(booth, kiosk, "assist.annotate", surface="screen", op="undo")
    QApplication.processEvents()
    r, g, b = rgb_at(kiosk, round(0.2 * w) + 1, round(0.4 * h))
    assert not (b > 150 and r < 100)


def test_a_document_surface_shows_the_booths_copy_with_the_drawings(
        kiosk: KioskWindow, booth: Booth) -> None:
    out = io.BytesIO()
    Image.fromarray(np.full((300, 400, 3), 250, np.uint8)).save(out, "PNG")
    kiosk.set_images(lambda doc: out.getvalue() if doc == "doc_1" else None)
    feed(booth, kiosk, "assist.annotate", surface="document:doc_1", op="add",
         shape={"id": "a1", "kind": "arrow", "points": [[0.1, 0.1], [0.5, 0.5]]})
    screen = kiosk.current_screen()
    assert isinstance(screen, CallScreen)
    panel = screen.surface
    assert panel.isVisible() and panel.canvas.image is not None
    assert [x.id for x in panel.canvas.shapes] == ["a1"]
    assert visible_texts(panel)[0] == "工作人员正在为您讲解这份材料"
    click(button(kiosk, "remote.document.close"))
    assert not panel.isVisible()


def test_guidance_is_shown_large_and_put_away(kiosk: KioskWindow, booth: Booth) -> None:
    feed(booth, kiosk, "assist.guide", kind="checklist", title="还需要准备的材料",
         items=[{"text": "户口簿原件", "done": True}, {"text": "收入证明"}])
    texts = visible_texts(kiosk.current_screen())
    assert "还需要准备的材料" in texts and "户口簿原件" in texts and "收入证明" in texts
    assert "还需准备" in texts and "已备好" in texts
    click(button(kiosk, "remote.guide.ok"))
    view = booth.view().remote
    assert view is not None and view.guide is None


# ---------------------------------------------------------------------------- remote taps


def test_a_remote_tap_presses_a_real_button(kiosk: KioskWindow, booth: Booth) -> None:
    grant(booth, kiosk, "screen")
    grant(booth, kiosk, "control")
    feed(booth, kiosk, "assist.form", form_id="frm_1", form=FORM)

    def remote_tap(name: str) -> str | None:
        x, y = center(kiosk, button(kiosk, name))
        effects = booth.engine.frame(frame("assist.control", call_id="c1", action="tap",
                                           x=round(x, 4), y=round(y, 4)), booth.now)
        taps = [e for e in effects if isinstance(e, s.InjectTap)]
        assert len(taps) == 1
        kiosk.render(booth.view())
        pressed = kiosk.inject_tap(taps[0].x, taps[0].y, taps[0].seq)
        QApplication.processEvents()
        return pressed

    # the agent opens the ID number field and types on the on-screen keyboard
    assert remote_tap("form.field.id_number") == "form.field.id_number"
    assert remote_tap("kb.5") == "kb.5"
    form = booth.view().remote.form  # type: ignore[union-attr]
    assert {f.field.id: f.entry for f in form.fields}["id_number"] == "5"
    assert kiosk.remote_layer.ripples, "the resident sees where the tap landed"
    # the resident's own controls refuse remote taps
    sx, sy = center(kiosk, button(kiosk, "remote.stop_share"))
    assert kiosk.inject_tap(sx, sy) == "blocked:remote.bar"
    view = booth.view().remote
    assert view is not None and view.screen is Consent.ON


def test_nobody_signs_for_the_resident(kiosk: KioskWindow, booth: Booth) -> None:
    feed(booth, kiosk, "assist.form", form_id="frm_1", form=FORM)
    for key, value in (("id_number", ID), ("phone", "13812345678"), ("household", "3"),
                       ("housing", "none"), ("agree", True)):
        booth.engine.user_remote("fill", "frm_1", key, value, now=booth.now)
    booth.engine.user_remote("review", "frm_1", now=booth.now)
    booth.engine.user_remote("confirm", "frm_1", now=booth.now)
    kiosk.render(booth.view())
    QApplication.processEvents()
    pad = kiosk.findChild(SignaturePad, "form.signature_pad")
    assert pad is not None and pad.isVisible()
    x, y = center(kiosk, pad)
    assert kiosk.inject_tap(x, y) == "blocked:form.signature_pad"
    assert pad.strokes == []


# ---------------------------------------------------------------------------- forms


def press(win: KioskWindow, *keys: str) -> None:
    for key in keys:
        click(button(win, f"kb.{key}"))


def test_a_form_filled_on_the_keyboard_reviewed_and_signed_by_touch(
        kiosk: KioskWindow, booth: Booth) -> None:
    feed(booth, kiosk, "assist.form", form_id="frm_1", form=FORM)
    screen = kiosk.current_screen()
    assert isinstance(screen, CallScreen) and screen.form.isVisible()
    assert "公租房申请表" in visible_texts(screen.form)
    assert "李秀英" in visible_texts(screen.form), "the agent's value, read-only"
    # errors first: nothing filled
    click(button(kiosk, "form.next"))
    errors = [t for t in visible_texts(screen.form) if t.startswith("⚠")]
    assert "⚠ 这一项必须填写" in errors and len(errors) == 5
    # the ID number on the keyboard, a wrong last digit, corrected with 退格
    click(button(kiosk, "form.field.id_number"))
    assert screen.form.keyboard.isVisible() and button(kiosk, "kb.X").isVisible()
    press(kiosk, *ID[:17], "1")
    form = booth.view().remote.form  # type: ignore[union-attr]
    assert {f.field.id: f.entry for f in form.fields}["id_number"] == ID[:17] + "1"
    assert "⚠ 身份证号码不对，请再核对一遍" in visible_texts(screen.form)
    press(kiosk, "backspace", "X", "done")
    assert not screen.form.keyboard.isVisible()
    assert button(kiosk, "form.field.id_number").text() == ID
    click(button(kiosk, "form.field.phone"))
    press(kiosk, *"13812345678", "done")
    click(button(kiosk, "form.field.household"))
    press(kiosk, "3", "done")
    click(button(kiosk, "form.option.housing.none"))
    click(button(kiosk, "form.option.needs.ground"))
    click(button(kiosk, "form.check.agree"))
    assert not [t for t in visible_texts(screen.form) if t.startswith("⚠")]
    # progress went to the agent as the resident typed (debounced in the engine)
    assert any(e.mtype == "assist.form.progress" for e in booth.sent)

    click(button(kiosk, "form.next"))
    assert booth.view().remote.form.phase is FormPhase.REVIEW  # type: ignore[union-attr]
    review = visible_texts(screen.form)
    for shown in (ID, "13812345678", "3", "无自有住房", "低楼层", "是", "李秀英"):
        assert shown in review, shown
    click(button(kiosk, "form.confirm"))
    pad = screen.form.pad
    assert pad.isVisible() and not button(kiosk, "form.sign.submit").isEnabled()

    device = QTest.createTouchDevice()
    w, h = pad.width(), pad.height()
    for stroke in ([(0.1, 0.5), (0.2, 0.3), (0.3, 0.6), (0.4, 0.4)],
                   [(0.55, 0.3), (0.6, 0.7), (0.7, 0.5)]):
        pts = [QPoint(round(x * w), round(y * h)) for x, y in stroke]
        QTest.touchEvent(pad, device).press(0, pts[0], pad).commit()
        for pt in pts[1:]:
            QTest.touchEvent(pad, device).move(0, pt, pad).commit()
        QTest.touchEvent(pad, device).release(0, pts[-1], pad).commit()
    QApplication.processEvents()
    assert len(pad.strokes) == 2 and pad.points >= 7
    times = [t for st in pad.strokes for _, _, t in st]
    assert times == sorted(times) and times[0] == 0
    assert all(0 <= x <= 1 and 0 <= y <= 1 for st in pad.strokes for x, y, _ in st)
    click(button(kiosk, "form.sign.clear"))
    assert pad.strokes == [] and not button(kiosk, "form.sign.submit").isEnabled()
    # again with the mouse this time
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(w // 4, h // 2))
    for i in range(1, 20):
        QTest.mouseMove(pad, QPoint(w // 4 + i * 15, h // 2 + (i % 5) * 8))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(w // 4 + 300, h // 2))
    assert button(kiosk, "form.sign.submit").isEnabled()
    sent_before = len(booth.sent)
    effects: list[s.Effect] = []
    original = booth._keep

    def keep(effs: list[s.Effect]) -> list[s.Effect]:
        effects.extend(effs)
        return original(effs)

    booth._keep = keep  # type: ignore[method-assign]
    click(button(kiosk, "form.sign.submit"))
    submits = [e for e in effects if isinstance(e, s.SubmitForm)]
    assert len(submits) == 1 and len(booth.sent) >= sent_before
    body = submits[0].body
    assert body["reviewed"] is True and body["values"]["id_number"] == ID
    assert body["values"]["needs"] == ["ground"]
    png = Image.open(io.BytesIO(base64.b64decode(body["signature"]["png"])))
    assert png.size == (pad.width(), pad.height()) and png.mode == "RGBA"
    assert np.asarray(png)[..., 3].max() == 255, "ink on it"
    assert "正在提交，请稍候…" in visible_texts(screen.form)


def test_the_screen_share_masks_sensitive_values(kiosk: KioskWindow, booth: Booth) -> None:
    """The agent sees ``••••002X`` in the progress until the form is signed: the shared
    picture must not show the number in clear, nor the keys lit while it is typed."""
    feed(booth, kiosk, "assist.form", form_id="frm_1", form=FORM)
    booth.engine.user_remote("fill", "frm_1", "id_number", ID, now=booth.now)
    booth.engine.user_remote("fill", "frm_1", "phone", "13812345678", now=booth.now)
    kiosk.render(booth.view())
    QApplication.processEvents()
    box = button(kiosk, "form.field.id_number")
    assert box.property(SHARE_MASK) == "••••002X" and box.text() == ID
    assert button(kiosk, "form.field.phone").property(SHARE_MASK) is None  # not sensitive
    raw = qimage_rgb(kiosk.grab().toImage())
    shared = grab_window(kiosk, max_width=4000)
    assert shared is not None and shared.shape == raw.shape
    top_left = box.mapTo(kiosk, box.rect().topLeft())
    region = (slice(top_left.y() + 8, top_left.y() + box.height() - 8),
              slice(top_left.x() + 8, top_left.x() + box.width() - 8))
    assert not np.array_equal(shared[region], raw[region]), "covered in the share"
    phone = button(kiosk, "form.field.phone")
    pl = phone.mapTo(kiosk, phone.rect().topLeft())
    pregion = (slice(pl.y() + 8, pl.y() + phone.height() - 8),
               slice(pl.x() + 8, pl.x() + phone.width() - 8))
    assert np.array_equal(shared[pregion], raw[pregion]), "the rest as it is"
    # typing into it: the keyboard is covered too; another field: not
    click(box)
    screen = kiosk.current_screen()
    assert isinstance(screen, CallScreen)
    assert screen.form.keyboard.property(SHARE_MASK) == "（居民正在输入需要保密的内容，键盘不显示）"
    press(kiosk, "done")
    click(phone)
    assert screen.form.keyboard.property(SHARE_MASK) is None
    press(kiosk, "done")
    # the review page and the signing page's summary too
    booth.engine.user_remote("fill", "frm_1", "household", "3", now=booth.now)
    booth.engine.user_remote("fill", "frm_1", "housing", "none", now=booth.now)
    booth.engine.user_remote("fill", "frm_1", "agree", True, now=booth.now)
    booth.engine.user_remote("review", "frm_1", now=booth.now)
    kiosk.render(booth.view())
    value = kiosk.findChild(QWidget, "form.review.id_number")
    assert value is not None and value.property(SHARE_MASK) == "••••002X"
    booth.engine.user_remote("confirm", "frm_1", now=booth.now)
    kiosk.render(booth.view())
    QApplication.processEvents()
    masks = [w.property(SHARE_MASK) for w in screen.form.summary_box.findChildren(QWidget)
             if isinstance(w.property(SHARE_MASK), str)]
    assert masks == ["身份证号码：••••002X"]


def pick(win: KioskWindow, text: str) -> None:
    """Tap the candidate ``text``, turning pages (‹ ›) until it shows."""
    for _ in range(10):
        for i in range(6):
            cand = button(win, f"kb.cand.{i}")
            if cand.isEnabled() and cand.text() == text:
                click(cand)
                return
        click(button(win, "kb.next"))
    raise AssertionError(f"{text!r} is not among the candidates")


def test_chinese_typed_in_pinyin(kiosk: KioskWindow, booth: Booth) -> None:
    feed(booth, kiosk, "assist.form", form_id="frm_1", form=FORM)
    screen = kiosk.current_screen()
    assert isinstance(screen, CallScreen)
    click(button(kiosk, "form.field.address"))
    bar = kiosk.findChild(QWidget, "kb.composing")
    assert bar is not None and not bar.isVisible()  # letters as typed by default
    press(kiosk, "clear", "ime")
    ime = button(kiosk, "kb.ime")
    assert ime.text() == "拼音" and ime.property("on") == "true" and bar.isVisible()
    press(kiosk, "X", "I", "N", "C", "U", "N")
    assert bar.text() == "xincun"  # type: ignore[attr-defined]

    def entry() -> object:
        form = booth.view().remote.form  # type: ignore[union-attr]
        return {f.field.id: f.entry for f in form.fields}["address"]

    assert entry() == ""  # pinyin letters are not the field's text
    pick(kiosk, "新")
    assert bar.text() == "cun"  # type: ignore[attr-defined]
    pick(kiosk, "村")
    assert entry() == "新村"
    press(kiosk, "W", "U", "backspace")  # a letter taken back from the composition
    assert bar.text() == "w" and entry() == "新村"  # type: ignore[attr-defined]
    press(kiosk, "backspace", "backspace")  # then the field's own last character
    assert entry() == "新"
    press(kiosk, "C", "U", "N")
    first = button(kiosk, "kb.cand.0").text()
    press(kiosk, "space")  # space takes the first candidate
    assert entry() == "新" + first and first in ("村", "存", "寸")
    press(kiosk, "ime")  # back to letters: they go straight into the field
    press(kiosk, "A", "done")
    assert str(entry()).endswith("A") and not screen.form.keyboard.isVisible()
