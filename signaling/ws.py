"""The WebSocket adapter: one aiohttp handler per connection, thin over :class:`Hub`.

Per connection: a bounded outbound queue drained by one writer task (a slow
client never blocks the hub), a token bucket against floods (before and after
``hello``, text and binary frames alike), the ``hello`` deadline (close 4401),
and protocol errors turned into ``error`` frames. A bad frame never closes the
connection; only sustained abuse does (1008). Below us, aiohttp fails the
WebSocket itself for a frame over 64 KiB (1009) and, as RFC 6455 §8.1 requires,
for a text frame that is not UTF-8 (1007).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from aiohttp import WSMsgType, web

from signaling import protocol as p
from signaling.bus import address
from signaling.hub import Hub
from signaling.sessions import Session
from signaling.throttle import TokenBucket

__all__ = ["WsConn", "ws_handler", "HUB_KEY"]

log = logging.getLogger(__name__)

HUB_KEY: web.AppKey[Hub] = web.AppKey("hub", Hub)
_OUTBOX = 2048
_CLOSE_WAIT_S = 2.0
# aiohttp refuses a message whose size *equals* max_msg_size (it checks ``>=``), but
# the contract allows frames of up to 64 KiB inclusive (docs/protocol.md, Transport).
_MAX_MSG_SIZE = p.MAX_FRAME_BYTES + 1


class WsConn:
    """Implements :class:`signaling.hub.Conn` over an aiohttp WebSocketResponse."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.outbox: asyncio.Queue[str | None] = asyncio.Queue(_OUTBOX)
        self.close_code: int | None = None
        self.close_reason = ""
        self.writer = asyncio.create_task(self._write(), name="ws-writer")

    def send(self, frame: str) -> None:
        if self.close_code is not None:
            return
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("client too slow: %d frames queued; closing", _OUTBOX)
            self.close(p.CloseCode.POLICY, "too slow to read")

    def close(self, code: int, reason: str) -> None:
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        with contextlib.suppress(asyncio.QueueFull):
            self.outbox.put_nowait(None)
        if self.outbox.full():  # make room for the close marker
            with contextlib.suppress(asyncio.QueueEmpty):
                self.outbox.get_nowait()
            self.outbox.put_nowait(None)

    async def _write(self) -> None:
        try:
            while True:
                frame = await self.outbox.get()
                if frame is None:
                    await self.ws.close(code=self.close_code or 1000,
                                        message=self.close_reason.encode()[:120])
                    return
                await self.ws.send_str(frame)
        except (ConnectionError, RuntimeError):
            return
        except Exception:  # never leave a connection deaf without saying why
            log.exception("writer failed; closing the connection")
            with contextlib.suppress(Exception):
                await self.ws.close(code=p.CloseCode.POLICY)

    async def finish(self) -> None:
        """Stop the writer; a close asked for with :meth:`close` is sent first (within 2 s).

        Without the wait, a handler that leaves its read loop right after ``close``
        (sustained abuse) would cancel the writer before it sent the close frame, and
        the client would see 1000 instead of the code it was closed with.
        """
        if self.close_code is not None and not self.writer.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.writer), timeout=_CLOSE_WAIT_S)
        self.writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.writer


class _Budget:
    """The connection's frame budget (DESIGN.md §4 ``rate_limited``, close 1008).

    Every data frame, text or binary, before or after ``hello``, spends a token.
    A frame over budget is dropped unread and answered ``rate_limited``; each such
    frame is a strike and each frame within budget forgives one, so ``abuse_limit``
    strikes without enough pauses in between is sustained abuse.
    """

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.bucket = TokenBucket(hub.settings.rate_per_s, hub.settings.rate_burst)
        self.strikes = 0

    def admit(self, conn: WsConn, raw: str | bytes) -> bool:
        """True if the frame may be handled; else it was answered (or the connection
        is closing with 1008) and the caller must drop it."""
        self.hub.metrics.inc("xiaowu_frames_in_total")
        if self.bucket.take(time.monotonic()):
            self.strikes = max(0, self.strikes - 1)
            return True
        self.strikes += 1
        self.hub.metrics.inc("xiaowu_errors_total", code="rate_limited")
        if self.strikes >= self.hub.settings.abuse_limit:
            conn.close(p.CloseCode.POLICY, "sustained abuse")
        else:
            conn.send(p.encode_error(p.ErrorCode.RATE_LIMITED, "slow down",
                                     _peek_id(raw) if isinstance(raw, str) else None))
        return False


