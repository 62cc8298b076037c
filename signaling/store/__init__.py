"""The hub's persistent store (DESIGN.md §5): SQLAlchemy 2 async on SQLite
(aiosqlite, the embedded default) or PostgreSQL (asyncpg), Alembic migrations,
hashed secrets and a hash-chained audit log.

Use::

    store = await Store.open(sqlite_url_for_dir(Path("var")))
    await store.migrate()
    await store.seed_catalog()
    ...
    await store.close()

Exception tree (:mod:`.errors`)::

    StoreError
     ├── NotFound
     ├── Conflict
     ├── InvalidCredentials
     ├── Expired
     └── Revoked
"""

from __future__ import annotations

from .base import SERVICE_TZ
from .credentials import normalize_code
from .db import sqlite_url_for_dir
from .errors import Conflict, Expired, InvalidCredentials, NotFound, Revoked, StoreError
from .records import (
    OPEN_TICKET_STATES,
    TICKET_STATES,
    AuditRecord,
    AuditVerdict,
    BoothRecord,
    CallRecord,
    ConsentRecord,
    DayStats,
    DepartmentRecord,
    DocumentRecord,
    FaceCheckRecord,
    FaceFrameRecord,
    FormRecord,
    Identity,
    Material,
    RatingRecord,
    ServiceRecord,
    TicketRecord,
    UserRecord,
)
from .store import Store

__all__ = [
    "Store",
    "sqlite_url_for_dir",
    "normalize_code",
    "SERVICE_TZ",
    "StoreError",
    "NotFound",
    "Conflict",
    "InvalidCredentials",
    "Expired",
    "Revoked",
    "UserRecord",
    "Identity",
    "BoothRecord",
    "Material",
    "ServiceRecord",
    "DepartmentRecord",
    "TicketRecord",
    "CallRecord",
    "RatingRecord",
    "DayStats",
    "AuditRecord",
    "AuditVerdict",
    "DocumentRecord",
    "FaceCheckRecord",
    "FaceFrameRecord",
    "ConsentRecord",
    "FormRecord",
    "TICKET_STATES",
    "OPEN_TICKET_STATES",
]
