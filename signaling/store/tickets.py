"""Tickets (queue numbers) and their atomic per-department, per-day numbering.

A ticket's number is its department's prefix and a counter that restarts each
service day (``A001``, ``A002`` ...; after ``A999`` comes ``A1000``). The
counter row is bumped with one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
in the ticket's own transaction, so two hubs or coroutines never share a number.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .base import StoreBase
from .credentials import new_id
from .errors import NotFound, Revoked
from .meta import upsert
from .records import OPEN_TICKET_STATES, TICKET_STATES, TicketRecord
from .tables import Booth, Department, Service, Ticket, TicketCounter, User, table_of

__all__ = ["TicketOps", "TicketChanges", "PRIORITIES", "ticket_record"]

PRIORITIES = frozenset({"normal", "priority"})


class TicketChanges(TypedDict, total=False):
    """Fields :meth:`TicketOps.update_ticket` may change."""

    state: str
    department_id: str
    service_id: str
    priority: str
    enqueued_at: datetime
    offered_count: int
    called_at: datetime | None
    ended_at: datetime | None
    agent_id: str | None
    end_reason: str | None


def ticket_record(t: Ticket) -> TicketRecord:
    return TicketRecord(
        id=t.id,
        number=t.number,
        department_id=t.department_id,
        service_id=t.service_id,
        booth_id=t.booth_id,
        priority=t.priority,
        state=t.state,
        created_at=t.created_at,
        enqueued_at=t.enqueued_at,
        offered_count=t.offered_count,
        called_at=t.called_at,
        ended_at=t.ended_at,
        agent_id=t.agent_id,
        end_reason=t.end_reason,
    )


def _check_priority(priority: str) -> None:
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {sorted(PRIORITIES)}, got {priority!r}")


def _check_state(state: str) -> None:
    if state not in TICKET_STATES:
        raise ValueError(f"ticket state must be one of {sorted(TICKET_STATES)}, got {state!r}")


async def _next_number(s: AsyncSession, department_id: str, day: str) -> int:
    counters = table_of(TicketCounter)
    stmt = upsert(
        s,
        counters,
        {"department_id": department_id, "day": day, "last_number": 1},
        ["department_id", "day"],
        {"last_number": counters.c.last_number + 1},
    ).returning(counters.c.last_number)
    return int((await s.execute(stmt)).scalar_one())


class TicketOps(StoreBase):
    async def create_ticket(
        self,
        department_id: str,
        service_id: str,
        booth_id: str,
        priority: str = "normal",
        now: datetime | None = None,
    ) -> TicketRecord:
        """A new ``waiting`` ticket with the next number of its department today.

        ``NotFound`` for an unknown department, booth or service, or a service of
        another department; ``Revoked`` for a revoked booth."""
        _check_priority(priority)
        at = self._now(now)
        async with self._db.write() as s:
            dept = await s.get(Department, department_id)
            if dept is None:
                raise NotFound(f"no department {department_id!r}")
            svc = await s.get(Service, service_id)
            if svc is None or svc.department_id != department_id:
                raise NotFound(f"no service {service_id!r} in department {department_id!r}")
            booth = await s.get(Booth, booth_id)
            if booth is None:
                raise NotFound(f"no booth {booth_id!r}")
            if booth.revoked_at is not None:
                raise Revoked(f"booth {booth_id} is revoked")
            n = await _next_number(s, department_id, self._day_of(at))
            ticket = Ticket(
                id=new_id("tkt"),
                number=f"{dept.ticket_prefix}{n:03d}",
                department_id=department_id,
                service_id=service_id,
                booth_id=booth_id,
                priority=priority,
                state="waiting",
                created_at=at,
                enqueued_at=at,
                offered_count=0,
            )
            s.add(ticket)
            await s.flush()
            return ticket_record(ticket)

    async def update_ticket(self, ticket_id: str, **fields: Unpack[TicketChanges]) -> TicketRecord:
        """Change some fields of a ticket and return it as stored.

        The store checks values (state and priority names, known department,
        service and agent, aware datetimes), not transitions: the queue owns those.
        ``called_at`` keeps the first call's time (a transferred ticket's wait is
        until it was first answered)."""
        if "state" in fields:
            _check_state(fields["state"])
        if "priority" in fields:
            _check_priority(fields["priority"])
        for key in ("enqueued_at", "called_at", "ended_at"):
            value = fields.get(key)
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValueError(f"{key} must be timezone-aware")
        async with self._db.write() as s:
            ticket = await s.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket {ticket_id!r}")
            if (
                "department_id" in fields
                and await s.get(Department, fields["department_id"]) is None
            ):
                raise NotFound(f"no department {fields['department_id']!r}")
            if "service_id" in fields and await s.get(Service, fields["service_id"]) is None:
                raise NotFound(f"no service {fields['service_id']!r}")
            agent_id = fields.get("agent_id")
            if agent_id is not None and await s.get(User, agent_id) is None:
                raise NotFound(f"no user {agent_id!r}")
            for key, value in fields.items():
                if key == "called_at" and ticket.called_at is not None:
                    continue
                setattr(ticket, key, value)
            await s.flush()
            return ticket_record(ticket)

    async def get_ticket(self, ticket_id: str) -> TicketRecord:
        async with self._db.read() as s:
            ticket = await s.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket {ticket_id!r}")
            return ticket_record(ticket)

    async def open_tickets(self, booth_id: str | None = None) -> list[TicketRecord]:
        """Tickets still in play (waiting, offered, serving), oldest first; the hub
        rebuilds its queue from these after a restart."""
        q = select(Ticket).where(Ticket.state.in_(sorted(OPEN_TICKET_STATES)))
        if booth_id is not None:
            q = q.where(Ticket.booth_id == booth_id)
        async with self._db.read() as s:
            rows = (await s.scalars(q.order_by(Ticket.enqueued_at, Ticket.id))).all()
            return [ticket_record(t) for t in rows]

    async def handled_tickets(
        self, agent_id: str, now: datetime | None = None
    ) -> list[TicketRecord]:
        """The agent's tickets finished (``done``) during today's service day."""
        start, end = self._day_bounds(self._now(now))
        q = (
            select(Ticket)
            .where(
                Ticket.agent_id == agent_id,
                Ticket.state == "done",
                Ticket.ended_at >= start,
                Ticket.ended_at < end,
            )
            .order_by(Ticket.ended_at)
        )
        async with self._db.read() as s:
            return [ticket_record(t) for t in (await s.scalars(q)).all()]
