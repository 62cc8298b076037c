"""Agents and admins: accounts, passwords, skills (the departments they serve)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast, get_args

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .base import StoreBase
from .credentials import new_id
from .db import rowcount
from .errors import Conflict, InvalidCredentials, NotFound
from .meta import bump_revision
from .records import Role, UserRecord
from .tables import Department, SessionToken, User, UserSkill

__all__ = ["UserOps", "load_skills", "user_record"]

_ROLES = frozenset(get_args(Role))
_USERNAME_MAX = 64


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > _USERNAME_MAX or any(ch.isspace() for ch in name):
        raise ValueError(f"invalid username {username!r}")
    return name


def _check_role(role: str) -> Role:
    if role not in _ROLES:
        raise ValueError(f"role must be one of {sorted(_ROLES)}, got {role!r}")
    return cast(Role, role)


def user_record(user: User, skills: Iterable[str]) -> UserRecord:
    return UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=_check_role(user.role),
        disabled=user.disabled,
        created_at=user.created_at,
        skills=frozenset(skills),
    )


async def load_skills(session: AsyncSession, user_ids: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {uid: set() for uid in user_ids}
    if user_ids:
        rows = await session.execute(
            select(UserSkill.user_id, UserSkill.department_id).where(
                UserSkill.user_id.in_(user_ids)
            )
        )
        for uid, dept in rows:
            out[uid].add(dept)
    return out


async def _replace_skills(session: AsyncSession, user_id: str, skills: Iterable[str]) -> None:
    wanted = set(skills)
    if wanted:
        known = set(
            (await session.scalars(select(Department.id).where(Department.id.in_(wanted)))).all()
        )
        if missing := wanted - known:
            raise NotFound(f"unknown department(s): {', '.join(sorted(missing))}")
    await session.execute(delete(UserSkill).where(UserSkill.user_id == user_id))
    session.add_all(UserSkill(user_id=user_id, department_id=d) for d in sorted(wanted))


class UserOps(StoreBase):
    async def create_user(
        self,
        username: str,
        password: str,
        role: str,
        skills: Iterable[str] = (),
        display_name: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """Create an agent or admin; returns the user id.

        Raises ``Conflict`` if the username is taken, ``NotFound`` for an unknown
        department in ``skills``, ``ValueError`` for a bad username, role or password.
        """
        name = _check_username(username)
        checked_role = _check_role(role)
        password_hash = await self._passwords.hash(password)  # slow: outside the transaction
        user_id = new_id("usr")
        async with self._db.write() as s:
            if await s.scalar(select(User.id).where(User.username == name)) is not None:
                raise Conflict(f"username {name!r} is taken")
            s.add(
                User(
                    id=user_id,
                    username=name,
                    display_name=(display_name or name).strip() or name,
                    role=checked_role,
                    password_hash=password_hash,
                    disabled=False,
                    created_at=self._now(now),
                )
            )
            await s.flush()
            await _replace_skills(s, user_id, skills)
            await bump_revision(s)
        return user_id

    async def authenticate(self, username: str, password: str) -> UserRecord:
        """The user whose password this is; ``InvalidCredentials`` for an unknown or
        disabled user or a wrong password (one error for all: no user enumeration).
        Upgrades the stored hash when the hasher's parameters changed."""
        async with self._db.read() as s:
            user = await s.scalar(select(User).where(User.username == username.strip()))
            record = None
            stored_hash = None
            if user is not None:
                record = user_record(user, (await load_skills(s, [user.id]))[user.id])
                stored_hash = user.password_hash
        ok = await self._passwords.verify(stored_hash, password)
        if record is None or stored_hash is None or not ok or record.disabled:
            raise InvalidCredentials("invalid username or password")
        if self._passwords.needs_rehash(stored_hash):
            new_hash = await self._passwords.hash(password)
            async with self._db.write() as s:
                await s.execute(
                    update(User)
                    .where(User.id == record.id, User.password_hash == stored_hash)
                    .values(password_hash=new_hash)
                )
        return record

    async def get_user(self, user_id: str) -> UserRecord:
        async with self._db.read() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound(f"no user {user_id!r}")
            return user_record(user, (await load_skills(s, [user_id]))[user_id])

    async def get_user_by_name(self, username: str) -> UserRecord:
        async with self._db.read() as s:
            user = await s.scalar(select(User).where(User.username == username.strip()))
            if user is None:
                raise NotFound(f"no user {username!r}")
            return user_record(user, (await load_skills(s, [user.id]))[user.id])

    async def list_users(self) -> list[UserRecord]:
        async with self._db.read() as s:
            users = (await s.scalars(select(User).order_by(User.username))).all()
            skills = await load_skills(s, [u.id for u in users])
            return [user_record(u, skills[u.id]) for u in users]

    async def set_user_skills(self, user_id: str, skills: Iterable[str]) -> None:
        async with self._db.write() as s:
            if await s.get(User, user_id) is None:
                raise NotFound(f"no user {user_id!r}")
            await _replace_skills(s, user_id, skills)
            await bump_revision(s)

    async def set_user_password(self, user_id: str, password: str) -> None:
        """Set a new password and revoke the user's sessions (they log in again)."""
        password_hash = await self._passwords.hash(password)
        async with self._db.write() as s:
            result = await s.execute(
                update(User).where(User.id == user_id).values(password_hash=password_hash)
            )
            if not rowcount(result):
                raise NotFound(f"no user {user_id!r}")
            await s.execute(
                update(SessionToken).where(SessionToken.user_id == user_id).values(revoked=True)
            )
            await bump_revision(s)

    async def disable_user(self, user_id: str) -> None:
        """Disable the account and revoke its sessions; its tokens stop resolving at once."""
        await self._set_disabled(user_id, True)

    async def enable_user(self, user_id: str) -> None:
        await self._set_disabled(user_id, False)

    async def _set_disabled(self, user_id: str, disabled: bool) -> None:
        async with self._db.write() as s:
            result = await s.execute(
                update(User).where(User.id == user_id).values(disabled=disabled)
            )
            if not rowcount(result):
                raise NotFound(f"no user {user_id!r}")
            if disabled:
                await s.execute(
                    update(SessionToken).where(SessionToken.user_id == user_id).values(revoked=True)
                )
            await bump_revision(s)
