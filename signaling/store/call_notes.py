"""The agent's record of each call (办件记录) and the call lists built on it: an
agent's own day, and the admin's call log by service day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, get_args

from sqlalchemy import select

from signaling.protocol import CallOutcome

from .base import StoreBase
from .errors import Conflict, NotFound
from .records import CallSummary
from .tables import Booth, Call, CallNote, Rating, Service, Ticket, User

__all__ = ["CallNoteOps", "OUTCOMES", "NOTES_MAX_CHARS", "NOTES_EDITABLE_FOR"]

OUTCOMES: tuple[str, ...] = get_args(CallOutcome)
NOTES_MAX_CHARS = 2000
NOTES_EDITABLE_FOR = timedelta(hours=24)
"""How long after the call ended its agent may still correct the note."""


def _summary_query() -> Any:  # a 9-column Select; its generic spelling varies by version
    return (
        select(Call, Ticket.number, Ticket.department_id, Ticket.service_id, Service.name,
               Booth.name, User.display_name, Rating.level, CallNote)
        .join(Ticket, Ticket.id == Call.ticket_id)
        .join(Service, Service.id == Ticket.service_id)
        .join(Booth, Booth.id == Call.booth_id)
        .join(User, User.id == Call.agent_id)
        .outerjoin(Rating, Rating.call_id == Call.id)
        .outerjoin(CallNote, CallNote.call_id == Call.id)
    )


def _summary(row: Any) -> CallSummary:
    call, number, dept, service_id, service, booth, agent, level, note = row
    return CallSummary(
        call_id=call.id, ticket_number=number, department_id=dept, service_id=service_id,
        service_name=service, booth_id=call.booth_id, booth_name=booth,
        agent_id=call.agent_id, agent_name=agent, started_at=call.started_at,
        ended_at=call.ended_at, duration_s=call.duration_s, end_reason=call.end_reason,
        ended_by=call.ended_by, rating=level, outcome=note.outcome if note else None,
        notes=note.notes if note else None,
        notes_updated_at=note.updated_at if note else None)


class CallNoteOps(StoreBase):
    async def save_call_note(
        self, call_id: str, agent_id: str, outcome: str, notes: str,
        now: datetime | None = None,
    ) -> CallSummary:
        """Write (or replace) the call's note. Only the call's agent may, during the
        call and up to ``NOTES_EDITABLE_FOR`` after it ended: ``NotFound`` for another
        agent's call (its existence is not theirs to learn), ``Conflict`` once closed;
        ``ValueError`` for an unknown outcome or a note over ``NOTES_MAX_CHARS``."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        if len(notes) > NOTES_MAX_CHARS:
            raise ValueError(f"notes are at most {NOTES_MAX_CHARS} characters")
        at = self._now(now)
        async with self._db.write() as s:
            call = await s.get(Call, call_id)
            if call is None or call.agent_id != agent_id:
                raise NotFound(f"no call {call_id!r} of this agent")
            if call.ended_at is not None and at - call.ended_at > NOTES_EDITABLE_FOR:
                raise Conflict("the call's note can no longer be changed")
            note = await s.get(CallNote, call_id)
            if note is None:
                s.add(CallNote(call_id=call_id, outcome=outcome, notes=notes, updated_at=at,
                               updated_by=agent_id))
            else:
                note.outcome, note.notes, note.updated_at = outcome, notes, at
            await s.flush()
            row = (await s.execute(_summary_query().where(Call.id == call_id))).one()
            return _summary(row)

    async def agent_day_calls(
        self, agent_id: str, now: datetime | None = None
    ) -> list[CallSummary]:
        """The agent's calls started during today's service day, oldest first."""
        start, end = self._day_bounds(self._now(now))
        q = (_summary_query()
             .where(Call.agent_id == agent_id, Call.started_at >= start, Call.started_at < end)
             .order_by(Call.started_at, Call.id))
        async with self._db.read() as s:
            return [_summary(r) for r in (await s.execute(q)).all()]

    async def calls_of_day(
        self, day: datetime | None = None, *, agent_id: str | None = None,
        limit: int = 200, before: datetime | None = None,
    ) -> list[CallSummary]:
        """Calls started on the service day of ``day`` (default today), newest first,
        optionally of one agent, paged by ``before`` (a started_at)."""
        start, end = self._day_bounds(self._now(day))
        q = _summary_query().where(Call.started_at >= start, Call.started_at < end)
        if agent_id is not None:
            q = q.where(Call.agent_id == agent_id)
        if before is not None:
            q = q.where(Call.started_at < before)
        q = q.order_by(Call.started_at.desc(), Call.id.desc()).limit(max(1, min(limit, 500)))
        async with self._db.read() as s:
            return [_summary(r) for r in (await s.execute(q)).all()]
