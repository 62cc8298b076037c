"""When each booth was last seen: kept in memory on every sign of life, written to
the store in batches (a write per heartbeat would cost 500 writes/s at 10 000 booths)."""

from __future__ import annotations

__all__ = ["Presence"]


class Presence:
    """``saw`` is cheap and called on hello, status, ping and disconnect; ``take_dirty``
    hands the changed entries to the writer once per flush period."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self._dirty: set[str] = set()

    def saw(self, booth_id: str, at: float) -> None:
        if at > self.seen.get(booth_id, float("-inf")):
            self.seen[booth_id] = at
            self._dirty.add(booth_id)

    def take_dirty(self) -> dict[str, float]:
        """The entries changed since the last call (and forget that they changed)."""
        out = {b: self.seen[b] for b in self._dirty}
        self._dirty.clear()
        return out

    def put_back(self, batch: dict[str, float]) -> None:
        """A flush failed: mark its entries dirty again unless they moved on since."""
        for booth_id, at in batch.items():
            if self.seen.get(booth_id) == at:
                self._dirty.add(booth_id)
