"""Prometheus text exposition of the hub's counters and gauges (no client library).

Counters only grow; gauges are read from the hub's state when scraped.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Metrics", "render"]


class Metrics:
    """Counters keyed by (name, sorted labels)."""

    HELP: dict[str, tuple[str, str]] = {
        "xiaowu_frames_in_total": ("counter", "WebSocket frames received"),
        "xiaowu_frames_out_total": ("counter", "WebSocket frames sent"),
        "xiaowu_errors_total": ("counter", "Error replies sent, by code"),
        "xiaowu_connections_total": ("counter", "WebSocket connections accepted, by role"),
        "xiaowu_tickets_total": ("counter", "Tickets by final outcome"),
        "xiaowu_calls_started_total": ("counter", "Calls started"),
        "xiaowu_calls_ended_total": ("counter", "Calls ended, by who ended them"),
        "xiaowu_ratings_total": ("counter", "Ratings submitted, by level"),
        "xiaowu_logins_total": ("counter", "Login attempts, by result"),
        "xiaowu_ticket_wait_seconds_sum": ("counter", "Total wait from ticket to call"),
        "xiaowu_ticket_wait_seconds_count": ("counter", "Tickets that reached a call"),
    }

    def __init__(self) -> None:
        self.counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        self.counters[key] = self.counters.get(key, 0.0) + value

    def value(self, name: str, **labels: str) -> float:
        return float(self.counters.get((name, tuple(sorted(labels.items()))), 0))


def _fmt(name: str, labels: Iterable[tuple[str, str]], value: float) -> str:
    lab = ",".join(f'{k}="{_esc(v)}"' for k, v in labels)
    num = repr(float(value)) if value != int(value) else str(int(value))
    return f"{name}{{{lab}}} {num}" if lab else f"{name} {num}"


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(
    metrics: Metrics,
    gauges: Iterable[tuple[str, str, dict[str, str], float]],
) -> str:
    """Exposition text; ``gauges`` are (name, help, labels, value) read at scrape time."""
    lines: list[str] = []
    by_name: dict[str, list[tuple[tuple[tuple[str, str], ...], float]]] = {}
    for (name, labels), value in metrics.counters.items():
        by_name.setdefault(name, []).append((labels, float(value)))
    for name in sorted(set(by_name) | set(Metrics.HELP)):
        kind, text = Metrics.HELP.get(name, ("counter", name))
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        for lab, val in sorted(by_name.get(name, [((), 0.0)])):
            lines.append(_fmt(name, lab, val))
    seen: set[str] = set()
    for name, text, glabels, gvalue in gauges:
        if name not in seen:
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} gauge")
            seen.add(name)
        lines.append(_fmt(name, sorted(glabels.items()), gvalue))
    return "\n".join(lines) + "\n"
