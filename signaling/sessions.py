"""Sessions: which subject is connected, and the grace period after a drop (no I/O).

State follows the subject (a booth, an agent), not the socket. When a
subject's connection drops, its session is *held* for the grace period
(DESIGN.md §4: 60 s) and its ticket and call stay. A ``hello`` carrying
``resume`` gets them back; a ``hello`` without ``resume`` starts afresh and the
caller must give up whatever the old session held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["SessionState", "Session", "Opened", "SessionTable"]


class SessionState(StrEnum):
    CONNECTED = "connected"
    HELD = "held"  # connection lost, within the grace period


@dataclass
class Session:
    session_id: str
    kind: str  # "booth" | "agent" | "admin"
    subject_id: str
    name: str
    state: SessionState = SessionState.CONNECTED
    lost_at: float | None = None
    skills: frozenset[str] = frozenset()
    region: str = ""
    conn_seq: int = 0  # bumps on each (re)connection; stale disconnects are ignored
    info: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.subject_id)


@dataclass(frozen=True)
class Opened:
    session: Session
    resumed: bool
    replaced: Session | None  # a previous session that this one replaces
    abandon: bool = False  # the caller must give up the subject's held state


class SessionTable:
    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}
        self._by_subject: dict[tuple[str, str], Session] = {}
        self.orphans: set[tuple[str, str]] = set()
        """Subjects whose state was restored from the store after a hub restart."""

    def open(
        self, kind: str, subject_id: str, name: str, resume: str | None, new_id: str
    ) -> Opened:
        """Bind a new connection of ``(kind, subject_id)``.

        Resumes when ``resume`` is the subject's current session id, or when it
        names any session and the subject has state restored after a restart
        (the hub forgot the old ids). Otherwise a new session replaces the old.
        """
        key = (kind, subject_id)
        current = self._by_subject.get(key)
        if resume is not None and current is not None and current.session_id == resume:
            current.state, current.lost_at, current.name = SessionState.CONNECTED, None, name
            current.conn_seq += 1
            return Opened(current, True, None)
        if resume is not None and current is None and key in self.orphans:
            self.orphans.discard(key)
            session = Session(new_id, kind, subject_id, name)
            self._add(session)
            return Opened(session, True, None)
        was_orphan = key in self.orphans
        if current is not None:
            self._remove(current)
        self.orphans.discard(key)
        session = Session(new_id, kind, subject_id, name)
        self._add(session)
        return Opened(session, False, current, abandon=current is not None or was_orphan)

    def lost(self, session_id: str, conn_seq: int, now: float) -> Session | None:
        """The connection ``conn_seq`` of a session dropped; returns the held session.

        Returns None when a newer connection already took the session over.
        """
        session = self._by_id.get(session_id)
        if session is None or session.conn_seq != conn_seq:
            return None
        session.state, session.lost_at = SessionState.HELD, now
        return session

    def expire(self, now: float, grace_s: float) -> list[Session]:
        """Remove and return sessions held longer than ``grace_s``."""
        gone = [
            s for s in self._by_id.values()
            if s.state is SessionState.HELD and s.lost_at is not None
            and now - s.lost_at >= grace_s
        ]
        for s in gone:
            self._remove(s)
        return gone

    def next_expiry(self, grace_s: float) -> float | None:
        times = [s.lost_at + grace_s for s in self._by_id.values() if s.lost_at is not None]
        return min(times, default=None)

    def get(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id)

    def of(self, kind: str, subject_id: str) -> Session | None:
        return self._by_subject.get((kind, subject_id))

    def close(self, session: Session) -> None:
        """Forget a session at once (revocation, explicit logout)."""
        self._remove(session)

    def all(self) -> list[Session]:
        return list(self._by_id.values())

    def _add(self, session: Session) -> None:
        self._by_id[session.session_id] = session
        self._by_subject[session.key] = session

    def _remove(self, session: Session) -> None:
        self._by_id.pop(session.session_id, None)
        if self._by_subject.get(session.key) is session:
            del self._by_subject[session.key]
