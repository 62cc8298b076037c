"""Admin REST (``/api/admin/``, admin bearer): booths and the fleet, agents, the
service catalog, the audit log and today's figures. The admin console (``/admin/``)
and ``xiaowu-admin`` are its clients. Every change is audited with the admin as actor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from typing import Any

from aiohttp import web
from pydantic import Field

from signaling.api import HttpError, _Body, _body, _dept_json, _identity, _store_input
from signaling.api_calls import iso, summary_json
from signaling.fleet import STATUS_STALE_HEARTBEATS, FleetInputs, booth_rows, summary
from signaling.report import GROUPINGS, MAX_DAYS, aggregate, satisfaction
from signaling.store import Identity
from signaling.store import errors as se
from signaling.store.followups import FOLLOWUP_MAX_CHARS
from signaling.ws import HUB_KEY

__all__ = ["admin_routes"]

admin_routes = web.RouteTableDef()
routes = admin_routes  # the handlers below register on this table



class BoothBody(_Body):
    name: str = Field(min_length=1, max_length=100)
    region_code: str = Field(pattern=r"^[0-9]{6,12}$")
    region_name: str | None = Field(default=None, max_length=200)


class AgentBody(_Body):
    username: str = Field(pattern=r"^[A-Za-z0-9_.\-]{2,64}$")
    password: str = Field(min_length=8, max_length=256)
    skills: list[str] = Field(default_factory=list, max_length=50)
    display_name: str | None = Field(default=None, max_length=100)


class SkillsBody(_Body):
    skills: list[str] = Field(max_length=50)


class DepartmentBody(_Body):
    name: str = Field(min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    ticket_prefix: str = Field(pattern=r"^[A-Z]$")
    sort_order: int = 0


class Material(_Body):
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    copies: int | None = Field(default=None, ge=1, le=20)
    note: str | None = Field(default=None, max_length=300)


class ServiceBody(_Body):
    department_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    name_en: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    materials: list[Material] = Field(default_factory=list, max_length=50)
    sort_order: int = 0


class FollowupBody(_Body):
    note: str = Field(min_length=1, max_length=FOLLOWUP_MAX_CHARS)


class PasswordBody(_Body):
    password: str = Field(min_length=8, max_length=256)




async def _admin(request: web.Request) -> tuple[Identity, str]:
    ident = await _identity(request, "admin")
    return ident, f"admin:{ident.subject_id}"


@routes.post("/api/admin/booths")
async def admin_booth_add(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    body = await _body(request, BoothBody)
    with _store_input():
        booth_id, code = await hub.store.create_booth(
            body.name, body.region_code, body.region_name,
            code_ttl_s=hub.settings.enrollment_ttl_s)
    await hub.store.audit(actor, "booth.create", booth_id,
                          {"name": body.name, "region_code": body.region_code})
    expires = time.time() + hub.settings.enrollment_ttl_s
    return web.json_response({"booth_id": booth_id, "enrollment_code": code,
                              "expires_at": _iso(expires)}, status=201)


@routes.get("/api/admin/booths")
async def admin_booth_list(request: web.Request) -> web.Response:
    """The fleet: every booth with its link, health, problems, last sign of life and
    what it is doing now (waiting ticket, call), plus the counts a dashboard shows."""
    await _admin(request)
    hub = request.app[HUB_KEY]
    booths = await hub.store.list_booths()
    sessions = [s for s in hub.sessions.all() if s.kind == "booth"]
    connected = frozenset(s.subject_id for s in sessions if ("booth", s.subject_id) in hub.conns)
    rows = booth_rows(FleetInputs(
        booths=booths, connected=connected,
        held=frozenset(s.subject_id for s in sessions) - connected,
        status=hub.booth_status, seen=hub.presence.seen,
        tickets=hub.dispatcher.live_tickets(), calls=hub.calls.all(),
        departments=hub.departments, now=hub.clock(),
        stale_after_s=STATUS_STALE_HEARTBEATS * hub.settings.heartbeat_s))
    return web.json_response({"booths": rows, "summary": summary(rows)})


@routes.post("/api/admin/booths/{booth_id}/revoke")
async def admin_booth_revoke(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    booth_id = request.match_info["booth_id"]
    await hub.store.revoke_booth(booth_id)
    await hub.store.audit(actor, "booth.revoke", booth_id, {})
    await hub.revoke_booth(booth_id)
    return web.json_response({"booth_id": booth_id, "revoked": True})


@routes.post("/api/admin/booths/{booth_id}/enrollment")
async def admin_booth_reissue(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    booth_id = request.match_info["booth_id"]
    try:
        code = await hub.store.reissue_enrollment(booth_id, hub.settings.enrollment_ttl_s)
    except se.Revoked as exc:  # the booth's state, not the admin's credential (not a 401)
        raise HttpError("conflict", str(exc)) from exc
    await hub.store.audit(actor, "booth.reissue", booth_id, {})
    await hub.revoke_booth(booth_id)  # the old device token stops working now
    return web.json_response({"booth_id": booth_id, "enrollment_code": code,
                              "expires_at": _iso(time.time() + hub.settings.enrollment_ttl_s)})


@routes.post("/api/admin/agents")
async def admin_agent_add(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    body = await _body(request, AgentBody)
    with _store_input():
        user_id = await hub.store.create_user(body.username, body.password, "agent",
                                              body.skills, body.display_name)
    await hub.store.audit(actor, "agent.create", user_id,
                          {"username": body.username, "skills": body.skills})
    return web.json_response({"user_id": user_id}, status=201)


@routes.get("/api/admin/agents")
async def admin_agent_list(request: web.Request) -> web.Response:
    await _admin(request)
    hub = request.app[HUB_KEY]
    out = []
    for u in await hub.store.list_users():
        state = None
        if u.role == "agent":
            try:
                state = hub.dispatcher.agent(u.id).state.value
            except Exception:
                state = "offline"
        out.append({"id": u.id, "username": u.username, "display_name": u.display_name,
                    "role": u.role, "skills": sorted(u.skills), "disabled": u.disabled,
                    "state": state})
    return web.json_response({"agents": out})


@routes.put("/api/admin/agents/{user_id}/skills")
async def admin_agent_skills(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    body = await _body(request, SkillsBody)
    user_id = request.match_info["user_id"]
    await hub.store.set_user_skills(user_id, body.skills)
    await hub.store.audit(actor, "agent.skills", user_id, {"skills": body.skills})
    await hub.check_revision()
    return web.json_response({"user_id": user_id, "skills": sorted(body.skills)})


@routes.post("/api/admin/agents/{user_id}/disable")
async def admin_agent_disable(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    user_id = request.match_info["user_id"]
    await hub.store.disable_user(user_id)
    await hub.store.audit(actor, "agent.disable", user_id, {})
    await hub.revoke_subject("agent", user_id)
    return web.json_response({"user_id": user_id, "disabled": True})


@routes.post("/api/admin/agents/{user_id}/enable")
async def admin_agent_enable(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    user_id = request.match_info["user_id"]
    await _agent_user(hub, user_id)
    await hub.store.enable_user(user_id)
    await hub.store.audit(actor, "agent.enable", user_id, {})
    return web.json_response({"user_id": user_id, "disabled": False})


@routes.post("/api/admin/agents/{user_id}/password")
async def admin_agent_password(request: web.Request) -> web.Response:
    """A new password (the agent forgot theirs): their sessions end, they log in again."""
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    body = await _body(request, PasswordBody)
    user_id = request.match_info["user_id"]
    await _agent_user(hub, user_id)
    await hub.store.set_user_password(user_id, body.password)
    await hub.store.audit(actor, "user.password", user_id, {})
    await hub.revoke_subject("agent", user_id)
    return web.json_response({"user_id": user_id})


async def _agent_user(hub: Any, user_id: str) -> None:
    """Admins manage agents here; another admin's account is not theirs to change."""
    user = await hub.store.get_user(user_id)
    if user.role != "agent":
        raise HttpError("forbidden", "only agent accounts are managed here")


