"""The store's one exception tree.

::

    StoreError                 anything the store could not do (database errors too)
     ├── NotFound              no such user / booth / ticket / call / service ...
     ├── Conflict              unique value taken, wrong state (call already ended ...)
     ├── InvalidCredentials    unknown user, wrong password, unknown or used code
     ├── Expired               an enrollment code past its expiry
     └── Revoked               a revoked booth

Database driver errors are translated at the boundary (``db.py``) into
``Conflict`` (integrity errors) or ``StoreError`` (the rest), chained with
``from exc``.
"""

from __future__ import annotations

__all__ = ["StoreError", "NotFound", "Conflict", "InvalidCredentials", "Expired", "Revoked"]


class StoreError(Exception):
    """Base of every error the store raises."""


class NotFound(StoreError):
    """The named row does not exist."""


class Conflict(StoreError):
    """A unique value is taken or the row is in the wrong state for the change."""


class InvalidCredentials(StoreError):
    """Unknown username, wrong password, disabled user, unknown or used code."""


class Expired(StoreError):
    """A credential that was valid but is past its expiry."""


class Revoked(StoreError):
    """A credential (booth) that an admin revoked."""
