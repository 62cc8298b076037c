"""The one way the hub sends to a connected party: publish a frame to an address.

Addresses name subjects, not sockets: ``booth:<id>``, ``agent:<id>``,
``admin:<id>``, plus the group ``agents`` (every connected agent). Today the
bus is in-process; a Redis pub/sub bus with the same two methods lets several
hub nodes share it (DESIGN.md §3, scale-out path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["Bus", "InProcessBus", "Sink", "address"]

Sink = Callable[[str], None]
"""Takes one encoded frame; must not block (it enqueues)."""


def address(kind: str, subject_id: str) -> str:
    return f"{kind}:{subject_id}"


class Bus(Protocol):
    def publish(self, addr: str, frame: str) -> int:
        """Deliver ``frame`` to every sink attached to ``addr``; returns how many got it."""
        ...

    def attach(self, addr: str, sink: Sink) -> None: ...

    def detach(self, addr: str, sink: Sink) -> None: ...


class InProcessBus:
    """Sinks in this process, by address."""

    def __init__(self) -> None:
        self._sinks: dict[str, list[Sink]] = {}

    def publish(self, addr: str, frame: str) -> int:
        sinks = self._sinks.get(addr, ())
        for sink in tuple(sinks):
            sink(frame)
        return len(sinks)

    def attach(self, addr: str, sink: Sink) -> None:
        self._sinks.setdefault(addr, []).append(sink)

    def detach(self, addr: str, sink: Sink) -> None:
        sinks = self._sinks.get(addr)
        if sinks and sink in sinks:
            sinks.remove(sink)
            if not sinks:
                del self._sinks[addr]

    def count(self, addr: str) -> int:
        return len(self._sinks.get(addr, ()))
