"""Queue and dispatch as a pure state machine: tickets wait, agents are offered the next one.

No I/O, no asyncio, no clock (STYLE.md, "the protocol is a pure core"). Every
mutating method takes ``now`` in seconds and returns the :data:`Effect` values
the caller must carry out, in order (push an offer, push a ticket update, start
a call, ...). The caller must call :meth:`Dispatcher.tick` no later than
:meth:`Dispatcher.next_deadline`; calling it more often is harmless.

Order (DESIGN.md §4): priority tickets first, then by enqueue time, then by
insertion. A ticket's place is fixed by that key, so after a timed-out or
declined offer it goes back to exactly where it was.

Ticket states::

    WAITING -> OFFERED -> SERVING -> DONE
    OFFERED -> WAITING                        (timeout, decline, withdrawal)
    WAITING | OFFERED -> CANCELLED | ABANDONED
    WAITING | OFFERED | SERVING -> WAITING    (transfer to another department)

Agent states::

    OFFLINE -> AWAY <-> AVAILABLE -> OFFERED -> IN_CALL -> WRAP_UP -> AVAILABLE
    OFFERED -> AVAILABLE | AWAY               (decline, timeout, withdrawal)
    any -> OFFLINE                            (IN_CALL only through agent_gone)
    OFFLINE -> IN_CALL                        (reconnects while its call is open)

Exception tree::

    QueueError
     ├── NotFound   -> protocol "not_found" (unknown ticket, agent or offer)
     └── Conflict   -> protocol "conflict"  (wrong state or wrong owner)

A method that raises has changed nothing.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import count
from typing import TypeAlias

__all__ = [
    "AgentState",
    "TicketState",
    "Priority",
    "QueueConfig",
    "Offer",
    "OfferWithdrawn",
    "Assigned",
    "TicketUpdate",
    "AgentStateChanged",
    "QueueChanged",
    "Effect",
    "QueueError",
    "NotFound",
    "Conflict",
    "TicketView",
    "AgentView",
    "DepartmentSnapshot",
    "Dispatcher",
]

log = logging.getLogger(__name__)


class AgentState(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    OFFERED = "offered"
    IN_CALL = "in_call"
    WRAP_UP = "wrap_up"
    AWAY = "away"


class TicketState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    SERVING = "serving"
    DONE = "done"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"


class Priority(StrEnum):
    NORMAL = "normal"
    PRIORITY = "priority"


_T, _A = TicketState, AgentState
_LIVE = frozenset({_T.WAITING, _T.OFFERED, _T.SERVING})
_QUEUED = frozenset({_T.WAITING, _T.OFFERED})
_STAFFED = frozenset({_A.AVAILABLE, _A.OFFERED, _A.IN_CALL, _A.WRAP_UP})  # count for ETA
_REQUESTABLE = frozenset({_A.AVAILABLE, _A.AWAY, _A.OFFLINE})

_TICKET_MOVES: dict[TicketState, frozenset[TicketState]] = {
    _T.WAITING: frozenset({_T.OFFERED, _T.WAITING, _T.CANCELLED, _T.ABANDONED}),
    _T.OFFERED: frozenset({_T.WAITING, _T.SERVING, _T.CANCELLED, _T.ABANDONED}),
    _T.SERVING: frozenset({_T.WAITING, _T.DONE}),
    _T.DONE: frozenset(),
    _T.CANCELLED: frozenset(),
    _T.ABANDONED: frozenset(),
}
_AGENT_MOVES: dict[AgentState, frozenset[AgentState]] = {
    _A.OFFLINE: frozenset({_A.AWAY, _A.AVAILABLE, _A.IN_CALL}),
    _A.AWAY: frozenset({_A.AVAILABLE, _A.OFFLINE}),
    _A.AVAILABLE: frozenset({_A.OFFERED, _A.AWAY, _A.OFFLINE}),
    _A.OFFERED: frozenset({_A.IN_CALL, _A.AVAILABLE, _A.AWAY, _A.OFFLINE}),
    _A.IN_CALL: frozenset({_A.WRAP_UP, _A.OFFLINE}),
    _A.WRAP_UP: frozenset({_A.AVAILABLE, _A.AWAY, _A.OFFLINE}),
}


@dataclass(frozen=True)
class QueueConfig:
    """Timers and ETA inputs; ``retain_finished`` bounds how many ended tickets stay queryable."""

    offer_timeout_s: float = 20.0
    wrap_up_s: float = 30.0
    max_misses: int = 2
    decline_cooldown_s: float = 30.0
    default_handle_s: float = 300.0
    handle_window: int = 20
    retain_finished: int = 1000

    def __post_init__(self) -> None:
        if not self.offer_timeout_s > 0 or not self.default_handle_s > 0:
            raise ValueError("offer_timeout_s and default_handle_s must be > 0")
        if not (self.wrap_up_s >= 0 and self.decline_cooldown_s >= 0):
            raise ValueError("wrap_up_s and decline_cooldown_s must be >= 0")
        if self.max_misses < 1 or self.handle_window < 1 or self.retain_finished < 1:
            raise ValueError("max_misses, handle_window and retain_finished must be >= 1")


# ---------------------------------------------------------------------------- effects


@dataclass(frozen=True)
class Offer:
    """Push ``ticket.offer`` to the agent; it is withdrawn by tick() after ``timeout_s``."""

    offer_id: str
    ticket_id: str
    agent_id: str
    timeout_s: float


@dataclass(frozen=True)
class OfferWithdrawn:
    """The offer is void ("timeout", "cancelled", "abandoned", "suspended", "transferred",
    "agent_away", "agent_offline"); tell the agent."""

    offer_id: str
    agent_id: str
    ticket_id: str
    reason: str


@dataclass(frozen=True)
class Assigned:
    """An accept succeeded: the caller must create the call between booth and agent."""

    ticket_id: str
    agent_id: str
    offer_id: str


@dataclass(frozen=True)
class TicketUpdate:
    """The ticket's (state, position, eta_s), or its department, differs from what was last
    emitted for it. Read :meth:`Dispatcher.ticket` for the rest."""

    ticket_id: str
    state: TicketState
    position: int
    eta_s: int


@dataclass(frozen=True)
class AgentStateChanged:
    agent_id: str
    state: AgentState
    reason: str | None


@dataclass(frozen=True)
class QueueChanged:
    """The :class:`DepartmentSnapshot` of these departments changed (apart from the clock)."""

    department_ids: frozenset[str]


Effect: TypeAlias = (
    Offer | OfferWithdrawn | Assigned | TicketUpdate | AgentStateChanged | QueueChanged
)


class QueueError(Exception):
    """Base of the queue errors."""


class NotFound(QueueError):
    pass


class Conflict(QueueError):
    pass


# ---------------------------------------------------------------------------- views


@dataclass(frozen=True)
class TicketView:
    """``position``/``eta_s`` are 0 unless WAITING or OFFERED; ``agent_id`` is the agent
    offered or serving (kept after DONE)."""

    ticket_id: str
    number: str
    department_id: str
    priority: Priority
    state: TicketState
    position: int
    eta_s: int
    booth_id: str
    agent_id: str | None
    suspended: bool
    enqueued_at: float


@dataclass(frozen=True)
class AgentView:
    """``ticket_id`` is the ticket of the current offer or of the open call."""

    agent_id: str
    state: AgentState
    skills: frozenset[str]
    misses: int
    offer_id: str | None
    ticket_id: str | None
    wrap_up_until: float | None
    available_since: float | None


@dataclass(frozen=True)
class DepartmentSnapshot:
    """``waiting`` counts WAITING and OFFERED tickets (suspended ones included)."""

    department_id: str
    waiting: int
    oldest_wait_s: int
    agents_available: int


@dataclass(eq=False)
class _Ticket:
    ticket_id: str
    number: str
    department_id: str
    priority: Priority
    booth_id: str
    enqueued_at: float
    seq: int
    state: TicketState = _T.WAITING
    suspended: bool = False
    agent_id: str | None = None
    offer_id: str | None = None
    cooldown: dict[str, float] = field(default_factory=dict)  # agent_id -> excluded until
    emitted: tuple[TicketState, int, int, str] | None = None  # last update, with department

    @property
    def key(self) -> tuple[int, float, int]:
        return (0 if self.priority is Priority.PRIORITY else 1, self.enqueued_at, self.seq)


@dataclass(eq=False)
class _Agent:
    agent_id: str
    skills: frozenset[str]
    state: AgentState = _A.OFFLINE
    available_since: float | None = None
    misses: int = 0
    offer_id: str | None = None
    ticket_id: str | None = None
    call_department: str | None = None  # for the handle-time window, survives a transfer
    wrap_up_until: float | None = None
    connected: bool = False  # False after agent_gone: agent_online is then a reconnect


@dataclass(eq=False)
class _Offer:
    offer_id: str
    ticket_id: str
    agent_id: str
    deadline: float


_Fingerprint = tuple[int, float | None, int]  # waiting, oldest enqueued_at, agents available


def _new_offer_id() -> str:
    return uuid.uuid4().hex


_DEFAULT_CONFIG = QueueConfig()


class Dispatcher:
    """Tickets, agents and offers of one hub. Not thread-safe: the caller serializes calls.

    After every mutating call the dispatcher has already run dispatch, so the
    returned effects include any new offers.
    """

    def __init__(
        self, config: QueueConfig = _DEFAULT_CONFIG, offer_ids: Callable[[], str] | None = None
    ) -> None:
        self.config = config
        self._offer_ids = offer_ids or _new_offer_id
        self._tickets: dict[str, _Ticket] = {}
        self._agents: dict[str, _Agent] = {}
        self._offers: dict[str, _Offer] = {}
        self._handle: dict[str, deque[float]] = {}
        self._finished: deque[str] = deque()
        self._seq = count()
        self._fx: list[Effect] = []

    # ------------------------------------------------------------------ tickets

    def add_ticket(
        self, ticket_id: str, department_id: str, priority: Priority, number: str,
        booth_id: str, now: float, *, enqueued_at: float | None = None,
    ) -> list[Effect]:
        """Queue a new WAITING ticket. ``enqueued_at`` (default ``now``) restores a ticket's
        place after a restart. Conflict if the id is already known."""
        if ticket_id in self._tickets:
            raise Conflict(f"ticket {ticket_id} already exists")
        before = self._begin()
        self._tickets[ticket_id] = _Ticket(
            ticket_id, number, department_id, Priority(priority), booth_id,
            now if enqueued_at is None else enqueued_at, next(self._seq))
        return self._end(now, before)

    def restore_serving(
        self, ticket_id: str, department_id: str, priority: Priority, number: str,
        booth_id: str, agent_id: str, now: float, *, enqueued_at: float | None = None,
    ) -> list[Effect]:
        """After a restart: a SERVING ticket whose call is still open with ``agent_id``.

        An unknown agent is registered OFFLINE (no skills) holding the call;
        :meth:`agent_online` then brings it back IN_CALL. The caller ends the call with
        :meth:`call_ended` as usual."""
        if ticket_id in self._tickets:
            raise Conflict(f"ticket {ticket_id} already exists")
        a = self._agents.get(agent_id)
        if a is not None and (a.state is not _A.OFFLINE or a.ticket_id is not None):
            raise Conflict(f"agent {agent_id} is {a.state}, cannot hold a restored call")
        before = self._begin()
        if a is None:
            a = self._agents[agent_id] = _Agent(agent_id, frozenset())
        t = _Ticket(ticket_id, number, department_id, Priority(priority), booth_id,
                    now if enqueued_at is None else enqueued_at, next(self._seq),
                    state=_T.SERVING, agent_id=agent_id)
        self._tickets[ticket_id] = t
        a.ticket_id, a.call_department = ticket_id, department_id
        return self._end(now, before)

    def cancel_ticket(self, ticket_id: str, now: float, *, abandoned: bool = False) -> list[Effect]:
        """WAITING/OFFERED -> CANCELLED (or ABANDONED). An outstanding offer is withdrawn
        and its agent is AVAILABLE again, without a miss."""
        t = self._ticket(ticket_id)
        to = _T.ABANDONED if abandoned else _T.CANCELLED
        self._check_ticket(t, to)
        before = self._begin()
        if t.state is _T.OFFERED:
            self._withdraw_for_ticket(t, to.value)
        self._ticket_to(t, to)
        return self._end(now, before)

    def suspend_ticket(self, ticket_id: str, now: float) -> list[Effect]:
        """The booth dropped: the WAITING/OFFERED ticket keeps its place and position but is
        not offered (an outstanding offer is withdrawn, not a miss). Idempotent."""
        t = self._ticket(ticket_id)
        if t.state not in _QUEUED:
            raise Conflict(f"ticket {ticket_id} is {t.state}, only a queued ticket is suspended")
        if t.suspended:
            return []
        before = self._begin()
        if t.state is _T.OFFERED:
            self._withdraw_for_ticket(t, "suspended")
        t.suspended = True
        return self._end(now, before)

    def resume_ticket(self, ticket_id: str, now: float) -> list[Effect]:
        """The booth is back: the ticket is eligible again. Idempotent for a live ticket."""
        t = self._ticket(ticket_id)
        if t.state not in _LIVE:
            raise Conflict(f"ticket {ticket_id} is {t.state}")
        if not t.suspended:
            return []
        before = self._begin()
        t.suspended = False
        return self._end(now, before)

    def transfer_ticket(self, ticket_id: str, department_id: str, now: float) -> list[Effect]:
        """Move a live ticket to ``department_id``'s queue as WAITING, keeping its priority
        and original enqueue time (so its place among that queue's tickets).

        OFFERED: the offer is withdrawn (not a miss). SERVING: the serving agent stays
        IN_CALL; the caller ends the call and then calls :meth:`call_ended`, which leaves
        the transferred ticket alone. A queued ticket already in ``department_id`` is a
        no-op; a SERVING one goes back to its queue."""
        t = self._ticket(ticket_id)
        if t.state not in _LIVE:
            raise Conflict(f"ticket {ticket_id} is {t.state}, cannot transfer")
        if t.state in _QUEUED and t.department_id == department_id:
            return []
        before = self._begin()
        if t.state is _T.OFFERED:
            self._withdraw_for_ticket(t, "transferred")
        elif t.state is _T.SERVING:
            t.agent_id = None
            self._ticket_to(t, _T.WAITING)
        t.department_id = department_id
        t.cooldown.clear()
        return self._end(now, before)

    def finish_ticket(self, ticket_id: str, now: float) -> list[Effect]:
        """SERVING -> DONE. The agent is untouched: its call ends through call_ended."""
        t = self._ticket(ticket_id)
        self._check_ticket(t, _T.DONE)
        before = self._begin()
        self._ticket_to(t, _T.DONE)
        return self._end(now, before)

    # ------------------------------------------------------------------ agents

    def agent_online(self, agent_id: str, skills: Iterable[str], now: float) -> list[Effect]:
        """Register or refresh an agent. A new agent, or one that was gone (agent_gone,
        restore_serving), comes online AWAY, or IN_CALL if its call is still open. A
        connected agent keeps its state (OFFLINE by request included); skills change."""
        skill_set = frozenset(skills)
        before = self._begin()
        a = self._agents.get(agent_id)
        if a is None:
            a = self._agents[agent_id] = _Agent(agent_id, skill_set)
        a.skills = skill_set
        if a.state is _A.OFFLINE and not a.connected:
            self._agent_to(a, _A.IN_CALL if a.ticket_id is not None else _A.AWAY, "online")
        a.connected = True
        return self._end(now, before)

    def agent_back(self, agent_id: str, now: float) -> list[Effect]:
        """The agent reconnected while its call is open: OFFLINE -> IN_CALL. Idempotent."""
        a = self._agent(agent_id)
        if a.state is _A.IN_CALL:
            return []
        if a.state is not _A.OFFLINE or a.ticket_id is None:
            raise Conflict(f"agent {agent_id} is {a.state} without an open call")
        before = self._begin()
        self._agent_to(a, _A.IN_CALL, "back")
        return self._end(now, before)

    def set_agent_state(
        self, agent_id: str, state: AgentState, now: float, reason: str | None = None
    ) -> list[Effect]:
        """The agent asks for AVAILABLE, AWAY or OFFLINE. Same state is a no-op.

        Conflict while IN_CALL (or OFFLINE with the call still open), and for AVAILABLE
        while OFFERED (accept or decline first). AWAY/OFFLINE while OFFERED withdraws
        the offer (not a miss). AVAILABLE ends wrap-up early, resets misses and sets
        ``available_since = now``."""
        a = self._agent(agent_id)
        to = AgentState(state)
        if to not in _REQUESTABLE:
            raise Conflict(f"an agent may ask only for available, away or offline, not {to}")
        if a.ticket_id is not None and a.state in (_A.IN_CALL, _A.OFFLINE):
            raise Conflict(f"agent {agent_id} is in a call; the call must end first")
        if to is a.state:
            return []
        if a.state is _A.OFFERED and to is _A.AVAILABLE:
            raise Conflict(f"agent {agent_id} has an offer to accept or decline")
        self._check_agent(a, to)
        before = self._begin()
        if a.state is _A.OFFERED:
            self._withdraw_for_agent(a, "agent_offline" if to is _A.OFFLINE else "agent_away")
        a.wrap_up_until = None
        if to is _A.AVAILABLE:
            a.misses, a.available_since = 0, now
        self._agent_to(a, to, reason)
        return self._end(now, before)

    def agent_gone(self, agent_id: str, now: float) -> list[Effect]:
        """Connection lost: OFFLINE from any state. An offer is withdrawn ("agent_offline");
        in a call, the ticket stays SERVING and the agent keeps the call (the caller owns
        its grace period and ends it with call_ended). Idempotent."""
        a = self._agent(agent_id)
        if a.state is _A.OFFLINE:
            a.connected = False
            return []
        before = self._begin()
        if a.state is _A.OFFERED:
            self._withdraw_for_agent(a, "agent_offline")
        a.wrap_up_until, a.connected = None, False
        self._agent_to(a, _A.OFFLINE, "gone")
        return self._end(now, before)

    def accept(self, agent_id: str, offer_id: str, now: float) -> list[Effect]:
        """The agent takes its current offer: ticket SERVING, agent IN_CALL, misses reset;
        emits :class:`Assigned` (the caller creates the call). An offer stays acceptable
        until tick() expires it. NotFound for an offer that is not outstanding, Conflict
        for another agent's offer."""
        a = self._agent(agent_id)
        o = self._offer_of(a, offer_id)
        t = self._tickets[o.ticket_id]
        self._check_ticket(t, _T.SERVING)
        self._check_agent(a, _A.IN_CALL)
        before = self._begin()
        self._unlink(o)
        t.agent_id, t.cooldown = a.agent_id, {}
        a.ticket_id, a.call_department, a.misses = t.ticket_id, t.department_id, 0
        self._ticket_to(t, _T.SERVING)
        self._fx.append(Assigned(t.ticket_id, a.agent_id, o.offer_id))
        self._agent_to(a, _A.IN_CALL, None)
        return self._end(now, before)

    def decline(self, agent_id: str, offer_id: str, now: float) -> list[Effect]:
        """The agent refuses its current offer: the ticket goes back to its place and is not
        offered to this agent for ``decline_cooldown_s``; the agent is AVAILABLE with
        ``available_since = now`` and misses reset."""
        a = self._agent(agent_id)
        o = self._offer_of(a, offer_id)
        t = self._tickets[o.ticket_id]
        self._check_ticket(t, _T.WAITING)
        self._check_agent(a, _A.AVAILABLE)
        before = self._begin()
        self._unlink(o)
        if self.config.decline_cooldown_s > 0:
            t.cooldown[a.agent_id] = now + self.config.decline_cooldown_s
        self._ticket_to(t, _T.WAITING)
        a.misses, a.available_since = 0, now
        self._agent_to(a, _A.AVAILABLE, "declined")
        return self._end(now, before)

    def call_ended(
        self, agent_id: str, ticket_id: str, now: float, handle_s: float
    ) -> list[Effect]:
        """The agent's call for ``ticket_id`` ended after ``handle_s`` seconds.

        Records ``handle_s`` for the department the call was taken in; the ticket goes
        DONE if this agent is still serving it (a transferred or finished ticket is left
        alone); the agent goes WRAP_UP until ``now + wrap_up_s``, or stays OFFLINE."""
        a = self._agent(agent_id)
        if a.ticket_id != ticket_id or a.state not in (_A.IN_CALL, _A.OFFLINE):
            raise Conflict(f"agent {agent_id} has no open call for ticket {ticket_id}")
        if not (handle_s >= 0 and math.isfinite(handle_s)):
            raise ValueError(f"handle_s must be finite and >= 0, got {handle_s}")
        before = self._begin()
        if a.call_department is not None:
            window = self._handle.setdefault(
                a.call_department, deque(maxlen=self.config.handle_window))
            window.append(handle_s)
        t = self._tickets.get(ticket_id)
        if t is not None and t.state is _T.SERVING and t.agent_id == agent_id:
            self._ticket_to(t, _T.DONE)
        a.ticket_id = a.call_department = None
        if a.state is _A.IN_CALL:
            a.wrap_up_until = now + self.config.wrap_up_s
            self._agent_to(a, _A.WRAP_UP, "call_ended")
        return self._end(now, before)

    # ------------------------------------------------------------------ time

    def tick(self, now: float) -> list[Effect]:
        """Handle everything due at ``now``: offer timeouts (ticket back to its place, agent
        misses + 1, AWAY "missed_offers" on the ``max_misses``-th miss in a row, else
        AVAILABLE at the back of the idle order), wrap-up ends (AVAILABLE since the
        deadline) and decline cooldown ends; then dispatch."""
        before = self._begin()
        for o in sorted(self._offers.values(), key=lambda o: (o.deadline, o.offer_id)):
            if o.deadline <= now:
                self._time_out(o, now)
        for a in sorted(self._agents.values(), key=lambda a: a.agent_id):
            if a.state is _A.WRAP_UP and a.wrap_up_until is not None and a.wrap_up_until <= now:
                a.available_since, a.wrap_up_until, a.misses = a.wrap_up_until, None, 0
                self._agent_to(a, _A.AVAILABLE, "wrap_up_done")
        for t in self._tickets.values():
            for agent_id in [k for k, until in t.cooldown.items() if until <= now]:
                del t.cooldown[agent_id]
        return self._end(now, before)

    def next_deadline(self) -> float | None:
        """Earliest time tick() has work to do, or None. After tick(t) it is > t."""
        times = [o.deadline for o in self._offers.values()]
        times += [a.wrap_up_until for a in self._agents.values()
                  if a.state is _A.WRAP_UP and a.wrap_up_until is not None]
        times += [u for t in self._tickets.values() for u in t.cooldown.values()]
        return min(times, default=None)

    # ------------------------------------------------------------------ queries

    def ticket(self, ticket_id: str) -> TicketView:
        """The ticket's view; ended tickets stay queryable for ``retain_finished`` more."""
        t = self._ticket(ticket_id)
        pos, eta = self._place(t, self._positions(), self._staff())
        return self._view(t, pos, eta)

    def agent(self, agent_id: str) -> AgentView:
        a = self._agent(agent_id)
        return AgentView(a.agent_id, a.state, a.skills, a.misses, a.offer_id, a.ticket_id,
                         a.wrap_up_until, a.available_since)

    def live_tickets(self) -> list[TicketView]:
        """WAITING, OFFERED and SERVING tickets, in queue order."""
        positions, staff = self._positions(), self._staff()
        live = sorted((t for t in self._tickets.values() if t.state in _LIVE),
                      key=lambda t: t.key)
        return [self._view(t, *self._place(t, positions, staff)) for t in live]

    def snapshot(
        self, now: float, department_ids: Iterable[str] | None = None
    ) -> list[DepartmentSnapshot]:
        """One entry per department with live tickets or an agent having it as a skill,
        plus every id in ``department_ids``; sorted by id."""
        prints = self._fingerprints()
        out = []
        for dept in sorted(prints.keys() | set(department_ids or ())):
            waiting, oldest, available = prints.get(dept, (0, None, 0))
            wait_s = 0 if oldest is None else max(0, math.floor(now - oldest))
            out.append(DepartmentSnapshot(dept, waiting, wait_s, available))
        return out

    # ------------------------------------------------------------------ guarded transitions

    def _check_ticket(self, t: _Ticket, to: TicketState) -> None:
        if to not in _TICKET_MOVES[t.state]:
            log.debug("refused ticket %s: %s -> %s", t.ticket_id, t.state, to)
            raise Conflict(f"ticket {t.ticket_id} is {t.state}, cannot become {to}")

    def _ticket_to(self, t: _Ticket, to: TicketState) -> None:
        self._check_ticket(t, to)
        log.debug("ticket %s: %s -> %s", t.ticket_id, t.state, to)
        t.state = to
        if to not in _LIVE:
            t.suspended, t.cooldown = False, {}
            self._finished.append(t.ticket_id)

    def _check_agent(self, a: _Agent, to: AgentState) -> None:
        if to not in _AGENT_MOVES[a.state]:
            log.debug("refused agent %s: %s -> %s", a.agent_id, a.state, to)
            raise Conflict(f"agent {a.agent_id} is {a.state}, cannot become {to}")

    def _agent_to(self, a: _Agent, to: AgentState, reason: str | None) -> None:
        self._check_agent(a, to)
        log.debug("agent %s: %s -> %s (%s)", a.agent_id, a.state, to, reason)
        a.state = to
        self._fx.append(AgentStateChanged(a.agent_id, to, reason))

    # ------------------------------------------------------------------ offers

    def _offer_of(self, a: _Agent, offer_id: str) -> _Offer:
        o = self._offers.get(offer_id)
        if o is None:
            raise NotFound(f"offer {offer_id} is not outstanding (expired, withdrawn or unknown)")
        if o.agent_id != a.agent_id:
            raise Conflict(f"offer {offer_id} belongs to another agent")
        return o

    def _unlink(self, o: _Offer) -> tuple[_Ticket, _Agent]:
        """Forget the offer on both sides; states are the caller's business."""
        del self._offers[o.offer_id]
        t, a = self._tickets[o.ticket_id], self._agents[o.agent_id]
        t.offer_id = t.agent_id = None
        a.offer_id = a.ticket_id = None
        return t, a

    def _withdraw_for_ticket(self, t: _Ticket, reason: str) -> None:
        """Withdraw t's offer for a reason on the ticket's side: t WAITING, agent AVAILABLE
        with its idle time kept (it did nothing wrong)."""
        assert t.offer_id is not None
        o = self._offers[t.offer_id]
        self._fx.append(OfferWithdrawn(o.offer_id, o.agent_id, o.ticket_id, reason))
        _, a = self._unlink(o)
        self._ticket_to(t, _T.WAITING)
        self._agent_to(a, _A.AVAILABLE, reason)

    def _withdraw_for_agent(self, a: _Agent, reason: str) -> None:
        """Withdraw a's offer for a reason on the agent's side: ticket back to its place;
        the caller moves the agent on."""
        assert a.offer_id is not None
        o = self._offers[a.offer_id]
        self._fx.append(OfferWithdrawn(o.offer_id, o.agent_id, o.ticket_id, reason))
        t, _ = self._unlink(o)
        self._ticket_to(t, _T.WAITING)

    def _time_out(self, o: _Offer, now: float) -> None:
        self._fx.append(OfferWithdrawn(o.offer_id, o.agent_id, o.ticket_id, "timeout"))
        t, a = self._unlink(o)
        self._ticket_to(t, _T.WAITING)
        a.misses += 1
        if a.misses >= self.config.max_misses:
            self._agent_to(a, _A.AWAY, "missed_offers")
        else:
            a.available_since = now
            self._agent_to(a, _A.AVAILABLE, "missed_offer")

    def _dispatch(self, now: float) -> None:
        """Offer eligible tickets, in queue order, to the longest-idle skilled agent."""
        idle = sorted((a for a in self._agents.values() if a.state is _A.AVAILABLE),
                      key=lambda a: (a.available_since or 0.0, a.agent_id))
        if not idle:
            return
        eligible = sorted((t for t in self._tickets.values()
                           if t.state is _T.WAITING and not t.suspended), key=lambda t: t.key)
        for t in eligible:
            for a in idle:
                if t.department_id in a.skills and t.cooldown.get(a.agent_id, -math.inf) <= now:
                    self._offer(t, a, now)
                    idle.remove(a)
                    break
            if not idle:
                return

    def _offer(self, t: _Ticket, a: _Agent, now: float) -> None:
        offer_id = self._offer_ids()
        if offer_id in self._offers:
            raise RuntimeError(f"offer id factory repeated {offer_id!r}")
        self._offers[offer_id] = _Offer(offer_id, t.ticket_id, a.agent_id,
                                        now + self.config.offer_timeout_s)
        t.offer_id, t.agent_id = offer_id, a.agent_id
        a.offer_id, a.ticket_id = offer_id, t.ticket_id
        self._ticket_to(t, _T.OFFERED)
        self._agent_to(a, _A.OFFERED, None)
        self._fx.append(Offer(offer_id, t.ticket_id, a.agent_id, self.config.offer_timeout_s))

    # ------------------------------------------------------------------ bookkeeping

    def _ticket(self, ticket_id: str) -> _Ticket:
        try:
            return self._tickets[ticket_id]
        except KeyError:
            raise NotFound(f"no ticket {ticket_id}") from None

    def _agent(self, agent_id: str) -> _Agent:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise NotFound(f"no agent {agent_id}") from None

    def _begin(self) -> dict[str, _Fingerprint]:
        self._fx = []
        return self._fingerprints()

    def _end(self, now: float, before: dict[str, _Fingerprint]) -> list[Effect]:
        """Dispatch, then append ticket updates and the queue change; prune ended tickets."""
        self._dispatch(now)
        fx, self._fx = self._fx, []
        positions, staff = self._positions(), self._staff()
        for t in self._tickets.values():
            if t.state in _LIVE or t.emitted is None or t.emitted[0] is not t.state:
                pos, eta = self._place(t, positions, staff)
                if t.emitted != (t.state, pos, eta, t.department_id):
                    t.emitted = (t.state, pos, eta, t.department_id)
                    fx.append(TicketUpdate(t.ticket_id, t.state, pos, eta))
        after = self._fingerprints()
        changed = frozenset(d for d in before.keys() | after.keys()
                            if before.get(d) != after.get(d))
        if changed:
            fx.append(QueueChanged(changed))
        while len(self._finished) > self.config.retain_finished:
            self._tickets.pop(self._finished.popleft(), None)
        return fx

    def _positions(self) -> dict[str, int]:
        """1-based rank of every WAITING/OFFERED ticket within its department."""
        queued = sorted((t for t in self._tickets.values() if t.state in _QUEUED),
                        key=lambda t: t.key)
        ranks: dict[str, int] = {}
        out: dict[str, int] = {}
        for t in queued:
            ranks[t.department_id] = out[t.ticket_id] = ranks.get(t.department_id, 0) + 1
        return out

    def _staff(self) -> dict[str, int]:
        """Agents counted for ETA (not OFFLINE/AWAY), per skill."""
        out: dict[str, int] = {}
        for a in self._agents.values():
            if a.state in _STAFFED:
                for dept in a.skills:
                    out[dept] = out.get(dept, 0) + 1
        return out

    def _place(
        self, t: _Ticket, positions: dict[str, int], staff: dict[str, int]
    ) -> tuple[int, int]:
        pos = positions.get(t.ticket_id, 0)
        if pos == 0:
            return 0, 0
        window = self._handle.get(t.department_id)
        mean = sum(window) / len(window) if window else self.config.default_handle_s
        return pos, math.ceil(pos * mean / max(1, staff.get(t.department_id, 0)))

    def _fingerprints(self) -> dict[str, _Fingerprint]:
        waiting: dict[str, int] = {}
        oldest: dict[str, float] = {}
        available: dict[str, int] = {}
        for t in self._tickets.values():
            if t.state in _LIVE:
                waiting.setdefault(t.department_id, 0)
            if t.state in _QUEUED:
                waiting[t.department_id] += 1
                oldest[t.department_id] = min(oldest.get(t.department_id, math.inf),
                                              t.enqueued_at)
        for a in self._agents.values():
            for dept in a.skills:
                available[dept] = available.get(dept, 0) + (a.state is _A.AVAILABLE)
        return {d: (waiting.get(d, 0), oldest.get(d), available.get(d, 0))
                for d in waiting.keys() | available.keys()}

    @staticmethod
    def _view(t: _Ticket, position: int, eta_s: int) -> TicketView:
        return TicketView(t.ticket_id, t.number, t.department_id, t.priority, t.state,
                          position, eta_s, t.booth_id, t.agent_id, t.suspended, t.enqueued_at)
