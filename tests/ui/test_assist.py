"""The document and face-check overlays of the call screen: what they say, what
touching them asks for, and that the call stays on screen around them."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from booth_client.assist import DocPhase
from booth_client.session import CaptureResult, UploadDone, UploadFailed
from booth_client.ui.call import CallScreen
from booth_client.ui.window import KioskWindow
from signaling import protocol as p
from tests.ui.flows import AGENT, Booth, FakeRunner, LoopbackRunner
from tests.ui.helpers import click, find_button, find_label, screen_texts


def call_screen(window: KioskWindow) -> CallScreen:
    screen = window.current_screen()
    assert isinstance(screen, CallScreen)
    return screen


def test_document_instruction_countdown_and_buttons(window: KioskWindow,
                                                    runner: FakeRunner) -> None:
    booth = Booth(now=runner.now)
    window.render(booth.document("id_front", "请把身份证人像面朝上放在高拍仪上"))
    screen = call_screen(window)
    assert screen.document.isVisible()
    assert find_label(window, "doc.kind").text() == "身份证人像面"
    assert find_label(window, "doc.instruction").text() == "请把身份证人像面朝上放在高拍仪上"
    assert find_label(window, "doc.status").text() == "20 秒后自动拍摄"
    assert screen.document.picture.kind == "id_front"
    runner.now += 5
    screen._tick()  # the call screen's one-second timer
    assert find_label(window, "doc.status").text() == "15 秒后自动拍摄"
    # the call goes on around it: agent, timer and hang-up stay
    assert find_label(window, "call.agent").text() == f"服务人员：{AGENT}"
    assert find_button(window, "call.hang_up").isVisible()
    ready = find_button(window, "doc.ready")
    assert ready.text() == "放好了，开始拍摄" and ready.height() >= 96
    click(ready)
    click(find_button(window, "doc.cancel"))
    assert runner.intents() == [("document_ready",), ("cancel_document",)]
    assert not find_button(window, "doc.dismiss").isVisible()


def test_default_instruction_and_picture_per_kind(window: KioskWindow) -> None:
    expected = {"id_back": "请把身份证国徽面朝上，放在取景框内",
                "household_register": "请把户口簿翻到本人页，平放在取景框内",
                "form": "请把表格平放在取景框内", "certificate": "请把证书平放在取景框内",
                "other": "请按工作人员的要求放好材料"}
    for kind, text in expected.items():
        window.render(Booth().document(kind))
        assert find_label(window, "doc.instruction").text() == text
        assert call_screen(window).document.picture.kind == kind
        # the picture really is drawn (not a blank widget)
        image = call_screen(window).document.picture.grab().toImage()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
                   for y in range(0, image.height(), 7)}
        assert len(colours) > 5


def test_capture_progress_retry_reason_and_results(window: KioskWindow,
                                                   runner: FakeRunner) -> None:
    booth = Booth(now=runner.now)
    booth.document("form")
    booth._keep(booth.engine.user_document_ready(booth.now))
    window.render(booth.view())
    assert find_label(window, "doc.status").text() == "正在拍摄，请不要移动材料…"
    assert call_screen(window).document.progress.isVisible()
    assert not find_button(window, "doc.ready").isVisible()
    assert find_button(window, "doc.cancel").isVisible()
    booth._keep(booth.engine.capture_result(
        CaptureResult("req_1", 1, False, "quality", "glare", ("glare",)), booth.now))
    window.render(booth.view())
    status = find_label(window, "doc.status").text()
    assert status.startswith("有反光，请稍微调整材料的角度") and "秒后重新拍摄" in status
    assert find_label(window, "doc.symbol").text() == "!"
    view = booth.at(booth.now + 10)  # the pause is over: attempt 2
    assert view.document is not None and view.document.attempt == 2
    window.render(view)
    assert "第 2 次，共 3 次" in find_label(window, "doc.status").text()
    booth._keep(booth.engine.capture_result(CaptureResult("req_1", 2, True), booth.now))
    window.render(booth.view())
    assert find_label(window, "doc.status").text() == "正在发送给工作人员…"
    booth._keep(booth.engine.upload_done(UploadDone("req_1", "doc_1"), booth.now))
    window.render(booth.view())
    assert find_label(window, "doc.status").text() == "已发送，请等待工作人员查看"
    assert find_label(window, "doc.symbol").text() == "✓"
    assert not find_button(window, "doc.cancel").isVisible()
    click(find_button(window, "doc.dismiss"))
    assert runner.intents()[-1] == ("dismiss_document",)
    window.render(booth.feed("document.reviewed", call_id="c1", document_id="doc_1",
                             request_id="req_1", kind="form", decision="accepted"))
    assert find_label(window, "doc.status").text() == "材料已通过"


@pytest.mark.parametrize("code,words", [
    ("no_device", "没有检测到高拍仪，请告诉工作人员"), ("jammed", "纸张卡住了，请告诉工作人员"),
    ("cover_open", "扫描仪的盖子没有盖好，请盖好后告诉工作人员"),
    ("no_documents", "没有检测到材料，请放好后告诉工作人员"),
    ("timeout", "没有拍到材料，请放好后告诉工作人员"),
    ("error", "拍摄出了问题，请告诉工作人员")])
def test_scanner_errors_in_plain_words(window: KioskWindow, code: str, words: str) -> None:
    booth = Booth()
    booth.document("form")
    booth._keep(booth.engine.user_document_ready(booth.now))
    booth._keep(booth.engine.capture_result(CaptureResult("req_1", 1, False, code, "x"),
                                            booth.now))
    window.render(booth.view())
    assert find_label(window, "doc.status").text() == words
    assert find_button(window, "doc.dismiss").text() == "知道了"


def test_upload_failure_in_plain_words(window: KioskWindow) -> None:
    booth = Booth()
    booth.document("form")
    booth._keep(booth.engine.user_document_ready(booth.now))
    booth._keep(booth.engine.capture_result(CaptureResult("req_1", 1, True), booth.now))
    booth._keep(booth.engine.upload_failed(UploadFailed("req_1", "HTTP 413", 413), booth.now))
    window.render(booth.view())
    assert find_label(window, "doc.status").text() == "材料没有发送成功，请告诉工作人员"


def test_rescan_shows_the_agents_reason(window: KioskWindow) -> None:
    booth = Booth()
    booth.document("id_front")
    booth._keep(booth.engine.user_document_ready(booth.now))
    booth._keep(booth.engine.capture_result(CaptureResult("req_1", 1, True), booth.now))
    booth._keep(booth.engine.upload_done(UploadDone("req_1", "doc_1"), booth.now))
    window.render(booth.feed("document.reviewed", call_id="c1", document_id="doc_1",
                             request_id="req_1", kind="id_front", decision="rescan",
                             reason="有反光，请调整角度"))
    rescan = find_label(window, "doc.rescan")
    assert rescan.isVisible() and rescan.text() == "工作人员请您重新拍摄：有反光，请调整角度"
    assert find_button(window, "doc.ready").isVisible()


def test_cancel_button_sends_failed_cancelled(qapp: QApplication) -> None:
    """Through the real engine: the resident's cancel is a document.status to the agent."""
    booth = Booth()
    holder: list[KioskWindow] = []
    loop = LoopbackRunner(booth, lambda v: holder[0].render(v))
    win = KioskWindow(loop.act, clock=lambda: booth.now)
    holder.append(win)
    win.resize(1920, 1080)
    win.show()
    try:
        win.render(booth.document("id_front"))
        click(find_button(win, "doc.ready"))
        sent = booth.sent[-1].data
        assert isinstance(sent, p.DocumentStatus) and sent.state == "capturing"
        click(find_button(win, "doc.cancel"))
        sent = booth.sent[-1].data
        assert isinstance(sent, p.DocumentStatus)
        assert (sent.request_id, sent.state, sent.code) == ("req_1", "failed", "cancelled")
        assert find_label(win, "doc.status").text() == "已取消拍摄"
        click(find_button(win, "doc.dismiss"))
        assert not call_screen(win).document.isVisible()
        assert booth.view().document is None
    finally:
        win.close()
        win.deleteLater()
        qapp.processEvents()


