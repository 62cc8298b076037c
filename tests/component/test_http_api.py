"""The REST API (DESIGN.md §4 "HTTP API core") against a hub on a loopback port.

Every error is ``{"error": {"code", "message"}}`` with the protocol's codes; a bad
request never becomes a 500, and admin changes reach live connections at once.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

from multidict import CIMultiDictProxy

from tests.harness import ADMIN_PASSWORD, HubEnv
from tests.wsclient import WsClient


async def raw(env: HubEnv, method: str, path: str, body: bytes | str | None = None,
              token: str | None = None, headers: dict[str, str] | None = None,
              ) -> tuple[int, Any, CIMultiDictProxy[str]]:
    """A request with a hand-made body: (status, parsed JSON or text, headers)."""
    assert env.http is not None
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    payload = io.BytesIO(body.encode() if isinstance(body, str) else body) \
        if body is not None else None
    async with env.http.request(method, env.base + path, data=payload, headers=hdrs) as resp:
        data = await resp.json() if resp.content_type == "application/json" else \
            await resp.text()
        return resp.status, data, resp.headers


def assert_error(data: Any, code: str) -> None:
    assert isinstance(data, dict) and set(data) == {"error"}, data
    assert data["error"]["code"] == code, data
    assert isinstance(data["error"]["message"], str) and data["error"]["message"], data


async def closed_with(client: WsClient, timeout: float = 5.0) -> int | None:
    code, _reason = await asyncio.wait_for(asyncio.shield(client.closed), timeout)
    return code


async def hub_healthy(env: HubEnv) -> None:
    health = await env.call("GET", "/healthz")
    assert health["status"] == "ok"
    assert env.hub.metrics.value("xiaowu_errors_total", code="internal") == 0


async def new_code(env: HubEnv, name: str = "新村村服务站") -> tuple[str, str]:
    made = await env.call("POST", "/api/admin/booths",
                          {"name": name, "region_code": "330110101001"},
                          token=env.admin_token, expect=201)
    return str(made["booth_id"]), str(made["enrollment_code"])


# ---------------------------------------------------------------- login, logout, me


async def test_login_me_and_wrong_passwords(env: HubEnv) -> None:
    await env.add_agent("zhang", ["housing", "market"])
    ok = await env.login("zhang", "agent-pass-1")
    assert ok["role"] == "agent" and ok["token"] and ok["expires_at"]
    me = await env.call("GET", "/api/me", token=ok["token"])
    assert me["role"] == "agent" and me["name"] == "zhang" and me["id"] == ok["user_id"]
    assert me["skills"] == ["housing", "market"]
    admin_me = await env.call("GET", "/api/me", token=env.admin_token)
    assert admin_me["role"] == "admin"

    wrong = await env.call("POST", "/api/login", {"username": "zhang", "password": "nope"},
                           expect=401)
    assert_error(wrong, "unauthenticated")
    unknown = await env.call("POST", "/api/login", {"username": "nobody", "password": "nope"},
                             expect=401)
    assert_error(unknown, "unauthenticated")
    assert unknown["error"]["message"] == wrong["error"]["message"]  # no user enumeration
    for token in (None, "garbage"):
        assert_error(await env.call("GET", "/api/me", token=token, expect=401),
                     "unauthenticated")
    status, data, _ = await raw(env, "GET", "/api/me", headers={"Authorization": "Basic eA=="})
    assert status == 401
    assert_error(data, "unauthenticated")
    await hub_healthy(env)


async def test_login_bodies_that_are_not_a_login(env: HubEnv) -> None:
    for body, code in (
        ("{", "bad_json"),
        ("not json", "bad_json"),
        (b"\xff\xfe{}", "bad_json"),
        ('{"username": "a", "password": NaN}', "bad_json"),
        ("[" * 100_000 + "]" * 100_000, "bad_json"),
        ('{"username": "\\ud800", "password": "x"}', "bad_json"),
        ('["admin", "pw"]', "bad_message"),
        ("42", "bad_message"),
        ("null", "bad_message"),
        ("{}", "bad_message"),
        ('{"username": "admin"}', "bad_message"),
        ('{"username": "admin", "password": "x", "otp": 1}', "bad_message"),
        ('{"username": 5, "password": "x"}', "bad_message"),
        ('{"username": "", "password": "x"}', "bad_message"),
    ):
        status, data, _ = await raw(env, "POST", "/api/login", body)
        assert status == 400, (body[:40], status, data)
        assert_error(data, code)
    # none of that counted as a failed login
    assert (await env.login("admin", ADMIN_PASSWORD))["role"] == "admin"
    await hub_healthy(env)


async def test_five_failures_lock_login_out_even_with_the_right_password(env: HubEnv) -> None:
    for _ in range(5):
        assert_error(await env.call("POST", "/api/login",
                                    {"username": "admin", "password": "guess"}, expect=401),
                     "unauthenticated")
    for password in ("guess", ADMIN_PASSWORD):
        status, data, headers = await raw(
            env, "POST", "/api/login", json.dumps({"username": "admin", "password": password}))
        assert status == 429, data
        assert_error(data, "rate_limited")
        assert int(headers["Retry-After"]) > 0
    assert env.hub.metrics.value("xiaowu_logins_total", result="throttled") == 2
    # tokens already issued keep working
    assert (await env.call("GET", "/api/me", token=env.admin_token))["role"] == "admin"


async def test_logout_revokes_the_token(env: HubEnv) -> None:
    token = await env.add_agent("zhang", ["housing"])
    client = await env.connect()
    assert (await env.call("POST", "/api/logout", token=token)) == {}
    assert_error(await env.call("GET", "/api/me", token=token, expect=401), "unauthenticated")
    assert_error(await env.call("POST", "/api/logout", token=token, expect=401),
                 "unauthenticated")
    reply = await client.hello(token)
    assert reply["type"] == "error" and reply["data"]["code"] == "unauthenticated"
    # a booth has no session to log out of
    _, booth_token = await env.add_booth()
    assert_error(await env.call("POST", "/api/logout", token=booth_token, expect=403),
                 "forbidden")
    # logging in again gives a fresh token
    fresh = (await env.login("zhang", "agent-pass-1"))["token"]
    assert (await env.call("GET", "/api/me", token=fresh))["name"] == "zhang"


# ---------------------------------------------------------------- enrollment


async def test_enrollment_codes_are_one_time(env: HubEnv) -> None:
    booth_id, code = await new_code(env)
    garbage = await env.call("POST", "/api/enroll", {"code": "AAAA-BBBB-CCCC"}, expect=401)
    assert_error(garbage, "unauthenticated")
    assert_error(await env.call("POST", "/api/enroll", {"code": "not a code at all"},
                                expect=401), "unauthenticated")
    # codes are typed by people: case and dashes do not matter
    typed = code.lower().replace("-", " ")
    enrolled = await env.call("POST", "/api/enroll", {"code": typed, "device": {"os": "x"}})
    assert enrolled["booth_id"] == booth_id and enrolled["token"]
    assert enrolled["name"] == "新村村服务站" and enrolled["region_code"] == "330110101001"
    again = await env.call("POST", "/api/enroll", {"code": code}, expect=401)
    assert_error(again, "unauthenticated")
    me = await env.call("GET", "/api/me", token=enrolled["token"])
    assert me == {"id": booth_id, "role": "booth", "name": "新村村服务站", "skills": []}
    await hub_healthy(env)


async def test_enroll_bad_bodies_do_not_burn_the_code(env: HubEnv) -> None:
    booth_id, code = await new_code(env)
    for body, status, err in (
        ("{", 400, "bad_json"),
        ('["' + code + '"]', 400, "bad_message"),
        (json.dumps({"code": code, "device": []}), 400, "bad_message"),
        (json.dumps({"code": code, "extra": 1}), 400, "bad_message"),
        (f'{{"code": "{code}", "device": {{"temp": NaN}}}}', 400, "bad_json"),
        (f'{{"code": "{code}", "device": {{"name": "\\udc80"}}}}', 400, "bad_json"),
        (json.dumps({"code": code, "device": {"blob": "x" * 5000}}), 413, "too_large"),
    ):
        got, data, _ = await raw(env, "POST", "/api/enroll", body)
        assert got == status, (body[:60], got, data)
        assert_error(data, err)
    enrolled = await env.call("POST", "/api/enroll", {"code": code, "device": {"os": "x"}})
    assert enrolled["booth_id"] == booth_id
    await hub_healthy(env)


async def test_oversized_bodies_are_413(env: HubEnv) -> None:
    big = json.dumps({"username": "admin", "password": "x" * (1024 * 1024 + 1)})
    for path, token in (("/api/login", None), ("/api/enroll", None),
                        ("/api/admin/booths", env.admin_token)):
        status, data, _ = await raw(env, "POST", path, big, token=token)
        assert status == 413, (path, status)
        assert_error(data, "too_large")
    await hub_healthy(env)


# ---------------------------------------------------------------- admin authorization


async def test_admin_endpoints_need_an_admin(env: HubEnv) -> None:
    agent_token = await env.add_agent("zhang", ["housing"])
    _, booth_token = await env.add_booth()
    endpoints: list[tuple[str, str, Any]] = [
        ("GET", "/api/admin/booths", None),
        ("POST", "/api/admin/booths", {"name": "x", "region_code": "330110"}),
        ("POST", "/api/admin/booths/bth_x/revoke", None),
        ("POST", "/api/admin/booths/bth_x/enrollment", None),
        ("GET", "/api/admin/agents", None),
        ("POST", "/api/admin/agents", {"username": "ab", "password": "12345678"}),
        ("PUT", "/api/admin/agents/usr_x/skills", {"skills": []}),
        ("POST", "/api/admin/agents/usr_x/disable", None),
        ("POST", "/api/admin/agents/usr_x/enable", None),
        ("POST", "/api/admin/agents/usr_x/password", {"password": "12345678"}),
        ("GET", "/api/admin/departments", None),
        ("PUT", "/api/admin/departments/d", {"name": "d", "ticket_prefix": "Q"}),
        ("PUT", "/api/admin/services/housing.x",
         {"department_id": "housing", "name": "x"}),
        ("DELETE", "/api/admin/services/housing.x", None),
        ("GET", "/api/admin/audit", None),
        ("GET", "/api/admin/audit/verify", None),
        ("GET", "/api/admin/stats", None),
    ]
    for method, path, body in endpoints:
        for token, status, code in ((None, 401, "unauthenticated"),
                                    ("forged", 401, "unauthenticated"),
                                    (agent_token, 403, "forbidden"),
                                    (booth_token, 403, "forbidden")):
            data = await env.call(method, path, body, token=token, expect=status)
            assert_error(data, code)
    # nothing was created by the refused calls
    booths = (await env.call("GET", "/api/admin/booths", token=env.admin_token))["booths"]
    assert [b["name"] for b in booths] == ["石门镇新村村便民服务站"]
    await hub_healthy(env)


async def test_a_non_ascii_bearer_token_is_unauthenticated(env: HubEnv) -> None:
    assert env.http is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", env.port)
    try:
        writer.write(b"GET /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"Authorization: Bearer \xff\xfe\r\n\r\n")
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401"), head
    assert_error(json.loads(body), "unauthenticated")
    await hub_healthy(env)


# ---------------------------------------------------------------- booths: revoke, reissue, rotate


async def test_revoke_closes_the_live_booth_4403_and_its_token_stops(env: HubEnv) -> None:
    booth_id, token = await env.add_booth()
    booth = await env.connect(token)
    catalog = await env.call("GET", "/api/catalog")
    service = catalog["departments"][0]["services"][0]["id"]
    ticket = await booth.request("ticket.create", {"service_id": service})
    assert ticket["type"] == "ticket"
    done = await env.call("POST", f"/api/admin/booths/{booth_id}/revoke", token=env.admin_token)
    assert done == {"booth_id": booth_id, "revoked": True}
    assert await closed_with(booth, 2.0) == 4403
    # its ticket went with it
    assert env.hub.dispatcher.ticket(ticket["data"]["ticket_id"]).state.value == "abandoned"
    assert_error(await env.call("GET", "/api/me", token=token, expect=401), "unauthenticated")
    assert_error(await env.call("POST", "/api/device/rotate", token=token, expect=401),
                 "unauthenticated")
    retry = await env.connect()
    reply = await retry.hello(token)
    assert reply["type"] == "error" and reply["data"]["code"] == "unauthenticated"
    listed = (await env.call("GET", "/api/admin/booths", token=env.admin_token))["booths"]
    assert next(b for b in listed if b["id"] == booth_id)["revoked"] is True
    # revoking again is harmless; an unknown booth is not found
    await env.call("POST", f"/api/admin/booths/{booth_id}/revoke", token=env.admin_token)
    assert_error(await env.call("POST", "/api/admin/booths/bth_nope/revoke",
                                token=env.admin_token, expect=404), "not_found")
    # a revoked booth cannot be re-provisioned: that is a conflict, not the admin's
    # credential failing (401 would tell a console to log the admin out)
    reissue = await env.call("POST", f"/api/admin/booths/{booth_id}/enrollment",
                             token=env.admin_token, expect=409)
    assert_error(reissue, "conflict")
    await hub_healthy(env)


async def test_reissue_enrollment_invalidates_the_old_device_token(env: HubEnv) -> None:
    booth_id, old_token = await env.add_booth()
    booth = await env.connect(old_token)
    made = await env.call("POST", f"/api/admin/booths/{booth_id}/enrollment",
                          token=env.admin_token)
    assert made["booth_id"] == booth_id and made["enrollment_code"]
    assert await closed_with(booth, 2.0) == 4403
    assert_error(await env.call("GET", "/api/me", token=old_token, expect=401),
                 "unauthenticated")
    enrolled = await env.call("POST", "/api/enroll", {"code": made["enrollment_code"]})
    assert enrolled["booth_id"] == booth_id and enrolled["token"] != old_token
    fresh = await env.connect(enrolled["token"])
    assert fresh.welcome["subject"]["id"] == booth_id
    assert_error(await env.call("POST", "/api/admin/booths/bth_nope/enrollment",
                                token=env.admin_token, expect=404), "not_found")


async def test_device_token_rotation(env: HubEnv) -> None:
    booth_id, old = await env.add_booth()
    rotated = await env.call("POST", "/api/device/rotate", token=old)
    new = rotated["token"]
    assert new and new != old
    assert (await env.call("GET", "/api/me", token=new))["id"] == booth_id
    assert_error(await env.call("GET", "/api/me", token=old, expect=401), "unauthenticated")
    client = await env.connect()
    assert (await client.hello(old))["data"]["code"] == "unauthenticated"
    assert (await client.hello(new))["type"] == "welcome"
    # only booths have device tokens
    agent_token = await env.add_agent("zhang", ["housing"])
    assert_error(await env.call("POST", "/api/device/rotate", token=agent_token, expect=403),
                 "forbidden")


# ---------------------------------------------------------------- agents


async def test_disabling_an_agent_closes_its_connection_4403(env: HubEnv) -> None:
    agent, token = await env.agent("zhang", ["housing"])
    user_id = (await env.call("GET", "/api/me", token=token))["id"]
    done = await env.call("POST", f"/api/admin/agents/{user_id}/disable", token=env.admin_token)
    assert done == {"user_id": user_id, "disabled": True}
    assert await closed_with(agent, 2.0) == 4403
    assert_error(await env.call("GET", "/api/me", token=token, expect=401), "unauthenticated")
    assert_error(await env.call("POST", "/api/login",
                                {"username": "zhang", "password": "agent-pass-1"}, expect=401),
                 "unauthenticated")
    agents = (await env.call("GET", "/api/admin/agents", token=env.admin_token))["agents"]
    assert next(a for a in agents if a["id"] == user_id)["disabled"] is True
    assert_error(await env.call("POST", "/api/admin/agents/usr_nope/disable",
                                token=env.admin_token, expect=404), "not_found")


async def test_agent_provisioning_input(env: HubEnv) -> None:
    for body, status, code in (
        ({"username": "a b", "password": "12345678"}, 400, "bad_message"),
        ({"username": "li", "password": "short"}, 400, "bad_message"),
        ({"username": "li", "password": "12345678", "skills": ["nope"]}, 404, "not_found"),
        ({"username": "li", "password": "12345678", "skills": "housing"}, 400, "bad_message"),
    ):
        assert_error(await env.call("POST", "/api/admin/agents", body, token=env.admin_token,
                                    expect=status), code)
    made = await env.call("POST", "/api/admin/agents",
                          {"username": "li", "password": "12345678", "skills": ["housing"]},
                          token=env.admin_token, expect=201)
    assert made["user_id"].startswith("usr_")
    taken = await env.call("POST", "/api/admin/agents",
                           {"username": "li", "password": "12345678"},
                           token=env.admin_token, expect=409)
    assert_error(taken, "conflict")


async def test_skills_change_reaches_the_live_agent(env: HubEnv) -> None:
    agent, token = await env.agent("zhang", ["market"])
    user_id = (await env.call("GET", "/api/me", token=token))["id"]
    _, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    catalog = await env.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    ticket = await booth.request("ticket.create", {"service_id": housing["services"][0]["id"]})
    assert ticket["data"]["state"] == "waiting"
    assert_error(await env.call("PUT", f"/api/admin/agents/{user_id}/skills",
                                {"skills": ["nope"]}, token=env.admin_token, expect=404),
                 "not_found")
    changed = await env.call("PUT", f"/api/admin/agents/{user_id}/skills",
                             {"skills": ["housing"]}, token=env.admin_token)
    assert changed == {"user_id": user_id, "skills": ["housing"]}
    offer = await agent.expect("ticket.offer", timeout=3)
    assert offer["data"]["ticket"]["ticket_id"] == ticket["data"]["ticket_id"]
    agents = (await env.call("GET", "/api/admin/agents", token=env.admin_token))["agents"]
    assert next(a for a in agents if a["id"] == user_id)["skills"] == ["housing"]


# ---------------------------------------------------------------- catalog


async def test_catalog_edits_show_at_once_and_can_be_ticketed(env: HubEnv) -> None:
    put = await env.call("PUT", "/api/admin/services/housing.test_rent",
                         {"department_id": "housing", "name": "测试租赁",
                          "materials": [{"name": "身份证", "copies": 1}]},
                         token=env.admin_token)
    assert put == {"id": "housing.test_rent"}
    catalog = await env.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    svc = next(s for s in housing["services"] if s["id"] == "housing.test_rent")
    assert svc["name"] == "测试租赁" and svc["materials"] == [{"name": "身份证", "copies": 1}]

    _, token = await env.add_booth()
    booth = await env.connect(token)
    ticket = await booth.request("ticket.create", {"service_id": "housing.test_rent"})
    assert ticket["type"] == "ticket" and ticket["data"]["service_id"] == "housing.test_rent"
    await booth.request("ticket.cancel", {"ticket_id": ticket["data"]["ticket_id"]})

    gone = await env.call("DELETE", "/api/admin/services/housing.test_rent",
                          token=env.admin_token)
    assert gone == {"id": "housing.test_rent", "active": False}
    catalog = await env.call("GET", "/api/catalog")
    ids = {s["id"] for d in catalog["departments"] for s in d["services"]}
    assert "housing.test_rent" not in ids
    refused = await booth.request("ticket.create", {"service_id": "housing.test_rent"})
    assert refused["type"] == "error" and refused["data"]["code"] == "not_found"
    assert_error(await env.call("DELETE", "/api/admin/services/housing.nope",
                                token=env.admin_token, expect=404), "not_found")

    dept = await env.call("PUT", "/api/admin/departments/civil",
                          {"name": "民政局", "ticket_prefix": "Q"}, token=env.admin_token)
    assert dept == {"id": "civil"}
    await env.call("PUT", "/api/admin/services/civil.marriage",
                   {"department_id": "civil", "name": "婚姻登记"}, token=env.admin_token)
    catalog = await env.call("GET", "/api/catalog")
    civil = next(d for d in catalog["departments"] if d["id"] == "civil")
    assert civil["ticket_prefix"] == "Q" and civil["services"][0]["id"] == "civil.marriage"
    civil_ticket = await booth.request("ticket.create", {"service_id": "civil.marriage"})
    assert civil_ticket["data"]["number"].startswith("Q")
    await hub_healthy(env)


async def test_catalog_edits_with_bad_input_are_refused_not_500(env: HubEnv) -> None:
    admin = env.admin_token
    for method, path, body, status, code in (
        ("PUT", "/api/admin/services/Housing.Bad", {"department_id": "housing", "name": "x"},
         400, "bad_message"),
        ("PUT", "/api/admin/services/nodot", {"department_id": "housing", "name": "x"},
         400, "bad_message"),
        ("PUT", "/api/admin/services/housing.x", {"department_id": "housing", "name": "  "},
         400, "bad_message"),
        ("PUT", "/api/admin/services/housing.x", {"department_id": "nope", "name": "x"},
         404, "not_found"),
        ("PUT", "/api/admin/services/housing.x",
         {"department_id": "housing", "name": "x", "materials": [{"name": ""}]},
         400, "bad_message"),
        ("PUT", "/api/admin/services/a%20b", {"department_id": "housing", "name": "x"},
         400, "bad_message"),
        ("PUT", "/api/admin/departments/Civil", {"name": "x", "ticket_prefix": "Z"},
         400, "bad_message"),
        ("PUT", "/api/admin/departments/civil", {"name": " ", "ticket_prefix": "Z"},
         400, "bad_message"),
        ("PUT", "/api/admin/departments/civil", {"name": "x", "ticket_prefix": "z"},
         400, "bad_message"),
        ("PUT", "/api/admin/departments/civil", {"name": "x", "ticket_prefix": "A"},
         409, "conflict"),
        ("POST", "/api/admin/booths", {"name": "   ", "region_code": "330110"},
         400, "bad_message"),
        ("POST", "/api/admin/booths", {"name": "x", "region_code": "abc"},
         400, "bad_message"),
        ("GET", "/api/admin/audit?after=x", None, 400, "bad_message"),
    ):
        data = await env.call(method, path, body, token=admin, expect=status)
        assert_error(data, code)
    catalog = await env.call("GET", "/api/catalog")
    assert {d["id"] for d in catalog["departments"]} >= {"housing", "market"}
    assert "civil" not in {d["id"] for d in catalog["departments"]}
    assert (await env.call("GET", "/api/admin/audit/verify", token=admin))["ok"] is True
    await hub_healthy(env)


# ---------------------------------------------------------------- observation


async def test_healthz_metrics_and_unknown_routes(env: HubEnv) -> None:
    health = await env.call("GET", "/healthz")
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["connections"] == 0 and health["calls"] == 0
    _, booth_token = await env.add_booth()
    await env.connect(booth_token)
    await env.agent("zhang", ["housing"])
    assert env.http is not None
    async with env.http.get(env.base + "/metrics") as resp:
        assert resp.status == 200 and resp.content_type == "text/plain"
        text = await resp.text()
    lines = text.splitlines()
    assert 'xiaowu_connections{role="booth"} 1' in lines
    assert 'xiaowu_connections{role="agent"} 1' in lines
    assert 'xiaowu_connections{role="admin"} 0' in lines
    assert "# TYPE xiaowu_connections gauge" in lines
    assert "# TYPE xiaowu_frames_in_total counter" in lines
    assert 'xiaowu_queue_waiting{department="housing"} 0' in lines
    assert 'xiaowu_logins_total{result="ok"} 2' in lines
    assert (await env.call("GET", "/healthz"))["connections"] == 2

    for method, path in (("GET", "/api/nope"), ("POST", "/api/admin/nope"), ("GET", "/x")):
        data = await env.call(method, path, token=env.admin_token, expect=404)
        assert_error(data, "not_found")


async def test_deactivating_a_service_during_its_call(env: HubEnv) -> None:
    agent, _ = await env.agent("zhang", ["housing"])
    await env.call("PUT", "/api/admin/services/housing.test_rent",
                   {"department_id": "housing", "name": "测试租赁"}, token=env.admin_token)
    _, token = await env.add_booth()
    booth = await env.connect(token)
    await booth.request("ticket.create", {"service_id": "housing.test_rent"})
    offer = await agent.expect("ticket.offer")
    await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    call_id = (await booth.expect("call.start"))["data"]["call_id"]
    await env.call("DELETE", "/api/admin/services/housing.test_rent", token=env.admin_token)
    ended = await agent.request("call.end", {"call_id": call_id})
    assert ended["type"] == "ok", ended
    await booth.expect("call.ended", call_id=call_id)
    await agent.expect("agent.state", state="wrap_up")
    await hub_healthy(env)


async def test_a_request_queued_behind_a_revocation_has_no_effect(env: HubEnv) -> None:
    booth_id, token = await env.add_booth()
    booth = await env.connect(token)
    catalog = await env.call("GET", "/api/catalog")
    service = catalog["departments"][0]["services"][0]["id"]
    hub = env.hub
    async with hub.lock:  # line both up behind the lock: first the revocation, then the frame
        revoke = asyncio.create_task(hub.revoke_booth(booth_id))
        await asyncio.sleep(0.05)
        await booth.send("ticket.create", {"service_id": service})
        await asyncio.sleep(0.2)  # the frame is read and its handler waits for the lock
    await revoke
    assert await closed_with(booth, 2.0) == 4403
    await asyncio.sleep(0.2)
    assert [t.ticket_id for t in hub.dispatcher.live_tickets() if t.booth_id == booth_id] == []
