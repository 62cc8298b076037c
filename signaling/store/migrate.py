"""Run the Alembic migrations in ``migrations/`` from code: no ``alembic.ini``
is needed at runtime, the Config is built here.

The upgrade runs on one of the store's own connections inside a write
transaction (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL),
so a hub and an admin CLI starting at the same moment migrate once, in turn.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from .db import LOCK_MIGRATE, Database, serialize

__all__ = ["MIGRATIONS_DIR", "alembic_config", "head_revision", "current_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config pointing at our scripts (``url`` only for the CLI path)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(db: Database) -> str | None:
    async with db.read() as s:
        conn = await s.connection()
        return await conn.run_sync(_current)


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``; a no-op when it is there already."""
    async with db.write() as s:
        conn = await s.connection()
        await serialize(s, LOCK_MIGRATE)
        await conn.run_sync(_upgrade, revision)
