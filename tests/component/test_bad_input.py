"""Bad input over real WebSockets (DESIGN.md §4): every kind gets its error code, a bad
message never closes the connection, and the hub keeps serving and keeps its state.

The hub closes a connection by itself only for no ``hello`` in time (4401), a revoked
credential (4403), sustained abuse (1008) and an oversized frame (1009).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness import HubEnv
from tests.wsclient import WsClient

HOUSING = "housing"


# ---------------------------------------------------------------- helpers


async def raw_request(client: WsClient, raw: str | bytes, msg_id: str,
                      timeout: float = 5.0) -> dict[str, Any]:
    """Send a hand-made frame that carries ``msg_id`` and return the reply to it."""
    fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    client.replies[msg_id] = fut
    await client.send_raw(raw)
    return await asyncio.wait_for(fut, timeout)


async def unanswered_error(client: WsClient, raw: str | bytes) -> dict[str, Any]:
    """Send a frame whose id cannot be read; its error comes back with ``re: null``."""
    await client.send_raw(raw)
    ev = await client.expect("error")
    assert ev["re"] is None, ev
    assert set(ev) == {"v", "type", "re", "data"} and ev["v"] == 1, ev
    data: dict[str, Any] = ev["data"]
    return data


def error_code(reply: dict[str, Any]) -> str:
    assert reply["type"] == "error", reply
    assert reply["data"]["message"], reply
    return str(reply["data"]["code"])


async def alive(client: WsClient) -> None:
    """The connection still completes a valid request."""
    assert not client.closed.done(), await client.closed
    reply = await client.request("ping")
    assert reply["type"] == "pong", reply
    assert isinstance(reply["data"]["server_time"], float)


async def closed_with(client: WsClient, timeout: float = 5.0) -> int | None:
    code, _reason = await asyncio.wait_for(asyncio.shield(client.closed), timeout)
    return code


async def hub_healthy(env: HubEnv, *others: WsClient) -> None:
    health = await env.call("GET", "/healthz")
    assert health["status"] == "ok" and health["database"] == "ok", health
    for other in others:
        await alive(other)
    assert env.hub.metrics.value("xiaowu_errors_total", code="internal") == 0


async def service_of(env: HubEnv, dept: str = HOUSING) -> str:
    catalog = await env.call("GET", "/api/catalog")
    return str(next(d for d in catalog["departments"] if d["id"] == dept)["services"][0]["id"])


async def booth_with_ticket(env: HubEnv, name: str) -> tuple[WsClient, str, str]:
    """A connected booth holding a waiting housing ticket: (client, booth_id, ticket_id)."""
    booth_id, token = await env.add_booth(name)
    booth = await env.connect(token)
    reply = await booth.request("ticket.create", {"service_id": await service_of(env)})
    assert reply["type"] == "ticket", reply
    assert reply["data"]["state"] in ("waiting", "offered"), reply
    return booth, booth_id, str(reply["data"]["ticket_id"])


async def start_call(env: HubEnv, agent_name: str = "zhang",
                     booth_name: str = "新村村服务站") -> tuple[WsClient, WsClient, str]:
    """An agent and a booth in a call: (agent, booth, call_id)."""
    agent, _ = await env.agent(agent_name, [HOUSING])
    booth, _, _ = await booth_with_ticket(env, booth_name)
    offer = await agent.expect("ticket.offer")
    accepted = await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    assert accepted["data"]["state"] == "serving", accepted
    call_id = str((await booth.expect("call.start"))["data"]["call_id"])
    await agent.expect("call.start", call_id=call_id)
    return agent, booth, call_id


def offer_sdp(gen: int) -> dict[str, Any]:
    return {"type": "offer", "sdp": f"v=0\r\no=- {gen} 1 IN IP4 127.0.0.1\r\n"}


CANDIDATE = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
             "sdpMid": "0", "sdpMLineIndex": 0}


# ---------------------------------------------------------------- before hello


async def test_before_hello_requests_are_unauthenticated_and_the_connection_stays_open(
        env: HubEnv) -> None:
    _, token = await env.add_booth()
    client = await env.connect()
    for mtype, data in (("ping", {}), ("ticket.create", {"service_id": "housing.x"}),
                        ("agent.state", {"state": "available"}),
                        ("call.end", {"call_id": "call_x"})):
        reply = await client.request(mtype, data)
        assert error_code(reply) == "unauthenticated", (mtype, reply)
    # an event (no id) is refused too, with re null
    err = await unanswered_error(client, json.dumps({"v": 1, "type": "ping"}))
    assert err["code"] == "unauthenticated"
    # garbage before hello gets the same codes as after it
    assert (await unanswered_error(client, "{not json"))["code"] == "bad_json"
    assert (await unanswered_error(client, b"\x00\x01"))["code"] == "bad_message"
    assert error_code(await raw_request(
        client, json.dumps({"v": 2, "type": "hello", "id": "h0", "data": {}}), "h0")) == \
        "unsupported_version"
    # still open: hello succeeds and the session works
    welcome = await client.hello(token)
    assert welcome["type"] == "welcome" and welcome["data"]["role"] == "booth", welcome
    await alive(client)
    assert env.hub.metrics.value("xiaowu_errors_total", code="unauthenticated") == 5


async def test_bad_tokens_are_unauthenticated_and_hello_may_be_retried(env: HubEnv) -> None:
    booth_id, token = await env.add_booth()
    agent_token = await env.add_agent("li", [HOUSING])
    await env.call("POST", "/api/logout", token=agent_token)
    client = await env.connect()
    for bad in ("nope", "x" * 512, token + "x", agent_token):  # agent_token is logged out
        reply = await client.hello(bad)
        assert error_code(reply) == "unauthenticated", (bad[:20], reply)
    # a token over 512 chars or an empty one is not a valid hello at all
    assert error_code(await client.hello("x" * 513)) == "bad_message"
    assert error_code(await client.hello("")) == "bad_message"
    missing = await client.request("hello", {"client": "test/1"})
    assert error_code(missing) == "bad_message" and "token" in missing["data"]["message"]
    reply = await client.hello(token)
    assert reply["type"] == "welcome" and reply["data"]["subject"]["id"] == booth_id
    await alive(client)


async def test_no_hello_within_the_timeout_closes_4401(env: HubEnv) -> None:
    silent = await env.connect()
    chatty = await env.connect()
    started = time.monotonic()

    async def pester() -> None:  # bad frames and bad hellos do not extend the deadline
        while not chatty.closed.done():
            await chatty.send_raw("{oops")
            await chatty.send_raw(json.dumps({"v": 1, "type": "hello", "data": {
                "token": "wrong", "client": "test/1"}}))
            await asyncio.sleep(0.1)

    pest = asyncio.create_task(pester())
    try:
        assert await closed_with(silent) == 4401
        assert await closed_with(chatty) == 4401
    finally:
        pest.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pest
    assert 0.9 <= time.monotonic() - started < 3.0
    # the hub never held a session for them and still serves others
    assert not env.hub.sessions.all()
    _, token = await env.add_booth()
    await hub_healthy(env, await env.connect(token))


async def test_a_successful_hello_cancels_the_deadline(env: HubEnv) -> None:
    _, token = await env.add_booth()
    client = await env.connect(token)
    await asyncio.sleep(1.5)  # past hello_timeout_s
    await alive(client)


# ---------------------------------------------------------------- malformed frames

_FRAMES_WITHOUT_ID: list[tuple[str, str | bytes, str]] = [
    ("truncated", '{"v":1,"type":"ping"', "bad_json"),
    ("not json", "hello there", "bad_json"),
    ("empty", "", "bad_json"),
    ("single quotes", "{'v': 1, 'type': 'ping'}", "bad_json"),
    ("trailing garbage", '{"v":1,"type":"ping"} x', "bad_json"),
    ("lone surrogate", '{"v":1,"type":"ping","id":"\\ud800"}', "bad_json"),
    ("deep nesting", "[" * 20_000 + "]" * 20_000, "bad_json"),
    ("array", '[{"v":1,"type":"ping","id":"a1"}]', "bad_message"),
    ("number", "42", "bad_message"),
    ("string", '"ping"', "bad_message"),
    ("null", "null", "bad_message"),
    ("id not a string", '{"v":1,"type":"ping","id":7}', "bad_message"),
    ("id empty", '{"v":1,"type":"ping","id":""}', "bad_message"),
    ("id too long", json.dumps({"v": 1, "type": "ping", "id": "i" * 65}), "bad_message"),
    ("binary frame", b'{"v":1,"type":"ping"}', "bad_message"),
    ("no version, no id", '{"type":"ping"}', "unsupported_version"),
    ("unknown type, no id", '{"v":1,"type":"teleport"}', "unknown_type"),
]


@pytest.mark.parametrize(("raw", "code"), [(r, c) for _, r, c in _FRAMES_WITHOUT_ID],
                         ids=[n for n, _, _ in _FRAMES_WITHOUT_ID])
async def test_malformed_frame_without_readable_id(env: HubEnv, raw: str | bytes,
                                                   code: str) -> None:
    _, token = await env.add_booth()
    client = await env.connect(token)
    err = await unanswered_error(client, raw)
    assert err["code"] == code, err
    await alive(client)
    await hub_healthy(env)


_FRAMES_WITH_ID: list[tuple[str, dict[str, Any], str]] = [
    ("v 2", {"v": 2, "type": "ping"}, "unsupported_version"),
    ("v 0", {"v": 0, "type": "ping"}, "unsupported_version"),
    ("v missing", {"type": "ping"}, "unsupported_version"),
    ("v string", {"v": "1", "type": "ping"}, "unsupported_version"),
    ("v true", {"v": True, "type": "ping"}, "unsupported_version"),
    ("v null", {"v": None, "type": "ping"}, "unsupported_version"),
    ("unknown type", {"v": 1, "type": "ticket.teleport"}, "unknown_type"),
    ("hub-to-client type", {"v": 1, "type": "welcome"}, "unknown_type"),
    ("error type", {"v": 1, "type": "error", "data": {"code": "x", "message": "y"}},
     "unknown_type"),
    ("type missing", {"v": 1}, "bad_message"),
    ("type not a string", {"v": 1, "type": ["ping"]}, "bad_message"),
    ("re not a string", {"v": 1, "type": "ping", "re": 5}, "bad_message"),
    ("extra envelope field", {"v": 1, "type": "ping", "token": "x"}, "bad_message"),
    ("data an array", {"v": 1, "type": "ping", "data": []}, "bad_message"),
    ("data a string", {"v": 1, "type": "ping", "data": "{}"}, "bad_message"),
    ("extra data field", {"v": 1, "type": "ping", "data": {"x": 1}}, "bad_message"),
    ("rating level 6", {"v": 1, "type": "rating.submit",
                        "data": {"call_id": "call_x", "level": 6}}, "bad_message"),
    ("rating level 0", {"v": 1, "type": "rating.submit",
                        "data": {"call_id": "call_x", "level": 0}}, "bad_message"),
    ("rating level float", {"v": 1, "type": "rating.submit",
                            "data": {"call_id": "call_x", "level": 4.5}}, "bad_message"),
    ("rating comment too long", {"v": 1, "type": "rating.submit",
                                 "data": {"call_id": "call_x", "level": 5, "comment": "好" * 501}},
     "bad_message"),
    ("missing field", {"v": 1, "type": "ticket.create", "data": {}}, "bad_message"),
    ("extra field", {"v": 1, "type": "ticket.create",
                     "data": {"service_id": "housing.x", "urgent": True}}, "bad_message"),
    ("wrong type", {"v": 1, "type": "ticket.create", "data": {"service_id": 12}},
     "bad_message"),
    ("bad enum", {"v": 1, "type": "ticket.create",
                  "data": {"service_id": "housing.x", "priority": "vip"}}, "bad_message"),
    ("empty id field", {"v": 1, "type": "ticket.cancel", "data": {"ticket_id": ""}},
     "bad_message"),
    ("gen negative", {"v": 1, "type": "call.sdp", "data": {
        "call_id": "call_x", "gen": -1, "description": offer_sdp(0)}}, "bad_message"),
    ("candidate missing", {"v": 1, "type": "call.ice", "data": {"call_id": "c", "gen": 0}},
     "bad_message"),
    ("sdp type unknown", {"v": 1, "type": "call.sdp", "data": {
        "call_id": "call_x", "gen": 0, "description": {"type": "bogus", "sdp": ""}}},
     "bad_message"),
    ("nested extra field", {"v": 1, "type": "call.ice", "data": {
        "call_id": "c", "gen": 0, "candidate": {**CANDIDATE, "foo": 1}}}, "bad_message"),
    ("status details too many", {"v": 1, "type": "booth.status", "data": {
        "details": {str(i): "x" for i in range(33)}}}, "bad_message"),
    ("status details not strings", {"v": 1, "type": "booth.status", "data": {
        "details": {"disk": 5}}}, "bad_message"),
    ("hello data wrong", {"v": 1, "type": "hello", "data": {"token": 5, "client": "t/1"}},
     "bad_message"),
]


# A string or a
# boolean must not pass for an integer ("5" -> 5, true -> 1 would be a 非常不满意 review
# nobody gave): inbound data is validated strictly against the documented schema.
_LAX_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("rating level string", {"v": 1, "type": "rating.submit",
                             "data": {"call_id": "call_x", "level": "5"}}, "bad_message"),
    ("rating level true", {"v": 1, "type": "rating.submit",
                           "data": {"call_id": "call_x", "level": True}}, "bad_message"),
    ("gen a string", {"v": 1, "type": "call.ice", "data": {
        "call_id": "call_x", "gen": "0", "candidate": None}}, "bad_message"),
]


@pytest.mark.parametrize(("frame", "code"), [
    *[pytest.param(f, c, id=n) for n, f, c in _FRAMES_WITH_ID],
    *[pytest.param(f, c, id=n) for n, f, c in _LAX_CASES]])
async def test_bad_frame_with_id_is_answered_with_its_error(env: HubEnv, frame: dict[str, Any],
                                                           code: str) -> None:
    _, token = await env.add_booth()
    client = await env.connect(token)
    reply = await raw_request(client, json.dumps({**frame, "id": "bad-1"}), "bad-1")
    assert error_code(reply) == code, reply
    assert reply["re"] == "bad-1"
    assert client.events == [], client.events  # exactly one reply, nothing else
    await alive(client)
    await hub_healthy(env)


async def test_schema_errors_name_the_field_at_fault(env: HubEnv) -> None:
    _, token = await env.add_booth()
    client = await env.connect(token)
    reply = await client.request("rating.submit", {"call_id": "call_x", "level": 6})
    assert error_code(reply) == "bad_message" and "level" in reply["data"]["message"]
    reply = await client.request("ticket.create", {"service_id": "housing.x", "urgent": 1})
    assert error_code(reply) == "bad_message" and "urgent" in reply["data"]["message"]
    await alive(client)


async def test_nan_and_infinity_are_not_json(env: HubEnv) -> None:
    _, token = await env.add_booth()
    client = await env.connect(token)
    for i, constant in enumerate(("NaN", "Infinity", "-Infinity")):
        raw = f'{{"v":1,"type":"booth.status","id":"n{i}","data":{{"version":{constant}}}}}'
        reply = await raw_request(client, raw, f"n{i}")
        assert error_code(reply) == "bad_json", reply
    await alive(client)


async def test_invalid_utf8_text_frame_fails_the_websocket_1007_and_nothing_else(
        env: HubEnv) -> None:
    # RFC 6455 §8.1: an endpoint MUST fail the connection on a text frame that is not
    # UTF-8 (aiohttp closes with 1007 before the hub sees it). The hub's state and its
    # other clients are not affected.
    other, _, ticket_id = await booth_with_ticket(env, "邻村服务站")
    _, token = await env.add_booth()
    client = await env.connect(token)
    await client.conn.send(b'{"v":1,"type":"ping","id":"\xff\xfe"}', text=True)
    assert await closed_with(client) == 1007
    await hub_healthy(env, other)
    assert env.hub.dispatcher.ticket(ticket_id).state.value == "waiting"


async def test_binary_frames_get_an_error_before_and_after_hello(env: HubEnv) -> None:
    _, token = await env.add_booth()
    client = await env.connect()
    assert (await unanswered_error(client, b"\x89PNG\r\n"))["code"] == "bad_message"
    assert (await client.hello(token))["type"] == "welcome"
    assert (await unanswered_error(client, json.dumps({"v": 1, "type": "ping", "id": "b"})
                                   .encode()))["code"] == "bad_message"
    await alive(client)


# ---------------------------------------------------------------- frame size


async def test_a_frame_of_exactly_64_kib_is_accepted(env: HubEnv) -> None:
    _, token = await env.add_booth()
    client = await env.connect(token)
    head = '{"v":1,"type":"ping","id":"big","data":{}}'
    raw = head[:-1] + " " * (65536 - len(head)) + "}"
    assert len(raw.encode()) == 65536
    assert (await raw_request(client, raw, "big"))["type"] == "pong"
    garbage = "x" * 65536
    assert (await unanswered_error(client, garbage))["code"] == "bad_json"
    await alive(client)


@pytest.mark.parametrize("authenticated", [True, False], ids=["after-hello", "before-hello"])
async def test_an_oversized_frame_closes_1009(env: HubEnv, authenticated: bool) -> None:
    other, _, ticket_id = await booth_with_ticket(env, "邻村服务站")
    _, token = await env.add_booth()
    client = await env.connect(token if authenticated else None)
    await client.send_raw('{"v":1,"type":"ping","id":"' + "x" * 65536 + '"}')
    assert await closed_with(client) == 1009
    await hub_healthy(env, other)
    assert env.hub.dispatcher.ticket(ticket_id).state.value == "waiting"


# ---------------------------------------------------------------- authorization


async def test_role_violations_are_forbidden(env: HubEnv) -> None:
    agent, _ = await env.agent("zhang", ["market"])
    booth, _, ticket_id = await booth_with_ticket(env, "新村村服务站")
    admin = await env.connect(env.admin_token)
    assert admin.welcome["role"] == "admin"
    for client, mtype, data in (
        (booth, "agent.state", {"state": "available"}),
        (booth, "ticket.accept", {"offer_id": "ofr_x"}),
        (booth, "ticket.decline", {"offer_id": "ofr_x"}),
        (booth, "ticket.transfer", {"call_id": "call_x", "department_id": "market"}),
        (agent, "ticket.create", {"service_id": await service_of(env)}),
        (agent, "ticket.cancel", {"ticket_id": ticket_id}),
        (agent, "rating.submit", {"call_id": "call_x", "level": 5}),
        (agent, "booth.status", {"camera": "ok"}),
        (admin, "ticket.create", {"service_id": await service_of(env)}),
        (admin, "call.sdp", {"call_id": "call_x", "gen": 0, "description": offer_sdp(0)}),
        (admin, "agent.state", {"state": "available"}),
    ):
        reply = await client.request(mtype, data)
        assert error_code(reply) == "forbidden", (mtype, reply)
    for client in (agent, booth, admin):
        await alive(client)
    # nothing changed: the ticket still waits, the agent is still available
    assert env.hub.dispatcher.ticket(ticket_id).state.value == "waiting"
    assert (await agent.request("agent.state", {"state": "available"}))["type"] == "agent.state"
    await hub_healthy(env)


async def test_unknown_ids_are_not_found(env: HubEnv) -> None:
    agent, _ = await env.agent("zhang", ["market"])
    mine, _, _ = await booth_with_ticket(env, "新村村服务站")
    other, _, other_ticket = await booth_with_ticket(env, "邻村服务站")
    for client, mtype, data in (
        (mine, "ticket.cancel", {"ticket_id": other_ticket}),
        (mine, "ticket.cancel", {"ticket_id": "tkt_nope"}),
        (mine, "ticket.create", {"service_id": "housing.no_such_service"}),
        (mine, "call.sdp", {"call_id": "call_nope", "gen": 0, "description": offer_sdp(0)}),
        (mine, "call.ice", {"call_id": "call_nope", "gen": 0, "candidate": CANDIDATE}),
        (mine, "call.end", {"call_id": "call_nope"}),
        (mine, "rating.submit", {"call_id": "call_nope", "level": 5}),
        (agent, "ticket.accept", {"offer_id": "ofr_nope"}),
        (agent, "ticket.decline", {"offer_id": "ofr_nope"}),
        (agent, "ticket.transfer", {"call_id": "call_nope", "department_id": "nope"}),
        (agent, "call.sdp", {"call_id": "call_nope", "gen": 0,
                             "description": {"type": "answer", "sdp": ""}}),
    ):
        reply = await client.request(mtype, data)
        assert error_code(reply) == "not_found", (mtype, reply)
    # the other booth's ticket was not touched
    assert env.hub.dispatcher.ticket(other_ticket).state.value == "waiting"
    assert (await other.request("ticket.cancel", {"ticket_id": other_ticket}))["data"][
        "state"] == "cancelled"
    for client in (agent, mine):
        await alive(client)
    await hub_healthy(env)


async def test_wrong_state_is_conflict(env: HubEnv) -> None:
    booth, _, ticket_id = await booth_with_ticket(env, "新村村服务站")
    again = await booth.request("ticket.create", {"service_id": await service_of(env)})
    assert error_code(again) == "conflict"
    hello = await booth.hello("whatever")
    assert error_code(hello) == "conflict"
    assert env.hub.dispatcher.ticket(ticket_id).state.value == "waiting"
    # the first ticket is intact and still the booth's
    cancelled = await booth.request("ticket.cancel", {"ticket_id": ticket_id})
    assert cancelled["data"]["state"] == "cancelled"
    twice = await booth.request("ticket.cancel", {"ticket_id": ticket_id})
    assert error_code(twice) in ("conflict", "not_found")
    await alive(booth)


async def test_in_call_conflicts_and_third_parties(env: HubEnv) -> None:
    agent, booth, call_id = await start_call(env)
    stranger_agent, _ = await env.agent("wang", ["market"])
    _, stranger_token = await env.add_booth("邻村服务站")
    stranger_booth = await env.connect(stranger_token)

    # wrong state inside a call
    rating = await booth.request("rating.submit", {"call_id": call_id, "level": 5})
    assert error_code(rating) == "conflict"
    state = await agent.request("agent.state", {"state": "away"})
    assert error_code(state) == "conflict"
    agent_offer = await agent.request("call.sdp", {"call_id": call_id, "gen": 0,
                                                   "description": offer_sdp(0)})
    assert error_code(agent_offer) == "conflict"
    second = await booth.request("ticket.create", {"service_id": await service_of(env)})
    assert error_code(second) == "conflict"

    # third parties may not speak into the call, and nothing of theirs is relayed
    for client, mtype, data in (
        (stranger_booth, "call.sdp", {"call_id": call_id, "gen": 0,
                                      "description": offer_sdp(0)}),
        (stranger_booth, "call.ice", {"call_id": call_id, "gen": 0, "candidate": CANDIDATE}),
        (stranger_booth, "call.end", {"call_id": call_id}),
        (stranger_agent, "call.sdp", {"call_id": call_id, "gen": 0,
                                      "description": {"type": "answer", "sdp": "v=0\r\n"}}),
        (stranger_agent, "call.ice", {"call_id": call_id, "gen": 0, "candidate": None}),
        (stranger_agent, "call.end", {"call_id": call_id}),
        (stranger_agent, "ticket.transfer", {"call_id": call_id, "department_id": "market"}),
    ):
        reply = await client.request(mtype, data)
        assert error_code(reply) == "forbidden", (mtype, reply)
    for client in (agent, booth, stranger_agent, stranger_booth):
        await alive(client)  # anything relayed would have arrived before the pong
    for client in (agent, booth):
        relayed = [e["type"] for e in client.events if e["type"] in ("call.sdp", "call.ice",
                                                                     "call.ended")]
        assert relayed == [], relayed
    assert env.hub.calls.get(call_id).gen == 0

    # stale gen: the booth rebuilt its peer connection (gen 1); gen 0 is refused
    assert (await booth.request("call.sdp", {"call_id": call_id, "gen": 1,
                                             "description": offer_sdp(1)}))["type"] == "ok"
    assert (await agent.expect("call.sdp"))["data"]["gen"] == 1
    for client, mtype, data in (
        (booth, "call.sdp", {"call_id": call_id, "gen": 0, "description": offer_sdp(0)}),
        (booth, "call.ice", {"call_id": call_id, "gen": 0, "candidate": CANDIDATE}),
        (agent, "call.sdp", {"call_id": call_id, "gen": 0,
                             "description": {"type": "answer", "sdp": "v=0\r\n"}}),
        (agent, "call.ice", {"call_id": call_id, "gen": 2, "candidate": None}),
    ):
        reply = await client.request(mtype, data)
        assert error_code(reply) == "conflict", (mtype, reply)
    await alive(agent)
    await alive(booth)
    assert not [e for e in agent.events + booth.events if e["type"] in ("call.sdp", "call.ice")]

    # the call still works end to end after all that
    await agent.send("call.sdp", {"call_id": call_id, "gen": 1,
                                  "description": {"type": "answer", "sdp": "v=0\r\n"}})
    assert (await booth.expect("call.sdp"))["data"]["description"]["type"] == "answer"
    assert (await agent.request("call.end", {"call_id": call_id}))["type"] == "ok"
    await booth.expect("rating.request", call_id=call_id)
    ended_twice = await agent.request("call.end", {"call_id": call_id})
    assert error_code(ended_twice) == "not_found"
    # a rating for another booth's call is not found; the right booth's is taken
    stranger_rating = await stranger_booth.request("rating.submit",
                                                   {"call_id": call_id, "level": 1})
    assert error_code(stranger_rating) == "not_found"
    rated = await booth.request("rating.submit", {"call_id": call_id, "level": 4})
    assert rated["data"] == {"call_id": call_id, "level": 4}
    await hub_healthy(env)


# ---------------------------------------------------------------- floods


async def test_flood_is_rate_limited_then_closed_1008(tmp_path: Path) -> None:
    env = await HubEnv(tmp_path / "var", rate_per_s=5, rate_burst=5, abuse_limit=20).start()
    try:
        other, _, ticket_id = await booth_with_ticket(env, "邻村服务站")
        _, token = await env.add_booth()
        client = await env.connect(token)
        await asyncio.sleep(1.1)  # the hello spent a token: refill the bucket

        # a short burst: the first five pass, the rest are dropped with rate_limited
        ids = [f"f{i}" for i in range(10)]
        futs = {}
        for i in ids:
            futs[i] = asyncio.get_running_loop().create_future()
            client.replies[i] = futs[i]
        for i in ids:
            await client.send_raw(json.dumps({"v": 1, "type": "ping", "id": i}))
        replies = [await asyncio.wait_for(futs[i], 5) for i in ids]
        kinds = [r["type"] if r["type"] != "error" else r["data"]["code"] for r in replies]
        # (a slow machine may refill a token while the burst is being sent)
        assert kinds[:5] == ["pong"] * 5 and kinds.count("rate_limited") >= 4, kinds
        # events over budget get their rate_limited error with re null
        for _ in range(3):
            await client.send("ping")
        err = await client.expect("error")
        assert err["re"] is None and err["data"]["code"] == "rate_limited"
        await asyncio.sleep(1.2)
        await alive(client)  # not sustained: the connection stays

        # sustained: far over the budget, again and again
        for n in range(60):
            if client.closed.done():
                break
            await client.send_raw(json.dumps({"v": 1, "type": "ping", "id": f"s{n}"}))
        assert await closed_with(client) == 1008
        assert env.hub.metrics.value("xiaowu_errors_total", code="rate_limited") >= 20
        await hub_healthy(env, other)
        assert env.hub.dispatcher.ticket(ticket_id).state.value == "waiting"
    finally:
        await env.stop()


async def test_flood_before_hello_is_rate_limited_then_closed_1008(tmp_path: Path) -> None:
    env = await HubEnv(tmp_path / "var", rate_per_s=5, rate_burst=5, abuse_limit=20,
                       hello_timeout_s=10.0).start()
    try:
        client = await env.connect()
        for i in range(60):
            if client.closed.done():
                break
            await client.send_raw(json.dumps({"v": 1, "type": "hello", "id": f"h{i}", "data": {
                "token": f"guess-{i}", "client": "test/1"}}))
        assert await closed_with(client) == 1008
        codes = [e["data"]["code"] for e in client.events if e["type"] == "error"]
        assert codes[:5] == ["unauthenticated"] * 5, codes  # the burst was read
        assert set(codes) == {"unauthenticated", "rate_limited"}, codes  # the rest mostly not
        assert codes.count("rate_limited") >= 15 and len(codes) < 60, codes
        _, token = await env.add_booth()
        await hub_healthy(env, await env.connect(token))
    finally:
        await env.stop()


async def test_binary_flood_is_rate_limited_too(tmp_path: Path) -> None:
    env = await HubEnv(tmp_path / "var", rate_per_s=5, rate_burst=5, abuse_limit=20).start()
    try:
        _, token = await env.add_booth()
        client = await env.connect(token)
        for _ in range(60):
            if client.closed.done():
                break
            await client.send_raw(b"\x00" * 100)
        assert await closed_with(client) == 1008
        codes = [e["data"]["code"] for e in client.events if e["type"] == "error"]
        assert "bad_message" in codes and "rate_limited" in codes, codes
        await hub_healthy(env)
    finally:
        await env.stop()


# ---------------------------------------------------------------- garbage storm

_TYPES = ["hello", "ping", "ticket.create", "ticket.cancel", "booth.status", "agent.state",
          "ticket.accept", "ticket.decline", "ticket.transfer", "call.sdp", "call.ice",
          "call.end", "rating.submit", "welcome", "error", "", "x" * 80]


def _junk_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(12 if depth < 3 else 8)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.randint(-2**70, 2**70)
    if pick == 3:
        return rng.choice([0.5, -1e308, 1e-300, 3.0])
    if pick in (4, 5):
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x4e00, 0x9fff),
                                       rng.randrange(0x1f600, 0x1f64f), 0]))
                       for _ in range(rng.randrange(0, 40)))
    if pick == 6:
        return rng.choice(["", "call_x", "tkt_x", "ofr_x", "housing", "housing.x", "s" * 70])
    if pick == 7:
        return rng.randint(0, 6)
    if pick in (8, 9):
        return [_junk_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    return {rng.choice(["service_id", "ticket_id", "offer_id", "call_id", "gen", "level",
                        "state", "description", "candidate", "token", "client", "type",
                        "sdp", "details", "camera", "x"]): _junk_value(rng, depth + 1)
            for _ in range(rng.randrange(0, 5))}


def _junk_frame(rng: random.Random, ticket_id: str) -> str | bytes:
    kind = rng.randrange(10)
    if kind == 0:  # random bytes, as binary
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
    if kind == 1:  # random printable text
        return "".join(chr(rng.randrange(32, 127)) for _ in range(rng.randrange(0, 200)))
    env: dict[str, Any] = {"v": rng.choice([1, 1, 1, 2, "1", None]),
                           "type": rng.choice(_TYPES)}
    if rng.random() < 0.7:
        env["id"] = rng.choice([f"g{rng.randrange(10**6)}", "", 5, None, "z" * 65])
    if rng.random() < 0.9:
        env["data"] = _junk_value(rng) if rng.random() < 0.3 else {
            k: _junk_value(rng) for k in rng.sample(
                ["service_id", "ticket_id", "offer_id", "call_id", "gen", "level", "state",
                 "description", "candidate", "priority", "reason", "x"], rng.randrange(0, 4))}
    if rng.random() < 0.1:
        env["data"] = {"ticket_id": ticket_id}  # another booth's real ticket
        env["type"] = "ticket.cancel"
    if rng.random() < 0.05:
        env["extra"] = 1
    text = json.dumps(env, ensure_ascii=rng.random() < 0.5)
    if kind == 2:  # truncated
        return text[: rng.randrange(len(text) + 1)]
    if kind == 3:  # one byte flipped
        i = rng.randrange(len(text))
        return text[:i] + chr(rng.randrange(32, 127)) + text[i + 1:]
    return text


async def test_garbage_storm_leaves_the_hub_serving_with_its_state(env: HubEnv) -> None:
    other, other_id, ticket_id = await booth_with_ticket(env, "邻村服务站")
    _, booth_token = await env.add_booth("新村村服务站")
    booth = await env.connect(booth_token)
    agent, _ = await env.agent("wang", ["market"])
    rng = random.Random(20240601)
    for client in (booth, agent):
        for _ in range(300):
            await client.send_raw(_junk_frame(rng, ticket_id))
        await alive(client)  # replies come in order: every junk frame was answered first
    for client in (booth, agent):
        errors = [e for e in client.events if e["type"] == "error"]
        assert errors, "the storm drew error events"
        assert all(e["data"]["code"] != "internal" for e in errors), errors
        replies = [f.result() for f in client.replies.values() if f.done()]
        assert all(r["type"] != "error" or r["data"]["code"] != "internal" for r in replies)
    assert env.hub.metrics.value("xiaowu_errors_total", code="internal") == 0

    # the other booth's ticket is untouched and gets served
    view = env.hub.dispatcher.ticket(ticket_id)
    assert view.state.value == "waiting" and view.booth_id == other_id and view.position == 1
    await hub_healthy(env, other, booth, agent)
    served, _ = await env.agent("zhang", [HOUSING])
    offer = await served.expect("ticket.offer")
    assert offer["data"]["ticket"]["ticket_id"] == ticket_id
    assert (await served.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]}))[
        "data"]["state"] == "serving"
    await other.expect("call.start")
