"""Booths: provisioning by one-time enrollment codes, device tokens, revocation.

Life of a booth: an admin creates it and gets an enrollment code (24 h by
default); the kiosk enrolls once with the code and its device details and gets
its device token; the token works until the booth is revoked, the token is
rotated, or a new code is issued (``reissue_enrollment`` re-provisions a booth,
e.g. a replaced PC).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .base import StoreBase
from .credentials import hash_token, new_enrollment_code, new_id, new_token, normalize_code
from .db import rowcount
from .errors import Expired, InvalidCredentials, NotFound, Revoked
from .meta import bump_revision
from .records import BoothRecord
from .tables import Booth, EnrollmentCode

__all__ = ["BoothOps", "DEFAULT_CODE_TTL_S"]

DEFAULT_CODE_TTL_S = 24 * 3600
_DEVICE_INFO_MAX = 8192


def _booth_record(booth: Booth) -> BoothRecord:
    return BoothRecord(
        id=booth.id,
        name=booth.name,
        region_code=booth.region_code,
        region_name=booth.region_name,
        created_at=booth.created_at,
        revoked_at=booth.revoked_at,
        enrolled_at=booth.enrolled_at,
        device_info=dict(booth.device_info) if booth.device_info is not None else None,
        last_seen_at=booth.last_seen_at,
        has_token=booth.token_hash is not None,
    )


def _code_hash(normalized: str) -> str:
    return hash_token("enroll:" + normalized)


def _device_json(device: dict[str, Any]) -> dict[str, Any]:
    try:
        text = json.dumps(device, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError("device info must be a JSON object") from exc
    if len(text) > _DEVICE_INFO_MAX:
        raise ValueError(f"device info larger than {_DEVICE_INFO_MAX} characters")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("device info must be a JSON object")
    return value


class BoothOps(StoreBase):
    async def create_booth(
        self,
        name: str,
        region_code: str,
        region_name: str | None = None,
        code_ttl_s: int = DEFAULT_CODE_TTL_S,
        now: datetime | None = None,
    ) -> tuple[str, str]:
        """Create a booth and its first enrollment code: ``(booth_id, code)``.
        The code is shown once (only its hash is kept)."""
        if not name.strip() or not region_code.strip():
            raise ValueError("booth name and region code must not be empty")
        _check_ttl(code_ttl_s)
        at = self._now(now)
        booth_id = new_id("bth")
        code = new_enrollment_code()
        async with self._db.write() as s:
            s.add(
                Booth(
                    id=booth_id,
                    name=name.strip(),
                    region_code=region_code.strip(),
                    region_name=region_name.strip() if region_name else None,
                    created_at=at,
                )
            )
            await s.flush()
            s.add(_new_code_row(booth_id, code, at, code_ttl_s))
            await bump_revision(s)
        return booth_id, code

    async def enroll(
        self, code: str, device: dict[str, Any], now: datetime | None = None
    ) -> tuple[str, str]:
        """Trade a one-time code for a device token: ``(booth_id, token)``.

        ``InvalidCredentials`` for an unknown or used code, ``Expired`` past its
        expiry, ``Revoked`` for a revoked booth. Other unused codes of the booth
        stop working, and any earlier device token is replaced.
        """
        at = self._now(now)
        normalized = normalize_code(code)
        if normalized is None:
            raise InvalidCredentials("not an enrollment code")
        info = _device_json(device)
        token = new_token()
        async with self._db.write() as s:
            row = await s.get(EnrollmentCode, _code_hash(normalized))
            if row is None or row.used_at is not None:
                raise InvalidCredentials("unknown or already used enrollment code")
            booth = await s.get(Booth, row.booth_id, with_for_update=True)
            if booth is None:
                raise InvalidCredentials("unknown or already used enrollment code")
            if booth.revoked_at is not None:
                raise Revoked(f"booth {booth.id} is revoked")
            if row.expires_at <= at:
                raise Expired("enrollment code has expired")
            used = await s.execute(
                update(EnrollmentCode)
                .where(EnrollmentCode.code_hash == row.code_hash, EnrollmentCode.used_at.is_(None))
                .values(used_at=at)
            )
            if rowcount(used) != 1:  # another enrollment won the race
                raise InvalidCredentials("unknown or already used enrollment code")
            await s.execute(
                delete(EnrollmentCode).where(
                    EnrollmentCode.booth_id == booth.id, EnrollmentCode.used_at.is_(None)
                )
            )
            booth.token_hash = hash_token(token)
            booth.enrolled_at = at
            booth.device_info = info
            booth.last_seen_at = at
            await bump_revision(s)
            return booth.id, token

    async def reissue_enrollment(
        self, booth_id: str, code_ttl_s: int = DEFAULT_CODE_TTL_S, now: datetime | None = None
    ) -> str:
        """A new enrollment code; old unused codes and the current device token stop working."""
        _check_ttl(code_ttl_s)
        at = self._now(now)
        code = new_enrollment_code()
        async with self._db.write() as s:
            booth = await _get_live(s, booth_id)
            await s.execute(
                delete(EnrollmentCode).where(
                    EnrollmentCode.booth_id == booth_id, EnrollmentCode.used_at.is_(None)
                )
            )
            booth.token_hash = None
            s.add(_new_code_row(booth_id, code, at, code_ttl_s))
            await bump_revision(s)
        return code

    async def rotate_booth_token(self, booth_id: str) -> str:
        """A new device token for the booth; the old one stops resolving at once."""
        token = new_token()
        async with self._db.write() as s:
            booth = await _get_live(s, booth_id)
            booth.token_hash = hash_token(token)
            await bump_revision(s)
        return token

    async def revoke_booth(self, booth_id: str, now: datetime | None = None) -> bool:
        """Revoke the booth for good (token and codes stop working). ``False`` if it
        already was revoked; ``NotFound`` if there is no such booth."""
        at = self._now(now)
        async with self._db.write() as s:
            booth = await s.get(Booth, booth_id, with_for_update=True)
            if booth is None:
                raise NotFound(f"no booth {booth_id!r}")
            if booth.revoked_at is not None:
                return False
            booth.revoked_at = at
            booth.token_hash = None
            await s.execute(
                delete(EnrollmentCode).where(
                    EnrollmentCode.booth_id == booth_id, EnrollmentCode.used_at.is_(None)
                )
            )
            await bump_revision(s)
            return True

    async def get_booth(self, booth_id: str) -> BoothRecord:
        async with self._db.read() as s:
            booth = await s.get(Booth, booth_id)
            if booth is None:
                raise NotFound(f"no booth {booth_id!r}")
            return _booth_record(booth)

    async def list_booths(self) -> list[BoothRecord]:
        async with self._db.read() as s:
            booths = (await s.scalars(select(Booth).order_by(Booth.created_at, Booth.id))).all()
            return [_booth_record(b) for b in booths]

    async def revoked_among(self, booth_ids: Iterable[str]) -> set[str]:
        """The ids among ``booth_ids`` that must not stay connected: revoked, unknown, or
        without a device token (re-issued for enrollment)."""
        wanted = set(booth_ids)
        if not wanted:
            return set()
        async with self._db.read() as s:
            live = set(
                (
                    await s.scalars(
                        select(Booth.id).where(
                            Booth.id.in_(wanted),
                            Booth.revoked_at.is_(None),
                            Booth.token_hash.is_not(None),
                        )
                    )
                ).all()
            )
        return wanted - live

    async def touch_booth(self, booth_id: str, now: datetime | None = None) -> None:
        """Record that the booth was seen (connected, heartbeat)."""
        at = self._now(now)
        async with self._db.write() as s:
            result = await s.execute(
                update(Booth).where(Booth.id == booth_id).values(last_seen_at=at)
            )
            if not rowcount(result):
                raise NotFound(f"no booth {booth_id!r}")


    async def touch_booths(self, seen: Mapping[str, datetime]) -> None:
        """Record many booths' last sign of life in one transaction (unknown ids are
        skipped: a booth deleted meanwhile is not an error here)."""
        if not seen:
            return
        async with self._db.write() as s:
            for booth_id, at in seen.items():
                await s.execute(update(Booth).where(Booth.id == booth_id)
                                .values(last_seen_at=at))


def _new_code_row(booth_id: str, code: str, at: datetime, ttl_s: int) -> EnrollmentCode:
    normalized = normalize_code(code)
    assert normalized is not None
    return EnrollmentCode(
        code_hash=_code_hash(normalized),
        booth_id=booth_id,
        created_at=at,
        expires_at=at + timedelta(seconds=ttl_s),
        used_at=None,
    )


async def _get_live(s: AsyncSession, booth_id: str) -> Booth:
    """The booth, or ``NotFound`` / ``Revoked``."""
    booth = await s.get(Booth, booth_id, with_for_update=True)
    if booth is None:
        raise NotFound(f"no booth {booth_id!r}")
    if booth.revoked_at is not None:
        raise Revoked(f"booth {booth_id} is revoked")
    return booth


def _check_ttl(ttl_s: int) -> None:
    if ttl_s <= 0:
        raise ValueError(f"code_ttl_s must be positive, got {ttl_s}")
