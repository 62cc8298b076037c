"""The admin console (signaling/admin_console, served at /admin/) in real Chromium
against a real hub on 127.0.0.1: sign-in rules, the fleet as booths come and go,
provisioning with an enrollment code that really enrolls, revocation that really
disconnects, agent accounts, catalog edits that reach /api/catalog, and the audit
log's verification catching a tampered row. Screenshots for docs/ only with
XIAOWU_SCREENSHOTS=1."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.component.test_http_api import closed_with
from tests.e2e.console_helpers import SCREENSHOT_DIR, open_page
from tests.harness import ADMIN_PASSWORD, HubEnv
from tests.wsclient import WsClient

pytestmark = pytest.mark.e2e


@pytest.fixture
async def env(tmp_path: Any) -> AsyncIterator[HubEnv]:
    hub_env = await HubEnv(tmp_path / "var", turn_urls=(), login_max_failures=5).start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


async def shot(page: Any, name: str) -> None:
    if os.environ.get("XIAOWU_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        await page.wait_for_timeout(300)
        await page.screenshot(path=str(SCREENSHOT_DIR / f"admin-{name}.png"))


async def text(page: Any, selector: str) -> str:
    return str((await page.locator(selector).first.text_content()) or "").strip()


async def open_admin(browser: Any, env: HubEnv) -> tuple[Any, list[str]]:
    _, page, errors = await open_page(browser, f"{env.base}/admin/")
    return page, errors


async def sign_in(page: Any, username: str, password: str) -> None:
    await page.fill("#login-username", username)
    await page.fill("#login-password", password)
    await page.click("#login-submit")


async def connected_booth(env: HubEnv, name: str, camera: str,
                          beats: list[asyncio.Task[None]]) -> tuple[str, WsClient]:
    """A booth that reports its devices with every heartbeat, as booth_client does."""
    booth_id, token = await env.add_booth(name)
    client = await env.connect(token)
    status = {"camera": camera, "scanner": "ok", "version": "1.2"}
    await client.request("booth.status", status)

    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(2)
            await client.send("booth.status", status)

    beats.append(asyncio.create_task(heartbeat()))
    return booth_id, client


async def confirm(page: Any) -> None:
    await page.click("#confirm-ok")
    await page.wait_for_selector("#confirm", state="hidden")


async def test_admin_console_runs_the_district(browser: Any, env: HubEnv) -> None:
    beats: list[asyncio.Task[None]] = []
    try:
        await _runs_the_district(browser, env, beats)
    finally:
        for task in beats:
            task.cancel()


async def _runs_the_district(browser: Any, env: HubEnv, beats: list[asyncio.Task[None]]) -> None:
    zhang, zhang_token = await env.agent("zhang", ["housing"])
    _, broken = await connected_booth(env, "石门镇新村村便民服务站", "missing", beats)
    healthy_id, healthy = await connected_booth(env, "崇福镇服务中心", "ok", beats)
    page, errors = await open_admin(browser, env)

    # agents cannot use the admin console; wrong passwords are told apart
    await sign_in(page, "zhang", "agent-pass-1")
    await page.wait_for_selector("#login-error:has-text('不是管理员账号')")
    await sign_in(page, "admin", "wrong-password")
    await page.wait_for_selector("#login-error:has-text('用户名或密码错误')")
    await sign_in(page, "admin", ADMIN_PASSWORD)
    await page.wait_for_selector("#app-view:not([hidden])")

    # overview: 2 of 2 online, one needs attention (its camera), ratings drawn
    await page.wait_for_function(
        "document.getElementById('ov-online').textContent === '2 / 2'")
    assert await text(page, "#ov-attention") == "1"
    assert await text(page, "#ov-agents") == "1"
    await page.wait_for_selector("#ov-attention-list li:has-text('摄像头未连接')")
    assert await page.locator("#ov-ratings .rating-row").count() == 5
    await shot(page, "overview")

    # booths: provision one; the code on screen enrolls a real booth
    await page.click("[data-tab=booths]")
    await page.wait_for_selector(f"tr[data-booth='{healthy_id}'] [data-health=ok]")
    await page.click("#booth-add-open")
    await page.fill("#booth-add-name", "洲泉镇马鸣村服务点")
    await page.fill("#booth-add-region-code", "33048")  # too short: refused in the page
    await page.click("#booth-add button[type=submit]")
    await page.wait_for_selector("#booth-add .form-error:has-text('6–12 位数字')")
    await page.fill("#booth-add-region-code", "330483105201")
    await page.fill("#booth-add-region-name", "桐乡市 · 洲泉镇 · 马鸣村")
    await page.click("#booth-add button[type=submit]")
    await page.wait_for_selector("#enroll-result:not([hidden])")
    code = await text(page, "#enroll-code")
    assert code in await text(page, "#enroll-command")
    await shot(page, "booths-code")
    enrolled = await env.call("POST", "/api/enroll", {"code": code, "device": {}})
    new_id = enrolled["booth_id"]
    newcomer = await env.connect(enrolled["token"])
    row = f"tr[data-booth='{new_id}']"
    await page.wait_for_selector(f"{row} [data-health=attention]")  # online, no status yet
    await page.wait_for_selector(f"{row}:has-text('未上报设备状态')")
    await newcomer.request("booth.status", {"camera": "ok", "scanner": "ok"})
    await page.wait_for_selector(f"{row} [data-health=ok]", timeout=8000)

    # the booth's live activity shows up as the resident is served
    await healthy.request("ticket.create", {"service_id": "housing.provident_fund"})
    offer = await zhang.expect("ticket.offer")
    await zhang.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    call_id = (await healthy.expect("call.start"))["data"]["call_id"]
    await page.wait_for_selector(
        f"tr[data-booth='{healthy_id}'] .activity:has-text('通话中 A001 · 住房和城乡建设局')",
        timeout=8000)
    assert await page.locator("text=状态上报超时").count() == 0
    await page.click("#enroll-close")
    await shot(page, "booths")

    # revoke through the page: the live booth is closed with 4403
    await page.click(f"{row} [data-action=revoke]")
    await page.wait_for_selector("#confirm-title:has-text('洲泉镇马鸣村服务点')")
    await confirm(page)
    assert await closed_with(newcomer, 3.0) == 4403
    await page.wait_for_selector(f"{row} [data-health=revoked]")

    # agents: create, change departments, reset the password, disable and enable
    await page.click("[data-tab=agents]")
    await page.wait_for_selector("tr[data-agent=zhang]")
    await page.click("#agent-add-open")
    await page.fill("#agent-add-name", "李晓红")
    await page.fill("#agent-add-username", "li")
    await page.fill("#agent-add-password", "li-pass-2026")
    await page.check("#agent-add-skills input[value=market]")
    await page.click("#agent-add button[type=submit]")
    await page.wait_for_selector("tr[data-agent=li]:has-text('市场监督管理局')")
    li_token = (await env.login("li", "li-pass-2026"))["token"]
    li_ws = await env.connect(li_token)
    await page.wait_for_selector("tr[data-agent=li] [data-state=away]", timeout=8000)
    await page.click("tr[data-agent=li] [data-action=skills]")
    await page.check("#confirm-extra input[value=housing]")
    await confirm(page)
    agents = (await env.call("GET", "/api/admin/agents", token=env.admin_token))["agents"]
    assert next(a for a in agents if a["username"] == "li")["skills"] == ["housing", "market"]
    await shot(page, "agents")
    await page.click("tr[data-agent=li] [data-action=password]")
    await page.fill("#new-password", "short")
    await page.click("#confirm-ok")
    await page.wait_for_selector("#confirm-error:has-text('至少 8 位')")
    await page.fill("#new-password", "li-new-pass-1")
    await confirm(page)
    assert await closed_with(li_ws, 3.0) == 4403
    await env.login("li", "li-new-pass-1")
    await page.click("tr[data-agent=li] [data-action=disable]")
    await confirm(page)
    await page.wait_for_selector("tr[data-agent=li]:has-text('已停用')")
    await env.call("POST", "/api/login", {"username": "li", "password": "li-new-pass-1"},
                   expect=401)
    await page.click("tr[data-agent=li] [data-action=enable]")
    await page.wait_for_selector("tr[data-agent=li] [data-action=disable]")
    await env.login("li", "li-new-pass-1")

    # catalog: a materials edit reaches the booths' catalog, English names kept
    await page.click("[data-tab=catalog]")
    service = "[data-service='housing.provident_fund']"
    await page.click(f"{service} [data-action=edit]")
    form = "form[data-editing='housing.provident_fund']"
    box = page.locator(f"{form} textarea[name=s_materials]")
    await box.fill((await box.input_value()) + "\n村委会出具的情况说明 × 2")
    await page.click(f"{form} button[type=submit]")
    await page.wait_for_selector(f"{service}:has-text('村委会出具的情况说明 × 2')")
    catalog = await env.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    fund = next(s for s in housing["services"] if s["id"] == "housing.provident_fund")
    assert fund["materials"][-1] == {"name": "村委会出具的情况说明", "copies": 2}
    assert fund["materials"][0]["name_en"] == "Resident ID card (original)"
    await page.click("[data-dept=housing] [data-action=add-service]")
    new_form = "form[data-editing=new]"
    await page.fill(f"{new_form} input[name=s_id]", "housing.elderly_retrofit")
    await page.fill(f"{new_form} input[name=s_name]", "老旧小区适老化改造咨询")
    await page.fill(f"{new_form} textarea[name=s_materials]", "居民身份证\n房屋产权证明")
    await page.click(f"{new_form} button[type=submit]")
    await page.wait_for_selector("[data-service='housing.elderly_retrofit']")
    await shot(page, "catalog")
    await page.click("[data-service='housing.elderly_retrofit'] [data-action=withdraw]")
    await confirm(page)
    await page.wait_for_selector("[data-service='housing.elderly_retrofit']", state="detached")
    catalog = await env.call("GET", "/api/catalog")
    ids = {s["id"] for d in catalog["departments"] for s in d["services"]}
    assert "housing.elderly_retrofit" not in ids and "housing.provident_fund" in ids

    # call log: the call ends, the agent records it, the resident rates it
    await zhang.request("call.end", {"call_id": call_id, "reason": "done"})
    await healthy.expect("rating.request", call_id=call_id)
    await healthy.request("rating.submit", {"call_id": call_id, "level": 2})
    await env.call("PUT", f"/api/calls/{call_id}/notes",
                   {"outcome": "materials_missing", "notes": "缺户口簿，约定下周一补交。"},
                   token=zhang_token)
    await page.click("[data-tab=calls]")
    logged = f"tr[data-call='{call_id}']"
    await page.wait_for_selector(f"{logged}:has-text('需补交材料')")
    row_text = await text(page, logged)
    for part in ("A001", "住房公积金提取咨询", "崇福镇服务中心", "zhang", "不满意", "缺户口簿"):
        assert part in row_text, (part, row_text)
    await page.select_option("#calls-agent", label="李晓红")  # li has no calls
    await page.wait_for_selector("#call-rows .empty-row")
    await page.select_option("#calls-agent", "")
    await page.wait_for_selector(logged)
    await shot(page, "calls")

    # the poor rating (不满意) waits for its follow-up (差评整改), then is recorded
    await page.click("[data-tab=ratings]")
    poor = f"#poor-rows tr[data-call='{call_id}']"
    await page.wait_for_selector(f"{poor}:has-text('不满意')")
    assert "缺户口簿" in await text(page, poor)  # the agent's note beside it
    await page.click(f"{poor} [data-action=followup]")
    await page.click("#confirm-ok")  # an empty note is refused in the dialog
    await page.wait_for_selector("#confirm-error:has-text('请填写整改情况')")
    await page.fill("#followup-note", "已电话回访，说明户口簿要求；材料清单已在终端标注。")
    await confirm(page)
    await page.wait_for_selector("#poor-rows .empty-row:has-text('没有待整改的差评')")
    await page.click("#ratings-filter [data-open='0']")
    await page.wait_for_selector(f"{poor}:has-text('已电话回访')")
    await shot(page, "ratings")

    # reports: today's figures by day, then by agent, exported for Excel
    await page.click("[data-tab=report]")
    today_row = "#report-rows tr[data-key]"
    await page.wait_for_selector(today_row)
    total = await page.eval_on_selector(
        "#report-total tr", "tr => [...tr.cells].map((c) => c.textContent)")
    assert total[:5] == ["合计", "1", "1", "0", "0"], total  # 1 ticket, handled, none lost
    assert total[-2:] == ["0.0%", "1"], total  # the one rating was 不满意: a poor rating
    await page.select_option("#report-by", "agent")
    await page.wait_for_selector("#report-rows tr:has-text('zhang')")
    await shot(page, "report")
    async with page.expect_download() as download_info:
        await page.click("#report-csv")
    download = await download_info.value
    csv_text = (await download.path()).read_bytes().decode("utf-8")
    assert csv_text.startswith("\ufeff分组,取号,办结")
    assert "\r\nzhang,1,1,0,0," in csv_text and "\r\n合计," in csv_text

    # audit: newest first, filtered, verified; then a row edited behind the hub's back
    await page.click("[data-tab=audit]")
    await page.wait_for_selector("#audit-rows tr[data-seq]")
    await page.select_option("#audit-filter", "booth.")
    await page.wait_for_function(
        "document.querySelector('#audit-rows tr[data-seq] code')?.textContent === 'booth.revoke'")
    await page.click("#audit-verify")
    await page.wait_for_selector("#audit-verdict.ok:has-text('哈希链未被篡改')")
    await shot(page, "audit")
    with sqlite3.connect(env.hub.settings.data_dir / "xiaowu.db") as db:
        db.execute("""UPDATE audit_log SET detail = '{"username": "li", "skills": []}'
                      WHERE action = 'agent.create' AND detail LIKE '%"li"%'""")
    await page.click("#audit-verify")
    await page.wait_for_selector("#audit-verdict.broken:has-text('被篡改')")

    # English on demand; the choice survives a reload, and so does the sign-in
    await page.click("#app-view [data-action=lang]")
    await page.wait_for_selector("[data-tab=booths]:has-text('Booths')")
    await page.reload()
    await page.wait_for_selector("#app-view:not([hidden]) [data-tab=audit]:has-text('Audit log')")
    await page.click("#logout")
    await page.wait_for_selector("#login-view:not([hidden])")
    assert errors == []
    await asyncio.gather(broken.close(), healthy.close())