def test_document_overlay_in_english(window: KioskWindow) -> None:
    window.set_lang("en")
    window.render(Booth().document("id_back", "请把身份证国徽面朝上放在高拍仪上"))
    assert find_label(window, "doc.kind").text() == "ID card, emblem side"
    assert find_label(window, "doc.instruction").text() == (
        "Put your ID card emblem side up inside the frame")
    words = find_label(window, "doc.agent_words")  # the agent's own words, smaller
    assert words.isVisible() and words.text() == "请把身份证国徽面朝上放在高拍仪上"
    assert find_button(window, "doc.ready").text() == "Ready, take the picture"
    texts = [t for t in screen_texts(window) if t != words.text() and AGENT not in t]
    assert not any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t
                   if t != "中文"), texts


PROMPTS = {"baseline": "请看镜头", "blink": "请眨眨眼", "turn_left": "请向左转头",
           "turn_right": "请向右转头", "open_mouth": "请张张嘴"}


def test_face_check_prompts_countdown_and_the_big_self_view(window: KioskWindow,
                                                            runner: FakeRunner) -> None:
    booth = Booth(now=runner.now)
    challenges = ("blink", "turn_left", "turn_right", "open_mouth")
    window.render(booth.face_check(challenges))
    screen = call_screen(window)
    QApplication.processEvents()
    assert screen.face_panel.isVisible() and screen.face_guide.isVisible()
    assert screen.stage.mode == "face"
    assert screen.local.width() > screen.remote.width() * 2  # the resident sees themselves
    assert screen.face_guide.geometry() == screen.local.geometry()
    assert not screen.document.isVisible()
    start = booth.now
    for i, step in enumerate(("baseline", *challenges)):
        window.render(booth.at(start + (0 if i == 0 else 2 + 4 * (i - 1)) + 0.2))
        assert find_label(window, "face.prompt").text() == PROMPTS[step]
        assert find_label(window, "face.step_of").text() == f"第 {i + 1} 步，共 5 步"
        assert screen.face_guide.step == step
    runner.now = booth.now
    screen.face_panel.tick()
    assert find_label(window, "face.countdown").text() == "4"
    runner.now = booth.now + 2.5
    screen.face_panel.tick()
    assert find_label(window, "face.countdown").text() == "2"
    assert find_button(window, "call.hang_up").isVisible()  # hanging up is always possible


