"""A guard against a reference-count bug of the Qt binding on CPython 3.11.

PySide6 / shiboken6 6.12.0 returns ``None`` from every void method and ``True``
from a signal's ``emit`` without taking a reference (as if they were immortal,
which they are only from CPython 3.12 on, PEP 683). On CPython 3.11 each such call
takes one reference away, and when one of these counts reaches zero the process
aborts: ``Fatal Python error: none_dealloc`` (or ``bool_dealloc``). The kiosk
makes thousands of such calls a minute (two video widgets at 25 fps alone lose
about 400 references of ``None`` a second), so it aborted within minutes of a
call, or at exit. ``tests/ui/test_refguard.py`` shows the binding's loss.

:func:`protect` gives ``None``, ``True`` and ``False`` a very large number of
extra references (2**40: years of calls) and tops them up when they run low
(:func:`keep_protected` checks every minute). Extra references to these
singletons are harmless: they are never freed. Nothing is done on CPython 3.12+
(immortal objects), nor on a build whose object layout is not the usual one.

The real fix is outside the booth: a PySide6 without the bug, or CPython 3.12.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any, Final

__all__ = ["protect", "keep_protected", "TOP_UP", "FLOOR"]

log = logging.getLogger(__name__)

TOP_UP: Final = 1 << 40
FLOOR: Final = 1 << 39
_SINGLETONS: Final = (None, True, False)


def _cell(obj: object) -> ctypes.c_ssize_t | None:
    """``obj``'s reference count field, if this build lays objects out as expected."""
    cell = ctypes.c_ssize_t.from_address(id(obj))
    return cell if cell.value == sys.getrefcount(obj) - 1 else None


def protect() -> bool:
    """Top up the singletons' reference counts if they are below :data:`FLOOR`.
    Returns whether the guard applies here (CPython < 3.12 with the usual layout).
    Call with the GIL held (any Python code does)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for obj in _SINGLETONS:
        cell = _cell(obj)
        if cell is None:
            log.warning("booth: refguard: unexpected object layout; not applied")
            return False
        if cell.value < FLOOR:
            cell.value += TOP_UP
    return True


def keep_protected(parent: Any = None, interval_ms: int = 60_000) -> Any:
    """:func:`protect` now and every ``interval_ms`` on a ``QTimer`` (returned; keep it).
    Returns None where the guard does not apply."""
    if not protect():
        return None
    from PySide6.QtCore import QTimer

    timer = QTimer(parent)
    timer.setInterval(interval_ms)
    timer.timeout.connect(protect)
    timer.start()
    return timer
