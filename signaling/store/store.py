"""The :class:`Store`: the hub's (and the admin CLI's) one way to its database."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, or_, select

from . import migrate as _migrate
from .assist import AssistOps
from .audit import append_audit, to_record, verify_chain
from .base import SERVICE_TZ, StoreBase
from .booths import BoothOps
from .call_notes import CallNoteOps
from .calls import CallOps
from .catalog import CatalogOps
from .credentials import Passwords
from .db import LOCK_SEED, Database, rowcount, serialize
from .documents import DocumentOps
from .followups import FollowupOps
from .meta import bump_revision, read_revision
from .records import AuditRecord, AuditVerdict
from .reports import ReportOps
from .seed import seed_catalog
from .sessions import SessionOps
from .tables import AuditRow, EnrollmentCode, SessionToken
from .tickets import TicketOps
from .users import UserOps

__all__ = ["Store"]


class Store(
    UserOps, SessionOps, BoothOps, CatalogOps, TicketOps, CallOps, CallNoteOps, DocumentOps,
    AssistOps, ReportOps, FollowupOps, StoreBase,
):
    """Async access to users, sessions, booths, the catalog, tickets, calls,
    ratings, the audit log and the admin revision.

    Open with ``await Store.open(url)`` and ``await store.migrate()`` once;
    close with ``await store.close()``. Methods return frozen records
    (:mod:`.records`) and raise :mod:`.errors`. Times are aware UTC; methods
    whose result depends on the clock take ``now`` so tests can set it.
    Admin changes (users, skills, booths, catalog) bump :meth:`revision`.
    """

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        password_hasher: PasswordHasher | None = None,
        service_tz: tzinfo = SERVICE_TZ,
        **engine_kwargs: Any,
    ) -> Store:
        """Connect (nothing is created or migrated: call :meth:`migrate`).

        ``url``: ``sqlite+aiosqlite:///path/xiaowu.db`` (see
        :func:`~.db.sqlite_url_for_dir`) or ``postgresql+asyncpg://...``.
        ``service_tz``: where the service day starts (ticket numbers, stats)."""
        db = await Database.open(url, **engine_kwargs)
        return cls(db, Passwords(password_hasher), service_tz)

    async def close(self) -> None:
        await self._db.close()

    @property
    def dialect(self) -> str:
        return self._db.dialect

    # -- schema and seed -------------------------------------------------

    async def migrate(self) -> None:
        """Upgrade the schema to the newest migration (idempotent)."""
        await _migrate.upgrade(self._db)

    async def schema_revision(self) -> str | None:
        return await _migrate.current_revision(self._db)

    async def seed_catalog(self) -> bool:
        """Add the missing seed departments and services; ``True`` if any were added."""
        async with self._db.write() as s:
            await serialize(s, LOCK_SEED)
            added = await seed_catalog(s)
            if added:
                await bump_revision(s)
            return added

    # -- admin revision --------------------------------------------------

    async def revision(self) -> int:
        """The admin revision; it grows with every admin change, from any process."""
        async with self._db.read() as s:
            return await read_revision(s)

    async def bump_revision(self) -> int:
        async with self._db.write() as s:
            return await bump_revision(s)

    # -- audit log -------------------------------------------------------

    async def audit(
        self,
        actor: str,
        action: str,
        target: str | None,
        detail: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Append one audit row; returns its seq. ``detail`` must be JSON-able."""
        if not actor or not action:
            raise ValueError("audit actor and action must not be empty")
        at = self._now(now)
        async with self._db.write() as s:
            return await append_audit(s, actor, action, target, dict(detail or {}), at)

    async def verify_audit(self) -> AuditVerdict:
        """Check the whole chain: edits, deletions (also of the last rows), reorders."""
        async with self._db.read() as s:
            return await verify_chain(s)

    async def list_audit(
        self, limit: int = 100, after_seq: int = 0, *, before_seq: int | None = None,
        newest_first: bool = False, action_prefix: str | None = None,
    ) -> list[AuditRecord]:
        """Up to ``limit`` rows with ``after_seq < seq < before_seq``, oldest first (or
        newest first, for a screen that pages backwards), optionally only actions
        starting with ``action_prefix`` (``booth.`` for every booth change)."""
        limit = max(1, min(limit, 1000))
        q = select(AuditRow).where(AuditRow.seq > after_seq)
        if before_seq is not None:
            q = q.where(AuditRow.seq < before_seq)
        if action_prefix:
            q = q.where(AuditRow.action.startswith(action_prefix, autoescape=True))
        q = q.order_by(AuditRow.seq.desc() if newest_first else AuditRow.seq).limit(limit)
        async with self._db.read() as s:
            rows = await s.scalars(q)
            return [to_record(r) for r in rows.all()]

    # -- housekeeping ----------------------------------------------------

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete expired or revoked sessions and expired unused enrollment codes."""
        at = self._now(now)
        async with self._db.write() as s:
            gone = rowcount(
                await s.execute(
                    delete(SessionToken).where(
                        or_(SessionToken.expires_at <= at, SessionToken.revoked.is_(True))
                    )
                )
            )
            gone += rowcount(
                await s.execute(
                    delete(EnrollmentCode).where(
                        EnrollmentCode.expires_at <= at, EnrollmentCode.used_at.is_(None)
                    )
                )
            )
            return gone
