"""Service reports over a date range (pure): tickets and calls grouped by day,
department, service or agent, with the figures a service centre reports upward —
volume, outcomes of tickets, waits, call length, 好差评 by level and the
satisfaction rate, and the agents' recorded outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["TicketFact", "CallFact", "GroupBy", "GROUPINGS", "aggregate", "MAX_DAYS",
           "satisfaction"]

GroupBy = Literal["day", "department", "service", "agent"]
GROUPINGS: tuple[GroupBy, ...] = ("day", "department", "service", "agent")
MAX_DAYS = 366


def satisfaction(ratings: Mapping[int, int]) -> float | None:
    """满意率 as the 好差评 rules count it: levels 4 and 5 (满意, 非常满意) over all
    ratings; None before the first rating."""
    rated = sum(ratings.values())
    if not rated:
        return None
    return round((ratings.get(4, 0) + ratings.get(5, 0)) / rated, 4)


@dataclass(frozen=True)
class TicketFact:
    """A ticket that ended in the range (``day``: its service day)."""

    day: str
    department: tuple[str, str]  # (id, name)
    service: tuple[str, str]
    agent: tuple[str, str] | None
    state: str  # done | abandoned | cancelled
    wait_s: float | None  # from queueing to the first call; None if never called


@dataclass(frozen=True)
class CallFact:
    """A call started in the range (``day``: its service day)."""

    day: str
    department: tuple[str, str]
    service: tuple[str, str]
    agent: tuple[str, str]
    duration_s: float | None
    rating: int | None
    outcome: str | None


@dataclass
class _Acc:
    key: str
    label: str
    tickets: int = 0
    states: dict[str, int] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    calls: int = 0
    durations: list[float] = field(default_factory=list)
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    outcomes: dict[str, int] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        rated = sum(self.ratings.values())
        return {
            "key": self.key, "label": self.label, "tickets": self.tickets,
            "handled": self.states.get("done", 0),
            "abandoned": self.states.get("abandoned", 0),
            "cancelled": self.states.get("cancelled", 0),
            "avg_wait_s": _mean(self.waits), "calls": self.calls,
            "avg_call_s": _mean(self.durations),
            "ratings": {str(k): v for k, v in self.ratings.items()}, "rated": rated,
            "satisfaction": satisfaction(self.ratings),
            "dissatisfied": self.ratings[1] + self.ratings[2],
            "outcomes": dict(sorted(self.outcomes.items())),
        }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _key(fact: TicketFact | CallFact, by: GroupBy) -> tuple[str, str]:
    if by == "day":
        return fact.day, fact.day
    if by == "department":
        return fact.department
    if by == "service":
        return fact.service
    return fact.agent if fact.agent is not None else ("", "")


def aggregate(tickets: Iterable[TicketFact], calls: Iterable[CallFact],
              by: GroupBy) -> dict[str, Any]:
    """``{"rows": [...], "total": {...}}``: one row per group (days in order, others
    busiest first), and the same figures over everything."""
    groups: dict[str, _Acc] = {}
    total = _Acc("", "")

    def accs(fact: TicketFact | CallFact) -> tuple[_Acc, _Acc]:
        key, label = _key(fact, by)
        return groups.setdefault(key, _Acc(key, label)), total

    for t in tickets:
        for acc in accs(t):
            acc.tickets += 1
            acc.states[t.state] = acc.states.get(t.state, 0) + 1
            if t.wait_s is not None:
                acc.waits.append(t.wait_s)
    for c in calls:
        for acc in accs(c):
            acc.calls += 1
            if c.duration_s is not None:
                acc.durations.append(c.duration_s)
            if c.rating is not None:
                acc.ratings[c.rating] += 1
            if c.outcome is not None:
                acc.outcomes[c.outcome] = acc.outcomes.get(c.outcome, 0) + 1
    # days in order; other groups busiest first (what a report reader looks for)
    order = ((lambda a: (a.key,)) if by == "day"
             else (lambda a: (-(a.tickets + a.calls), a.label, a.key)))
    return {"rows": [a.row() for a in sorted(groups.values(), key=order)],
            "total": total.row()}
