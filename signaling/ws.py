"""The WebSocket adapter: one aiohttp handler per connection, thin over :class:`Hub`.

Per connection: a bounded outbound queue drained by one writer task (a slow
client never blocks the hub), a token bucket against floods, the ``hello``
deadline (close 4401), and protocol errors turned into ``error`` frames. A bad
frame never closes the connection; only sustained abuse does (1008).
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
        self.writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.writer


async def _await_hello(hub: Hub, ws: web.WebSocketResponse, conn: WsConn) -> Session | None:
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
        if msg.type != WSMsgType.TEXT:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED,
                            WSMsgType.ERROR):
                return None
            conn.send(p.encode_error(p.ErrorCode.BAD_MESSAGE, "binary frames are not used", None))
            continue
        hub.metrics.inc("xiaowu_frames_in_total")
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
        conn.send(p.encode("welcome", welcome, re=frame.id))
        return session


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB_KEY]
    ws = web.WebSocketResponse(
        max_msg_size=p.MAX_FRAME_BYTES, heartbeat=float(hub.settings.heartbeat_s) * 2,
        compress=False,
    )
    await ws.prepare(request)
    conn = WsConn(ws)
    session: Session | None = None
    sinks: list[str] = []
    try:
        session = await _await_hello(hub, ws, conn)
        if session is None:
            await asyncio.wait_for(asyncio.shield(conn.writer), timeout=2.0)
            return ws
        conn_seq = session.conn_seq
        sinks = [address(session.kind, session.subject_id)]
        if session.kind == "agent":
            sinks.append("agents")
        for addr in sinks:
            hub.bus.attach(addr, conn.send)
        await hub.after_welcome(session)
        await _serve(hub, ws, conn, session)
    except (TimeoutError, asyncio.CancelledError):
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
                await ws.close()
    return ws


async def _serve(hub: Hub, ws: web.WebSocketResponse, conn: WsConn, session: Session) -> None:
    bucket = TokenBucket(hub.settings.rate_per_s, hub.settings.rate_burst)
    strikes = 0
    async for msg in ws:
        if conn.close_code is not None:
            break
        if msg.type != WSMsgType.TEXT:
            if msg.type == WSMsgType.BINARY:
                conn.send(p.encode_error(p.ErrorCode.BAD_MESSAGE, "binary frames are not used",
                                         None))
            continue
        hub.metrics.inc("xiaowu_frames_in_total")
        if not bucket.take(time.monotonic()):
            strikes += 1
            hub.metrics.inc("xiaowu_errors_total", code="rate_limited")
            if strikes >= hub.settings.abuse_limit:
                conn.close(p.CloseCode.POLICY, "sustained abuse")
                break
            conn.send(p.encode_error(p.ErrorCode.RATE_LIMITED, "slow down", _peek_id(msg.data)))
            continue
        strikes = max(0, strikes - 1)
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