@routes.get("/api/admin/departments")
async def admin_departments(request: web.Request) -> web.Response:
    await _admin(request)
    hub = request.app[HUB_KEY]
    return web.json_response({"departments": [_admin_dept_json(d)
                                              for d in await hub.store.get_catalog()]})


def _admin_dept_json(d: Any) -> dict[str, Any]:
    """The catalog's JSON plus ``sort_order``, so an edit can keep an item's place."""
    out = _dept_json(d)
    out["sort_order"] = d.sort_order
    for svc_json, svc in zip(out["services"], d.services, strict=True):
        svc_json["sort_order"] = svc.sort_order
    return out


@routes.put("/api/admin/departments/{dept_id}")
async def admin_department_put(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    body = await _body(request, DepartmentBody)
    dept_id = _slug(request.match_info["dept_id"])
    with _store_input():
        await hub.store.upsert_department(dept_id, body.name, body.ticket_prefix,
                                          name_en=body.name_en or "", sort_order=body.sort_order)
    await hub.store.audit(actor, "department.put", dept_id, body.model_dump())
    await hub.check_revision()
    return web.json_response({"id": dept_id})


@routes.put("/api/admin/services/{service_id}")
async def admin_service_put(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    body = await _body(request, ServiceBody)
    service_id = _slug(request.match_info["service_id"])
    with _store_input():
        await hub.store.upsert_service(
            service_id, body.department_id, body.name, name_en=body.name_en or "",
            description=body.description or "",
            materials=[m.model_dump(exclude_none=True) for m in body.materials],
            sort_order=body.sort_order)
    await hub.store.audit(actor, "service.put", service_id, body.model_dump())
    await hub.check_revision()
    return web.json_response({"id": service_id})


@routes.delete("/api/admin/services/{service_id}")
async def admin_service_delete(request: web.Request) -> web.Response:
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    service_id = request.match_info["service_id"]
    await hub.store.deactivate_service(service_id)
    await hub.store.audit(actor, "service.deactivate", service_id, {})
    await hub.check_revision()
    return web.json_response({"id": service_id, "active": False})


@routes.get("/api/admin/calls")
async def admin_calls(request: web.Request) -> web.Response:
    """The call log of one service day (``day=YYYY-MM-DD``, default today), newest
    first, optionally one agent's (``agent=``), paged with ``before=`` (a started_at).
    The agents' notes may name residents: every read is audited."""
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    query = request.query
    try:
        day = (dt.datetime.combine(dt.date.fromisoformat(query["day"]), dt.time(12),
                                   hub.store.service_tz)
               if "day" in query else None)
        before = dt.datetime.fromisoformat(query["before"]) if "before" in query else None
        limit = min(500, max(1, int(query.get("limit", "200"))))
    except ValueError as exc:
        raise HttpError("bad_message", "day is YYYY-MM-DD, before an ISO time, limit an "
                        "integer") from exc
    if before is not None and before.tzinfo is None:
        raise HttpError("bad_message", "before needs a time zone")
    calls = await hub.store.calls_of_day(day, agent_id=query.get("agent") or None,
                                         limit=limit, before=before)
    shown = (day or dt.datetime.now(dt.UTC)).astimezone(hub.store.service_tz).date()
    await hub.store.audit(actor, "calls.read", None,
                          {"day": shown.isoformat(), "agent": query.get("agent") or None,
                           "rows": len(calls)})
    return web.json_response({"day": shown.isoformat(),
                              "calls": [summary_json(c) for c in calls]})


@routes.get("/api/admin/report")
async def admin_report(request: web.Request) -> web.Response:
    """Figures over service days ``from`` .. ``to`` (YYYY-MM-DD, inclusive; default the
    last 7 days) grouped ``by`` day, department, service or agent."""
    await _admin(request)
    hub = request.app[HUB_KEY]
    query = request.query
    today = dt.datetime.now(hub.store.service_tz).date()
    try:
        last = dt.date.fromisoformat(query["to"]) if "to" in query else today
        first = (dt.date.fromisoformat(query["from"]) if "from" in query
                 else last - dt.timedelta(days=6))
    except ValueError as exc:
        raise HttpError("bad_message", "from and to are dates, YYYY-MM-DD") from exc
    by = query.get("by", "day")
    if by not in GROUPINGS:
        raise HttpError("bad_message", f"by is one of {', '.join(GROUPINGS)}")
    if first > last or (last - first).days >= MAX_DAYS:
        raise HttpError("bad_message", f"from .. to is 1 to {MAX_DAYS} days, in order")
    tickets, calls = await hub.store.report_facts(first, last)
    figures = await asyncio.to_thread(aggregate, tickets, calls, by)  # off the event loop
    return web.json_response({"from": first.isoformat(), "to": last.isoformat(), "by": by,
                              **figures})


@routes.get("/api/admin/poor-ratings")
async def admin_poor_ratings(request: web.Request) -> web.Response:
    """Ratings of 1 and 2 (差评), newest first: open ones (``open=1``, the default) or
    all with their follow-up (``open=0``). Reasons, comments and the agents' notes may
    name residents: every read is audited."""
    _, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    open_only = request.query.get("open", "1")
    if open_only not in ("0", "1"):
        raise HttpError("bad_message", "open is 0 or 1")
    rows = await hub.store.poor_ratings(open_only=open_only == "1")
    await hub.store.audit(actor, "ratings.read", None,
                          {"open_only": open_only == "1", "rows": len(rows)})

    return web.json_response({"ratings": [
        {"call_id": r.call_id, "level": r.level, "reasons": list(r.reasons),
         "comment": r.comment, "rated_at": iso(r.rated_at), "ticket_number": r.ticket_number,
         "service": r.service_name, "booth": r.booth_name, "agent": r.agent_name,
         "outcome": r.outcome, "notes": r.notes,
         "followup": None if r.followup_note is None else {
             "note": r.followup_note, "by": r.followup_by, "at": iso(r.followup_at)}}
        for r in rows]})


@routes.post("/api/admin/poor-ratings/{call_id}/followup")
async def admin_poor_rating_followup(request: web.Request) -> web.Response:
    """Record what was done about a poor rating (回访、整改); a second call corrects it."""
    ident, actor = await _admin(request)
    hub = request.app[HUB_KEY]
    body = await _body(request, FollowupBody)
    call_id = request.match_info["call_id"]
    with _store_input():
        await hub.store.record_followup(call_id, ident.subject_id, body.note)
    await hub.store.audit(actor, "rating.followup", call_id,
                          {"chars": len(body.note.strip())})
    return web.json_response({"call_id": call_id, "followed_up": True})


@routes.get("/api/admin/audit")
async def admin_audit(request: web.Request) -> web.Response:
    await _admin(request)
    hub = request.app[HUB_KEY]
    query = request.query
    try:
        after = int(query.get("after", "0"))
        before = int(query["before"]) if "before" in query else None
        limit = min(500, max(1, int(query.get("limit", "100"))))
    except ValueError as exc:
        raise HttpError("bad_message", "after, before and limit must be integers") from exc
    order = query.get("order", "asc")
    if order not in ("asc", "desc"):
        raise HttpError("bad_message", "order is asc or desc")
    action = query.get("action") or None
    if action is not None and (len(action) > 64 or not action.isprintable()):
        raise HttpError("bad_message", "action is a prefix of up to 64 characters")
    rows = await hub.store.list_audit(limit=limit, after_seq=after, before_seq=before,
                                      newest_first=order == "desc", action_prefix=action)
    return web.json_response({"rows": [
        {"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "action": r.action,
         "target": r.target, "detail": r.detail, "hash": r.hash} for r in rows]})


@routes.get("/api/admin/audit/verify")
async def admin_audit_verify(request: web.Request) -> web.Response:
    await _admin(request)
    hub = request.app[HUB_KEY]
    v = await hub.store.verify_audit()
    return web.json_response({"ok": v.ok, "rows": v.rows, "first_broken_seq": v.first_broken_seq,
                              "reason": v.reason})


@routes.get("/api/admin/stats")
async def admin_stats(request: web.Request) -> web.Response:
    await _admin(request)
    hub = request.app[HUB_KEY]
    stats = await hub.store.stats_today()
    agents: dict[str, int] = {}
    for session in hub.sessions.all():
        if session.kind == "agent":
            state = hub.dispatcher.agent(session.subject_id).state.value
            agents[state] = agents.get(state, 0) + 1
    return web.json_response({"today": {**dataclasses.asdict(stats),
                                        "satisfaction": satisfaction(stats.ratings)},
                              "queue": hub._snapshot().model_dump()["departments"],
                              "calls_active": len(hub.calls), "agents": agents})


def _slug(value: str) -> str:
    if not 1 <= len(value) <= 64 or not all(c.isalnum() or c in "._-" for c in value):
        raise HttpError("bad_message", "ids are 1..64 chars of letters, digits, . _ -")
    return value


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()
