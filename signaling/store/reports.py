"""The facts behind service reports: tickets that ended and calls that started in a
range of service days, with names resolved (aggregation is :mod:`signaling.report`)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import aliased

from signaling.report import CallFact, TicketFact

from .base import StoreBase
from .tables import Call, CallNote, Department, Rating, Service, Ticket, User

__all__ = ["ReportOps"]

_ENDED = ("done", "abandoned", "cancelled")


class ReportOps(StoreBase):
    def _range(self, first: date, last: date) -> tuple[datetime, datetime]:
        """UTC bounds of the service days ``first`` .. ``last`` (inclusive)."""
        start, _ = self._day_bounds(datetime.combine(first, time(12), self._tz))
        _, end = self._day_bounds(datetime.combine(last, time(12), self._tz))
        return start, end

    async def report_facts(
        self, first: date, last: date
    ) -> tuple[list[TicketFact], list[CallFact]]:
        start, end = self._range(first, last)
        agent = aliased(User)
        tq = (
            select(Ticket, Department.name, Service.name, agent.display_name)
            .join(Department, Department.id == Ticket.department_id)
            .join(Service, Service.id == Ticket.service_id)
            .outerjoin(agent, agent.id == Ticket.agent_id)
            .where(Ticket.ended_at >= start, Ticket.ended_at < end, Ticket.state.in_(_ENDED))
        )
        cq = (
            select(Call, Ticket.department_id, Department.name, Ticket.service_id,
                   Service.name, User.display_name, Rating.level, CallNote.outcome)
            .join(Ticket, Ticket.id == Call.ticket_id)
            .join(Department, Department.id == Ticket.department_id)
            .join(Service, Service.id == Ticket.service_id)
            .join(User, User.id == Call.agent_id)
            .outerjoin(Rating, Rating.call_id == Call.id)
            .outerjoin(CallNote, CallNote.call_id == Call.id)
            .where(Call.started_at >= start, Call.started_at < end)
        )
        async with self._db.read() as s:
            tickets = [
                TicketFact(
                    day=self._day_of(t.ended_at), department=(t.department_id, dept),
                    service=(t.service_id, svc),
                    agent=(t.agent_id, name or t.agent_id) if t.agent_id else None,
                    state=t.state,
                    wait_s=(None if t.called_at is None
                            else max(0.0, (t.called_at - t.enqueued_at).total_seconds())))
                for t, dept, svc, name in (await s.execute(tq)).all()
                if t.ended_at is not None
            ]
            calls = [
                CallFact(day=self._day_of(c.started_at), department=(dept_id, dept),
                         service=(svc_id, svc), agent=(c.agent_id, name),
                         duration_s=c.duration_s, rating=level, outcome=outcome)
                for c, dept_id, dept, svc_id, svc, name, level, outcome
                in (await s.execute(cq)).all()
            ]
        return tickets, calls
