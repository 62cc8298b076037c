"""A whole visit with the real engine behind the window: every click must be an
intent the engine accepts with those arguments, and the screens must follow."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from booth_client.session import Screen
from booth_client.ui.window import KioskWindow
from tests.ui.flows import AGENT, Booth, LoopbackRunner
from tests.ui.helpers import click, find_button, find_label


def test_a_visit_from_welcome_to_thanks(qapp: QApplication) -> None:
    booth = Booth()
    holder: list[KioskWindow] = []
    runner = LoopbackRunner(booth, lambda v: holder[0].render(v))
    win = KioskWindow(runner.act, clock=lambda: booth.now)
    holder.append(win)
    win.resize(1920, 1080)
    win.show()
    try:
        win.render(booth.online())
        click(find_button(win, "welcome.start"))
        assert booth.engine.screen is Screen.CHOOSING
        click(find_button(win, "choose.dept.housing"))
        click(find_button(win, "choose.service.housing.public_rental"))
        click(find_button(win, "choose.take_ticket"))
        assert booth.sent[-1].mtype == "ticket.create"
        assert not find_button(win, "choose.take_ticket").isEnabled()  # busy
        win.render(booth.feed("ticket", re=booth.last_request("ticket.create"),
                              ticket_id="t1", number="A012", state="waiting", position=2,
                              eta_s=300, service_id="housing.public_rental",
                              department_id="housing"))
        assert find_label(win, "wait.number").text() == "A012"
        win.render(booth.feed("call.start", call_id="c1", ticket_id="t1", role="offerer",
                              peer={"kind": "agent", "id": "u1", "name": AGENT},
                              ice_servers=[]))
        click(find_button(win, "call.hang_up"))
        assert booth.sent[-1].mtype == "call.end"
        booth.feed("call.ended", re=booth.last_request("call.end"), call_id="c1",
                   reason="resident_hangup", by="booth")
        win.render(booth.feed("rating.request", call_id="c1"))
        click(find_button(win, "rate.level.2"))
        click(find_button(win, "rate.reason.unclear"))
        click(find_button(win, "rate.submit"))
        submit = booth.sent[-1]
        assert submit.mtype == "rating.submit"
        assert submit.data.model_dump()["level"] == 2
        assert submit.data.model_dump()["reasons"] == ["reason.unclear"]
        win.render(booth.feed("rating", re=submit.id, call_id="c1", level=2))
        click(find_button(win, "thanks.done"))
        assert booth.view().screen is Screen.WELCOME
        intents = [c[0] for c in runner.calls if c[0] != "touch"]
        assert intents == ["start", "department", "service", "take_ticket", "hang_up", "rate",
                           "done"]
    finally:
        win.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 1024)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_screen_fits_the_booth_screens(qapp: QApplication, size: tuple[int, int],
                                             lang: str) -> None:
    """No screen may push the window past 1920x1080 or 1280x1024, banner or not."""
    win = KioskWindow(lambda *a: None, lang="en" if lang == "en" else "zh")
    win.resize(*size)
    win.show()
    try:
        views = [Booth().connecting(), Booth().online(), Booth().choosing(),
                 Booth().choosing("housing"), Booth().choosing("housing",
                                                               "housing.public_rental"),
                 Booth().waiting(position=12, eta_s=3600),
                 Booth().waiting(position=12, eta_s=3600, priority=True), Booth().in_call(),
                 Booth().rating(), Booth().thanks(), Booth().disabled()]
        for view in views:
            for notice in (None, "notice.service_unavailable"):
                win.resize(*size)
                win.render(dataclasses.replace(view, notice=notice))
                screen = win.current_screen()
                level = screen.findChild(QPushButton, "rate.level.1")
                if level is not None:
                    level.click()  # the reasons are showing too
                qapp.processEvents()
                assert win.size().toTuple() == size, (view.screen, notice)
    finally:
        win.close()