def test_face_check_judging_hint_done_decided(window: KioskWindow) -> None:
    booth = Booth()
    booth.face_check(("blink",))
    booth.at(booth.now + 6)
    booth._keep(booth.engine.face_capture_done("fc_1", 20, booth.now))
    window.render(booth.view())
    screen = call_screen(window)
    assert find_label(window, "face.prompt").text() == "正在核验，请稍候…"
    assert screen.stage.mode == "normal" and not screen.face_guide.isVisible()
    assert not find_label(window, "face.countdown").isVisible()
    window.render(booth.feed("face.check.status", call_id="c1", check_id="fc_1",
                             state="retry", hint="too_small"))
    assert find_label(window, "face.prompt").text() == "请靠近一点"
    assert find_label(window, "face.sub").text() == "请稍候，工作人员会重新开始核验"
    assert screen.stage.mode == "face"  # the resident adjusts while seeing themselves
    window.render(booth.feed("face.check.status", call_id="c1", check_id="fc_1",
                             state="done"))
    assert find_label(window, "face.prompt").text() == "核验已提交，请等待工作人员确认"
    window.render(booth.feed("face.check.status", call_id="c1", check_id="fc_1",
                             state="decided"))
    assert find_label(window, "face.prompt").text() == "核验完成"
    window.render(booth.at(booth.now + 30))
    assert not screen.face_panel.isVisible() and screen.stage.mode == "normal"


def test_face_prompts_in_english(window: KioskWindow) -> None:
    window.set_lang("en")
    booth = Booth()
    window.render(booth.face_check(("turn_left",)))
    assert find_label(window, "face.prompt").text() == "Look at the camera"
    window.render(booth.at(booth.now + 2.1))
    assert find_label(window, "face.prompt").text() == "Turn your head to the left"
    assert find_label(window, "face.step_of").text() == "Step 2 of 2"


def test_call_end_clears_the_overlays(window: KioskWindow) -> None:
    booth = Booth()
    window.render(booth.face_check())
    booth.document("form")  # waits behind the face check
    view = booth.feed("call.ended", call_id="c1", reason="agent_hangup", by="agent")
    assert view.document is None and view.face is None
    window.render(view)
    screen = call_screen(window)
    assert not screen.face_panel.isVisible() and not screen.document.isVisible()
    assert screen.stage.mode == "normal"


def test_overlays_redraw_the_same_view_without_change(window: KioskWindow) -> None:
    booth = Booth()
    views = [booth.document("id_front")]
    booth._keep(booth.engine.user_document_ready(booth.now))
    views.append(booth.view())
    booth._keep(booth.engine.capture_result(CaptureResult("req_1", 1, True), booth.now))
    booth._keep(booth.engine.upload_done(UploadDone("req_1", "doc_1"), booth.now))
    views.append(booth.view())
    views.append(Booth().face_check())
    for view in views:
        window.render(view)
        QApplication.processEvents()
        before = (screen_texts(window), len(window.findChildren(QWidget)))
        window.render(view)
        QApplication.processEvents()
        assert (screen_texts(window), len(window.findChildren(QWidget))) == before
    assert views[2].document is not None and views[2].document.phase is DocPhase.SUBMITTED
