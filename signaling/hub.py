"""The hub: glues the pure parts (protocol, queue, calls, sessions) to the store and the bus.

Everything that changes queue or call state runs under one lock, so effects are
persisted and pushed in the order they happened. Relaying ``call.sdp`` /
``call.ice`` takes no lock and touches no store: it is the hot path.

Frames reach clients only through the :class:`~signaling.bus.Bus`, by subject
address; the WebSocket adapter (``signaling.ws``) attaches a connection's
sink when a session opens and detaches it when it closes.

After a ``call.end`` or any other call ending, the booth gets ``rating.request``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from signaling import protocol as p
from signaling import queue as q
from signaling.assist import AssistDesk
from signaling.bus import InProcessBus, address
from signaling.calls import Call, CallBook, CallConflict, CallError, CallNotFound, NotAParty
from signaling.config import Settings
from signaling.documents import DocumentDesk, Handler
from signaling.face_judge import default_judge
from signaling.faces import FaceDesk, FaceJudge
from signaling.files import FileStore
from signaling.fleet import PROBLEMS, STATUS_STALE_HEARTBEATS, problems_of
from signaling.metrics import Metrics
from signaling.presence import Presence
from signaling.sessions import Session, SessionState, SessionTable
from signaling.store import Store
from signaling.store import errors as store_errors
from signaling.turn import ice_servers

__all__ = ["Hub", "Conn", "ServiceInfo"]

log = logging.getLogger(__name__)


class Conn(Protocol):
    """What the hub needs of a client connection (the WebSocket adapter implements it)."""

    def send(self, frame: str) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True)
class ServiceInfo:
    service_id: str
    name: str
    department_id: str
    department_name: str


@dataclass
class TicketMeta:
    ticket_id: str
    number: str
    service_id: str
    booth_id: str
    created_at: float


# The signaling hot path: no store, no lock (relay checks only the call book).
_LOCK_FREE = frozenset({"ping", "call.sdp", "call.ice", "booth.status"})


def _err(code: p.ErrorCode, message: str) -> p.ProtocolError:
    return p.ProtocolError(code, message)


class Hub:
    """One hub node's live state. Create, ``await start()``, ``await stop()``."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Callable[[], float] = time.time,
        face_judge: Callable[[], FaceJudge] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.bus = InProcessBus()
        self.metrics = Metrics()
        self.sessions = SessionTable()
        self.calls = CallBook()
        self.dispatcher = q.Dispatcher(
            q.QueueConfig(offer_timeout_s=settings.offer_timeout_s, wrap_up_s=settings.wrap_up_s)
        )
        self.lock = asyncio.Lock()
        self.services: dict[str, ServiceInfo] = {}
        self.departments: dict[str, str] = {}
        self.tickets: dict[str, TicketMeta] = {}
        self.booths: dict[str, tuple[str, str]] = {}  # booth_id -> (name, region label)
        self.booth_status: dict[str, dict[str, Any]] = {}
        self.presence = Presence()
        self.conns: dict[tuple[str, str], Conn] = {}
        self._revision = -1
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._started_at = 0.0
        self.restored_orphans_until = 0.0
        self.files = FileStore(settings.data_dir / "files")
        self.documents = DocumentDesk(self, self.files)
        # Feature handlers (documents, face checks) beside the core table below.
        self.faces = FaceDesk(self, face_judge or (lambda: default_judge(settings)))
        self.assist = AssistDesk(self)
        self.features: dict[str, Handler] = {**self.documents.handlers,
                                             **self.faces.handlers,
                                             **self.assist.handlers}
        # Feature relays on the lock-free path (no lock, no store on the steady path).
        self.relays: dict[str, Handler] = dict(self.assist.relays)
        self.call_end_hooks: list[Callable[[Call], Awaitable[None]]] = [
            self.faces.call_ended, self.assist.call_ended]
        self.welcome_hooks: list[Callable[[Session], Awaitable[None]]] = [self.assist.welcomed]

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._started_at = self.clock()
        await self.reload()
        await self._restore()
        self._tasks = [
            asyncio.create_task(self._timer_loop(), name="hub-timers"),
            asyncio.create_task(self._revision_loop(), name="hub-revision"),
            asyncio.create_task(self._retention_loop(), name="hub-retention"),
            asyncio.create_task(self._presence_loop(), name="hub-presence"),
        ]

    def close_all(self) -> None:
        """Server shutdown: close every live connection with 1001 (going away).

        Clients reconnect with ``resume``; after a restart the hub restores their
        tickets and calls from the store (see :meth:`_restore`).
        """
        for conn in list(self.conns.values()):
            conn.close(1001, "server shutting down")

    async def stop(self) -> None:
        await self.faces.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.flush_presence()

    async def reload(self) -> None:
        """Re-read the catalog (called at start and whenever the store's revision moves)."""
        services: dict[str, ServiceInfo] = {}
        departments: dict[str, str] = {}
        for dept in await self.store.get_catalog():
            departments[dept.id] = dept.name
            for svc in dept.services:
                services[svc.id] = ServiceInfo(svc.id, svc.name, dept.id, dept.name)
        self.services, self.departments = services, departments

    async def _restore(self) -> None:
        """Put tickets and calls that were open when the hub stopped back in place."""
        now = self.clock()
        restored = 0
        departments: dict[str, str] = {}
        for rec in await self.store.open_tickets():
            departments[rec.id] = rec.department_id
            created = rec.created_at.timestamp()
            self.tickets[rec.id] = TicketMeta(rec.id, rec.number, rec.service_id, rec.booth_id,
                                              created)
            await self._remember_booth(rec.booth_id)
            if rec.state == "serving":
                continue  # a serving ticket comes back with its call below
            enq = rec.enqueued_at.timestamp() if rec.enqueued_at else created
            self.dispatcher.add_ticket(
                rec.id, rec.department_id, q.Priority(rec.priority), rec.number, rec.booth_id,
                now, enqueued_at=enq,
            )
            self.dispatcher.suspend_ticket(rec.id, now)
            self.sessions.orphans.add(("booth", rec.booth_id))
            restored += 1
        for call_rec in await self.store.active_calls():
            meta = self.tickets.get(call_rec.ticket_id)
            if meta is None:
                continue
            dept = departments.get(call_rec.ticket_id, "")
            self.dispatcher.restore_serving(
                call_rec.ticket_id, dept, q.Priority.NORMAL, meta.number, meta.booth_id,
                call_rec.agent_id, now,
            )
            call = Call(call_rec.id, call_rec.ticket_id, call_rec.booth_id, call_rec.agent_id,
                        call_rec.started_at.timestamp())
            self.calls.add(call)
            self.sessions.orphans.add(("booth", call.booth_id))
            self.sessions.orphans.add(("agent", call.agent_id))
            restored += 1
        self.restored_orphans_until = now + self.settings.resume_grace_s
        if restored:
            log.info("restored %d open tickets/calls from the store", restored)

    async def _remember_booth(self, booth_id: str) -> None:
        if booth_id in self.booths:
            return
        try:
            booth = await self.store.get_booth(booth_id)
        except store_errors.NotFound:
            self.booths[booth_id] = (booth_id, "")
            return
        self.booths[booth_id] = (booth.name, _region_label(booth.region_code, booth.region_name))

    # ------------------------------------------------------------------ timers

    async def _timer_loop(self) -> None:
        while True:
            now = self.clock()
            deadlines = [
                d for d in (
                    self.dispatcher.next_deadline(),
                    self.sessions.next_expiry(self.settings.resume_grace_s),
                    self.restored_orphans_until if self.sessions.orphans else None,
                ) if d is not None
            ]
            delay = min(1.0, max(0.0, min(deadlines, default=now + 1.0) - now))
            self._wake.clear()
            try:  # asyncio.timeout, unlike wait_for in 3.11, never swallows a cancellation
                async with asyncio.timeout(delay + 0.005):
                    await self._wake.wait()
            except TimeoutError:
                pass
            try:
                await self.tick()
            except Exception:  # a bug in one tick must not stop the timers
                log.exception("hub tick failed")

    async def tick(self) -> None:
        """Run everything that is due: offer timeouts, wrap-ups, grace expiries."""
        async with self.lock:
            now = self.clock()
            await self._apply(self.dispatcher.tick(now))
            for session in self.sessions.expire(now, self.settings.resume_grace_s):
                await self._give_up(session.kind, session.subject_id, "lost")
            if self.sessions.orphans and now >= self.restored_orphans_until:
                for kind, subject in list(self.sessions.orphans):
                    self.sessions.orphans.discard((kind, subject))
                    await self._give_up(kind, subject, "lost")

    async def _revision_loop(self) -> None:
        while True:
            try:
                await self.check_revision()
            except Exception:
                log.exception("revision poll failed")
            await asyncio.sleep(self.settings.revision_poll_s)

    async def check_revision(self) -> None:
        """See admin changes made by any process (CLI, another node) at once."""
        rev = await self.store.revision()
        if rev == self._revision:
            return
        self._revision = rev
        await self.reload()
        booth_ids = [s.subject_id for s in self.sessions.all() if s.kind == "booth"]
        for booth_id in await self.store.revoked_among(booth_ids):
            await self.revoke_booth(booth_id)
        for session in [s for s in self.sessions.all() if s.kind in ("agent", "admin")]:
            try:
                user = await self.store.get_user(session.subject_id)
            except store_errors.NotFound:
                user = None
            if user is None or user.disabled:
                await self.revoke_subject(session.kind, session.subject_id)
            elif session.kind == "agent" and frozenset(user.skills) != session.skills:
                session.skills = frozenset(user.skills)
                async with self.lock:
                    await self._apply(self.dispatcher.agent_online(
                        session.subject_id, session.skills, self.clock()))

    async def _presence_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.presence_flush_s)
            await self.flush_presence()

    async def flush_presence(self) -> None:
        """Write the booths' last-seen times that moved since the last flush."""
        batch = self.presence.take_dirty()
        try:
            await self.store.touch_booths(
                {b: datetime.fromtimestamp(at, UTC) for b, at in batch.items()})
        except Exception:
            self.presence.put_back(batch)
            log.exception("writing booth presence failed; kept for the next flush")

    async def _retention_loop(self) -> None:
        await asyncio.to_thread(self.files.sweep_temp)
        while True:
            try:
                await self.purge_personal_data()
            except Exception:
                log.exception("retention run failed")
            await asyncio.sleep(self.settings.retention_interval_s)

    async def purge_personal_data(self, now: float | None = None) -> tuple[int, int, int]:
        """Delete document and face images older than the retention period (DESIGN.md §5);
        their rows and audit entries stay. Returns (documents, face checks, files)."""
        at = datetime.fromtimestamp(self.clock() if now is None else now, UTC)
        before = at - timedelta(days=self.settings.document_retention_days)
        docs = checks = removed = 0
        while True:
            d, c, blobs = await self.store.expire_personal_data(before, now=at)
            removed += await asyncio.to_thread(self._delete_blobs, sorted(blobs))
            docs, checks = docs + d, checks + c
            if d < 500 and c < 500:
                break
        if docs or checks:
            await self.store.audit("hub", "retention.purge", None, {
                "documents": docs, "face_checks": checks, "files": removed,
                "before": before.isoformat()})
            log.info("retention: deleted %d documents, %d face checks, %d files",
                     docs, checks, removed)
        return docs, checks, removed

    def _delete_blobs(self, blobs: list[str]) -> int:
        return sum(self.files.delete(b) for b in blobs)

    def wake(self) -> None:
        self._wake.set()

    # ------------------------------------------------------------------ sending

    def push(self, kind: str, subject_id: str, mtype: str, data: p._Data) -> None:
        n = self.bus.publish(address(kind, subject_id), p.encode(mtype, data))
        self.metrics.inc("xiaowu_frames_out_total", n)

    def reply(self, conn: Conn, frame: p.Frame, mtype: str, data: p._Data | None = None) -> None:
        """Send the one reply a request gets; events (no id) get none unless it is data."""
        if frame.id is None and mtype == "ok":
            return
        conn.send(p.encode(mtype, data if data is not None else p.Ok(), re=frame.id))
        self.metrics.inc("xiaowu_frames_out_total")

    # ------------------------------------------------------------------ handshake

    async def hello(self, conn: Conn, hello: p.Hello) -> tuple[Session, p.Welcome]:
        """Authenticate a connection; raises ProtocolError(unauthenticated) on a bad token."""
        ident = await self.store.resolve_token(hello.token)
        if ident is None:
            raise _err(p.ErrorCode.UNAUTHENTICATED, "invalid, expired or revoked token")
        kind = ident.role
        async with self.lock:
            now = self.clock()
            opened = self.sessions.open(kind, ident.subject_id, ident.name, hello.resume,
                                        "s_" + secrets.token_urlsafe(12))
            session = opened.session
            if opened.replaced is not None:
                old = self.conns.pop(session.key, None)
                if old is not None:
                    old.close(p.CloseCode.NORMAL, "replaced by a new session")
            if opened.abandon:
                await self._give_up(kind, ident.subject_id, "replaced")
            self.conns[session.key] = conn
            session.skills = frozenset(ident.skills)
            if kind == "booth":
                await self._remember_booth(ident.subject_id)
                session.region = self.booths[ident.subject_id][1]
                self.presence.saw(ident.subject_id, now)
            self.metrics.inc("xiaowu_connections_total", role=kind)
            restored = await self._reconnected(session, opened.resumed, now)
        welcome = p.Welcome(
            session_id=session.session_id, role=kind,
            subject=p.Subject(id=ident.subject_id, name=ident.name[:200]),
            heartbeat_s=self.settings.heartbeat_s, server_time=now,
            resumed=opened.resumed, restored=restored,
        )
        return session, welcome

    async def _reconnected(self, session: Session, resumed: bool, now: float) -> p.Restored:
        kind, sid = session.key
        call = self.calls.of(kind, sid) if kind in ("booth", "agent") else None
        ticket_id: str | None = None
        if kind == "booth":
            live = self._booth_ticket(sid)
            if live is not None:
                ticket_id = live.ticket_id
                if live.suspended:
                    await self._apply(self.dispatcher.resume_ticket(live.ticket_id, now))
        elif kind == "agent":
            await self._apply(self.dispatcher.agent_online(sid, session.skills, now))
            if call is not None:
                await self._apply(self.dispatcher.agent_back(sid, now))
            elif resumed and session.info.pop("state_before_drop", "") in (
                    "available", "offered"):
                # a short network blip must not take an available agent out of rotation
                await self._apply(self.dispatcher.set_agent_state(
                    sid, q.AgentState.AVAILABLE, now, "resumed"))
        if call is not None:
            other_kind, other_id = call.other(call.party_of(kind, sid))
            self.push(other_kind, other_id, "call.peer",
                      p.CallPeer(call_id=call.call_id, state="back"))
        return p.Restored(ticket_id=ticket_id, call_id=call.call_id if call else None)

    async def after_welcome(self, session: Session) -> None:
        """Pushes a (re)connected client needs to draw its current state."""
        kind, sid = session.key
        if kind == "booth":
            live = self._booth_ticket(sid)
            if live is not None:
                self.push("booth", sid, "ticket.update", _ticket_update(live))
        elif kind == "agent":
            view = self.dispatcher.agent(sid)
            self.push("agent", sid, "agent.state", p.AgentStateEvent(state=view.state.value))
            if view.offer_id is not None and view.ticket_id is not None:
                self.push("agent", sid, "ticket.offer", self._offer_data(
                    view.offer_id, view.ticket_id, int(self.settings.offer_timeout_s)))
            self.push("agent", sid, "queue.snapshot", self._snapshot())
            call = self.calls.of("agent", sid)
            if call is not None:  # a reloaded console needs the call to answer the next offer
                self.push("agent", sid, "call.start", self._call_start_for(call, "agent"))
        for hook in self.welcome_hooks:
            try:
                await hook(session)
            except Exception:  # a feature's state must not stop the client's welcome
                log.exception("welcome hook failed for %s:%s", kind, sid)

    async def disconnected(self, session: Session, conn_seq: int) -> None:
        """A connection closed; hold the session for the grace period."""
        async with self.lock:
            now = self.clock()
            held = self.sessions.lost(session.session_id, conn_seq, now)
            if held is None:
                return
            self.conns.pop(held.key, None)
            kind, sid = held.key
            if kind == "booth":
                self.presence.saw(sid, now)
                live = self._booth_ticket(sid)
                if live is not None and live.state in (q.TicketState.WAITING,
                                                       q.TicketState.OFFERED):
                    await self._apply(self.dispatcher.suspend_ticket(live.ticket_id, now))
            elif kind == "agent":
                held.info["state_before_drop"] = self.dispatcher.agent(sid).state.value
                await self._apply(self.dispatcher.agent_gone(sid, now))
            elif kind == "admin":
                self.sessions.close(held)
            call = self.calls.of(kind, sid) if kind != "admin" else None
            if call is not None:
                other_kind, other_id = call.other(call.party_of(kind, sid))
                self.push(other_kind, other_id, "call.peer",
                          p.CallPeer(call_id=call.call_id, state="away"))
        self.wake()

    async def _give_up(self, kind: str, subject_id: str, why: str) -> None:
        """The subject is gone for good (grace expired, replaced, revoked): release its state.

        Caller holds the lock.
        """
        now = self.clock()
        call = self.calls.of(kind, subject_id) if kind in ("booth", "agent") else None
        if call is not None:
            await self._end_call(call, f"{kind}_{why}", "hub", now,
                                 requeue=(kind == "agent"))
        if kind == "booth":
            live = self._booth_ticket(subject_id)
            if live is not None and live.state is not q.TicketState.SERVING:
                await self._apply(self.dispatcher.cancel_ticket(live.ticket_id, now,
                                                                abandoned=True))
        elif kind == "agent":
            with contextlib.suppress(q.QueueError):
                await self._apply(self.dispatcher.agent_gone(subject_id, now))

    # ------------------------------------------------------------------ revocation

    async def revoke_booth(self, booth_id: str) -> None:
        await self.revoke_subject("booth", booth_id)

    async def revoke_subject(self, kind: str, subject_id: str) -> None:
        """Close a revoked credential's live connection at once (4403) and release its state."""
        async with self.lock:
            session = self.sessions.of(kind, subject_id)
            conn = self.conns.pop((kind, subject_id), None)
            if conn is not None:  # first, so the releases below are not shown to the client
                conn.close(p.CloseCode.REVOKED, "credential revoked")
            if session is not None:
                self.sessions.close(session)
            self.sessions.orphans.discard((kind, subject_id))
            await self._give_up(kind, subject_id, "revoked")

    # ------------------------------------------------------------------ requests

    async def handle(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        """Handle one authenticated frame; raises ProtocolError for the adapter to send."""
        roles = p.ROLES.get(frame.type, frozenset())
        if session.kind not in roles:
            raise _err(p.ErrorCode.FORBIDDEN, f"a {session.kind} may not send {frame.type}")
        core = self._handlers.get(frame.type)
        relay = self.relays.get(frame.type)
        try:
            if frame.type in _LOCK_FREE and core is not None:
                await core(self, session, conn, frame)
                return
            if relay is not None:
                await relay(session, conn, frame)
                return
            async with self.lock:
                # a frame queued behind a revocation or a takeover must not act
                if self.sessions.get(session.session_id) is not session:
                    raise _err(p.ErrorCode.UNAUTHENTICATED, "this session has ended")
                if core is not None:
                    await core(self, session, conn, frame)
                else:
                    await self.features[frame.type](session, conn, frame)
        except q.NotFound as exc:
            raise _err(p.ErrorCode.NOT_FOUND, str(exc)) from exc
        except q.Conflict as exc:
            raise _err(p.ErrorCode.CONFLICT, str(exc)) from exc
        except CallNotFound as exc:
            raise _err(p.ErrorCode.NOT_FOUND, str(exc)) from exc
        except NotAParty as exc:
            raise _err(p.ErrorCode.FORBIDDEN, str(exc)) from exc
        except CallConflict as exc:
            raise _err(p.ErrorCode.CONFLICT, str(exc)) from exc
        except store_errors.NotFound as exc:
            raise _err(p.ErrorCode.NOT_FOUND, str(exc)) from exc
        except store_errors.Conflict as exc:
            raise _err(p.ErrorCode.CONFLICT, str(exc)) from exc

    async def _on_hello(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        raise _err(p.ErrorCode.CONFLICT, "already authenticated on this connection")

    async def _on_ping(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        now = self.clock()
        if session.kind == "booth":
            self.presence.saw(session.subject_id, now)
        self.reply(conn, frame, "pong", p.Pong(server_time=now))

    async def _on_booth_status(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.BoothStatus)
        now = self.clock()
        self.booth_status[session.subject_id] = {**data.model_dump(), "at": now}
        self.presence.saw(session.subject_id, now)
        self.reply(conn, frame, "ok")

    async def _on_ticket_create(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.TicketCreate)
        svc = self.services.get(data.service_id)
        if svc is None:
            raise _err(p.ErrorCode.NOT_FOUND, f"no service {data.service_id}")
        if self._booth_ticket(session.subject_id) is not None:
            raise _err(p.ErrorCode.CONFLICT, "this booth already has a live ticket")
        now = self.clock()
        rec = await self.store.create_ticket(svc.department_id, svc.service_id,
                                             session.subject_id, data.priority)
        self.tickets[rec.id] = TicketMeta(rec.id, rec.number, svc.service_id,
                                          session.subject_id, now)
        effects = self.dispatcher.add_ticket(
            rec.id, svc.department_id, q.Priority(data.priority), rec.number,
            session.subject_id, now,
        )
        self.reply(conn, frame, "ticket", _ticket_reply(self.dispatcher.ticket(rec.id),
                                                        svc.service_id))
        await self._apply([e for e in effects if not _is_update_of(e, rec.id)])
        self.wake()

    async def _on_ticket_cancel(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.TicketCancel)
        meta = self.tickets.get(data.ticket_id)
        if meta is None or meta.booth_id != session.subject_id:
            raise _err(p.ErrorCode.NOT_FOUND, f"no ticket {data.ticket_id} for this booth")
        effects = self.dispatcher.cancel_ticket(data.ticket_id, self.clock())
        self.reply(conn, frame, "ticket", _ticket_reply(
            self.dispatcher.ticket(data.ticket_id), meta.service_id))
        await self._apply([e for e in effects if not _is_update_of(e, data.ticket_id)])
        await self.store.update_ticket(data.ticket_id, state="cancelled",
                                       end_reason="cancelled",
                                       ended_at=datetime.fromtimestamp(self.clock(), UTC))

    async def _on_agent_state(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.AgentStateRequest)
        wanted = q.AgentState(data.state)
        effects = self.dispatcher.set_agent_state(
            session.subject_id, wanted, self.clock(), data.reason)
        # The reply confirms the requested state; what follows from it (an offer
        # made at once) arrives as events after the reply.
        self.reply(conn, frame, "agent.state",
                   p.AgentStateEvent(state=wanted.value, reason=data.reason))
        await self._apply([e for e in effects if not (
            isinstance(e, q.AgentStateChanged) and e.agent_id == session.subject_id
            and e.state is wanted and frame.id is not None)])
        self.wake()

    async def _on_ticket_accept(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.TicketAccept)
        effects = self.dispatcher.accept(session.subject_id, data.offer_id, self.clock())
        assigned = next(e for e in effects if isinstance(e, q.Assigned))
        meta = self.tickets[assigned.ticket_id]
        self.reply(conn, frame, "ticket", _ticket_reply(
            self.dispatcher.ticket(assigned.ticket_id), meta.service_id))
        await self._apply(effects)
        self.wake()

    async def _on_ticket_decline(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.TicketDecline)
        effects = self.dispatcher.decline(session.subject_id, data.offer_id, self.clock())
        self.reply(conn, frame, "ok")
        await self._apply(effects)
        self.wake()

    async def _on_ticket_transfer(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.TicketTransfer)
        if data.department_id not in self.departments:
            raise _err(p.ErrorCode.NOT_FOUND, f"no department {data.department_id}")
        call = self.calls.get(data.call_id)
        call.party_of("agent", session.subject_id)
        self.reply(conn, frame, "ticket.transferred", p.TicketTransferred(
            ticket_id=call.ticket_id, department_id=data.department_id))
        await self._end_call(call, "transferred", "agent", self.clock(),
                             transfer_to=data.department_id)
        await self.store.audit(f"agent:{session.subject_id}", "ticket.transfer",
                               call.ticket_id, {"call_id": call.call_id,
                                                "department_id": data.department_id,
                                                "note": data.note})
        self.wake()

    async def _on_call_sdp(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.CallSdp)
        call = self.calls.get(data.call_id)
        party = call.party_of(session.kind, session.subject_id)
        kind, target = call.route_sdp(party, data.gen, data.description.type)
        self.push(kind, target, "call.sdp", data)
        self.reply(conn, frame, "ok")

    async def _on_call_ice(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.CallIce)
        call = self.calls.get(data.call_id)
        party = call.party_of(session.kind, session.subject_id)
        kind, target = call.route_ice(party, data.gen)
        self.push(kind, target, "call.ice", data)
        self.reply(conn, frame, "ok")

    async def _on_call_end(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.CallEnd)
        call = self.calls.get(data.call_id)
        party = call.party_of(session.kind, session.subject_id)
        self.reply(conn, frame, "ok")
        await self._end_call(call, data.reason, party, self.clock())
        self.wake()

    async def _on_rating_submit(self, session: Session, conn: Conn, frame: p.Frame) -> None:
        data = p.parse_data(frame, p.RatingSubmit)
        try:
            rec = await self.store.get_call(data.call_id)
        except store_errors.NotFound:
            rec = None
        if rec is None or rec.booth_id != session.subject_id:
            raise _err(p.ErrorCode.NOT_FOUND, f"no call {data.call_id} for this booth")
        if rec.ended_at is None:
            raise _err(p.ErrorCode.CONFLICT, "the call has not ended yet")
        await self.store.save_rating(data.call_id, data.level, list(data.indicators),
                                     list(data.reasons), data.comment)
        await self.store.audit(f"booth:{session.subject_id}", "rating.submit", data.call_id,
                               {"level": data.level, "agent_id": rec.agent_id})
        self.metrics.inc("xiaowu_ratings_total", level=str(data.level))
        self.reply(conn, frame, "rating", p.Rating(call_id=data.call_id, level=data.level))

    _handlers: dict[str, Callable[[Hub, Session, Conn, p.Frame], Any]] = {
        "hello": _on_hello,
        "ping": _on_ping,
        "booth.status": _on_booth_status,
        "ticket.create": _on_ticket_create,
        "ticket.cancel": _on_ticket_cancel,
        "agent.state": _on_agent_state,
        "ticket.accept": _on_ticket_accept,
        "ticket.decline": _on_ticket_decline,
        "ticket.transfer": _on_ticket_transfer,
        "call.sdp": _on_call_sdp,
        "call.ice": _on_call_ice,
        "call.end": _on_call_end,
        "rating.submit": _on_rating_submit,
    }

    # ------------------------------------------------------------------ calls

    async def _start_call(self, ticket_id: str, agent_id: str, now: float) -> None:
        meta = self.tickets[ticket_id]
        rec = await self.store.create_call(ticket_id, meta.booth_id, agent_id)
        call = Call(rec.id, ticket_id, meta.booth_id, agent_id, now)
        try:
            self.calls.add(call)
        except CallError:
            log.exception("call bookkeeping conflict for ticket %s", ticket_id)
            raise
        await self.store.update_ticket(ticket_id, state="serving", agent_id=agent_id,
                                       called_at=datetime.fromtimestamp(now, UTC))
        wait = max(0.0, now - meta.created_at)
        self.metrics.inc("xiaowu_ticket_wait_seconds_sum", wait)
        self.metrics.inc("xiaowu_ticket_wait_seconds_count")
        self.metrics.inc("xiaowu_calls_started_total")
        await self.store.audit(f"agent:{agent_id}", "call.start", rec.id,
                               {"ticket_id": ticket_id, "booth_id": meta.booth_id,
                                "number": meta.number, "wait_s": round(wait, 1)})
        self.push("booth", meta.booth_id, "call.start", self._call_start_for(call, "booth"))
        self.push("agent", agent_id, "call.start", self._call_start_for(call, "agent"))

    def _call_start_for(self, call: Call, kind: str) -> p.CallStart:
        """``call.start`` for one party, with fresh per-call TURN credentials."""
        now = self.clock()
        meta = self.tickets[call.ticket_id]
        svc = self.services.get(meta.service_id)
        svc_ref = p.ServiceRef(id=svc.service_id, name=svc.name,
                               department=svc.department_name) if svc else None
        if kind == "booth":
            agent_session = self.sessions.of("agent", call.agent_id)
            agent_name = agent_session.name if agent_session else call.agent_id
            peer = p.PeerInfo(kind="agent", id=call.agent_id, name=agent_name[:200])
            role, sid = "offerer", call.booth_id
        else:
            booth_name, region = self.booths.get(meta.booth_id, (meta.booth_id, ""))
            peer = p.PeerInfo(kind="booth", id=meta.booth_id, name=booth_name[:200],
                              region=region[:200], service=svc_ref, ticket_number=meta.number)
            role, sid = "answerer", call.agent_id
        servers = ice_servers(self.settings.turn_urls, self.settings.stun_urls,
                              self.settings.turn_secret, f"{kind}-{sid}"[:60], now,
                              self.settings.turn_ttl_s)
        return p.CallStart(call_id=call.call_id, ticket_id=call.ticket_id, role=role,
                           peer=peer, ice_servers=[p.IceServer.model_validate(x)
                                                   for x in servers])

    async def _end_call(
        self, call: Call, reason: str, by: str, now: float,
        *, transfer_to: str | None = None, requeue: bool = False,
    ) -> None:
        """End a live call: store, queue, both parties told, booth asked to rate.

        ``transfer_to`` puts the ticket in that department's queue instead of
        finishing it; ``requeue`` puts it back in its own (the agent was lost).
        Caller holds the lock.
        """
        duration = call.end(now, reason[:200], by)
        self.calls.remove(call.call_id)
        await self.store.end_call(call.call_id, reason[:200], by)
        try:
            dept: str | None = self.dispatcher.ticket(call.ticket_id).department_id
        except q.NotFound:
            dept = None
        if transfer_to is None and requeue and dept is not None:
            transfer_to = dept
        effects: list[q.Effect] = []
        if transfer_to is not None:
            effects += self.dispatcher.transfer_ticket(call.ticket_id, transfer_to, now)
            await self.store.update_ticket(call.ticket_id, department_id=transfer_to,
                                           state="waiting", agent_id=None)
        effects += self.dispatcher.call_ended(call.agent_id, call.ticket_id, now, duration)
        self.metrics.inc("xiaowu_calls_ended_total", by=by)
        await self.store.audit(f"{by}:{call.agent_id if by == 'agent' else call.booth_id}"
                               if by != "hub" else "hub", "call.end", call.call_id,
                               {"reason": reason[:200], "duration_s": round(duration, 1),
                                "ticket_id": call.ticket_id})
        ended = p.CallEnded(call_id=call.call_id, reason=reason[:200], by=by)
        self.push("booth", call.booth_id, "call.ended", ended)
        self.push("agent", call.agent_id, "call.ended", ended)
        if transfer_to is None:
            self.push("booth", call.booth_id, "rating.request",
                      p.RatingRequest(call_id=call.call_id))
        self.documents.call_ended(call)
        for hook in self.call_end_hooks:
            try:
                await hook(call)
            except Exception:  # a feature's clean-up must not stop the call ending
                log.exception("call end hook failed for %s", call.call_id)
        await self._apply(effects)

    # ------------------------------------------------------------------ effects

    async def _apply(self, effects: Sequence[q.Effect]) -> None:
        """Persist and push the dispatcher's effects, in order. Caller holds the lock."""
        snapshot_due = False
        for eff in effects:
            if isinstance(eff, q.Offer):
                self.push("agent", eff.agent_id, "ticket.offer",
                          self._offer_data(eff.offer_id, eff.ticket_id, int(eff.timeout_s)))
            elif isinstance(eff, q.OfferWithdrawn):
                self.push("agent", eff.agent_id, "ticket.withdrawn",
                          p.TicketWithdrawn(offer_id=eff.offer_id, reason=eff.reason))
            elif isinstance(eff, q.Assigned):
                await self._start_call(eff.ticket_id, eff.agent_id, self.clock())
            elif isinstance(eff, q.TicketUpdate):
                view = self.dispatcher.ticket(eff.ticket_id)
                self.push("booth", view.booth_id, "ticket.update", _ticket_update(view))
                if eff.state in (q.TicketState.CANCELLED, q.TicketState.ABANDONED,
                                 q.TicketState.DONE):
                    await self.store.update_ticket(
                        eff.ticket_id, state=eff.state.value, end_reason=eff.state.value,
                        ended_at=datetime.fromtimestamp(self.clock(), UTC))
                    self.metrics.inc("xiaowu_tickets_total", outcome=eff.state.value)
                elif eff.state in (q.TicketState.WAITING, q.TicketState.OFFERED):
                    pass  # transient; restored as waiting after a restart
            elif isinstance(eff, q.AgentStateChanged):
                wrap = (int(self.settings.wrap_up_s) if eff.state is q.AgentState.WRAP_UP
                        else None)
                self.push("agent", eff.agent_id, "agent.state",
                          p.AgentStateEvent(state=eff.state.value, reason=eff.reason,
                                            wrap_up_s=wrap))
            elif isinstance(eff, q.QueueChanged):
                snapshot_due = True
        if snapshot_due:
            n = self.bus.publish("agents", p.encode("queue.snapshot", self._snapshot()))
            self.metrics.inc("xiaowu_frames_out_total", n)

    def _offer_data(self, offer_id: str, ticket_id: str, timeout_s: int) -> p.TicketOffer:
        meta = self.tickets[ticket_id]
        view = self.dispatcher.ticket(ticket_id)
        svc = self.services.get(meta.service_id)
        booth_name, region = self.booths.get(meta.booth_id, (meta.booth_id, ""))
        return p.TicketOffer(
            offer_id=offer_id, timeout_s=max(1, timeout_s),
            ticket=p.OfferTicket(
                ticket_id=ticket_id, number=meta.number, priority=view.priority.value,
                waited_s=int(max(0.0, self.clock() - meta.created_at)),
                service=p.ServiceRef(
                    id=meta.service_id, name=svc.name if svc else meta.service_id,
                    department=svc.department_name if svc else ""),
                booth=p.BoothRef(id=meta.booth_id, name=booth_name[:200], region=region[:200]),
            ),
        )

    def _snapshot(self) -> p.QueueSnapshot:
        order = {dept_id: i for i, dept_id in enumerate(self.departments)}  # catalog order
        snaps = sorted(self.dispatcher.snapshot(self.clock(), self.departments.keys()),
                       key=lambda snap: (order.get(snap.department_id, len(order)),
                                         snap.department_id))
        return p.QueueSnapshot(departments=[
            p.DepartmentLoad(id=s.department_id, name=self.departments.get(s.department_id,
                                                                          s.department_id),
                             waiting=s.waiting, oldest_wait_s=s.oldest_wait_s,
                             agents_available=s.agents_available)
            for s in snaps
        ])

    def _booth_ticket(self, booth_id: str) -> q.TicketView | None:
        for view in self.dispatcher.live_tickets():
            if view.booth_id == booth_id:
                return view
        return None

    # ------------------------------------------------------------------ observation

    def gauges(self) -> list[tuple[str, str, dict[str, str], float]]:
        out: list[tuple[str, str, dict[str, str], float]] = []
        counts: dict[str, int] = {}
        for s in self.sessions.all():
            if s.state is SessionState.CONNECTED:
                counts[s.kind] = counts.get(s.kind, 0) + 1
        for role in ("booth", "agent", "admin"):
            out.append(("xiaowu_connections", "Connected sessions by role", {"role": role},
                        counts.get(role, 0)))
        for snap in self.dispatcher.snapshot(self.clock(), self.departments.keys()):
            labels = {"department": snap.department_id}
            out.append(("xiaowu_queue_waiting", "Tickets waiting", labels, snap.waiting))
            out.append(("xiaowu_queue_oldest_wait_seconds", "Oldest waiting ticket's wait",
                        labels, snap.oldest_wait_s))
            out.append(("xiaowu_agents_available", "Available agents with the skill", labels,
                        snap.agents_available))
        out.append(("xiaowu_calls_active", "Calls in progress", {}, len(self.calls)))
        out += self._booth_gauges()
        return out

    def _booth_gauges(self) -> list[tuple[str, str, dict[str, str], float]]:
        """Fleet health for alerting: booths held for resume, and connected booths by
        problem (a camera missing, a status report overdue, ...)."""
        now = self.clock()
        stale = STATUS_STALE_HEARTBEATS * self.settings.heartbeat_s
        problems = dict.fromkeys(PROBLEMS, 0)
        held = 0
        for s in self.sessions.all():
            if s.kind != "booth":
                continue
            if s.state is not SessionState.CONNECTED:
                held += 1
                continue
            for problem in problems_of(self.booth_status.get(s.subject_id), True, now, stale):
                problems[problem] = problems.get(problem, 0) + 1
        out: list[tuple[str, str, dict[str, str], float]] = [
            ("xiaowu_booths_reconnecting", "Booths whose connection dropped, held for resume",
             {}, held)]
        out += [("xiaowu_booth_problems", "Connected booths with a problem, by problem",
                 {"problem": problem}, n) for problem, n in problems.items()]
        return out


def _region_label(code: str, name: str | None) -> str:
    return name or code


def _ticket_update(view: q.TicketView) -> p.TicketUpdate:
    return p.TicketUpdate(ticket_id=view.ticket_id, state=view.state.value,
                          position=view.position, eta_s=view.eta_s,
                          department_id=view.department_id)


def _ticket_reply(view: q.TicketView, service_id: str) -> p.Ticket:
    return p.Ticket(ticket_id=view.ticket_id, number=view.number, state=view.state.value,
                    position=view.position, eta_s=view.eta_s, service_id=service_id,
                    department_id=view.department_id, priority=view.priority.value)


def _is_update_of(eff: q.Effect, ticket_id: str) -> bool:
    return isinstance(eff, q.TicketUpdate) and eff.ticket_id == ticket_id
