"""Each screen of the kiosk: what it shows for a view, and what touching it asks for."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from booth_client.session import BAD_REVIEW_REASONS, BoothSession
from booth_client.ui.call import CallScreen
from booth_client.ui.choose import ChooseScreen
from booth_client.ui.i18n import tr
from booth_client.ui.rating import RatingScreen
from booth_client.ui.window import KioskWindow
from tests.ui.flows import AGENT, BOOTH_NAME, RENTAL_MATERIALS, Booth, FakeRunner
from tests.ui.helpers import click, find_button, find_label, screen_texts, visible_texts


def test_connecting_disabled_and_unenrolled(window: KioskWindow) -> None:
    assert window.view() is None  # nothing from the runner yet: "connecting"
    assert "正在连接服务中心…" in screen_texts(window)
    booth = Booth()
    window.render(booth.connecting())
    assert "正在连接服务中心…" in screen_texts(window)
    window.render(Booth().disabled())
    assert "本服务终端已停用，请联系管理员" in screen_texts(window)
    unenrolled = BoothSession(has_token=False)
    unenrolled.start(0.0)
    window.render(unenrolled.view())
    assert "本终端尚未登记，请联系管理员" in screen_texts(window)


def test_status_bar_shows_booth_and_link(window: KioskWindow) -> None:
    window.render(Booth().online())
    bar = visible_texts(window.status)
    assert any(BOOTH_NAME in t for t in bar)
    assert "已连接" in bar


def test_welcome_start(window: KioskWindow, runner: FakeRunner) -> None:
    window.render(Booth().online())
    assert find_label(window, "welcome.title").text() == "欢迎使用晓屋政务服务"
    click(find_button(window, "welcome.start"))
    assert runner.intents() == [("start",)]
    assert ("touch",) in runner.calls  # any touch pushes the engine's timeouts back


def test_choose_department_service_and_ticket(window: KioskWindow, runner: FakeRunner) -> None:
    booth = Booth()
    window.render(booth.choosing())
    texts = screen_texts(window)
    assert "请选择办事部门" in texts
    assert {"住房和城乡建设局", "市场监督管理局", "残疾人联合会"} <= set(texts)
    click(find_button(window, "choose.dept.housing"))
    assert runner.intents()[-1] == ("department", "housing")

    window.render(booth.choosing("housing"))
    texts = screen_texts(window)
    assert "公租房申请" in texts and "住房公积金提取咨询" in texts
    assert "个体工商户设立登记" not in texts
    click(find_button(window, "choose.service.housing.public_rental"))
    assert runner.intents()[-1] == ("service", "housing.public_rental")

    window.render(booth.choosing("housing", "housing.public_rental"))
    screen = window.current_screen()
    assert isinstance(screen, ChooseScreen)
    assert screen.material_texts() == list(RENTAL_MATERIALS)
    assert "办理所需材料（一次告知）" in screen_texts(window)
    take = find_button(window, "choose.take_ticket")
    assert take.text() == "取号" and take.height() >= 96
    click(take)
    assert runner.intents()[-1] == ("take_ticket",)
    priority = find_button(window, "choose.take_priority")
    assert priority.text() == "优先取号" and priority.height() >= 96
    assert "70 岁以上老人、残疾人、孕妇等可优先办理" in screen_texts(window)
    click(priority)
    assert runner.intents()[-1] == ("take_priority_ticket",)
    click(find_button(window, "choose.back"))
    assert runner.intents()[-1] == ("back",)


def test_waiting_marks_a_priority_ticket(window: KioskWindow) -> None:
    booth = Booth()
    window.render(booth.waiting())
    assert not find_label(window, "wait.priority").isVisible()  # a normal ticket
    booth = Booth()
    booth.take_ticket()
    window.render(booth.feed("ticket", re=booth.last_request("ticket.create"), ticket_id="t2",
                             number="A013", state="waiting", position=1, eta_s=60,
                             service_id="housing.public_rental", department_id="housing",
                             priority="priority"))
    badge = find_label(window, "wait.priority")
    assert badge.isVisible() and badge.text() == "优先办理"
    window.render(booth.feed("ticket.update", ticket_id="t2", state="offered", position=0,
                             eta_s=0))
    assert find_label(window, "wait.priority").isVisible()  # kept through updates


def test_take_ticket_disabled_while_request_in_flight(window: KioskWindow) -> None:
    window.render(Booth().take_ticket())
    assert not find_button(window, "choose.take_ticket").isEnabled()
    assert not find_button(window, "choose.take_priority").isEnabled()


def test_waiting_shows_number_position_eta_and_cancels(window: KioskWindow,
                                                       runner: FakeRunner) -> None:
    booth = Booth()
    window.render(booth.waiting(position=3, eta_s=600))
    assert find_label(window, "wait.number").text() == "A012"
    assert find_label(window, "wait.ahead").text() == "前面还有 3 人"
    assert find_label(window, "wait.eta").text() == "预计等待 10 分钟"
    assert find_label(window, "wait.service").text() == "公租房申请"
    click(find_button(window, "wait.cancel"))
    assert runner.intents() == [("cancel_ticket",)]

    window.render(booth.feed("ticket.update", ticket_id="t1", state="offered", position=0,
                             eta_s=0))
    assert find_label(window, "wait.ahead").text() == "正在为您接通…"
    assert not find_label(window, "wait.eta").isVisible()


def test_call_screen(window: KioskWindow, runner: FakeRunner) -> None:
    booth = Booth(now=runner.now)
    view = booth.in_call()
    window.render(view)
    screen = window.current_screen()
    assert isinstance(screen, CallScreen)
    assert find_label(window, "call.agent").text() == f"服务人员：{AGENT}"
    assert not find_label(window, "call.banner").isVisible()
    assert screen.remote.placeholder() == "正在为您接通…"
    runner.now += 65
    window.render(view)
    assert find_label(window, "call.timer").text() == "01:05"
    hang = find_button(window, "call.hang_up")
    assert hang.height() >= 96
    click(hang)
    assert runner.intents() == [("hang_up",)]

    window.render(booth.media("connected"))
    assert not find_label(window, "call.banner").isVisible()
    window.render(booth.media("disconnected"))
    assert find_label(window, "call.banner").text() == "连接不稳定，正在重新连接…"
    assert find_label(window, "call.banner").isVisible()
    window.render(booth.media("connected"))
    window.render(booth.feed("call.peer", call_id="c1", state="away"))
    assert find_label(window, "call.banner").text() == "对方网络中断，请稍候…"
    window.render(booth.feed("call.peer", call_id="c1", state="back"))
    assert not find_label(window, "call.banner").isVisible()
    booth.engine.disconnected(booth.now, 1006)
    window.render(booth.view())
    assert find_label(window, "call.banner").text() == "连接不稳定，正在重新连接…"


def test_rating_levels_reasons_and_submit(window: KioskWindow, runner: FakeRunner) -> None:
    booth = Booth()
    window.render(booth.rating())
    assert find_label(window, "rate.title").text() == "请对本次服务进行评价"
    labels = [find_label(window, f"rate.level_text.{lv}").text() for lv in (5, 4, 3, 2, 1)]
    assert labels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    reasons = window.current_screen().findChild(QWidget, "rate.reasons")
    assert reasons is not None and not reasons.isVisible()
    assert not find_button(window, "rate.submit").isEnabled()  # nothing picked yet

    for level in (5, 4, 3):
        click(find_button(window, f"rate.level.{level}"))
        assert not reasons.isVisible()
    for level in (2, 1):
        click(find_button(window, f"rate.level.{level}"))
        assert reasons.isVisible()
    shown = [b.text() for b in reasons.findChildren(QPushButton)]
    assert shown == [tr(k) for k in BAD_REVIEW_REASONS]
    click(find_button(window, "rate.reason.attitude"))
    click(find_button(window, "rate.reason.technical"))
    assert find_button(window, "rate.reason.attitude").text().endswith("服务态度差")
    click(find_button(window, "rate.submit"))
    assert runner.intents()[-1] == ("rate", 1, ("reason.attitude", "reason.technical"))

    click(find_button(window, "rate.level.4"))  # reasons only count for 2 and 1
    assert not reasons.isVisible()
    click(find_button(window, "rate.submit"))
    assert runner.intents()[-1] == ("rate", 4, ())
    click(find_button(window, "rate.skip"))
    assert runner.intents()[-1] == ("skip_rating",)


def test_rating_input_is_forgotten_for_the_next_call(window: KioskWindow) -> None:
    booth = Booth()
    window.render(booth.rating())
    click(find_button(window, "rate.level.2"))
    click(find_button(window, "rate.reason.waiting"))
    screen = window.current_screen()
    assert isinstance(screen, RatingScreen)
    window.render(booth.view())  # the same view: the resident's input stays
    assert screen.level() == 2 and screen.reasons() == ("reason.waiting",)
    booth.engine.rating_call_id = "c2"  # another call's rating comes up
    window.render(booth.view())
    assert screen.level() is None and screen.reasons() == ()


def test_thanks_done(window: KioskWindow, runner: FakeRunner) -> None:
    window.render(Booth().thanks())
    assert find_label(window, "thanks.title").text() == "感谢您的评价！"
    click(find_button(window, "thanks.done"))
    assert runner.intents() == [("done",)]


def test_notice_banner(window: KioskWindow) -> None:
    booth = Booth()
    booth.waiting()
    booth.engine.disconnected(booth.now, 1006)
    window.render(booth.view())
    banner = window.findChild(QLabel, "window.banner")
    assert banner is not None and banner.text() == "连接不稳定，正在重新连接…"
    booth.engine.connected(booth.now)
    view = booth.feed("welcome", re=booth.last_request("hello"), session_id="s2",
                      role="booth", subject={"id": "bth_1", "name": BOOTH_NAME},
                      heartbeat_s=20, server_time=0.0)  # not resumed: the ticket is gone
    window.render(view)
    assert banner.isVisible() and banner.text() == "连接中断，排队号已失效，请重新取号"
    window.render(booth.choosing())
    window.render(Booth().online())
    assert not banner.isVisible()


def test_language_switch_and_reset(window: KioskWindow, qapp: QApplication) -> None:
    booth = Booth()
    window.render(booth.waiting(position=3, eta_s=600))
    toggle = find_button(window, "lang.toggle")
    assert toggle.text() == "English" and toggle.height() >= 88
    click(toggle)
    assert window.lang == "en"
    assert find_label(window, "wait.your_number").text() == "Your number"
    assert find_label(window, "wait.ahead").text() == "3 people ahead"
    assert find_label(window, "wait.eta").text() == "About 10 min"
    assert find_label(window, "wait.service").text() == "Public rental housing application"
    assert find_button(window, "lang.toggle").text() == "中文"
    window.render(booth.view())
    assert window.lang == "en"  # a new view keeps the resident's language
    window.reset_resident()  # the resident left: back to the default language
    assert find_label(window, "wait.your_number").text() == "您的号码"


def test_language_switch_on_every_screen(window: KioskWindow) -> None:
    for make in (Booth().online, lambda: Booth().choosing("housing", "housing.public_rental"),
                 Booth().in_call, Booth().rating, Booth().thanks):
        window.set_lang("zh")
        window.render(make())
        zh = screen_texts(window)
        window.set_lang("en")
        en = screen_texts(window)
        assert zh != en
        assert not any("\u4e00" <= ch <= "\u9fff" for t in en for ch in t
                       if t not in (AGENT, "晓", "中文") and AGENT not in t), en


def test_rendering_the_same_view_twice_changes_nothing(window: KioskWindow) -> None:
    for view in (Booth().online(), Booth().choosing(), Booth().choosing("housing"),
                 Booth().choosing("housing", "housing.public_rental"), Booth().waiting(),
                 Booth().in_call(), Booth().rating(), Booth().thanks()):
        window.render(view)
        QApplication.processEvents()
        before = (screen_texts(window), len(window.findChildren(QWidget)))
        window.render(view)
        QApplication.processEvents()
        after = (screen_texts(window), len(window.findChildren(QWidget)))
        assert before == after, view.screen
