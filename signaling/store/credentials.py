"""Secrets and how they are kept (DESIGN.md §5).

- Session and booth device tokens: ``secrets.token_urlsafe(32)`` (256 bits);
  the store keeps only their sha256 hex.
- Enrollment codes: 12 characters from an alphabet without look-alikes
  (no 0/O, 1/I/L), shown as ``K7QM-93XD-PW2A``; ~59 bits, one-time and short
  lived, kept as sha256 of the normalized form.
- Passwords: argon2id (argon2-cffi ``PasswordHasher``), hashed off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "new_id",
    "new_token",
    "hash_token",
    "new_enrollment_code",
    "normalize_code",
    "Passwords",
]

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_CODE_GROUP = 4


def new_id(prefix: str) -> str:
    """A random row id such as ``bth_3f9c0a1b2c3d4e5f6a7b``: readable in logs, 80 bits."""
    return f"{prefix}_{secrets.token_hex(10)}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_enrollment_code() -> str:
    """A fresh code in its display form, e.g. ``K7QM-93XD-PW2A``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + _CODE_GROUP] for i in range(0, CODE_LENGTH, _CODE_GROUP))


def normalize_code(code: str) -> str | None:
    """The canonical form of a typed code, or ``None`` when it cannot be a code."""
    cleaned = "".join(ch for ch in code.upper() if ch not in "- \t")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


class Passwords:
    """argon2 hashing; CPU-heavy work runs in a worker thread."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        if not password:
            raise ValueError("empty password")
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """Check ``password``; with no stored hash, spend the same time and say no."""
        if stored_hash is None:
            if self._dummy is None:
                self._dummy = await asyncio.to_thread(self._hasher.hash, secrets.token_hex(16))
            stored_hash = self._dummy
        try:
            return await asyncio.to_thread(self._hasher.verify, stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
