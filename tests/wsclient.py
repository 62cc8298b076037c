"""A small protocol v1 client over a real WebSocket (the ``websockets`` library), for tests."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

_ids = itertools.count(1)


class WsClient:
    """Sends requests, matches replies by ``re``, and buffers pushed events by type."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.events: list[dict[str, Any]] = []
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._new = asyncio.Event()
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future())
        self.reader = asyncio.create_task(self._read())
        self.welcome: dict[str, Any] = {}

    @classmethod
    async def connect(cls, url: str) -> WsClient:
        conn = await websockets.connect(url, max_size=2**20, open_timeout=5)
        return cls(conn)

    async def _read(self) -> None:
        try:
            async for raw in self.conn:
                msg = json.loads(raw)
                re = msg.get("re")
                if re is not None and re in self.replies:
                    self.replies.pop(re).set_result(msg)
                else:
                    self.events.append(msg)
                    self._new.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if not self.closed.done():
                self.closed.set_result((self.conn.close_code, self.conn.close_reason or ""))
            self._new.set()

    async def send_raw(self, raw: str | bytes) -> None:
        await self.conn.send(raw)

    async def request(self, mtype: str, data: dict[str, Any] | None = None,
                      timeout: float = 5.0) -> dict[str, Any]:
        """Send a request and return its one reply (success type or ``error``)."""
        msg_id = f"r{next(_ids)}"
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[msg_id] = fut
        await self.conn.send(json.dumps({"v": 1, "type": mtype, "id": msg_id,
                                         "data": data or {}}))
        return await asyncio.wait_for(fut, timeout)

    async def send(self, mtype: str, data: dict[str, Any] | None = None) -> None:
        """Send an event (no id, so no reply unless it fails)."""
        await self.conn.send(json.dumps({"v": 1, "type": mtype, "data": data or {}}))

    async def hello(self, token: str, resume: str | None = None) -> dict[str, Any]:
        reply = await self.request("hello", {"token": token, "client": "test/1",
                                             "resume": resume})
        if reply["type"] == "welcome":
            self.welcome = reply["data"]
        return reply

    async def expect(self, mtype: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """Return (and remove) the first buffered or future event of ``mtype`` matching."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["type"] == mtype and all(ev["data"].get(k) == v for k, v in match.items()):
                    del self.events[i]
                    return ev
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closed.done():
                seen = [e["type"] for e in self.events]
                raise AssertionError(f"no {mtype} {match or ''} within {timeout}s; have {seen}")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), remaining)
            except TimeoutError:
                pass

    def drop(self, mtype: str) -> None:
        self.events = [e for e in self.events if e["type"] != mtype]

    async def close(self) -> None:
        await self.conn.close()
        self.reader.cancel()
        try:
            await self.reader
        except asyncio.CancelledError:
            pass

    async def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a network failure)."""
        transport = self.conn.transport
        transport.abort()
        try:
            await asyncio.wait_for(self.reader, 2)
        except (asyncio.CancelledError, TimeoutError):
            pass
