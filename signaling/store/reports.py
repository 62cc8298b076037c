"""The facts behind service reports: tickets that ended and calls that started in a
range of service days, with names resolved (aggregation is :mod:`signaling.report`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from signaling.report import CallFact, TicketFact

from .base import StoreBase
from .tables import Call, CallNote, Department, Rating, Service, Ticket, User

__all__ = ["ReportOps"]

_ENDED = ("done", "abandoned", "cancelled")
_PARTITION = 1000


class ReportOps(StoreBase):
    def _range(self, first: date, last: date) -> tuple[datetime, datetime]:
        """UTC bounds of the service days ``first`` .. ``last`` (inclusive)."""
        start, _ = self._day_bounds(datetime.combine(first, time(12), self._tz))
        _, end = self._day_bounds(datetime.combine(last, time(12), self._tz))
        return start, end

    async def report_facts(
        self, first: date, last: date
    ) -> tuple[list[TicketFact], list[CallFact]]:
        """Plain column rows, no ORM objects: a month of a district's calls is tens of
        thousands of rows, and building entities for them cost most of a second."""
        start, end = self._range(first, last)
        agent = aliased(User)
        tq = (
            select(Ticket.ended_at, Ticket.department_id, Department.name, Ticket.service_id,
                   Service.name, Ticket.agent_id, agent.display_name, Ticket.state,
                   Ticket.enqueued_at, Ticket.called_at)
            .join(Department, Department.id == Ticket.department_id)
            .join(Service, Service.id == Ticket.service_id)
            .outerjoin(agent, agent.id == Ticket.agent_id)
            .where(Ticket.ended_at >= start, Ticket.ended_at < end, Ticket.state.in_(_ENDED))
        )
        cq = (
            select(Call.started_at, Ticket.department_id, Department.name, Ticket.service_id,
                   Service.name, Call.agent_id, User.display_name, Call.duration_s,
                   Rating.level, CallNote.outcome)
            .join(Ticket, Ticket.id == Call.ticket_id)
            .join(Department, Department.id == Ticket.department_id)
            .join(Service, Service.id == Ticket.service_id)
            .join(User, User.id == Call.agent_id)
            .outerjoin(Rating, Rating.call_id == Call.id)
            .outerjoin(CallNote, CallNote.call_id == Call.id)
            .where(Call.started_at >= start, Call.started_at < end)
        )
        async with self._db.read() as s:
            ticket_rows = await _fetch(s, tq)
            call_rows = await _fetch(s, cq)
        # tens of thousands of rows: built off the event loop so signaling never waits
        return await asyncio.to_thread(_facts, ticket_rows, call_rows, self._tz)


async def _fetch(s: AsyncSession, query: Any) -> list[Any]:
    """All rows, read in partitions with a pause between them: the hub's other work
    (signaling, heartbeats) runs between partitions instead of waiting for the whole
    month of rows to be decoded."""
    rows: list[Any] = []
    result = await s.stream(query.execution_options(yield_per=_PARTITION))
    async for part in result.partitions():
        rows.extend(part)
        await asyncio.sleep(0)
    return rows


def _facts(ticket_rows: Sequence[Any], call_rows: Sequence[Any], tz: tzinfo
           ) -> tuple[list[TicketFact], list[CallFact]]:
    day = _DayOf(tz)
    tickets = [
        TicketFact(
            day=day(ended), department=(dept_id, dept),
            service=(svc_id, svc),
            agent=(agent_id, name or agent_id) if agent_id else None, state=state,
            wait_s=(None if called is None
                    else max(0.0, (called - queued).total_seconds())))
        for ended, dept_id, dept, svc_id, svc, agent_id, name, state, queued, called
        in ticket_rows if ended is not None
    ]
    calls = [
        CallFact(day=day(started), department=(dept_id, dept), service=(svc_id, svc),
                 agent=(agent_id, name), duration_s=duration, rating=level,
                 outcome=outcome)
        for started, dept_id, dept, svc_id, svc, agent_id, name, duration, level, outcome
        in call_rows
    ]
    return tickets, calls


class _DayOf:
    """The service day of an instant, remembered per quarter hour of UTC (every time
    zone's offset is a whole number of quarter hours), so a month of rows costs a few
    thousand zone conversions, not one per row."""

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        self._cache: dict[tuple[int, int, int, int, int], str] = {}

    def __call__(self, at: datetime) -> str:
        if at.tzinfo is None:  # SQLite hands back naive UTC
            at = at.replace(tzinfo=UTC)
        key = (at.year, at.month, at.day, at.hour, at.minute // 15)
        got = self._cache.get(key)
        if got is None:
            got = self._cache[key] = at.astimezone(self._tz).date().isoformat()
        return got
