"""Admin REST beyond provisioning: the fleet view, agent enable / password reset, audit
paging, today's figures. Real hub on loopback, real WebSocket clients."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.component.test_http_api import assert_error, closed_with
from tests.harness import HubEnv


async def fleet(env: HubEnv) -> dict[str, Any]:
    data: dict[str, Any] = await env.call("GET", "/api/admin/booths", token=env.admin_token)
    return data


def row(data: dict[str, Any], booth_id: str) -> dict[str, Any]:
    return next(r for r in data["booths"] if r["id"] == booth_id)


async def test_fleet_follows_a_booth_through_status_ticket_call_and_drop(env: HubEnv) -> None:
    booth_id, token = await env.add_booth()
    made = await env.call("POST", "/api/admin/booths",
                          {"name": "未启用站", "region_code": "330110102001"},
                          token=env.admin_token, expect=201)
    data = await fleet(env)
    assert row(data, booth_id)["health"] == "offline"
    enrolled_seen = (await env.hub.store.get_booth(booth_id)).last_seen_at  # at enrollment
    assert row(data, booth_id)["last_seen_at"] == enrolled_seen.isoformat()
    assert row(data, made["booth_id"])["health"] == "not_enrolled"

    booth = await env.connect(token)
    first = row(await fleet(env), booth_id)
    assert (first["link"], first["health"], first["problems"]) == (
        "online", "attention", ["no_status"])
    assert first["activity"] == {"state": "idle"} and first["last_seen_at"] is not None

    await booth.request("booth.status", {"camera": "missing", "scanner": "ok",
                                         "version": "0.1"})
    second = row(await fleet(env), booth_id)
    assert second["problems"] == ["camera_missing"] and second["status"]["version"] == "0.1"
    metrics = await env.call("GET", "/metrics")
    assert 'xiaowu_booth_problems{problem="camera_missing"} 1' in metrics
    assert 'xiaowu_booth_problems{problem="scanner_missing"} 0' in metrics
    await booth.request("booth.status", {"camera": "ok", "scanner": "ok"})
    assert row(await fleet(env), booth_id)["health"] == "ok"

    agent, _ = await env.agent("zhang", ["housing"])
    ticket = await booth.request("ticket.create", {"service_id": "housing.provident_fund"})
    assert ticket["type"] == "ticket", ticket
    offer = await agent.expect("ticket.offer")
    offered = row(await fleet(env), booth_id)["activity"]
    assert offered["state"] == "offered" and offered["ticket_number"] == ticket["data"]["number"]
    await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    start = await booth.expect("call.start")
    data = await fleet(env)
    in_call = row(data, booth_id)["activity"]
    assert in_call["state"] == "in_call" and in_call["call_id"] == start["data"]["call_id"]
    assert in_call["department_id"] == "housing"
    assert data["summary"]["activity"]["in_call"] == 1
    assert data["summary"]["health"]["not_enrolled"] == 1

    await booth.abort()  # the village line drops: the session is held for resume
    for _ in range(200):
        if ("booth", booth_id) not in env.hub.conns:
            break
        await asyncio.sleep(0.01)
    dropped = row(await fleet(env), booth_id)
    assert (dropped["link"], dropped["health"]) == ("reconnecting", "attention")
    assert "xiaowu_booths_reconnecting 1" in await env.call("GET", "/metrics")
    assert dropped["activity"]["state"] == "in_call"  # the call waits for the booth

    # last-seen reaches the store in the next batch, not per heartbeat
    assert (await env.hub.store.get_booth(booth_id)).last_seen_at == enrolled_seen
    await env.hub.flush_presence()
    stored = (await env.hub.store.get_booth(booth_id)).last_seen_at
    assert stored is not None and stored.isoformat() == dropped["last_seen_at"]


async def test_stats_count_agents_and_satisfaction(env: HubEnv) -> None:
    stats = await env.call("GET", "/api/admin/stats", token=env.admin_token)
    assert stats["today"]["satisfaction"] is None and stats["agents"] == {}
    agent, _ = await env.agent("zhang", ["housing"])
    await env.agent("li", ["market"], available=False)
    _, token = await env.add_booth()
    booth = await env.connect(token)
    for level in (5, 2):
        await booth.request("ticket.create", {"service_id": "housing.provident_fund"})
        offer = await agent.expect("ticket.offer")
        await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
        call_id = (await booth.expect("call.start"))["data"]["call_id"]
        await agent.request("call.end", {"call_id": call_id, "reason": "done"})
        await booth.expect("rating.request", call_id=call_id)
        await booth.request("rating.submit", {"call_id": call_id, "level": level})
        await agent.request("agent.state", {"state": "available"})
    stats = await env.call("GET", "/api/admin/stats", token=env.admin_token)
    assert stats["today"]["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert stats["today"]["satisfaction"] == 0.5
    # tickets record when they ended: today's handled count is not stuck at 0
    assert (stats["today"]["handled"], stats["today"]["calls"]) == (2, 2)
    assert stats["agents"] == {"available": 1, "away": 1}  # li connected, not yet available


async def test_enable_and_password_reset(env: HubEnv) -> None:
    agent, token = await env.agent("zhang", ["housing"])
    user_id = (await env.call("GET", "/api/me", token=token))["id"]
    admin_id = (await env.call("GET", "/api/me", token=env.admin_token))["id"]
    path = f"/api/admin/agents/{user_id}"

    assert_error(await env.call("POST", f"{path}/password", {"password": "short"},
                                token=env.admin_token, expect=400), "bad_message")
    done = await env.call("POST", f"{path}/password", {"password": "new-pass-2026"},
                          token=env.admin_token)
    assert done == {"user_id": user_id}
    assert await closed_with(agent, 2.0) == 4403  # the old session ends at once
    assert_error(await env.call("GET", "/api/me", token=token, expect=401), "unauthenticated")
    await env.call("POST", "/api/login", {"username": "zhang", "password": "agent-pass-1"},
                   expect=401)
    await env.login("zhang", "new-pass-2026")

    await env.call("POST", f"{path}/disable", token=env.admin_token)
    await env.call("POST", "/api/login", {"username": "zhang", "password": "new-pass-2026"},
                   expect=401)
    assert (await env.call("POST", f"{path}/enable", token=env.admin_token)) == {
        "user_id": user_id, "disabled": False}
    await env.login("zhang", "new-pass-2026")

    # an admin's own account is not managed through the agent endpoints
    for action, body in (("password", {"password": "takeover-123"}), ("enable", None)):
        assert_error(await env.call("POST", f"/api/admin/agents/{admin_id}/{action}", body,
                                    token=env.admin_token, expect=403), "forbidden")
    assert_error(await env.call("POST", "/api/admin/agents/usr_nope/enable",
                                token=env.admin_token, expect=404), "not_found")
    rows = (await env.call("GET", "/api/admin/audit?order=desc&action=agent.",
                           token=env.admin_token))["rows"]
    assert [r["action"] for r in rows][:2] == ["agent.enable", "agent.disable"]
    pw = (await env.call("GET", "/api/admin/audit?action=user.password",
                         token=env.admin_token))["rows"]
    assert [(r["actor"], r["target"]) for r in pw] == [(f"admin:{admin_id}", user_id)]


async def test_audit_paging_newest_first_and_filters(env: HubEnv) -> None:
    for i in range(5):
        await env.call("POST", "/api/admin/booths",
                       {"name": f"站{i}", "region_code": "330110101001"},
                       token=env.admin_token, expect=201)
    all_rows = (await env.call("GET", "/api/admin/audit?limit=500",
                               token=env.admin_token))["rows"]
    seqs = [r["seq"] for r in all_rows]
    assert seqs == sorted(seqs)
    newest = (await env.call("GET", "/api/admin/audit?order=desc&limit=2",
                             token=env.admin_token))["rows"]
    assert [r["seq"] for r in newest] == seqs[::-1][:2]
    older = (await env.call("GET", f"/api/admin/audit?order=desc&limit=2"
                            f"&before={newest[-1]['seq']}", token=env.admin_token))["rows"]
    assert [r["seq"] for r in older] == seqs[::-1][2:4]
    booths = (await env.call("GET", "/api/admin/audit?action=booth.&order=desc",
                             token=env.admin_token))["rows"]
    assert len(booths) == 5 and {r["action"] for r in booths} == {"booth.create"}
    # a LIKE wildcard in the prefix is a literal, not a pattern
    assert (await env.call("GET", "/api/admin/audit?action=%25",
                           token=env.admin_token))["rows"] == []
    for query in ("order=sideways", "before=x", "limit=ten", "action=" + "a" * 65):
        assert_error(await env.call("GET", f"/api/admin/audit?{query}",
                                    token=env.admin_token, expect=400), "bad_message")
