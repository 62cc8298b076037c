"""The whole core flow over real WebSockets against a hub on a loopback port."""

from __future__ import annotations

import base64
import hashlib
import hmac

from tests.harness import HubEnv


async def test_provision_ticket_offer_call_relay_end_rating_audit(env: HubEnv) -> None:
    await _core_flow(env)


async def test_core_flow_on_postgresql(pg_env: HubEnv) -> None:
    await _core_flow(pg_env)
    assert pg_env.hub.store.dialect == "postgresql"


async def _core_flow(env: HubEnv) -> None:
    agent, _ = await env.agent("zhang", ["housing"])
    snapshot = await agent.expect("queue.snapshot")
    assert {d["id"] for d in snapshot["data"]["departments"]} >= {"housing", "market"}

    booth_id, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    assert booth.welcome["role"] == "booth" and booth.welcome["subject"]["id"] == booth_id

    catalog = await env.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    service = housing["services"][0]
    assert service["materials"], "every seeded service lists its materials"

    ticket = await booth.request("ticket.create", {"service_id": service["id"]})
    assert ticket["type"] == "ticket", ticket
    assert ticket["data"]["number"].startswith("A") and ticket["data"]["position"] == 1

    offer = await agent.expect("ticket.offer")
    assert offer["data"]["ticket"]["number"] == ticket["data"]["number"]
    assert offer["data"]["ticket"]["booth"]["name"] == "石门镇新村村便民服务站"
    assert offer["data"]["ticket"]["service"]["id"] == service["id"]
    accepted = await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    assert accepted["type"] == "ticket" and accepted["data"]["state"] == "serving"

    b_start = await booth.expect("call.start")
    a_start = await agent.expect("call.start")
    call_id = b_start["data"]["call_id"]
    assert a_start["data"]["call_id"] == call_id
    assert b_start["data"]["role"] == "offerer" and a_start["data"]["role"] == "answerer"
    assert a_start["data"]["peer"]["kind"] == "booth"
    # per-call TURN credentials in coturn's use-auth-secret scheme
    turn = b_start["data"]["ice_servers"][0]
    expected = base64.b64encode(hmac.new(b"test-secret", turn["username"].encode(),
                                         hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected and ":" in turn["username"]

    sdp = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}
    assert (await booth.request("call.sdp", {"call_id": call_id, "gen": 0,
                                             "description": sdp}))["type"] == "ok"
    relayed = await agent.expect("call.sdp")
    assert relayed["data"]["description"] == sdp and "re" not in relayed
    await agent.send("call.sdp", {"call_id": call_id, "gen": 0,
                                  "description": {"type": "answer", "sdp": "v=0\r\n"}})
    assert (await booth.expect("call.sdp"))["data"]["description"]["type"] == "answer"
    cand = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
            "sdpMid": "0", "sdpMLineIndex": 0}
    await booth.send("call.ice", {"call_id": call_id, "gen": 0, "candidate": cand})
    assert (await agent.expect("call.ice"))["data"]["candidate"]["candidate"] == \
        cand["candidate"]
    await agent.send("call.ice", {"call_id": call_id, "gen": 0, "candidate": None})
    assert (await booth.expect("call.ice"))["data"]["candidate"] is None

    assert (await agent.request("call.end", {"call_id": call_id, "reason": "done"}))["type"] \
        == "ok"
    for side in (booth, agent):
        ended = await side.expect("call.ended")
        assert ended["data"] == {"call_id": call_id, "reason": "done", "by": "agent"}
    await booth.expect("rating.request", call_id=call_id)
    await agent.expect("agent.state", state="wrap_up")
    await agent.expect("agent.state", state="available", timeout=3)

    rating = await booth.request("rating.submit", {"call_id": call_id, "level": 5,
                                                   "reasons": ["态度好"]})
    assert rating["data"] == {"call_id": call_id, "level": 5}
    again = await booth.request("rating.submit", {"call_id": call_id, "level": 1})
    assert again["data"]["code"] == "conflict"

    verdict = await env.call("GET", "/api/admin/audit/verify", token=env.admin_token)
    assert verdict["ok"] is True
    rows = (await env.call("GET", "/api/admin/audit?limit=500", token=env.admin_token))["rows"]
    actions = [r["action"] for r in rows]
    for action in ("login", "agent.create", "booth.create", "booth.enroll", "call.start",
                   "call.end", "rating.submit"):
        assert action in actions, (action, actions)

    stored = await env.hub.store.get_call(call_id)
    assert stored.ended_at is not None and stored.end_reason == "done"
    metrics = await env.call("GET", "/metrics")
    assert 'xiaowu_ratings_total{level="5"} 1' in metrics
    assert "xiaowu_calls_started_total 1" in metrics
