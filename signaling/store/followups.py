"""Poor ratings and their follow-up (差评整改): the national 好差评 rules have every
rating of 1 (非常不满意) or 2 (不满意) looked into, answered and recorded. Admins see
the open ones with the resident's reasons and the agent's own note on the call, and
record what was done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from .base import StoreBase
from .errors import Conflict, NotFound
from .tables import Booth, Call, CallNote, Rating, RatingFollowup, Service, Ticket, User

__all__ = ["FollowupOps", "PoorRating", "POOR_LEVELS", "FOLLOWUP_MAX_CHARS"]

POOR_LEVELS = (1, 2)
FOLLOWUP_MAX_CHARS = 1000


@dataclass(frozen=True)
class PoorRating:
    call_id: str
    level: int
    reasons: tuple[str, ...]
    comment: str | None
    rated_at: datetime
    ticket_number: str
    service_name: str
    booth_name: str
    agent_name: str
    outcome: str | None  # the agent's record of the call
    notes: str | None
    followup_note: str | None
    followup_by: str | None  # the admin's display name
    followup_at: datetime | None


class FollowupOps(StoreBase):
    async def poor_ratings(self, *, open_only: bool = True, limit: int = 200
                           ) -> list[PoorRating]:
        """Ratings of 1 or 2, newest first; ``open_only``: not followed up yet."""
        admin = aliased(User)
        q: Any = (
            select(Rating, Ticket.number, Service.name, Booth.name, User.display_name,
                   CallNote.outcome, CallNote.notes, RatingFollowup, admin.display_name)
            .join(Call, Call.id == Rating.call_id)
            .join(Ticket, Ticket.id == Call.ticket_id)
            .join(Service, Service.id == Ticket.service_id)
            .join(Booth, Booth.id == Call.booth_id)
            .join(User, User.id == Call.agent_id)
            .outerjoin(CallNote, CallNote.call_id == Call.id)
            .outerjoin(RatingFollowup, RatingFollowup.call_id == Call.id)
            .outerjoin(admin, admin.id == RatingFollowup.by)
            .where(Rating.level.in_(POOR_LEVELS))
        )
        if open_only:
            q = q.where(RatingFollowup.call_id.is_(None))
        q = q.order_by(Rating.created_at.desc(), Rating.call_id).limit(max(1, min(limit, 500)))
        async with self._db.read() as s:
            rows = (await s.execute(q)).all()
        return [
            PoorRating(
                call_id=r.call_id, level=r.level, reasons=tuple(r.reasons or ()),
                comment=r.comment, rated_at=r.created_at, ticket_number=number,
                service_name=service, booth_name=booth, agent_name=agent, outcome=outcome,
                notes=notes, followup_note=f.note if f else None,
                followup_by=(admin_name if f else None), followup_at=f.at if f else None)
            for r, number, service, booth, agent, outcome, notes, f, admin_name in rows
        ]

    async def record_followup(self, call_id: str, admin_id: str, note: str,
                              now: datetime | None = None) -> None:
        """Record (or correct) what was done about a poor rating. ``NotFound``: no
        rating for that call; ``Conflict``: the rating is not a poor one;
        ``ValueError``: an empty note or one over ``FOLLOWUP_MAX_CHARS``."""
        note = note.strip()
        if not note or len(note) > FOLLOWUP_MAX_CHARS:
            raise ValueError(f"the note is 1 to {FOLLOWUP_MAX_CHARS} characters")
        at = self._now(now)
        async with self._db.write() as s:
            rating = await s.get(Rating, call_id)
            if rating is None:
                raise NotFound(f"no rating for call {call_id!r}")
            if rating.level not in POOR_LEVELS:
                raise Conflict(f"call {call_id} was rated {rating.level}: not a poor rating")
            row = await s.get(RatingFollowup, call_id)
            if row is None:
                s.add(RatingFollowup(call_id=call_id, note=note, by=admin_id, at=at))
            else:
                row.note, row.by, row.at = note, admin_id, at
