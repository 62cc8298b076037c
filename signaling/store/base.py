"""What every part of :class:`~signaling.store.Store` shares: the database, the
password hasher, the clock and the service time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

from .credentials import Passwords
from .db import Database

__all__ = ["SERVICE_TZ", "StoreBase"]

# China Standard Time: ticket numbers restart and "today" begins at local
# midnight. China has no daylight saving, so a fixed offset is exact.
SERVICE_TZ: tzinfo = timezone(timedelta(hours=8), "CST")


class StoreBase:
    """State shared by the operation mixins; built by ``Store.open``."""

    def __init__(self, db: Database, passwords: Passwords, service_tz: tzinfo) -> None:
        self._db = db
        self._passwords = passwords
        self._tz = service_tz

    @property
    def service_tz(self) -> tzinfo:
        return self._tz

    @staticmethod
    def _now(now: datetime | None) -> datetime:
        if now is None:
            return datetime.now(UTC)
        if now.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass timezone-aware times")
        return now.astimezone(UTC)

    def _day_of(self, at: datetime) -> str:
        """The service day (``YYYY-MM-DD`` in the service time zone) of an instant."""
        return at.astimezone(self._tz).date().isoformat()

    def _day_bounds(self, at: datetime) -> tuple[datetime, datetime]:
        """UTC start (inclusive) and end (exclusive) of the service day of ``at``."""
        local = at.astimezone(self._tz)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
