"""Bearer tokens: user sessions (after login) and booth device tokens, both
resolved by :meth:`SessionOps.resolve_token` to one :class:`Identity`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from .base import StoreBase
from .credentials import hash_token, new_token
from .db import rowcount
from .errors import InvalidCredentials, NotFound
from .records import Identity, Role
from .tables import Booth, SessionToken, User
from .users import load_skills

__all__ = ["SessionOps"]


class SessionOps(StoreBase):
    async def issue_session(
        self, user_id: str, ttl_s: int, now: datetime | None = None
    ) -> tuple[str, datetime]:
        """A new session token for an enabled user; returns ``(token, expires_at)``.
        Only the token's hash is stored: the caller must hand the token out now."""
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        at = self._now(now)
        token = new_token()
        expires_at = at + timedelta(seconds=ttl_s)
        async with self._db.write() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id!r}")
            if user.disabled:
                raise InvalidCredentials(f"user {user_id!r} is disabled")
            s.add(
                SessionToken(
                    token_hash=hash_token(token),
                    user_id=user_id,
                    created_at=at,
                    expires_at=expires_at,
                    revoked=False,
                )
            )
        return token, expires_at

    async def resolve_token(self, token: str, now: datetime | None = None) -> Identity | None:
        """Who holds ``token``: a live user session (not expired, not revoked, user
        enabled) or an enrolled booth's device token (booth not revoked); else ``None``."""
        if not token:
            return None
        at = self._now(now)
        digest = hash_token(token)
        async with self._db.read() as s:
            row = (
                await s.execute(
                    select(User)
                    .join(SessionToken, SessionToken.user_id == User.id)
                    .where(
                        SessionToken.token_hash == digest,
                        SessionToken.revoked.is_(False),
                        SessionToken.expires_at > at,
                        User.disabled.is_(False),
                    )
                )
            ).scalar_one_or_none()
            if row is not None:
                skills = (await load_skills(s, [row.id]))[row.id]
                role: Role = "admin" if row.role == "admin" else "agent"
                return Identity("user", row.id, role, row.display_name, frozenset(skills))
            booth = await s.scalar(
                select(Booth).where(Booth.token_hash == digest, Booth.revoked_at.is_(None))
            )
            if booth is not None:
                return Identity("booth", booth.id, "booth", booth.name)
        return None

    async def revoke_session(self, token: str) -> bool:
        """Revoke one user session; ``False`` if there was no such (live) token."""
        async with self._db.write() as s:
            result = await s.execute(
                update(SessionToken)
                .where(
                    SessionToken.token_hash == hash_token(token), SessionToken.revoked.is_(False)
                )
                .values(revoked=True)
            )
            return rowcount(result) > 0

    async def revoke_user_sessions(self, user_id: str) -> int:
        """Revoke every session of a user; returns how many were live."""
        async with self._db.write() as s:
            result = await s.execute(
                update(SessionToken)
                .where(SessionToken.user_id == user_id, SessionToken.revoked.is_(False))
                .values(revoked=True)
            )
            return rowcount(result)
