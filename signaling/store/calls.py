"""Calls (one video session serving a ticket), ratings (好差评) and day statistics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .base import StoreBase
from .credentials import new_id
from .db import rowcount
from .errors import Conflict, NotFound
from .records import CallRecord, DayStats, RatingRecord
from .tables import Booth, Call, Rating, Ticket, User

__all__ = ["CallOps", "RATING_LEVELS"]

# Who ended a call, as in the protocol's ``call.ended {by}``.
_ENDED_BY = frozenset({"booth", "agent", "hub"})
# 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意 (DESIGN.md §4)
RATING_LEVELS = range(1, 6)
_TEXT_MAX = 200
_COMMENT_MAX = 500


def _call_record(c: Call) -> CallRecord:
    return CallRecord(
        id=c.id,
        ticket_id=c.ticket_id,
        booth_id=c.booth_id,
        agent_id=c.agent_id,
        started_at=c.started_at,
        ended_at=c.ended_at,
        end_reason=c.end_reason,
        ended_by=c.ended_by,
        duration_s=c.duration_s,
    )


def _rating_record(r: Rating) -> RatingRecord:
    return RatingRecord(
        call_id=r.call_id,
        level=r.level,
        indicators=tuple(str(x) for x in r.indicators),
        reasons=tuple(str(x) for x in r.reasons),
        comment=r.comment,
        created_at=r.created_at,
    )


def _texts(values: Iterable[str], what: str) -> list[str]:
    out = [str(v) for v in values]
    if len(out) > 20 or any(len(v) > _TEXT_MAX for v in out):
        raise ValueError(f"too many or too long {what}")
    return out


async def _get_call(s: AsyncSession, call_id: str) -> Call:
    call = await s.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call {call_id!r}")
    return call


class CallOps(StoreBase):
    async def create_call(
        self, ticket_id: str, booth_id: str, agent_id: str, now: datetime | None = None
    ) -> CallRecord:
        """Start a call for a ticket; ``Conflict`` if the ticket has a call in progress."""
        at = self._now(now)
        async with self._db.write() as s:
            # Row lock (PostgreSQL): one call at a time is started per ticket.
            if await s.get(Ticket, ticket_id, with_for_update=True) is None:
                raise NotFound(f"no ticket {ticket_id!r}")
            if await s.get(Booth, booth_id) is None:
                raise NotFound(f"no booth {booth_id!r}")
            if await s.get(User, agent_id) is None:
                raise NotFound(f"no user {agent_id!r}")
            busy = await s.scalar(
                select(Call.id).where(Call.ticket_id == ticket_id, Call.ended_at.is_(None))
            )
            if busy is not None:
                raise Conflict(f"ticket {ticket_id} already has call {busy} in progress")
            call = Call(
                id=new_id("call"),
                ticket_id=ticket_id,
                booth_id=booth_id,
                agent_id=agent_id,
                started_at=at,
            )
            s.add(call)
            await s.flush()
            return _call_record(call)

    async def end_call(
        self, call_id: str, reason: str, ended_by: str, now: datetime | None = None
    ) -> CallRecord:
        """End a call and set its duration; ``Conflict`` if it already ended.
        ``ended_by`` is ``booth``, ``agent`` or ``hub``."""
        if ended_by not in _ENDED_BY:
            raise ValueError(f"ended_by must be one of {sorted(_ENDED_BY)}, got {ended_by!r}")
        at = self._now(now)
        async with self._db.write() as s:
            call = await _get_call(s, call_id)
            if call.ended_at is not None:
                raise Conflict(f"call {call_id} already ended")
            duration = round(max(0.0, (at - call.started_at).total_seconds()), 3)
            # Conditional: of two concurrent enders (two hub nodes) exactly one wins.
            result = await s.execute(
                update(Call)
                .where(Call.id == call_id, Call.ended_at.is_(None))
                .values(
                    ended_at=at,
                    end_reason=reason[:_TEXT_MAX],
                    ended_by=ended_by,
                    duration_s=duration,
                )
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) != 1:
                raise Conflict(f"call {call_id} already ended")
            await s.refresh(call)
            return _call_record(call)

    async def get_call(self, call_id: str) -> CallRecord:
        async with self._db.read() as s:
            return _call_record(await _get_call(s, call_id))

    async def active_calls(self) -> list[CallRecord]:
        async with self._db.read() as s:
            rows = await s.scalars(
                select(Call).where(Call.ended_at.is_(None)).order_by(Call.started_at)
            )
            return [_call_record(c) for c in rows.all()]

    async def save_rating(
        self,
        call_id: str,
        level: int,
        indicators: Iterable[str] = (),
        reasons: Iterable[str] = (),
        comment: str | None = None,
        now: datetime | None = None,
    ) -> RatingRecord:
        """Record the resident's rating of a call, once: ``Conflict`` if it was
        rated already, ``ValueError`` for a level outside 1..5."""
        if isinstance(level, bool) or not isinstance(level, int) or level not in RATING_LEVELS:
            raise ValueError(f"rating level must be 1..5, got {level!r}")
        if comment is not None and len(comment) > _COMMENT_MAX:
            raise ValueError(f"comment longer than {_COMMENT_MAX} characters")
        ind = _texts(indicators, "indicators")
        rea = _texts(reasons, "reasons")
        at = self._now(now)
        async with self._db.write() as s:
            await _get_call(s, call_id)
            if await s.get(Rating, call_id) is not None:
                raise Conflict(f"call {call_id} is already rated")
            rating = Rating(
                call_id=call_id,
                level=level,
                indicators=ind,
                reasons=rea,
                comment=comment,
                created_at=at,
            )
            s.add(rating)
            await s.flush()
            return _rating_record(rating)

    async def get_rating(self, call_id: str) -> RatingRecord | None:
        async with self._db.read() as s:
            rating = await s.get(Rating, call_id)
            return _rating_record(rating) if rating is not None else None

    async def stats_today(
        self, now: datetime | None = None, agent_id: str | None = None
    ) -> DayStats:
        """Today's figures (service day of ``now``), for everyone or one agent:
        tickets handled / abandoned / cancelled, calls ended and their mean
        length, ratings by level."""
        at = self._now(now)
        start, end = self._day_bounds(at)
        async with self._db.read() as s:
            tq = (
                select(Ticket.state, func.count())
                .where(Ticket.ended_at >= start, Ticket.ended_at < end)
                .group_by(Ticket.state)
            )
            cq = select(func.count(), func.avg(Call.duration_s)).where(
                Call.ended_at >= start, Call.ended_at < end
            )
            rq = (
                select(Rating.level, func.count())
                .join(Call, Call.id == Rating.call_id)
                .where(Rating.created_at >= start, Rating.created_at < end)
                .group_by(Rating.level)
            )
            if agent_id is not None:
                tq = tq.where(Ticket.agent_id == agent_id)
                cq = cq.where(Call.agent_id == agent_id)
                rq = rq.where(Call.agent_id == agent_id)
            by_state = {state: int(n) for state, n in (await s.execute(tq)).all()}
            calls, avg = (await s.execute(cq)).one()
            ratings = {int(level): int(n) for level, n in (await s.execute(rq)).all()}
        return DayStats(
            day=self._day_of(at),
            handled=by_state.get("done", 0),
            abandoned=by_state.get("abandoned", 0),
            cancelled=by_state.get("cancelled", 0),
            calls=int(calls),
            avg_call_s=None if avg is None else round(float(avg), 3),
            ratings={lvl: ratings.get(lvl, 0) for lvl in RATING_LEVELS},
        )
