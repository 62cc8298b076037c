"""Remote assist: the resident's consent decisions and the forms pushed in a call.

Consent is a log: every grant and every revocation is a row; the state of a scope
is its newest row. A form row is written when the agent pushes it (``pushed``)
and completed once, atomically, by the signed submission (``submitted``); a
form still open when its call ends becomes ``cancelled``. The signature image is
a blob in the file store, named by ``signature_sha256``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .base import StoreBase
from .credentials import new_id
from .errors import Conflict, NotFound
from .records import ConsentRecord, FormRecord
from .tables import AssistConsent, AssistForm, Call

__all__ = ["AssistOps", "CONSENT_SCOPES", "FORM_STATES"]

CONSENT_SCOPES = frozenset({"screen", "control"})
# pushed -> submitted ; pushed -> cancelled (the call ended first)
FORM_STATES = frozenset({"pushed", "submitted", "cancelled"})


def _consent(c: AssistConsent) -> ConsentRecord:
    return ConsentRecord(id=c.id, call_id=c.call_id, booth_id=c.booth_id, scope=c.scope,
                         granted=c.granted, reason=c.reason, at=c.at)


def _form(f: AssistForm) -> FormRecord:
    return FormRecord(
        id=f.id, call_id=f.call_id, booth_id=f.booth_id, agent_id=f.agent_id, title=f.title,
        definition=f.definition, state=f.state, created_at=f.created_at,
        submitted_at=f.submitted_at, values=f.values, strokes=f.strokes,
        signature_sha256=f.signature_sha256, sha256=f.sha256,
    )


async def _call(s: AsyncSession, call_id: str, booth_id: str, agent_id: str | None = None
                ) -> Call:
    """The call, if it is between this booth (and agent); ``NotFound`` / ``Conflict``."""
    call = await s.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call {call_id!r}")
    if call.booth_id != booth_id or agent_id not in (None, call.agent_id):
        raise Conflict(f"call {call_id} is not between this booth and agent")
    return call


class AssistOps(StoreBase):
    # -- consent ---------------------------------------------------------

    async def record_consent(
        self, call_id: str, booth_id: str, scope: str, granted: bool, reason: str,
        now: datetime | None = None,
    ) -> ConsentRecord:
        """Append one decision. ``reason``: ``resident`` (the booth said so) or why the
        hub decided (``screen_revoked`` ends ``control`` too)."""
        if scope not in CONSENT_SCOPES:
            raise ValueError(f"unknown consent scope {scope!r}")
        at = self._now(now)
        async with self._db.write() as s:
            await _call(s, call_id, booth_id)
            row = AssistConsent(id=new_id("cns"), call_id=call_id, booth_id=booth_id,
                                scope=scope, granted=granted, reason=reason[:32], at=at)
            s.add(row)
            await s.flush()
            return _consent(row)

    async def call_consents(self, call_id: str) -> list[ConsentRecord]:
        """Every decision of the call, oldest first."""
        async with self._db.read() as s:
            rows = await s.scalars(select(AssistConsent).where(AssistConsent.call_id == call_id)
                                   .order_by(AssistConsent.at, AssistConsent.id))
            return [_consent(r) for r in rows.all()]

    async def consent_state(self, call_id: str) -> dict[str, bool]:
        """Each scope's newest decision (a scope never decided is absent)."""
        return {c.scope: c.granted for c in await self.call_consents(call_id)}

    # -- forms -----------------------------------------------------------

    async def create_form(
        self, call_id: str, booth_id: str, agent_id: str, title: str,
        definition: dict[str, Any], now: datetime | None = None,
    ) -> FormRecord:
        at = self._now(now)
        async with self._db.write() as s:
            await _call(s, call_id, booth_id, agent_id)
            row = AssistForm(id=new_id("frm"), call_id=call_id, booth_id=booth_id,
                             agent_id=agent_id, title=title[:500], definition=definition,
                             state="pushed", created_at=at)
            s.add(row)
            await s.flush()
            return _form(row)

    async def get_form(self, form_id: str) -> FormRecord:
        async with self._db.read() as s:
            row = await s.get(AssistForm, form_id)
            if row is None:
                raise NotFound(f"no form {form_id!r}")
            return _form(row)

    async def call_forms(self, call_id: str, states: Iterable[str] | None = None
                         ) -> list[FormRecord]:
        """The call's forms, oldest first; only those in ``states`` if given."""
        async with self._db.read() as s:
            query = select(AssistForm).where(AssistForm.call_id == call_id)
            if states is not None:
                query = query.where(AssistForm.state.in_(list(states)))
            rows = await s.scalars(query.order_by(AssistForm.created_at, AssistForm.id))
            return [_form(r) for r in rows.all()]

    async def submit_form(
        self, form_id: str, *, values: dict[str, Any], strokes: list[Any],
        signature_sha256: str, sha256: str, submitted_at: datetime,
    ) -> FormRecord:
        """Complete a ``pushed`` form with its submission (``Conflict`` in any other
        state: a form is signed once)."""
        at = self._now(submitted_at)
        async with self._db.write() as s:
            row = await s.get(AssistForm, form_id)
            if row is None:
                raise NotFound(f"no form {form_id!r}")
            if row.state != "pushed":
                raise Conflict(f"form {form_id} is {row.state}")
            row.state, row.submitted_at, row.values, row.strokes = "submitted", at, values, \
                strokes
            row.signature_sha256, row.sha256 = signature_sha256, sha256
            await s.flush()
            return _form(row)

    async def cancel_open_forms(self, call_id: str) -> list[str]:
        """Mark the call's unsigned forms ``cancelled``; returns their ids."""
        async with self._db.write() as s:
            ids = list((await s.scalars(select(AssistForm.id).where(
                AssistForm.call_id == call_id, AssistForm.state == "pushed"))).all())
            if ids:
                await s.execute(update(AssistForm).where(AssistForm.id.in_(ids))
                                .values(state="cancelled"))
            return ids
