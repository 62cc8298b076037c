"""The fleet view and booth presence, without sockets or a store."""

from __future__ import annotations

import datetime as dt
from typing import Any

from signaling.calls import Call
from signaling.fleet import FleetInputs, booth_rows, summary
from signaling.presence import Presence
from signaling.queue import Priority, TicketState, TicketView
from signaling.store.records import BoothRecord

NOW = 1_800_000_000.0
T0 = dt.datetime.fromtimestamp(NOW - 86_400, dt.UTC)


def booth(bid: str, *, token: bool = True, revoked: bool = False, region: str = "330110101001",
          seen: float | None = None) -> BoothRecord:
    return BoothRecord(
        id=bid, name=f"站 {bid}", region_code=region, region_name="新村村", created_at=T0,
        revoked_at=T0 if revoked else None, enrolled_at=T0 if token else None,
        device_info=None,
        last_seen_at=None if seen is None else dt.datetime.fromtimestamp(seen, dt.UTC),
        has_token=token)


def ticket(bid: str, state: TicketState, **kw: Any) -> TicketView:
    base: dict[str, Any] = dict(
        ticket_id=f"tkt_{bid}", number="A003", department_id="housing",
        priority=Priority.NORMAL, state=state, position=2, eta_s=300, booth_id=bid,
        agent_id=None, suspended=False, enqueued_at=NOW - 120)
    base.update(kw)
    return TicketView(**base)


def inputs(**kw: Any) -> FleetInputs:
    base: dict[str, Any] = dict(
        booths=[], connected=frozenset(), held=frozenset(), status={}, seen={}, tickets=[],
        calls=[], departments={"housing": "住建"}, now=NOW, stale_after_s=60.0)
    base.update(kw)
    return FleetInputs(**base)


def test_health_link_and_problems() -> None:
    good = {"camera": "ok", "scanner": "ok", "at": NOW - 5}
    rows = booth_rows(inputs(
        booths=[booth("a"), booth("b"), booth("c"), booth("d", token=False),
                booth("e", revoked=True), booth("f"), booth("g")],
        connected=frozenset({"a", "b", "f"}), held=frozenset({"c"}),
        status={"a": good, "b": {"camera": "missing", "scanner": "error", "mic": "ok",
                                 "speaker": "missing", "at": NOW - 5},
                "f": {**good, "at": NOW - 61}}))
    by_id = {r["id"]: r for r in rows}
    assert [r["id"] for r in rows] == list("abcdefg")  # the store's order
    assert (by_id["a"]["health"], by_id["a"]["link"], by_id["a"]["problems"]) == (
        "ok", "online", [])
    assert by_id["b"]["health"] == "attention"
    assert by_id["b"]["problems"] == ["camera_missing", "scanner_error", "speaker_missing"]
    assert (by_id["c"]["health"], by_id["c"]["link"]) == ("attention", "reconnecting")
    assert by_id["c"]["problems"] == []  # problems are judged only while connected
    assert by_id["d"]["health"] == "not_enrolled"
    assert by_id["e"]["health"] == "revoked"
    assert by_id["f"]["problems"] == ["status_stale"]
    assert (by_id["g"]["health"], by_id["g"]["online"]) == ("offline", False)


def test_online_booth_without_status_needs_attention() -> None:
    [row] = booth_rows(inputs(booths=[booth("a")], connected=frozenset({"a"})))
    assert (row["health"], row["problems"], row["status"]) == ("attention", ["no_status"], None)


def test_last_seen_prefers_the_newest_and_is_now_while_online() -> None:
    rows = booth_rows(inputs(
        booths=[booth("a", seen=NOW - 500), booth("b", seen=NOW - 500), booth("c"),
                booth("d", seen=NOW - 50)],
        connected=frozenset({"d"}), seen={"a": NOW - 100, "b": NOW - 900}))
    seen = {r["id"]: r["last_seen_at"] for r in rows}
    iso = lambda t: dt.datetime.fromtimestamp(t, dt.UTC).isoformat()  # noqa: E731
    assert seen == {"a": iso(NOW - 100), "b": iso(NOW - 500), "c": None, "d": iso(NOW)}


def test_activity_waiting_offered_and_in_call() -> None:
    call = Call(call_id="cal_1", ticket_id="tkt_c", booth_id="c", agent_id="usr_z",
                started_at=NOW - 30)
    rows = booth_rows(inputs(
        booths=[booth("a"), booth("b"), booth("c"), booth("d")],
        connected=frozenset("abcd"),
        tickets=[ticket("a", TicketState.WAITING, suspended=True),
                 ticket("b", TicketState.OFFERED, agent_id="usr_y"),
                 ticket("c", TicketState.SERVING, agent_id="usr_z", position=0)],
        calls=[call]))
    act = {r["id"]: r["activity"] for r in rows}
    assert act["a"]["state"] == "waiting" and act["a"]["suspended"] is True
    assert act["a"]["ticket_number"] == "A003" and act["a"]["department_name"] == "住建"
    assert act["b"]["state"] == "offered"
    assert act["c"]["state"] == "in_call" and act["c"]["call_id"] == "cal_1"
    assert act["c"]["agent_id"] == "usr_z"
    assert act["c"]["since"] == dt.datetime.fromtimestamp(NOW - 30, dt.UTC).isoformat()
    assert act["d"] == {"state": "idle"}


def test_summary_counts() -> None:
    rows = booth_rows(inputs(
        booths=[booth("a"), booth("b", region="330110102001"), booth("c"),
                booth("d", revoked=True)],
        connected=frozenset({"a", "b"}),
        status={"a": {"camera": "ok", "at": NOW}, "b": {"camera": "error", "at": NOW}},
        tickets=[ticket("a", TicketState.WAITING)]))
    s = summary(rows)
    assert s["total"] == 4
    assert s["health"] == {"ok": 1, "attention": 1, "offline": 1, "not_enrolled": 0,
                           "revoked": 1}
    assert s["activity"] == {"idle": 1, "waiting": 1, "offered": 0, "in_call": 0}
    assert [(r["region_code"], r["total"], r["online"]) for r in s["regions"]] == [
        ("330110101001", 2, 1), ("330110102001", 1, 1)]


def test_presence_batches_only_what_moved() -> None:
    p = Presence()
    p.saw("a", 10.0)
    p.saw("b", 11.0)
    p.saw("a", 9.0)  # an older sighting never moves the time back
    assert p.take_dirty() == {"a": 10.0, "b": 11.0}
    assert p.take_dirty() == {}
    p.saw("a", 12.0)
    batch = p.take_dirty()
    p.put_back(batch)  # the write failed: retried on the next flush
    assert p.take_dirty() == {"a": 12.0}
    p.saw("b", 13.0)
    stale = {"b": 11.0}
    p.put_back(stale)  # moved on since that batch: the newer value is what is dirty
    assert p.take_dirty() == {"b": 13.0}
