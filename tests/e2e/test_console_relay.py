"""Acceptance: the agent console in real Chromium and a headless booth process, relay-only
through a real coturn on 127.0.0.1.

Chromium opens ``/seat/?relay=1`` (``iceTransportPolicy: "relay"``) and the booth
runs with ``--relay-only``: every media packet goes through coturn on the
loopback interface, with the per-call credentials the hub hands out.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.console_helpers import eventually, open_page
from tests.e2e.procs import BIN, Proc
from tests.harness import HubEnv
from tests.turnserver import TurnServer

pytestmark = pytest.mark.e2e

PASSWORD = "agent-pass-1"
SERVICE = "housing.public_rental"


@pytest.fixture
async def relay_env(tmp_path: Path, turn_server: TurnServer) -> AsyncIterator[HubEnv]:
    hub_env = await HubEnv(tmp_path / "var", turn_urls=(turn_server.url,),
                           turn_secret=turn_server.secret, offer_timeout_s=30.0,
                           wrap_up_s=30.0, resume_grace_s=10.0).start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


async def _frames(page: Any) -> int:
    return int((await page.locator("#stat-frames").text_content() or "0").strip() or 0)


async def _more(page: Any, than: int) -> bool:
    return await _frames(page) > than


def _booth_frames(booth: Proc, gen: int) -> int:
    return max((int(ln.get("received", 0)) for ln in booth.lines
                if ln.get("event") == "frames" and ln.get("gen") == gen), default=0)


async def test_console_and_headless_booth_relay_only_through_coturn(
        relay_env: HubEnv, browser: Any, turn_server: TurnServer, tmp_path: Path) -> None:
    from playwright.async_api import expect

    env = relay_env
    await env.call("POST", "/api/admin/agents",
                   {"username": "zhang", "password": PASSWORD, "skills": ["housing"],
                    "display_name": "张晓明"}, token=env.admin_token, expect=201)
    made = await env.call("POST", "/api/admin/booths",
                          {"name": "石门镇新村村便民服务站", "region_code": "330110101001"},
                          token=env.admin_token, expect=201)

    context, page, errors = await open_page(browser, f"{env.base}/seat/?relay=1", locale=None)
    await page.fill("#login-username", "zhang")
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    state = page.locator("#agent-state")
    await page.click("#btn-available")
    await expect(state).to_have_attribute("data-state", "available")

    booth = Proc("booth", [str(BIN / "xiaowu-booth"), "--server", env.base, "--config-dir",
                           str(tmp_path / "booth"), "--enroll", made["enrollment_code"],
                           "--headless", "--relay-only", "--camera", "synthetic",
                           "--size", "640x360", "--fps", "15", "--service", SERVICE,
                           "--log-level", "INFO"])
    try:
        await expect(page.locator("#offer-view")).to_be_visible(timeout=20000)
        await page.click("#btn-accept")
        await expect(page.locator("#call-view")).to_be_visible()
        call = await booth.wait_for(lambda ln: ln.get("event") == "state"
                                    and ln.get("screen") == "in_call", 20, "the call")
        call_id = call["call"]["id"]

        # video both ways, through the relay
        first = await eventually(lambda: _frames(page), 30, "console decoding booth video")
        await eventually(lambda: _more(page, first + 20), 20, "console frames rising")
        await booth.wait_for(lambda ln: ln.get("event") == "frames" and ln.get("gen") == 0
                             and int(ln.get("received", 0)) > 20, 30,
                             "booth receiving the console's video")
        log = turn_server.log()
        assert f"booth-{made['booth_id']}" in log, "the booth's allocation is not in coturn's log"

        # the booth kills its media path: it rebuilds with gen 1 and the console follows
        before = await _frames(page)
        booth.signal(signal.SIGUSR1)
        await expect(page.locator("#reconnecting-banner")).to_be_visible(timeout=15000)
        await expect(page.locator("#call-gen")).to_have_attribute("data-gen", "1",
                                                                   timeout=15000)
        await expect(page.locator("#reconnecting-banner")).to_be_hidden(timeout=30000)
        await eventually(lambda: _more(page, before + 20), 30, "video resumed in the console")
        await booth.wait_for(lambda ln: ln.get("event") == "frames" and ln.get("gen") == 1
                             and int(ln.get("received", 0)) > _booth_frames(booth, 0) + 15,
                             30, "booth receiving video again")

        await page.click("#btn-end")
        await expect(page.locator("#wrapup-view")).to_be_visible()
        await expect(state).to_have_attribute("data-state", "wrap_up")
        ended = await booth.wait_for(lambda ln: ln.get("event") == "state"
                                     and ln.get("screen") == "rating", 15, "rating screen")
        assert "call" not in ended
        await page.click("#btn-done")
        await expect(state).to_have_attribute("data-state", "available")
        stored = await env.hub.store.get_call(call_id)
        assert stored.ended_at is not None and stored.ended_by == "agent"
        assert not errors, errors
    finally:
        booth.stop()
        await context.close()
