"""One helper for the adapters' background jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["guarded"]


async def guarded(coro: Coroutine[Any, Any, None], log: logging.Logger, what: str) -> None:
    """Run ``coro``; a bug in it is logged, never left as an unretrieved task exception
    that could end the booth. Cancellation passes through."""
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("booth: %s failed", what)