async def _await_hello(hub: Hub, ws: web.WebSocketResponse, conn: WsConn,
                       budget: _Budget) -> Session | None:
    """Read frames until a valid ``hello``; None if the deadline passes or the socket closes."""
    deadline = time.monotonic() + hub.settings.hello_timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            conn.close(p.CloseCode.NO_HELLO, "no hello")
            return None
        try:
            msg = await ws.receive(timeout=remaining)
        except TimeoutError:
            conn.close(p.CloseCode.NO_HELLO, "no hello")
            return None
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED,
                            WSMsgType.ERROR):
                return None
            continue
        if not budget.admit(conn, msg.data):
            if conn.close_code is not None:
                return None
            continue
        if msg.type == WSMsgType.BINARY:
            conn.send(p.encode_error(p.ErrorCode.BAD_MESSAGE, "binary frames are not used", None))
            continue
        re: str | None = None
        try:
            frame = p.parse_frame(msg.data)
            re = frame.id
            if frame.type != "hello":
                raise p.ProtocolError(p.ErrorCode.UNAUTHENTICATED, "send hello first", re)
            session, welcome = await hub.hello(conn, p.parse_data(frame, p.Hello))
        except p.ProtocolError as exc:
            hub.metrics.inc("xiaowu_errors_total", code=str(exc.code))
            conn.send(p.encode_error(exc.code, exc.message, exc.re or re))
            continue
        except Exception:  # e.g. the store is briefly unavailable: say so, stay open
            log.exception("internal error handling a hello")
            hub.metrics.inc("xiaowu_errors_total", code="internal")
            conn.send(p.encode_error(p.ErrorCode.INTERNAL, "internal error", re))
            continue
        conn.send(p.encode("welcome", welcome, re=frame.id))
        return session


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB_KEY]
    ws = web.WebSocketResponse(
        max_msg_size=_MAX_MSG_SIZE, heartbeat=float(hub.settings.heartbeat_s) * 2,
        compress=False,
    )
    await ws.prepare(request)
    conn = WsConn(ws)
    budget = _Budget(hub)
    session: Session | None = None
    sinks: list[str] = []
    try:
        session = await _await_hello(hub, ws, conn, budget)
        if session is None:
            return ws
        conn_seq = session.conn_seq
        sinks = [address(session.kind, session.subject_id)]
        if session.kind == "agent":
            sinks.append("agents")
        for addr in sinks:
            hub.bus.attach(addr, conn.send)
        await hub.after_welcome(session)
        await _serve(hub, ws, conn, session, budget)
    except TimeoutError:
        pass
    finally:
        for addr in sinks:
            hub.bus.detach(addr, conn.send)
        if session is not None:
            with contextlib.suppress(Exception):
                await hub.disconnected(session, conn_seq)
        await conn.finish()
        if not ws.closed:
            with contextlib.suppress(Exception):
                await ws.close(code=conn.close_code or p.CloseCode.NORMAL,
                               message=conn.close_reason.encode()[:120])
    return ws


async def _serve(hub: Hub, ws: web.WebSocketResponse, conn: WsConn, session: Session,
                 budget: _Budget) -> None:
    async for msg in ws:
        if conn.close_code is not None:
            break
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            continue
        if not budget.admit(conn, msg.data):
            if conn.close_code is not None:
                break
            continue
        if msg.type == WSMsgType.BINARY:
            conn.send(p.encode_error(p.ErrorCode.BAD_MESSAGE, "binary frames are not used", None))
            continue
        try:
            frame = p.parse_frame(msg.data)
            await hub.handle(session, conn, frame)
        except p.ProtocolError as exc:
            hub.metrics.inc("xiaowu_errors_total", code=str(exc.code))
            conn.send(p.encode_error(exc.code, exc.message, exc.re or _peek_id(msg.data)))
        except Exception:
            log.exception("internal error handling a frame from %s:%s", *session.key)
            hub.metrics.inc("xiaowu_errors_total", code="internal")
            conn.send(p.encode_error(p.ErrorCode.INTERNAL, "internal error", _peek_id(msg.data)))


def _peek_id(raw: str) -> str | None:
    """The request id of a frame that failed before or during parsing, if readable."""
    try:
        frame_id = json.loads(raw).get("id")
    except Exception:
        return None
    if not isinstance(frame_id, str) or not 0 < len(frame_id) <= 64:
        return None
    try:
        frame_id.encode("utf-8")  # a lone surrogate could not be sent back
    except UnicodeEncodeError:
        return None
    return frame_id
