"""The headless agent: a cloud seat without a browser, for tests, the demo and benchmarks.

It speaks protocol v1 (``docs/protocol.md``) as the browser console does: it
logs in over HTTP, opens the hub's WebSocket, says ``hello`` and goes
``available``; it accepts offers (``auto_accept``), answers the booth's
``call.sdp`` offers with a synthetic camera and a silent microphone, counts
the frames it receives, and hangs up by itself after ``hangup_after_s``.

Media (:class:`~cloud_seat.seat_media.SeatMedia`, DESIGN.md §3): the booth is
the offerer and the agent only answers, on a fresh peer connection for each
higher ``gen``. The same offer again (same ``gen``) gets the same answer again,
and a ``call.start`` repeated for the current call (the hub sends one after
every ``welcome``) keeps the call and its peer connection.

Documents and face checks (:class:`~cloud_seat.seat_desk.SeatDesk`) and remote
assist (:class:`~cloud_seat.seat_assist.SeatAssist`) live in their own modules; the
agent feeds them the call's events and lends them its connection
(:class:`~cloud_seat.seat_desk.SeatLink`). Their scripted steps are options here
(``request_document``, ``review``, ``face_check``; ``assist_consent``,
``pointer_probe``, ``push_form``, ``guide``, ``control_tap``), and their public
methods are the agent's too (:meth:`HeadlessAgent.request_document`, ...; the
assist steps as :attr:`HeadlessAgent.assist`).

Every notable thing is reported through ``on_event`` as one JSON-ready dict
with ``event`` and ``t`` (Unix seconds), and kept in :attr:`HeadlessAgent.events`.

Exception tree::

    SeatError
     └── AuthError   the hub refused the credentials (wrong password, disabled agent)

Usage: ``task = asyncio.create_task(agent.run())`` ... ``agent.stop(); await task``.
``run`` raises :class:`AuthError` at once for bad credentials; a hub that cannot
be reached is retried with backoff until :meth:`HeadlessAgent.stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, get_args

import aiohttp
import websockets
from websockets.asyncio.client import ClientConnection

from cloud_seat.seat_assist import SeatAssist
from cloud_seat.seat_desk import (
    DEFAULT_RESCAN_REASON,
    SeatDesk,
    SeatDocument,
    SeatFaceCheck,
    SeatLink,
)
from cloud_seat.seat_media import CallStats, SeatCall, SeatMedia
from cloud_seat.synthetic import SyntheticVideoTrack
from signaling import protocol as p

OUTCOMES: tuple[str, ...] = get_args(p.CallOutcome)

__all__ = ["HeadlessAgent", "CallStats", "SeatDocument", "SeatFaceCheck", "SeatError",
           "AuthError", "ws_url", "CLIENT", "DEFAULT_RESCAN_REASON"]

log = logging.getLogger(__name__)

CLIENT = "xiaowu-seat/0.1.0"
EventCallback = Callable[[dict[str, Any]], None]
_Job = Callable[[], Awaitable[None]]
# Timeouts use ``asyncio.timeout`` rather than ``asyncio.wait_for``: on Python 3.11,
# ``wait_for`` swallows a cancellation that arrives as the awaited thing completes
# (CPython gh-86296), and a loop around it then never ends.


class SeatError(Exception):
    """Base of the headless agent's errors."""


class AuthError(SeatError):
    """The hub refused the login (or a revoked session could not log in again)."""


class _Disconnected(SeatError):
    """The hub connection is down; the request may be retried after a reconnect."""


def ws_url(server: str) -> str:
    """``http://host:port`` -> ``ws://host:port/ws``, ``https`` -> ``wss`` (DESIGN.md §4)."""
    base = server.rstrip("/")
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(http):
            return ws + base[len(http):] + "/ws"
    raise ValueError(f"the server URL must start with http:// or https://, not {server!r}")


