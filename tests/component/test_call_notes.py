"""Call records: the agent's note on a call, the agent's day list and the admin's
call log, over REST on a real hub; the 24 h edit window on the store's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from signaling.store import Conflict, NotFound
from tests.component.test_http_api import assert_error
from tests.harness import HubEnv
from tests.wsclient import WsClient

SERVICE = "housing.provident_fund"


async def served_call(env: HubEnv, agent: WsClient, booth: WsClient) -> str:
    await booth.request("ticket.create", {"service_id": SERVICE})
    offer = await agent.expect("ticket.offer")
    await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    return str((await booth.expect("call.start"))["data"]["call_id"])


async def end_and_rate(agent: WsClient, booth: WsClient, call_id: str, level: int) -> None:
    await agent.request("call.end", {"call_id": call_id, "reason": "done"})
    await booth.expect("rating.request", call_id=call_id)
    await booth.request("rating.submit", {"call_id": call_id, "level": level})
    await agent.request("agent.state", {"state": "available"})


async def test_notes_during_and_after_the_call_and_the_day_lists(env: HubEnv) -> None:
    agent, token = await env.agent("zhang", ["housing"])
    other_token = await env.add_agent("li", ["housing"])
    _, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    call_id = await served_call(env, agent, booth)
    path = f"/api/calls/{call_id}/notes"

    first = await env.call("PUT", path, {"outcome": "materials_missing",
                                         "notes": "  缺婚姻证明，已告知下次携带。 "}, token=token)
    assert first["notes"] == "缺婚姻证明，已告知下次携带。" and first["ended_at"] is None
    assert (first["ticket_number"], first["service"]["id"]) == ("A001", SERVICE)
    assert first["booth"]["name"] == "石门镇新村村便民服务站"
    await end_and_rate(agent, booth, call_id, 4)
    second = await env.call("PUT", path, {"outcome": "resolved", "notes": "已办结"},
                            token=token)
    assert (second["outcome"], second["notes"], second["rating"]) == ("resolved", "已办结", 4)
    assert second["duration_s"] is not None

    # who may write, and what
    assert_error(await env.call("PUT", path, {"outcome": "resolved"}, token=other_token,
                                expect=404), "not_found")
    assert_error(await env.call("PUT", path, {"outcome": "resolved"}, token=booth_token,
                                expect=403), "forbidden")
    assert_error(await env.call("PUT", path, {"outcome": "resolved"}, token=env.admin_token,
                                expect=403), "forbidden")
    assert_error(await env.call("PUT", path, {"outcome": "done-ish"}, token=token,
                                expect=400), "bad_message")
    assert_error(await env.call("PUT", path, {"outcome": "resolved", "notes": "x" * 2001},
                                token=token, expect=400), "bad_message")
    assert_error(await env.call("PUT", "/api/calls/cal_nope/notes", {"outcome": "resolved"},
                                token=token, expect=404), "not_found")

    mine = (await env.call("GET", "/api/agent/calls", token=token))["calls"]
    assert [(c["call_id"], c["outcome"], c["rating"]) for c in mine] == [
        (call_id, "resolved", 4)]
    assert (await env.call("GET", "/api/agent/calls", token=other_token))["calls"] == []

    # a second call; the admin's log is newest first and filters by agent
    call2 = await served_call(env, agent, booth)
    await end_and_rate(agent, booth, call2, 5)
    log = (await env.call("GET", "/api/admin/calls", token=env.admin_token))["calls"]
    assert [c["call_id"] for c in log] == [call2, call_id]
    assert log[1]["notes"] == "已办结" and log[0]["notes"] is None
    assert log[0]["agent"]["name"] == "zhang"
    page = await env.call("GET", f"/api/admin/calls?limit=1&before={quote(log[0]['started_at'])}",
                          token=env.admin_token)
    assert [c["call_id"] for c in page["calls"]] == [call_id]
    yesterday = (datetime.now(env.hub.store.service_tz) - timedelta(days=1)).date()
    assert (await env.call("GET", f"/api/admin/calls?day={yesterday}",
                           token=env.admin_token))["calls"] == []
    for bad in ("day=2026-13-01", "before=yesterday", "before=2026-11-28T10:00:00",
                "limit=x"):
        assert_error(await env.call("GET", f"/api/admin/calls?{bad}", token=env.admin_token,
                                    expect=400), "bad_message")
    assert_error(await env.call("GET", "/api/admin/calls", token=token, expect=403),
                 "forbidden")

    # the audit keeps the outcome and size, never the text
    rows = (await env.call("GET", "/api/admin/audit?action=call.notes",
                           token=env.admin_token))["rows"]
    assert [r["detail"] for r in rows] == [{"outcome": "materials_missing", "chars": 14},
                                           {"outcome": "resolved", "chars": 3}]
    assert all("婚姻" not in str(r) for r in rows)
    reads = (await env.call("GET", "/api/admin/audit?action=calls.read",
                            token=env.admin_token))["rows"]
    assert [r["detail"]["rows"] for r in reads] == [2, 1, 0]  # every read of the log
    assert reads[0]["actor"].startswith("admin:")


async def test_the_note_closes_a_day_after_the_call(env: HubEnv) -> None:
    agent, token = await env.agent("zhang", ["housing"])
    _, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    call_id = await served_call(env, agent, booth)
    await end_and_rate(agent, booth, call_id, 5)
    store = env.hub.store
    ended = (await store.get_call(call_id)).ended_at
    assert ended is not None
    me: dict[str, Any] = await env.call("GET", "/api/me", token=token)
    late = ended + timedelta(hours=23, minutes=59)
    saved = await store.save_call_note(call_id, me["id"], "resolved", "补记", now=late)
    assert saved.notes == "补记"
    with pytest.raises(Conflict):
        await store.save_call_note(call_id, me["id"], "resolved", "太晚",
                                   now=ended + timedelta(hours=24, seconds=1))
    with pytest.raises(NotFound):
        await store.save_call_note(call_id, "usr_other", "resolved", "", now=late)
    assert (await store.agent_day_calls(me["id"], now=datetime.now(UTC)))[0].notes == "补记"


async def test_service_report_over_rest(env: HubEnv) -> None:
    await _service_report(env)


async def test_notes_and_report_on_postgresql(pg_env: HubEnv) -> None:
    """The same queries (outer joins, partitioned streaming, audit prefix filter) on
    PostgreSQL, the production store."""
    assert pg_env.hub.store.dialect == "postgresql"
    await _service_report(pg_env)
    rows = (await pg_env.call("GET", "/api/admin/audit?action=call.notes",
                              token=pg_env.admin_token))["rows"]
    assert [r["detail"]["outcome"] for r in rows] == ["resolved"]
    await pg_env.hub.flush_presence()  # the batched last-seen write
    booths = (await pg_env.call("GET", "/api/admin/booths", token=pg_env.admin_token))
    assert booths["booths"][0]["last_seen_at"] is not None


async def _service_report(env: HubEnv) -> None:
    agent, token = await env.agent("zhang", ["housing"])
    _, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    first = await served_call(env, agent, booth)
    await env.call("PUT", f"/api/calls/{first}/notes", {"outcome": "resolved"}, token=token)
    await end_and_rate(agent, booth, first, 5)
    second = await served_call(env, agent, booth)
    await end_and_rate(agent, booth, second, 1)
    await agent.request("agent.state", {"state": "away"})
    waiting = await booth.request("ticket.create", {"service_id": SERVICE})
    await booth.request("ticket.cancel", {"ticket_id": waiting["data"]["ticket_id"]})

    report = await env.call("GET", "/api/admin/report?by=agent", token=env.admin_token)
    today = datetime.now(env.hub.store.service_tz).date()
    assert (report["from"], report["to"]) == (str(today - timedelta(days=6)), str(today))
    by_key = {r["key"]: r for r in report["rows"]}
    zhang = next(r for r in report["rows"] if r["label"] == "zhang")
    assert (zhang["tickets"], zhang["handled"], zhang["calls"], zhang["rated"]) == (2, 2, 2, 2)
    assert (zhang["satisfaction"], zhang["dissatisfied"]) == (0.5, 1)
    assert zhang["outcomes"] == {"resolved": 1} and zhang["avg_wait_s"] is not None
    assert by_key[""]["cancelled"] == 1  # never reached an agent
    total = report["total"]
    assert (total["tickets"], total["handled"], total["cancelled"], total["calls"]) == (
        3, 2, 1, 2)
    days = await env.call("GET", f"/api/admin/report?from={today}&to={today}",
                          token=env.admin_token)
    assert [r["key"] for r in days["rows"]] == [str(today)]
    assert days["rows"][0]["tickets"] == 3
    depts = await env.call("GET", "/api/admin/report?by=department", token=env.admin_token)
    assert [(r["key"], r["label"]) for r in depts["rows"]] == [("housing", "住房和城乡建设局")]
    before = today - timedelta(days=30)
    empty = await env.call("GET", f"/api/admin/report?from={before}&to={before}",
                           token=env.admin_token)
    assert empty["rows"] == [] and empty["total"]["tickets"] == 0
    for bad in ("by=week", "from=2026-02-30", f"from={today}&to={before}",
                f"from={today - timedelta(days=400)}&to={today}"):
        assert_error(await env.call("GET", f"/api/admin/report?{bad}", token=env.admin_token,
                                    expect=400), "bad_message")
    assert_error(await env.call("GET", "/api/admin/report", token=token, expect=403),
                 "forbidden")


async def test_poor_ratings_are_followed_up(env: HubEnv) -> None:
    agent, token = await env.agent("zhang", ["housing"])
    _, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    poor = await served_call(env, agent, booth)
    await env.call("PUT", f"/api/calls/{poor}/notes",
                   {"outcome": "materials_missing", "notes": "缺户口簿"}, token=token)
    await agent.request("call.end", {"call_id": poor, "reason": "done"})
    await booth.expect("rating.request", call_id=poor)
    await booth.request("rating.submit", {"call_id": poor, "level": 1,
                                          "reasons": ["reason.waiting"], "comment": "等太久"})
    await agent.request("agent.state", {"state": "available"})
    good = await served_call(env, agent, booth)
    await end_and_rate(agent, booth, good, 5)

    admin = env.admin_token
    [open_one] = (await env.call("GET", "/api/admin/poor-ratings", token=admin))["ratings"]
    assert (open_one["call_id"], open_one["level"], open_one["reasons"]) == (
        poor, 1, ["reason.waiting"])
    assert (open_one["comment"], open_one["outcome"], open_one["notes"]) == (
        "等太久", "materials_missing", "缺户口簿")
    assert open_one["followup"] is None and open_one["booth"] == "石门镇新村村便民服务站"

    path = f"/api/admin/poor-ratings/{poor}/followup"
    for bad in ({"note": ""}, {"note": "x" * 1001}, {}):
        assert_error(await env.call("POST", path, bad, token=admin, expect=400),
                     "bad_message")
    assert_error(await env.call("POST", f"/api/admin/poor-ratings/{good}/followup",
                                {"note": "?"}, token=admin, expect=409), "conflict")
    assert_error(await env.call("POST", "/api/admin/poor-ratings/cal_x/followup",
                                {"note": "?"}, token=admin, expect=404), "not_found")
    assert_error(await env.call("POST", path, {"note": "?"}, token=token, expect=403),
                 "forbidden")
    done = await env.call("POST", path, {"note": " 已电话回访，增开上午窗口。 "}, token=admin)
    assert done == {"call_id": poor, "followed_up": True}
    assert (await env.call("GET", "/api/admin/poor-ratings", token=admin))["ratings"] == []
    [closed] = (await env.call("GET", "/api/admin/poor-ratings?open=0",
                               token=admin))["ratings"]
    assert closed["followup"]["note"] == "已电话回访，增开上午窗口。"
    assert closed["followup"]["by"] == "管理员"
    assert_error(await env.call("GET", "/api/admin/poor-ratings?open=maybe", token=admin,
                                expect=400), "bad_message")
    actions = [r["action"] for r in (await env.call(
        "GET", "/api/admin/audit?order=desc&limit=20", token=admin))["rows"]]
    assert "rating.followup" in actions and actions.count("ratings.read") == 3  # each read
