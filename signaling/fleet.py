"""The admin's fleet view (pure): each booth's link, health and what it is doing now,
and the counts an operations screen leads with. No I/O: the API gathers the inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from signaling.calls import Call
from signaling.queue import TicketState, TicketView
from signaling.store.records import BoothRecord

__all__ = ["FleetInputs", "booth_rows", "summary", "problems_of", "DEVICE_KEYS", "PROBLEMS",
           "STATUS_STALE_HEARTBEATS"]

Health = Literal["ok", "attention", "offline", "not_enrolled", "revoked"]
Link = Literal["online", "reconnecting", "offline"]

DEVICE_KEYS = ("camera", "scanner", "mic", "speaker")
"""``booth.status`` fields that name a device; ``missing`` / ``error`` there is a problem."""
PROBLEMS = ("no_status", "status_stale",
            *(f"{key}_{bad}" for key in DEVICE_KEYS for bad in ("missing", "error")))
"""Every problem code a connected booth can have."""
STATUS_STALE_HEARTBEATS = 3
"""A connected booth's last ``booth.status`` older than this many heartbeats is flagged."""

_ACTIVITY = {TicketState.WAITING: "waiting", TicketState.OFFERED: "offered",
             TicketState.SERVING: "in_call"}


@dataclass(frozen=True)
class FleetInputs:
    booths: list[BoothRecord]
    connected: frozenset[str]  # booths with a live socket
    held: frozenset[str]  # booths whose socket dropped, session held for resume
    status: Mapping[str, Mapping[str, Any]]  # last booth.status, with "at" (epoch s)
    seen: Mapping[str, float]  # last sign of life (epoch s), newer than the store's
    tickets: list[TicketView]
    calls: list[Call]
    departments: Mapping[str, str]  # id -> name
    now: float
    stale_after_s: float  # a status older than this (while online) is a problem


def _iso(ts: float | None) -> str | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def problems_of(status: Mapping[str, Any] | None, online: bool, now: float,
                stale_after_s: float) -> list[str]:
    """What is wrong with a booth, judged only while it is connected."""
    if not online:
        return []
    if status is None:
        return ["no_status"]
    out = [f"{key}_{status[key]}" for key in DEVICE_KEYS
           if status.get(key) in ("missing", "error")]
    if now - float(status.get("at", now)) > stale_after_s:
        out.append("status_stale")
    return out


def _activity(booth_id: str, tickets: dict[str, TicketView], calls: dict[str, Call],
              departments: Mapping[str, str]) -> dict[str, Any]:
    ticket = tickets.get(booth_id)
    call = calls.get(booth_id)
    if ticket is None:
        return {"state": "idle"}
    out: dict[str, Any] = {
        "state": _ACTIVITY.get(ticket.state, "idle"), "ticket_id": ticket.ticket_id,
        "ticket_number": ticket.number, "department_id": ticket.department_id,
        "department_name": departments.get(ticket.department_id, ticket.department_id),
        "since": _iso(ticket.enqueued_at), "position": ticket.position,
        "suspended": ticket.suspended,
    }
    if call is not None:
        out.update(call_id=call.call_id, agent_id=call.agent_id, since=_iso(call.started_at))
    return out


def booth_rows(inp: FleetInputs) -> list[dict[str, Any]]:
    """One JSON-ready row per booth, in the store's order (creation)."""
    tickets = {t.booth_id: t for t in inp.tickets}
    calls = {c.booth_id: c for c in inp.calls}
    rows = []
    for b in inp.booths:
        link: Link = ("online" if b.id in inp.connected
                      else "reconnecting" if b.id in inp.held else "offline")
        status = inp.status.get(b.id)
        problems = problems_of(status, link == "online", inp.now, inp.stale_after_s)
        health: Health
        if b.revoked:
            health = "revoked"
        elif not b.has_token:
            health = "not_enrolled"
        elif link == "offline":
            health = "offline"
        else:
            health = "attention" if problems or link == "reconnecting" else "ok"
        stored = b.last_seen_at.timestamp() if b.last_seen_at is not None else None
        seen = max((t for t in (stored, inp.seen.get(b.id)) if t is not None), default=None)
        if link == "online":
            seen = inp.now
        rows.append({
            "id": b.id, "name": b.name, "region_code": b.region_code,
            "region_name": b.region_name, "created_at": b.created_at.isoformat(),
            "enrolled": b.enrolled_at is not None, "revoked": b.revoked,
            "online": link == "online", "link": link, "health": health,
            "problems": problems, "last_seen_at": _iso(seen),
            "status": dict(status) if status is not None else None,
            "activity": _activity(b.id, tickets, calls, inp.departments),
        })
    return rows


def summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts by health and by activity, and per region (total / online, revoked
    booths left out of the regions)."""
    by_health: dict[str, int] = dict.fromkeys(
        ("ok", "attention", "offline", "not_enrolled", "revoked"), 0)
    by_activity: dict[str, int] = dict.fromkeys(("idle", "waiting", "offered", "in_call"), 0)
    regions: dict[str, dict[str, Any]] = {}
    total = 0
    for row in rows:
        total += 1
        by_health[row["health"]] += 1
        if row["revoked"]:
            continue
        if row["online"]:
            by_activity[row["activity"]["state"]] += 1
        region = regions.setdefault(row["region_code"], {
            "region_code": row["region_code"], "region_name": row["region_name"],
            "total": 0, "online": 0})
        region["total"] += 1
        region["online"] += bool(row["online"])
    return {"total": total, "health": by_health, "activity": by_activity,
            "regions": sorted(regions.values(), key=lambda r: str(r["region_code"]))}
