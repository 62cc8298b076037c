"""Resume, offer timeout, decline, transfer, grace expiry and restart over real WebSockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.harness import HubEnv
from tests.wsclient import WsClient

HOUSING = "housing.public_rental"


async def _service(env: HubEnv, dept: str) -> str:
    catalog = await env.call("GET", "/api/catalog")
    return str(next(d for d in catalog["departments"] if d["id"] == dept)["services"][0]["id"])


async def _booth_with_ticket(env: HubEnv, dept: str = "housing",
                             name: str = "新村村服务站") -> tuple[WsClient, str, dict[str, Any]]:
    _, token = await env.add_booth(name)
    booth = await env.connect(token)
    reply = await booth.request("ticket.create", {"service_id": await _service(env, dept)})
    assert reply["type"] == "ticket", reply
    return booth, token, reply["data"]


async def _into_call(agent: WsClient, booth: WsClient) -> str:
    offer = await agent.expect("ticket.offer")
    reply = await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    assert reply["type"] == "ticket", reply
    call_id = str((await booth.expect("call.start"))["data"]["call_id"])
    await agent.expect("call.start", call_id=call_id)
    return call_id


async def test_positions_and_priority_order(env: HubEnv) -> None:
    b1, _, t1 = await _booth_with_ticket(env, name="一号")
    b2, _, t2 = await _booth_with_ticket(env, name="二号")
    _, tok3 = await env.add_booth("三号")
    b3 = await env.connect(tok3)
    t3 = (await b3.request("ticket.create", {"service_id": await _service(env, "housing"),
                                             "priority": "priority"}))["data"]
    assert (t1["position"], t2["position"], t3["position"]) == (1, 2, 1)
    assert t1["number"] != t2["number"] and t3["eta_s"] > 0
    await b1.expect("ticket.update", ticket_id=t1["ticket_id"], position=2)
    await b2.expect("ticket.update", ticket_id=t2["ticket_id"], position=3)
    agent, _ = await env.agent("li", ["housing"])
    offer = await agent.expect("ticket.offer")
    assert offer["data"]["ticket"]["ticket_id"] == t3["ticket_id"]  # priority first
    cancelled = await b1.request("ticket.cancel", {"ticket_id": t1["ticket_id"]})
    assert cancelled["data"]["state"] == "cancelled"
    await b2.expect("ticket.update", ticket_id=t2["ticket_id"], position=2)


async def test_booth_drop_and_resume_keeps_ticket_and_position(env: HubEnv) -> None:
    await _booth_with_ticket(env, name="前面")
    booth, token, ticket = await _booth_with_ticket(env, name="后面")
    assert ticket["position"] == 2
    session_id = booth.welcome["session_id"]
    await booth.abort()  # the TCP connection dies without a close handshake
    again = await env.connect()
    welcome = await again.hello(token, resume=session_id)
    assert welcome["data"]["resumed"] is True
    assert welcome["data"]["restored"]["ticket_id"] == ticket["ticket_id"]
    update = await again.expect("ticket.update", ticket_id=ticket["ticket_id"])
    assert update["data"]["position"] == 2 and update["data"]["state"] == "waiting"


async def test_ticket_of_a_dropped_booth_is_not_offered_until_it_returns(env: HubEnv) -> None:
    booth, token, ticket = await _booth_with_ticket(env)
    session_id = booth.welcome["session_id"]
    await booth.abort()
    agent, _ = await env.agent("wang", ["housing"])
    await agent.expect("queue.snapshot")
    assert not [e for e in agent.events if e["type"] == "ticket.offer"]
    back = await env.connect()
    await back.hello(token, resume=session_id)
    offer = await agent.expect("ticket.offer")
    assert offer["data"]["ticket"]["ticket_id"] == ticket["ticket_id"]


async def test_grace_expiry_abandons_the_ticket(env: HubEnv) -> None:
    booth, token, ticket = await _booth_with_ticket(env)
    session_id = booth.welcome["session_id"]
    await booth.abort()
    await _wait_for(lambda: _ticket_state(env, ticket["ticket_id"]), "abandoned")
    late = await env.connect()
    welcome = await late.hello(token, resume=session_id)
    assert welcome["data"]["resumed"] is False
    assert welcome["data"]["restored"]["ticket_id"] is None
    metrics = await env.call("GET", "/metrics")
    assert 'xiaowu_tickets_total{outcome="abandoned"} 1' in metrics


async def test_hello_without_resume_gives_up_the_old_ticket(env: HubEnv) -> None:
    booth, token, ticket = await _booth_with_ticket(env)
    fresh = await env.connect(token)
    assert fresh.welcome["resumed"] is False
    code, _ = await booth.closed
    assert code == 1000  # the superseded connection is closed normally
    assert await _ticket_state(env, ticket["ticket_id"]) == "abandoned"


async def test_offer_timeout_returns_ticket_and_second_miss_sets_away(env: HubEnv) -> None:
    agent, _ = await env.agent("slow", ["housing"])
    booth, _, ticket = await _booth_with_ticket(env)
    first = await agent.expect("ticket.offer")
    withdrawn = await agent.expect("ticket.withdrawn", timeout=3)
    assert withdrawn["data"] == {"offer_id": first["data"]["offer_id"], "reason": "timeout"}
    second = await agent.expect("ticket.offer", timeout=3)  # still available after one miss
    assert second["data"]["ticket"]["ticket_id"] == ticket["ticket_id"]
    await agent.expect("ticket.withdrawn", timeout=3)
    away = await agent.expect("agent.state", state="away", reason="missed_offers", timeout=3)
    assert away["data"]["reason"] == "missed_offers"
    update = await booth.expect("ticket.update", ticket_id=ticket["ticket_id"], state="waiting")
    assert update["data"]["position"] == 1


async def test_decline_reoffers_to_another_agent(env: HubEnv) -> None:
    a1, _ = await env.agent("a1", ["housing"])
    await _booth_with_ticket(env)
    a2, _ = await env.agent("a2", ["housing"])
    offer = await a1.expect("ticket.offer")
    declined = await a1.request("ticket.decline", {"offer_id": offer["data"]["offer_id"]})
    assert declined["type"] == "ok"
    other = await a2.expect("ticket.offer")
    assert other["data"]["ticket"]["ticket_id"] == offer["data"]["ticket"]["ticket_id"]
    stale = await a1.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    assert stale["data"]["code"] == "not_found"


async def test_skills_route_only_to_matching_agents(env: HubEnv) -> None:
    market_agent, _ = await env.agent("mk", ["market"])
    housing_agent, _ = await env.agent("hs", ["housing"])
    _, _, ticket = await _booth_with_ticket(env, dept="housing")
    offer = await housing_agent.expect("ticket.offer")
    assert offer["data"]["ticket"]["ticket_id"] == ticket["ticket_id"]
    assert not [e for e in market_agent.events if e["type"] == "ticket.offer"]


async def test_transfer_moves_ticket_to_another_department(env: HubEnv) -> None:
    housing, _ = await env.agent("hs", ["housing"])
    market, _ = await env.agent("mk", ["market"])
    booth, _, ticket = await _booth_with_ticket(env)
    call_id = await _into_call(housing, booth)
    reply = await housing.request("ticket.transfer", {"call_id": call_id,
                                                      "department_id": "market",
                                                      "note": "需办理个体工商户登记"})
    assert reply["data"] == {"ticket_id": ticket["ticket_id"], "department_id": "market"}
    ended = await booth.expect("call.ended", call_id=call_id)
    assert ended["data"]["reason"] == "transferred"
    update = await booth.expect("ticket.update", ticket_id=ticket["ticket_id"],
                                department_id="market")
    assert update["data"]["state"] in ("waiting", "offered")
    offer = await market.expect("ticket.offer")
    assert offer["data"]["ticket"]["ticket_id"] == ticket["ticket_id"]
    assert not [e for e in booth.events if e["type"] == "rating.request"]
    stored = await env.hub.store.get_ticket(ticket["ticket_id"])
    assert stored.department_id == "market"


async def test_call_survives_a_booth_drop_within_grace(env: HubEnv) -> None:
    agent, _ = await env.agent("hs", ["housing"])
    booth, token, _ = await _booth_with_ticket(env)
    call_id = await _into_call(agent, booth)
    session_id = booth.welcome["session_id"]
    await booth.abort()
    await agent.expect("call.peer", call_id=call_id, state="away")
    back = await env.connect()
    welcome = await back.hello(token, resume=session_id)
    assert welcome["data"]["restored"]["call_id"] == call_id
    await agent.expect("call.peer", call_id=call_id, state="back")
    # the booth rebuilds its peer connection and re-offers with a higher gen
    await back.send("call.sdp", {"call_id": call_id, "gen": 1,
                                 "description": {"type": "offer", "sdp": "v=0\r\n"}})
    relayed = await agent.expect("call.sdp")
    assert relayed["data"]["gen"] == 1


async def test_agent_lost_in_call_requeues_the_resident(env: HubEnv) -> None:
    agent, _ = await env.agent("hs", ["housing"])
    booth, _, ticket = await _booth_with_ticket(env)
    call_id = await _into_call(agent, booth)
    await agent.abort()
    await booth.expect("call.peer", call_id=call_id, state="away")
    ended = await booth.expect("call.ended", call_id=call_id, timeout=4)
    assert ended["data"]["by"] == "hub" and ended["data"]["reason"] == "agent_lost"
    update = await booth.expect("ticket.update", ticket_id=ticket["ticket_id"], state="waiting")
    assert update["data"]["position"] == 1
    standby, _ = await env.agent("standby", ["housing"])
    offer = await standby.expect("ticket.offer")
    assert offer["data"]["ticket"]["ticket_id"] == ticket["ticket_id"]


async def test_hub_restart_loses_no_ticket_call_or_rating(tmp_path: Path) -> None:
    # the restored tickets wait resume_grace_s for their booths; the fast 1 s of the
    # other tests was shorter than a restart plus an admin login under CI load once
    env = await HubEnv(tmp_path / "var", resume_grace_s=10.0).start()
    try:
        agent, _ = await env.agent("hs", ["housing"])
        booth, token, ticket = await _booth_with_ticket(env, name="甲")
        call_id = await _into_call(agent, booth)
        await agent.request("call.end", {"call_id": call_id, "reason": "done"})
        await booth.expect("rating.request")
        await booth.request("rating.submit", {"call_id": call_id, "level": 4})
        waiting_booth, token2, waiting = await _booth_with_ticket(env, name="乙")
        session2 = waiting_booth.welcome["session_id"]
        await env.stop_server()  # the hub process goes away

        await env.start()
        back = await env.connect()
        welcome = await back.hello(token2, resume=session2)
        assert welcome["data"]["resumed"] is True
        assert welcome["data"]["restored"]["ticket_id"] == waiting["ticket_id"]
        update = await back.expect("ticket.update", ticket_id=waiting["ticket_id"])
        assert update["data"]["state"] == "waiting" and update["data"]["position"] == 1
        rating = await env.hub.store.get_rating(call_id)
        assert rating is not None and rating.level == 4
        again = await env.connect(token)  # the rated booth's ticket stays done
        assert again.welcome["restored"]["ticket_id"] is None
        assert (await env.hub.store.get_ticket(ticket["ticket_id"])).state == "done"
        verdict = await env.call("GET", "/api/admin/audit/verify", token=env.admin_token)
        assert verdict["ok"] is True
    finally:
        await env.stop()


async def _ticket_state(env: HubEnv, ticket_id: str) -> str:
    return str((await env.hub.store.get_ticket(ticket_id)).state)


async def _wait_for(probe: Any, want: str, timeout: float = 5.0) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    got = None
    while loop.time() < deadline:
        got = await probe()
        if got == want:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"wanted {want}, last saw {got}")
