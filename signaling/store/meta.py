"""The ``meta`` table: small named values, above all the admin ``revision``.

Every admin change (users, skills, booths, catalog) bumps ``revision`` in the
same transaction, so the hub, polling :func:`read_revision`, sees changes made
by the admin CLI in another process at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, Table, cast, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from .tables import Meta, table_of

__all__ = [
    "REVISION",
    "AUDIT_HEAD_SEQ",
    "AUDIT_HEAD_HASH",
    "upsert",
    "get_meta",
    "set_meta",
    "read_revision",
    "bump_revision",
]

REVISION = "revision"
AUDIT_HEAD_SEQ = "audit.head_seq"
AUDIT_HEAD_HASH = "audit.head_hash"


def upsert(
    session: AsyncSession,
    table: Table,
    values: dict[str, Any],
    keys: list[str],
    on_conflict: dict[str, Any],
) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET on_conflict`` for SQLite and PostgreSQL."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        pg = postgresql.insert(table).values(**values)
        return pg.on_conflict_do_update(index_elements=keys, set_=on_conflict)
    if name == "sqlite":
        lite = sqlite.insert(table).values(**values)
        return lite.on_conflict_do_update(index_elements=keys, set_=on_conflict)
    raise NotImplementedError(f"store backend {name!r} is not supported")


async def get_meta(session: AsyncSession, key: str) -> str | None:
    value: str | None = await session.scalar(select(Meta.value).where(Meta.key == key))
    return value


async def set_meta(session: AsyncSession, key: str, value: str) -> None:
    stmt = upsert(session, table_of(Meta), {"key": key, "value": value}, ["key"], {"value": value})
    await session.execute(stmt)


async def read_revision(session: AsyncSession) -> int:
    value = await get_meta(session, REVISION)
    return int(value) if value is not None else 0


async def bump_revision(session: AsyncSession) -> int:
    """Add one to ``revision`` atomically (a single UPDATE) and return the new value."""
    # The value column is text (meta holds more than counters): count in SQL so two
    # processes bumping at once never lose an increment.
    stmt = (
        update(Meta)
        .where(Meta.key == REVISION)
        .values(value=cast(cast(Meta.value, Integer) + 1, String))
        .returning(Meta.value)
    )
    new = await session.scalar(stmt)
    if new is None:
        await set_meta(session, REVISION, "1")
        return 1
    return int(new)
