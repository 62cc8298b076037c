"""Calls as a pure state machine: who is in a call and which ``gen`` is current.

The booth is always the offerer. ``gen`` starts at 0 and grows by one each time
the booth rebuilds its peer connection (aiortc has no ICE restart, DESIGN.md
§3). The hub relays ``call.sdp`` / ``call.ice`` only between the call's two
parties, and only for the current gen: a booth offer with a higher gen makes
that gen current; anything older is stale and refused with ``conflict``.

Exception tree::

    CallError
     ├── CallNotFound   -> protocol "not_found"
     ├── NotAParty      -> protocol "forbidden"
     └── CallConflict   -> protocol "conflict"
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "CallState",
    "Party",
    "Call",
    "CallError",
    "CallNotFound",
    "NotAParty",
    "CallConflict",
    "CallBook",
]

log = logging.getLogger(__name__)

Party = Literal["booth", "agent"]


class CallState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class CallError(Exception):
    """Base of the call errors."""


class CallNotFound(CallError):
    pass


class NotAParty(CallError):
    pass


class CallConflict(CallError):
    pass


@dataclass
class Call:
    call_id: str
    ticket_id: str
    booth_id: str
    agent_id: str
    started_at: float
    gen: int = 0
    state: CallState = CallState.ACTIVE
    ended_at: float | None = None
    end_reason: str | None = None
    ended_by: str | None = None

    def party_of(self, kind: str, subject_id: str) -> Party:
        """Which side ``(kind, subject_id)`` is on; :class:`NotAParty` otherwise."""
        if kind == "booth" and subject_id == self.booth_id:
            return "booth"
        if kind == "agent" and subject_id == self.agent_id:
            return "agent"
        raise NotAParty(f"not a party of call {self.call_id}")

    def other(self, party: Party) -> tuple[Party, str]:
        return ("agent", self.agent_id) if party == "booth" else ("booth", self.booth_id)

    def _require_active(self) -> None:
        if self.state is not CallState.ACTIVE:
            raise CallConflict(f"call {self.call_id} has ended")

    def route_sdp(self, party: Party, gen: int, sdp_type: str) -> tuple[Party, str]:
        """Check a ``call.sdp`` and return its destination; updates ``gen`` on a new offer."""
        self._require_active()
        if sdp_type == "offer":
            if party != "booth":
                raise CallConflict("only the booth makes offers (it is the offerer)")
            if gen < self.gen:
                raise CallConflict(f"stale gen {gen}; current is {self.gen}")
            if gen > self.gen:
                log.info("call %s: gen %d -> %d (peer connection rebuilt)", self.call_id,
                         self.gen, gen)
            self.gen = gen
        elif gen != self.gen:
            raise CallConflict(f"gen {gen} is not the current gen {self.gen}")
        return self.other(party)

    def route_ice(self, party: Party, gen: int) -> tuple[Party, str]:
        """Check a ``call.ice`` and return its destination."""
        self._require_active()
        if gen != self.gen:
            raise CallConflict(f"gen {gen} is not the current gen {self.gen}")
        return self.other(party)

    def end(self, now: float, reason: str, by: str) -> float:
        """ACTIVE -> ENDED; returns the duration in seconds."""
        self._require_active()
        self.state = CallState.ENDED
        self.ended_at, self.end_reason, self.ended_by = now, reason, by
        return max(0.0, now - self.started_at)


class CallBook:
    """The live calls, indexed by id and by party."""

    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}
        self._by_subject: dict[tuple[str, str], str] = {}

    def add(self, call: Call) -> None:
        for key in (("booth", call.booth_id), ("agent", call.agent_id)):
            if key in self._by_subject:
                raise CallConflict(f"{key[0]} {key[1]} is already in a call")
        self._calls[call.call_id] = call
        self._by_subject[("booth", call.booth_id)] = call.call_id
        self._by_subject[("agent", call.agent_id)] = call.call_id

    def get(self, call_id: str) -> Call:
        call = self._calls.get(call_id)
        if call is None:
            raise CallNotFound(f"no live call {call_id}")
        return call

    def of(self, kind: str, subject_id: str) -> Call | None:
        call_id = self._by_subject.get((kind, subject_id))
        return None if call_id is None else self._calls[call_id]

    def remove(self, call_id: str) -> None:
        call = self._calls.pop(call_id, None)
        if call is not None:
            self._by_subject.pop(("booth", call.booth_id), None)
            self._by_subject.pop(("agent", call.agent_id), None)

    def __len__(self) -> int:
        return len(self._calls)

    def all(self) -> list[Call]:
        return list(self._calls.values())