class HeadlessAgent:
    """One agent seat. Run with :meth:`run`; stop with :meth:`stop` from any task.

    ``server`` is the hub's base URL. ``hangup_after_s`` counts from ``call.start``.
    ``video_size``/``video_fps`` shape the synthetic camera sent to the booth.
    ``reconnect_backoff_s`` is (first, longest) delay between reconnects.

    Documents and face checks (:class:`~cloud_seat.seat_desk.SeatDesk`):
    ``request_document`` (a kind) with ``document_instruction``, ``review``
    (``accepted`` or ``rescan``) with ``rescan_reason``, ``face_check`` with
    ``face_decision`` (``confirmed`` or ``rejected``; none leaves the check
    undecided), ``save_dir``. Remote assist (:class:`~cloud_seat.seat_assist.SeatAssist`):
    ``assist_consent`` (``screen`` or ``control``), ``pointer_probe`` (a count),
    ``push_form`` (a template file), ``guide`` (a text), ``control_tap`` (x, y).
    Call records: with ``record_outcome`` (one of :data:`OUTCOMES`) each ended call
    gets that outcome and ``record_notes`` (``PUT /api/calls/{id}/notes``).

    Public state for tests and tools: :attr:`calls` (per call id), :attr:`state`
    (the last ``agent.state``), :attr:`connected`, :attr:`session_id`,
    :attr:`pending_offer`, :attr:`documents` and :attr:`face_checks` (by id),
    :attr:`assist` (its :attr:`~cloud_seat.seat_assist.SeatAssist.forms` and
    consent), :attr:`events` (the last 1000 events).
    """

    def __init__(
        self,
        server: str,
        username: str,
        password: str,
        *,
        auto_accept: bool = True,
        hangup_after_s: float | None = None,
        relay_only: bool = False,
        video_fps: float = 10,
        video_size: tuple[int, int] = (640, 360),
        on_event: EventCallback | None = None,
        reconnect_backoff_s: tuple[float, float] = (0.5, 15.0),
        stats_interval_s: float = 1.0,
        client: str = CLIENT,
        request_document: str | None = None,
        document_instruction: str | None = None,
        review: str | None = None,
        rescan_reason: str = DEFAULT_RESCAN_REASON,
        face_check: bool = False,
        face_decision: str | None = None,
        save_dir: str | Path | None = None,
        assist_consent: str | None = None,
        pointer_probe: int = 0,
        push_form: str | Path | None = None,
        guide: str | None = None,
        control_tap: tuple[float, float] | None = None,
        record_outcome: str | None = None,
        record_notes: str = "",
    ) -> None:
        if record_outcome is not None and record_outcome not in OUTCOMES:
            raise ValueError(f"record_outcome must be one of {', '.join(OUTCOMES)}")
        self.record = (record_outcome, record_notes) if record_outcome else None
        self.server = server.rstrip("/")
        self.ws_url = ws_url(self.server)
        SyntheticVideoTrack.check(video_size[0], video_size[1], video_fps)
        self.username = username
        self._password = password
        self.auto_accept = auto_accept
        self.hangup_after_s = hangup_after_s
        self.relay_only = relay_only
        self.video_fps = video_fps
        self.video_size = video_size
        self.client = client
        self._on_event = on_event
        self._backoff_s = reconnect_backoff_s
        self._stats_interval_s = stats_interval_s
        link = SeatLink(self.server, self._try_request, self._send_event, self._emit,
                        self._spawn, self._bearer, lambda: self._http)
        # documents, face checks and assist check their options here: a script fails at once
        self.desk = SeatDesk(link, request_document=request_document,
                             document_instruction=document_instruction, review=review,
                             rescan_reason=rescan_reason, face_check=face_check,
                             face_decision=face_decision, save_dir=save_dir)
        self.assist = SeatAssist(link, consent=assist_consent, pointer_probe=pointer_probe,
                                 push_form=push_form, guide=guide, control_tap=control_tap,
                                 save_dir=save_dir)
        self.media = SeatMedia(link, relay_only=relay_only, video_size=video_size,
                               video_fps=video_fps, label=f"seat {username}",
                               on_connected=self._media_connected, notify=self._notify)
        self.documents: dict[str, SeatDocument] = self.desk.documents
        self.face_checks: dict[str, SeatFaceCheck] = self.desk.face_checks

        self.calls: dict[str, CallStats] = {}
        self.state: str | None = None
        self.session_id: str | None = None
        self.user_id: str | None = None
        self.connected = False
        self.pending_offer: str | None = None
        self.waiting: dict[str, int] = {}  # tickets waiting per department (queue.snapshot)
        self.events: deque[dict[str, Any]] = deque(maxlen=1000)
        self.name = ""  # the agent's display name (login)

        self._token: str | None = None
        self._ws: ClientConnection | None = None
        self._pending: dict[str, asyncio.Future[p.Frame]] = {}
        self._ids = itertools.count(1)
        self._call: SeatCall | None = None
        self._jobs: asyncio.Queue[_Job] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = asyncio.Event()
        self._changed = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._running = False

    # ------------------------------------------------------------------ public

    @property
    def current_call(self) -> CallStats | None:
        return self._call.stats if self._call is not None else None

    async def run(self) -> None:
        """Serve until :meth:`stop`. Raises :class:`AuthError` for refused credentials.

        On return every peer connection, task, socket and HTTP session is closed.
        """
        if self._running:
            raise RuntimeError("HeadlessAgent.run is already running")
        self._running = True
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        self._spawn(self._media_worker(), "seat-media")
        self._spawn(self.media.stats_loop(lambda: self._call, self._stats_interval_s),
                    "seat-stats")
        try:
            failures = 0
            while not self._stopped.is_set():
                if self._token is None:
                    await self._login()
                    if self._token is None:
                        break  # stopped while logging in
                welcomed, code = await self._connection()
                if self._stopped.is_set():
                    break
                failures = 0 if welcomed else failures + 1
                if code == p.CloseCode.REVOKED:
                    self._token = None  # log in again; a disabled agent gets AuthError
                delay = (self._backoff_s[1] if code == p.CloseCode.POLICY
                         else self._backoff(failures))
                self._emit({"event": "reconnect_in", "delay_s": round(delay, 2)})
                await self._sleep(delay)
        finally:
            await self._teardown()

    def stop(self) -> None:
        """Ask :meth:`run` to return (it goes ``offline`` first when not in a call).

        A call in progress is left to the hub: the seat is lost after the grace
        period and the ticket goes back to its queue.
        """
        self._stopped.set()
        self._notify()

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0) -> object:
        """Wait until ``predicate()`` is truthy (checked on every change); return its value.

        Raises ``TimeoutError`` naming the last events seen.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [e["event"] for e in list(self.events)[-12:]]
                raise TimeoutError(f"condition not met within {timeout}s; last events {recent}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.5)):
                    await self._changed.wait()

    async def accept_offer(self, offer_id: str | None = None) -> bool:
        """Accept ``offer_id`` (default: the pending offer). True if the hub agreed."""
        offer_id = offer_id or self.pending_offer
        if offer_id is None:
            return False
        reply = await self._try_request("ticket.accept", p.TicketAccept(offer_id=offer_id))
        if reply is None or reply.type != "ticket":
            return False
        ticket = p.parse_data(reply, p.Ticket)
        if self.pending_offer == offer_id:
            self.pending_offer = None
        self._emit({"event": "ticket.accepted", "offer_id": offer_id,
                    "ticket_id": ticket.ticket_id, "number": ticket.number})
        return True

    async def decline_offer(self, offer_id: str | None = None, reason: str | None = None
                            ) -> bool:
        offer_id = offer_id or self.pending_offer
        if offer_id is None:
            return False
        reply = await self._try_request("ticket.decline",
                                        p.TicketDecline(offer_id=offer_id, reason=reason))
        if self.pending_offer == offer_id:
            self.pending_offer = None
        return reply is not None and reply.type == "ok"

    async def set_state(self, state: str, reason: str | None = None) -> bool:
        """Ask for ``available``, ``away`` or ``offline``; True if the hub agreed."""
        req = p.AgentStateRequest.model_validate({"state": state, "reason": reason})
        reply = await self._try_request("agent.state", req)
        return reply is not None and reply.type == "agent.state"

    async def end_call(self, reason: str = "completed") -> bool:
        """Hang up the current call (``call.end``). True if the hub agreed.

        ``call.ended`` follows from the hub, and only then is the peer connection
        closed and the call's stats finished.
        """
        call = self._call
        if call is None or call.stats.ended_at is not None:
            return False
        call_id = call.stats.call_id
        self._emit({"event": "call.end", "call_id": call_id, "reason": reason})
        reply = await self._try_request("call.end", p.CallEnd(call_id=call_id, reason=reason))
        return reply is not None and reply.type == "ok"

    async def drop_link(self) -> None:
        """Fault drill: cut the WebSocket's TCP connection without a closing handshake."""
        if self._ws is not None:
            self._ws.transport.abort()

    # ------------------------------------------------------------------ documents, face checks

    async def request_document(self, kind: str, instruction: str | None = None) -> str | None:
        """:meth:`SeatDesk.request_document <cloud_seat.seat_desk.SeatDesk.request_document>`."""
        return await self.desk.request_document(kind, instruction)

    async def review_document(self, document_id: str, decision: str,
                              reason: str | None = None) -> bool:
        """:meth:`SeatDesk.review_document <cloud_seat.seat_desk.SeatDesk.review_document>`."""
        return await self.desk.review_document(document_id, decision, reason)

    async def download_document(self, document_id: str) -> bytes | None:
        """:meth:`SeatDesk.download_document <cloud_seat.seat_desk.SeatDesk.download_document>`."""
        return await self.desk.download_document(document_id)

    async def start_face_check(self, document_id: str) -> str | None:
        """:meth:`SeatDesk.start_face_check <cloud_seat.seat_desk.SeatDesk.start_face_check>`."""
        return await self.desk.start_face_check(document_id)

    async def decide_face_check(self, check_id: str, decision: str,
                                note: str | None = None) -> bool:
        """:meth:`SeatDesk.decide_face_check <cloud_seat.seat_desk.SeatDesk.decide_face_check>`."""
        return await self.desk.decide_face_check(check_id, decision, note)

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    # ------------------------------------------------------------------ HTTP login

    async def _login(self) -> None:
        """Get a session token; retries network faults and 5xx until stopped."""
        assert self._http is not None
        failures = 0
        body = {"username": self.username, "password": self._password}
        while not self._stopped.is_set():
            delay: float | None = None
            try:
                async with self._http.post(self.server + "/api/login", json=body) as resp:
                    data: Any = await resp.json(content_type=None)
                    if resp.status == 200:
                        self._token = str(data["token"])
                        self.user_id = data.get("user_id")
                        self.name = str(data.get("name") or self.username)
                        self._emit({"event": "login", "user_id": self.user_id,
                                    "name": data.get("name"), "role": data.get("role")})
                        if data.get("role") != "agent":
                            raise AuthError(f"{self.username!r} is a {data.get('role')}, "
                                            "not an agent")
                        return
                    error = data.get("error", {}) if isinstance(data, dict) else {}
                    message = str(error.get("message") or f"HTTP {resp.status}")
                    if resp.status in (400, 401, 403):
                        raise AuthError(f"login refused for {self.username!r}: {message}")
                    if resp.status == 429:
                        delay = float(resp.headers.get("Retry-After", "5"))
                    detail = f"HTTP {resp.status}: {message}"
            except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
                detail = f"{type(exc).__name__}: {exc}"
            failures += 1
            delay = self._backoff(failures) if delay is None else delay
            self._emit({"event": "login.retry", "error": detail, "delay_s": round(delay, 2)})
            await self._sleep(delay)

    # ------------------------------------------------------------------ WebSocket

    async def _connection(self) -> tuple[bool, int | None]:
        """One WebSocket connection, from connect to close: (welcomed, close code)."""
        try:
            ws = await websockets.connect(self.ws_url, open_timeout=10, max_size=2**20,
                                          ping_interval=20, ping_timeout=20)
        except (OSError, TimeoutError, websockets.InvalidHandshake,
                websockets.InvalidURI) as exc:
            self._emit({"event": "connect.failed", "error": f"{type(exc).__name__}: {exc}"})
            return False, None
        self._ws = ws
        reader = self._spawn(self._read(ws), "seat-reader")
        beat: asyncio.Task[None] | None = None
        welcomed = False
        try:
            welcome = await self._hello()  # the reader already ran _welcomed
            welcomed = True
            beat = self._spawn(self._heartbeat(welcome.heartbeat_s), "seat-heartbeat")
            stopping = self._spawn(self._stopped.wait(), "seat-stop-wait")
            await asyncio.wait({reader, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if self._stopped.is_set() and not reader.done() and self._call is None:
                with contextlib.suppress(_Disconnected, TimeoutError):
                    await self._request("agent.state", p.AgentStateRequest(state="offline"),
                                        timeout=2.0)
        except (_Disconnected, TimeoutError) as exc:
            self._emit({"event": "hello.failed", "error": f"{type(exc).__name__}: {exc}"})
        finally:
            self.connected = False
            if beat is not None:
                beat.cancel()
            with contextlib.suppress(Exception):
                await ws.close()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(_Disconnected("the hub connection closed"))
            self._pending.clear()
            self._ws = None
            code = int(ws.close_code) if ws.close_code is not None else None
            self._emit({"event": "disconnected", "code": code})
        return welcomed, ws.close_code

    async def _hello(self) -> p.Welcome:
        for attempt in range(2):
            assert self._token is not None
            reply = await self._request("hello", p.Hello(token=self._token, client=self.client,
                                                         resume=self.session_id), timeout=10)
            if reply.type == "welcome":
                return p.parse_data(reply, p.Welcome)
            err = p.parse_data(reply, p.Error)
            if err.code is p.ErrorCode.UNAUTHENTICATED and attempt == 0:
                self._token = None  # expired or revoked session token: log in again
                await self._login()
                if self._token is None:
                    break
                continue
            raise _Disconnected(f"hello refused: {err.code}: {err.message}")
        raise _Disconnected("hello refused")

    def _welcomed(self, welcome: p.Welcome) -> None:
        self.session_id, self.connected = welcome.session_id, True
        self._emit({"event": "welcome", "session_id": welcome.session_id,
                    "resumed": welcome.resumed, "call_id": welcome.restored.call_id})
        call = self._call
        if call is not None:
            call_id = call.stats.call_id
            if not welcome.resumed or welcome.restored.call_id != call_id:
                # the hub released the call while we were away (no call.ended reached us)
                reason = "ended_while_away" if welcome.resumed else "seat_session_lost"
                gone = p.CallEnded(call_id=call_id, reason=reason, by="hub")
                self._jobs.put_nowait(functools.partial(self._on_call_ended, gone))
            else:
                self._jobs.put_nowait(functools.partial(self.media.resend_answer, call))
                return
        self._spawn(self._go_available(), "seat-available")

    async def _go_available(self) -> None:
        # after any (re)connection the hub has the agent `away` (queue.agent_online)
        await self.set_state("available")

    async def _heartbeat(self, every_s: int) -> None:
        while True:
            await asyncio.sleep(every_s)
            with contextlib.suppress(_Disconnected, TimeoutError):
                await self._request("ping", p.Ping(), timeout=every_s)

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                try:
                    frame = p.parse_frame(raw, p.OUTBOUND)
                except p.ProtocolError as exc:
                    self._emit({"event": "warning", "message": f"unreadable frame: {exc}"})
                    continue
                try:
                    self._on_frame(frame)
                except Exception as exc:  # a bug in one handler must not drop the link
                    log.exception("seat: handling %s failed", frame.type)
                    self._emit({"event": "error", "code": "seat", "message": repr(exc)[:300]})

    def _on_frame(self, frame: p.Frame) -> None:
        if frame.type == "welcome":
            # here, not in _connection: the pushes right behind it come next
            self._welcomed(p.parse_data(frame, p.Welcome))
        elif frame.type == "agent.state":
            data = p.parse_data(frame, p.AgentStateEvent)
            self.state = data.state
            self._emit({"event": "agent.state", "state": data.state, "reason": data.reason})
        fut = self._pending.pop(frame.re, None) if frame.re is not None else None
        if fut is None:
            self._dispatch(frame)
            return
        if not fut.done():
            fut.set_result(frame)
        if frame.type == "error":
            self._emit_error(frame)

    def _dispatch(self, frame: p.Frame) -> None:
        """Handle one pushed event; anything that awaits goes to a task or the media queue."""
        data = frame.data
        if isinstance(data, p.TicketOffer):
            self.pending_offer = data.offer_id
            t = data.ticket
            self._emit({"event": "ticket.offer", "offer_id": data.offer_id,
                        "ticket_id": t.ticket_id, "number": t.number, "service": t.service.id,
                        "booth": t.booth.name, "priority": t.priority,
                        "timeout_s": data.timeout_s})
            if self.auto_accept:
                self._spawn(self.accept_offer(data.offer_id), "seat-accept")
        elif isinstance(data, p.TicketWithdrawn):
            if self.pending_offer == data.offer_id:
                self.pending_offer = None
            self._emit({"event": "ticket.withdrawn", "offer_id": data.offer_id,
                        "reason": data.reason})
        elif isinstance(data, p.QueueSnapshot):
            waiting = {d.id: d.waiting for d in data.departments if d.waiting}
            if waiting != self.waiting:
                self.waiting = waiting
                self._emit({"event": "queue", "waiting": waiting})
        elif isinstance(data, p.CallPeer):
            self._emit({"event": "call.peer", "call_id": data.call_id, "state": data.state})
        elif isinstance(data, p.CallStart):
            self._jobs.put_nowait(functools.partial(self._on_call_start, data))
        elif isinstance(data, p.CallSdp):
            self._jobs.put_nowait(functools.partial(self._on_call_sdp, data))
        elif isinstance(data, p.CallIce):
            self._jobs.put_nowait(functools.partial(self._on_call_ice, data))
        elif isinstance(data, p.CallEnded):
            self._jobs.put_nowait(functools.partial(self._on_call_ended, data))
        elif self.desk.handle(data) or self.assist.handle(data):
            pass
        elif isinstance(data, p.Error):
            self._emit_error(frame)

    async def _request(self, mtype: str, data: p._Data, timeout: float = 10.0) -> p.Frame:
        """Send a request and return its one reply (success type or ``error``)."""
        ws = self._ws
        if ws is None:
            raise _Disconnected("not connected to the hub")
        msg_id = str(next(self._ids))
        fut: asyncio.Future[p.Frame] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        try:
            await ws.send(p.encode(mtype, data, id=msg_id))
            async with asyncio.timeout(timeout):
                return await fut
        except websockets.ConnectionClosed as exc:
            raise _Disconnected(f"the hub connection closed: {exc}") from exc
        finally:
            self._pending.pop(msg_id, None)

    async def _send_event(self, mtype: str, data: p._Data) -> bool:
        """Send an event (no ``id``: no reply, an error comes back with ``re: null``)."""
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(p.encode(mtype, data))
        except websockets.ConnectionClosed:
            return False
        return True

    async def _try_request(self, mtype: str, data: p._Data) -> p.Frame | None:
        """:meth:`_request`, reporting a lost connection as an event and None."""
        try:
            return await self._request(mtype, data)
        except (_Disconnected, TimeoutError) as exc:
            self._emit({"event": "request.failed", "type": mtype,
                        "error": f"{type(exc).__name__}: {exc}"})
            return None

    # ------------------------------------------------------------------ calls (media worker)

    async def _media_worker(self) -> None:
        """Runs call events one at a time, in arrival order (an offer before its candidates)."""
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except Exception as exc:  # one bad event must not stop the seat
                log.exception("seat: call event failed")
                self._emit({"event": "error", "code": "seat", "message": repr(exc)[:300]})

    async def _on_call_start(self, data: p.CallStart) -> None:
        if self._call is not None and self._call.stats.call_id == data.call_id:
            # The hub repeats call.start after every welcome while the call lasts (for a
            # reloaded console). Keep the peer connection; take the fresh TURN credentials
            # for the next rebuild.
            self._call.ice_servers = list(data.ice_servers)
            self._emit({"event": "call.start", "call_id": data.call_id, "repeat": True})
            return
        if self._call is not None:
            old = p.CallEnded(call_id=self._call.stats.call_id, reason="superseded", by="hub")
            await self._on_call_ended(old)
        now = time.time()
        self.desk.call_started(data.call_id)
        self.assist.call_started(data.call_id, data.peer, self.name)
        stats = CallStats(data.call_id, data.ticket_id, now, peer_name=data.peer.name)
        self.calls[data.call_id] = stats
        call = SeatCall(stats, list(data.ice_servers))
        if self.hangup_after_s is not None:
            call.hangup = asyncio.get_running_loop().call_later(
                self.hangup_after_s, self._hangup_due, call)
        self._call = call
        self._emit({"event": "call.start", "call_id": data.call_id,
                    "ticket_id": data.ticket_id, "role": data.role, "peer": data.peer.name,
                    "ticket_number": data.peer.ticket_number,
                    "ice_servers": sum(len(s.urls) for s in data.ice_servers)})
        if data.role != "answerer":
            self._emit({"event": "warning", "message": f"call.start role {data.role}: "
                        "the seat only answers; waiting for the booth's offer"})
        if self.relay_only and not any(u.startswith(("turn:", "turns:"))
                                       for s in data.ice_servers for u in s.urls):
            self._emit({"event": "warning", "message": "relay-only, but call.start names no "
                        "TURN server: this call cannot connect"})

    async def _on_call_ice(self, data: p.CallIce) -> None:
        await self.media.add_ice(self._call, data)  # the call as it is when the job runs

    def _media_connected(self, call: SeatCall) -> None:
        if self._call is call:
            self.desk.media_connected()  # each scripted once a call, not after a rebuild
            self.assist.media_connected()

    def _hangup_due(self, call: SeatCall) -> None:
        call.hangup = None
        if self._call is call and call.stats.ended_at is None:
            self._spawn(self._hangup(call), "seat-hangup")

    async def _hangup(self, call: SeatCall) -> None:
        if not await self.end_call("completed") and self._call is call and \
                not self._stopped.is_set():
            # not connected right now: try again once the link is back
            call.hangup = asyncio.get_running_loop().call_later(1.0, self._hangup_due, call)

    async def _on_call_sdp(self, data: p.CallSdp) -> None:
        call = self._call
        why = None
        if call is None or call.stats.call_id != data.call_id:
            why = "not the current call"
        elif data.description.type != "offer":
            why = f"a remote {data.description.type}: the seat only answers"
        elif call.pc is not None and data.gen < call.gen:
            why = f"stale gen (current {call.gen})"
        if why is not None or call is None:
            self._emit({"event": "sdp.ignored", "call_id": data.call_id, "gen": data.gen,
                        "reason": why})
            return
        if call.pc is not None and data.gen == call.gen:
            await self.media.resend_answer(call, force=True)  # the same offer again
            return
        await self.media.answer(call, data.gen, data.description.sdp)

    async def _on_call_ended(self, data: p.CallEnded) -> None:
        call = self._call
        stats = self.calls.get(data.call_id)
        if call is not None and call.stats.call_id == data.call_id:
            if call.hangup is not None:
                call.hangup.cancel()
                call.hangup = None
            self._call = None
            await self.media.close(call)
        self.desk.call_ended(data.call_id)
        self.assist.call_ended(data.call_id)
        if stats is not None and stats.ended_at is None:
            stats.ended_at, stats.end_reason, stats.ended_by = time.time(), data.reason, data.by
        self._emit({"event": "call.ended", "call_id": data.call_id, "reason": data.reason,
                    "by": data.by, "frames": stats.frames_received if stats else 0,
                    "gens": list(stats.gens) if stats else []})
        if self.record is not None:
            self._spawn(self._record_call(data.call_id, *self.record), "seat-record")

    async def _record_call(self, call_id: str, outcome: str, notes: str) -> None:
        """The agent's record of the call (wrap-up): outcome and note on the hub."""
        if self._http is None:
            return
        url = f"{self.server}/api/calls/{call_id}/notes"
        try:
            async with self._http.put(url, json={"outcome": outcome, "notes": notes},
                                      headers=self._bearer()) as resp:
                data: Any = await resp.json(content_type=None)
                if resp.status == 200:
                    self._emit({"event": "call.recorded", "call_id": call_id,
                                "outcome": data.get("outcome")})
                    return
                message = (data.get("error", {}).get("message") if isinstance(data, dict)
                           else None) or f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            message = str(exc) or type(exc).__name__
        self._emit({"event": "call.record_failed", "call_id": call_id, "message": message})

    # ------------------------------------------------------------------ plumbing

    async def _teardown(self) -> None:
        self._stopped.set()
        call, self._call = self._call, None
        if call is not None:
            if call.hangup is not None:
                call.hangup.cancel()
            await self.media.close(call)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
            self._ws = None
        if self._http is not None:
            await self._http.close()
            self._http = None
        self._running = False
        self._emit({"event": "stopped"})

    def _backoff(self, failures: int) -> float:
        low, high = self._backoff_s
        base = min(high, low * 2 ** max(0, failures - 1))
        return float(base * (0.5 + random.random() / 2))

    async def _sleep(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or less if stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stopped.wait()

    def _spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _notify(self) -> None:
        self._changed.set()

    def _emit_error(self, frame: p.Frame) -> None:
        err = p.parse_data(frame, p.Error)
        self._emit({"event": "error", "code": str(err.code), "message": err.message,
                    "re": frame.re})

    def _emit(self, event: dict[str, Any]) -> None:
        ev = {"event": event.pop("event"), "t": round(time.time(), 3), **event}
        self.events.append(ev)
        self._notify()
        if self._on_event is not None:
            try:
                self._on_event(ev)
            except Exception:  # a broken observer must not break the seat
                log.exception("seat: on_event callback failed")
