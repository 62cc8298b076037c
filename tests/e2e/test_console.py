"""The agent console (cloud_seat/console, served at /seat/) in real Chromium.

The hub runs in the test process on 127.0.0.1 with no ICE servers; the booth
is an aiortc peer in the test process (host candidates pinned to 127.0.0.1),
the agent is Chromium with a fake camera. Screenshots for docs/ are written
only with XIAOWU_SCREENSHOTS=1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from booth_client.ice import restore_host_addresses, restrict_host_addresses
from tests.e2e.console_helpers import (
    TestBooth,
    eventually,
    ignore_non_loopback_checks,
    open_page,
    screenshot,
)
from tests.harness import HubEnv

pytestmark = pytest.mark.e2e

PASSWORD = "agent-pass-1"


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[HubEnv]:
    """The hub without TURN (host candidates only) and with human-scale timers."""
    hub_env = await HubEnv(tmp_path / "var", turn_urls=(), offer_timeout_s=30.0,
                           wrap_up_s=30.0, resume_grace_s=10.0,
                           login_max_failures=3).start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


@pytest.fixture
async def booth(env: HubEnv) -> AsyncIterator[TestBooth]:
    restrict_host_addresses(["127.0.0.1"])
    undo_checks = ignore_non_loopback_checks()
    test_booth = await TestBooth(env).start()
    try:
        yield test_booth
    finally:
        await test_booth.close()
        undo_checks()
        restore_host_addresses()


async def add_agent(env: HubEnv, username: str = "zhang", name: str = "张晓明") -> None:
    await env.call("POST", "/api/admin/agents",
                   {"username": username, "password": PASSWORD, "skills": ["housing"],
                    "display_name": name}, token=env.admin_token, expect=201)


async def open_console(browser: Any, env: HubEnv, query: str = "") -> tuple[Any, list[str]]:
    _, page, errors = await open_page(browser, f"{env.base}/seat/{query}")
    return page, errors


async def sign_in(page: Any, username: str, password: str) -> None:
    await page.fill("#login-username", username)
    await page.fill("#login-password", password)
    await page.click("#login-submit")


async def int_text(page: Any, selector: str) -> int:
    return int((await page.locator(selector).text_content() or "0").strip() or 0)


async def played_frames(page: Any) -> int:
    return int(await page.evaluate(
        "document.getElementById('remote-video').getVideoPlaybackQuality().totalVideoFrames"))


async def assert_video_flowing(page: Any, booth: TestBooth, gen: int) -> None:
    """Booth → browser frames decoded and played, and browser → booth frames received."""
    first = await eventually(lambda: int_text(page, "#stat-frames"), 15, "frames decoded")
    await eventually(lambda: _above(int_text(page, "#stat-frames"), first + 10), 10,
                     "frames decoded rising")
    shown = await eventually(lambda: played_frames(page), 10, "video element playing")
    await eventually(lambda: _above(played_frames(page), shown + 10), 10, "video playing on")
    got = await eventually(lambda: _const(booth.frames.get(gen, 0)), 15,
                           f"booth receiving the browser's video (gen {gen})")
    await eventually(lambda: _const(booth.frames.get(gen, 0) > got + 5), 10,
                     "booth frames rising")


async def _above(value: Any, floor: int) -> bool:
    return bool(await value > floor)


async def _const(value: Any) -> Any:
    return value


async def test_call_flow_reconnect_wrap_up(env: HubEnv, booth: TestBooth, browser: Any) -> None:
    from playwright.async_api import expect

    await add_agent(env)
    catalog = await env.call("GET", "/api/catalog")
    service = next(d for d in catalog["departments"] if d["id"] == "housing")["services"][0]

    page, errors = await open_console(browser, env)
    await expect(page.locator("#login-form")).to_be_visible()
    await screenshot(page, "login")

    await sign_in(page, "zhang", PASSWORD)
    await expect(page.locator("#agent-name")).to_have_text("张晓明")
    state = page.locator("#agent-state")
    await expect(state).to_have_attribute("data-state", "away")  # agents come online away
    await expect(state).to_have_text("暂离")
    await expect(page.locator("#queue-body tr[data-dept-id=housing]")).to_be_visible()

    await page.click("#btn-available")
    await expect(state).to_have_attribute("data-state", "available")
    await expect(state).to_have_text("空闲可接")
    await expect(page.locator("#idle-view")).to_be_visible()
    await screenshot(page, "idle")

    ticket = await booth.take_ticket(service["id"])
    await expect(page.locator("#offer-view")).to_be_visible()
    await expect(page.locator("#offer-number")).to_have_text(ticket["number"])
    await expect(page.locator("#offer-service")).to_have_text(service["name"])
    await expect(page.locator("#offer-booth")).to_have_text("石门镇新村村便民服务站")
    await expect(state).to_have_attribute("data-state", "offered")
    await expect(page.locator("#offer-countdown")).to_contain_text("秒")
    await screenshot(page, "ringing")

    await page.click("#btn-accept")
    await booth.call_started.wait()
    await expect(page.locator("#call-view")).to_be_visible()
    await expect(state).to_have_attribute("data-state", "in_call")
    await booth.offer(0)
    await booth.wait_answer(0)
    await assert_video_flowing(page, booth, 0)
    await expect(page.locator("#reconnecting-banner")).to_be_hidden()
    await expect(page.locator("#call-gen")).to_have_attribute("data-gen", "0")
    assert booth.applied_candidates, f"no loopback candidate from Chromium: " \
        f"{booth.browser_candidates}"
    assert booth.selected_pairs() == [("127.0.0.1", "127.0.0.1")], booth.selected_pairs()
    await expect(page.locator("#stat-rtt")).not_to_have_text("—")
    await screenshot(page, "in-call")

    # The booth rebuilds its peer connection (aiortc has no ICE restart) and
    # re-offers with gen 1; it holds the answer a moment so the state is visible.
    await booth.offer(1, answer_delay_s=1.5)
    banner = page.locator("#reconnecting-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("重新连接中")
    await expect(page.locator("#call-gen")).to_have_attribute("data-gen", "1")
    await booth.wait_answer(1)
    await expect(banner).to_be_hidden(timeout=15000)
    await assert_video_flowing(page, booth, 1)
    assert booth.selected_pairs() == [("127.0.0.1", "127.0.0.1")], booth.selected_pairs()

    await page.click("#btn-end")
    await expect(page.locator("#wrapup-view")).to_be_visible()
    await booth.ended_event.wait()
    assert booth.ended is not None and booth.ended["by"] == "agent", booth.ended
    await expect(state).to_have_attribute("data-state", "wrap_up")
    await expect(page.locator("#wrapup-summary")).to_contain_text(ticket["number"])
    await expect(page.locator("#wrapup-countdown")).to_contain_text("秒后自动转为空闲")
    save = page.locator("#wrapup-save")
    await page.fill("#wrapup-notes", "材料齐全，已受理；三个工作日内短信通知结果。")
    await expect(save).to_have_text("请选择办理结果，小结才会保存")  # the hub needs an outcome
    await page.click("#wrapup-outcomes [data-outcome=materials_missing]")
    await expect(save).to_have_text("已保存到办件记录")
    await page.click("#wrapup-outcomes [data-outcome=resolved]")
    await expect(page.locator("#wrapup-outcomes [data-outcome=resolved]")).to_have_attribute(
        "aria-pressed", "true")
    await expect(save).to_have_text("已保存到办件记录")
    await screenshot(page, "wrap-up")

    await page.click("#btn-done")
    await expect(state).to_have_attribute("data-state", "available")
    await expect(page.locator("#idle-view")).to_be_visible()
    item = page.locator("#history-list li")
    await expect(item).to_have_count(1)
    await expect(item.first).to_contain_text(ticket["number"])
    await expect(item.first).to_contain_text("坐席挂断")
    await expect(item.first).to_contain_text("材料齐全")
    await expect(item.first).to_contain_text("已办结")
    # the record is the hub's: the admin's call log has it
    [logged] = (await env.call("GET", "/api/admin/calls", token=env.admin_token))["calls"]
    assert (logged["outcome"], logged["notes"]) == (
        "resolved", "材料齐全，已受理；三个工作日内短信通知结果。")
    assert not errors, errors

    # another browser (a new shift, another PC) lists today's call from the hub
    other, other_errors = await open_console(browser, env)
    await sign_in(other, "zhang", PASSWORD)
    again = other.locator("#history-list li")
    await expect(again).to_have_count(1)
    await expect(again.first).to_contain_text(ticket["number"])
    await expect(again.first).to_contain_text("已办结")
    await expect(again.first).to_contain_text("材料齐全")
    await expect(again.first).to_contain_text("坐席挂断")
    assert not other_errors, other_errors


async def test_wrong_password_language_and_throttle(env: HubEnv, browser: Any) -> None:
    from playwright.async_api import expect

    await add_agent(env, "li", "李娜")
    page, errors = await open_console(browser, env)
    error = page.locator("#login-error")

    await sign_in(page, "li", "wrong-password")
    await expect(error).to_be_visible()
    await expect(error).to_have_text("用户名或密码错误，请重新输入。")

    await page.click("#lang-toggle-login")
    await expect(error).to_have_text("Wrong username or password. Please try again.")
    await expect(page.locator("#login-submit")).to_have_text("Sign in")
    assert await page.evaluate("document.documentElement.lang") == "en"

    await page.reload()  # the choice of language is kept
    await expect(page.locator("#login-submit")).to_have_text("Sign in")
    await sign_in(page, "li", PASSWORD)
    await expect(page.locator("#agent-name")).to_have_text("李娜")
    await expect(page.locator("#agent-state")).to_have_text("Away")
    await expect(page.locator("#btn-available")).to_have_text("Go available")
    await expect(page.locator("#queue-card h3")).to_have_text("Queues")

    await page.click("#btn-logout")
    await expect(page.locator("#login-form")).to_be_visible()
    for status in (401, 401, 401, 429):  # login_max_failures=3, then the hub throttles
        async with page.expect_response(lambda r: r.url.endswith("/api/login")) as answer:
            await sign_in(page, "li", "wrong-password" if status == 401 else PASSWORD)
        assert (await answer.value).status == status
    await expect(error).to_contain_text("Too many failed sign-ins. Try again in")
    assert not errors, errors


async def test_no_camera_answers_receive_only_then_transfer(
        env: HubEnv, booth: TestBooth, browser: Any) -> None:
    from playwright.async_api import expect

    await add_agent(env, "wang", "王芳")
    catalog = await env.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    market = next(d for d in catalog["departments"] if d["id"] == "market")
    page, errors = await open_console(browser, env)
    # A seat without a camera or microphone (or with access refused).
    await page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () =>"
        " Promise.reject(new DOMException('no device', 'NotFoundError'));")
    await page.reload()
    await sign_in(page, "wang", PASSWORD)
    await page.click("#btn-available")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "available")

    ticket = await booth.take_ticket(housing["services"][0]["id"])
    await expect(page.locator("#offer-number")).to_have_text(ticket["number"])
    await page.click("#btn-accept")
    await booth.call_started.wait()
    await booth.offer(0)
    await booth.wait_answer(0)
    media = [line for line in booth.answers[0].splitlines()
             if line in ("a=sendrecv", "a=recvonly", "a=sendonly", "a=inactive")]
    assert media == ["a=recvonly", "a=recvonly"], media
    await expect(page.locator("#local-media-notice")).to_be_visible()
    await expect(page.locator("#btn-mute")).to_be_disabled()
    first = await eventually(lambda: int_text(page, "#stat-frames"), 15, "frames decoded")
    await eventually(lambda: _above(int_text(page, "#stat-frames"), first + 5), 10,
                     "frames decoded rising")

    await page.click("#btn-transfer")
    await page.select_option("#transfer-select", market["id"])
    await page.fill("#transfer-note", "营业执照变更，转市场监管")
    await page.click("#transfer-submit")
    await booth.ended_event.wait()
    assert booth.ended is not None and booth.ended["reason"] == "transferred", booth.ended
    await expect(page.locator("#wrapup-view")).to_be_visible()
    await expect(page.locator("#history-list li").first).to_contain_text("已转办")
    await page.click("#btn-done")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "available")
    assert booth.frames.get(0, 0) == 0  # nothing was sent to the booth
    assert not errors, errors


async def test_reconnects_and_resumes_after_a_drop_and_a_reload(env: HubEnv, browser: Any) -> None:
    from playwright.async_api import expect

    await add_agent(env, "zhao", "赵磊")
    page, errors = await open_console(browser, env)
    await sign_in(page, "zhao", PASSWORD)
    dot = page.locator("#conn-dot")
    await expect(dot).to_have_attribute("data-phase", "open")
    await page.click("#btn-available")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "available")
    session = await page.evaluate("sessionStorage.getItem('xiaowu.seat.session')")
    assert session

    # The hub drops the connection (1011: not a close the console must give up on).
    agent_id = next(s.subject_id for s in env.hub.sessions.all() if s.kind == "agent")
    env.hub.conns[("agent", agent_id)].close(1011, "test drop")
    await expect(page.locator("#conn-banner")).to_be_visible()
    await expect(page.locator("#conn-banner")).to_contain_text("正在重连")
    await expect(dot).to_have_attribute("data-phase", "open", timeout=10000)
    await expect(page.locator("#conn-banner")).to_be_hidden()
    assert await page.evaluate("sessionStorage.getItem('xiaowu.seat.session')") == session
    # Resumed within the grace period: still available (the console asks again).
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "available")

    await page.reload()  # the token and the session survive a reload of the page
    await expect(page.locator("#agent-name")).to_have_text("赵磊")
    await expect(dot).to_have_attribute("data-phase", "open")
    assert await page.evaluate("sessionStorage.getItem('xiaowu.seat.session')") == session
    # the hub puts a resumed agent back the way it was: a reload is no reason to go away
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "available")
    assert not errors, errors
