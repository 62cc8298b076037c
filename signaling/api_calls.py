"""Call records over REST: the agent's note on a call (办件记录) and the agent's own
calls of the day. The admin's call log is in ``api_admin``; both share the JSON here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from signaling.api import _Body, _body, _identity, _store_input
from signaling.store.call_notes import NOTES_MAX_CHARS
from signaling.store.records import CallSummary
from signaling.ws import HUB_KEY

__all__ = ["call_routes", "summary_json", "iso"]

call_routes = web.RouteTableDef()


class NoteBody(_Body):
    outcome: str = Field(min_length=1, max_length=32)
    notes: str = Field(default="", max_length=NOTES_MAX_CHARS)


def iso(at: datetime | None) -> str | None:
    """An aware time as ISO 8601 for JSON; None stays None."""
    return at.isoformat() if at is not None else None


def summary_json(c: CallSummary) -> dict[str, Any]:
    return {
        "call_id": c.call_id, "ticket_number": c.ticket_number,
        "department_id": c.department_id, "service": {"id": c.service_id, "name": c.service_name},
        "booth": {"id": c.booth_id, "name": c.booth_name},
        "agent": {"id": c.agent_id, "name": c.agent_name},
        "started_at": iso(c.started_at), "ended_at": iso(c.ended_at),
        "duration_s": c.duration_s, "end_reason": c.end_reason, "ended_by": c.ended_by,
        "rating": c.rating,
        "outcome": c.outcome, "notes": c.notes, "notes_updated_at": iso(c.notes_updated_at),
    }


@call_routes.put("/api/calls/{call_id}/notes")
async def put_notes(request: web.Request) -> web.Response:
    """The call's agent records the outcome and a summary (wrap-up, or later that day)."""
    ident = await _identity(request, "agent")
    hub = request.app[HUB_KEY]
    body = await _body(request, NoteBody)
    call_id = request.match_info["call_id"]
    with _store_input():
        saved = await hub.store.save_call_note(call_id, ident.subject_id, body.outcome,
                                               body.notes.strip())
    # the text may name the resident: the audit row keeps its size, the store keeps it
    await hub.store.audit(f"agent:{ident.subject_id}", "call.notes", call_id,
                          {"outcome": body.outcome, "chars": len(body.notes.strip())})
    return web.json_response(summary_json(saved))


@call_routes.get("/api/agent/calls")
async def my_calls(request: web.Request) -> web.Response:
    """The caller's calls of today's service day, oldest first (the console's list)."""
    ident = await _identity(request, "agent")
    hub = request.app[HUB_KEY]
    calls = await hub.store.agent_day_calls(ident.subject_id)
    return web.json_response({"calls": [summary_json(c) for c in calls]})
