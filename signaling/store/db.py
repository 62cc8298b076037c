"""Engine, sessions and transactions.

SQLite (the embedded default) is opened by the hub and by the admin CLI at the
same time, so every connection runs in WAL mode with ``busy_timeout=5000`` and
foreign keys on, and every write transaction starts with ``BEGIN IMMEDIATE``:
the write lock is taken up front (waiting up to the busy timeout), never on a
later statement, where SQLite would fail at once with ``SQLITE_BUSY`` instead
of waiting. Reads start a deferred ``BEGIN`` and never block writers (WAL).
SQLAlchemy emits these BEGINs itself because the ``sqlite3`` driver's legacy
transaction control does not (SQLAlchemy docs, "sqlite_transactions").

Driver errors leave this module as :mod:`.errors`: ``IntegrityError`` becomes
:class:`Conflict`, any other ``SQLAlchemyError`` :class:`StoreError`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, CursorResult, Result, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from .errors import Conflict, StoreError

__all__ = [
    "DB_FILENAME",
    "BUSY_TIMEOUT_MS",
    "Database",
    "sqlite_url_for_dir",
    "sqlite_path_of",
    "rowcount",
    "serialize",
    "LOCK_AUDIT",
    "LOCK_MIGRATE",
    "LOCK_SEED",
]

DB_FILENAME = "xiaowu.db"
BUSY_TIMEOUT_MS = 5000
_WRITE_OPTION = "xiaowu_write"

# PostgreSQL advisory lock keys (any fixed int64s, "Xiaowu" + a number).
LOCK_AUDIT = 0x5869616F77750001
LOCK_MIGRATE = 0x5869616F77750002
LOCK_SEED = 0x5869616F77750003


def sqlite_url_for_dir(data_dir: Path) -> str:
    """The URL of the embedded database in ``data_dir``.

    Creates ``data_dir`` (mode 0700) if missing and the database file (mode
    0600) so that SQLite never creates it with the process umask; the WAL and
    shared-memory files SQLite adds later copy the database file's mode.
    """
    data_dir = Path(data_dir)
    _make_private_dir(data_dir)
    path = (data_dir / DB_FILENAME).resolve()
    _make_private_file(path)
    return f"sqlite+aiosqlite:///{path}"


def sqlite_path_of(url: str) -> Path | None:
    """The file behind a SQLite URL; ``None`` for other backends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _make_private_dir(path: Path) -> None:
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def _make_private_file(path: Path) -> None:
    if not path.exists():
        _make_private_dir(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)  # an empty file is a valid database
        os.close(fd)
    os.chmod(path, 0o600)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file (0600) and switch it to WAL, which is persistent.

    Done once here rather than racing in every new connection: changing the
    journal mode needs an exclusive lock, and SQLite may answer SQLITE_BUSY at
    once, without the busy handler, while another connection is writing."""
    _make_private_file(path)
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)) as conn:
                if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
                    return
        except sqlite3.OperationalError as exc:
            if time.monotonic() > deadline:
                raise StoreError(f"cannot open {path} in WAL mode: {exc}") from exc
        if time.monotonic() > deadline:
            raise StoreError(f"cannot switch {path} to WAL mode")
        time.sleep(0.02)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from the driver: _on_sqlite_begin emits it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(_WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


class Database:
    """One engine with a read and a write way in.

    ``write()`` is for every transaction that changes rows: in SQLite it holds
    the database write lock from its first statement, and within one process
    writers also queue on an ``asyncio.Lock`` so they wait without tying up
    driver threads. Keep write transactions short: the other process waits on
    them for at most the busy timeout.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._write_engine = engine.execution_options(**{_WRITE_OPTION: True})
        self._reads = async_sessionmaker(engine, expire_on_commit=False)
        self._writes = async_sessionmaker(self._write_engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @classmethod
    async def open(cls, url: str, **engine_kwargs: Any) -> Database:
        path = sqlite_path_of(url)
        if path is not None:
            await asyncio.to_thread(_prepare_sqlite_file, path)
        # Parameters hold password and token hashes: keep them out of error text.
        engine_kwargs.setdefault("hide_parameters", True)
        engine = create_async_engine(url, **engine_kwargs)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
            event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
        return cls(engine)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction; it is rolled back, not committed, at the end.
        Turn rows into records inside the block."""
        try:
            async with self._reads() as session:
                yield session
        except StoreError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {_describe(exc)}") from exc

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction, committed when the block ends without an exception."""
        try:
            if self._write_lock is None:
                async with self._writes() as session, session.begin():
                    yield session
            else:
                async with self._write_lock, self._writes() as session, session.begin():
                    yield session
        except StoreError:
            raise
        except IntegrityError as exc:
            raise Conflict(f"integrity error: {_describe(exc)}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {_describe(exc)}") from exc


def _describe(exc: SQLAlchemyError) -> str:
    """The driver's message without the SQL text."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}"
    return type(exc).__name__


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE executed through a session."""
    return int(cast(CursorResult[Any], result).rowcount)


async def serialize(session: AsyncSession, key: int) -> None:
    """Make the caller's write transaction the only one holding ``key`` until it ends.

    PostgreSQL: ``pg_advisory_xact_lock(key)``. SQLite needs nothing: a write
    transaction (``BEGIN IMMEDIATE``) already excludes every other writer."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
