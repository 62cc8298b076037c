"""Helpers for driving the agent console in real Chromium against a test booth.

:class:`TestBooth` is a booth inside the test process: it enrolls through the
harness, speaks protocol v1 over :class:`tests.wsclient.WsClient`, and offers
media from an aiortc peer (synthetic green video, silence) with ICE host
candidates pinned to 127.0.0.1 and no ICE servers at all (never aiortc's
default STUN server). It counts the video frames it receives from the browser,
per peer-connection generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame

from tests.harness import HubEnv
from tests.wsclient import WsClient

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "TestBooth", "TestCard", "eventually",
           "ignore_non_loopback_checks", "screenshot"]

CHROMIUM = "/usr/bin/chromium"

# --allow-loopback-in-peer-connection: without it Chromium gathers host
# candidates only on non-loopback interfaces, and a test must stay on 127.0.0.1.
LAUNCH_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]

SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def screenshot(page: Any, name: str) -> None:
    """Save ``docs/screenshots/console-<name>.png`` when ``XIAOWU_SCREENSHOTS=1``.

    Off by default so that test runs do not rewrite files in the work tree.
    """
    if os.environ.get("XIAOWU_SCREENSHOTS") != "1":
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    await page.wait_for_timeout(400)  # let CSS transitions settle
    await page.screenshot(path=str(SCREENSHOT_DIR / f"console-{name}.png"))


async def open_page(browser: Any, url: str, locale: str | None = "zh-CN"
                    ) -> tuple[Any, Any, list[str]]:
    """A fresh browser context at 1440×900 on ``url``; page errors are collected."""
    context = await browser.new_context(viewport={"width": 1440, "height": 900},
                                        **({"locale": locale} if locale else {}))
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    return context, page, errors


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0,
                     what: str = "condition", interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = await check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")
        await asyncio.sleep(interval)


def ignore_non_loopback_checks() -> Callable[[], None]:
    """Make aioice drop ICE checks that do not come from a loopback address.

    Chromium also gathers on the machine's other interfaces, and its sockets
    there send connectivity checks to the booth's 127.0.0.1 candidate; answered,
    such a check becomes a peer-reflexive pair that aioice may nominate. Dropped,
    only the 127.0.0.1 <-> 127.0.0.1 pair can succeed. Returns the undo function.
    """
    import aioice.ice

    original = aioice.ice.Connection.request_received

    def request_received(self: Any, message: Any, addr: tuple[str, int], protocol: Any) -> None:
        if not ipaddress.ip_address(addr[0]).is_loopback:
            return
        original(self, message, addr, protocol)

    aioice.ice.Connection.request_received = request_received  # type: ignore[method-assign]

    def undo() -> None:
        aioice.ice.Connection.request_received = original  # type: ignore[method-assign]

    return undo


def _loopback_udp(line: str) -> bool:
    """A UDP candidate on a loopback address (127.0.0.1 or ::1)."""
    parts = line.removeprefix("candidate:").split()
    if len(parts) < 8 or parts[2].lower() != "udp":
        return False
    try:
        return ipaddress.ip_address(parts[4]).is_loopback
    except ValueError:
        return False


class TestCard(VideoStreamTrack):
    """A 640x360 test card with a moving block: something to see in screenshots."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        super().__init__()
        import numpy as np

        h, w = 360, 640
        ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
        top = np.array([120, 84, 30], dtype=np.float32)  # BGR deep blue
        bottom = np.array([214, 196, 170], dtype=np.float32)
        img = (top + (bottom - top) * ramp) * np.ones((1, w, 1), dtype=np.float32)
        bars = [(0, 0, 200), (0, 170, 240), (60, 170, 60), (200, 160, 40), (160, 80, 160)]
        for i, colour in enumerate(bars):
            img[300:340, 40 + i * 112:136 + i * 112] = colour
        self._base = img.astype(np.uint8)
        self._n = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        img = self._base.copy()
        x = 40 + (self._n * 4) % 520
        img[120:200, x:x + 80] = (250, 250, 250)
        self._n += 1
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class TestBooth:
    """A booth in the test process; the browser console is the other party."""

    __test__ = False  # not a pytest class

    def __init__(self, env: HubEnv) -> None:
        self.env = env
        self.ws: WsClient | None = None
        self.booth_id = ""
        self.call_id: str | None = None
        self.call_started = asyncio.Event()
        self.ended: dict[str, Any] | None = None
        self.ended_event = asyncio.Event()
        self.pc: RTCPeerConnection | None = None
        self.gen = -1
        self.answered: dict[int, asyncio.Event] = {}
        self.answers: dict[int, str] = {}  # gen -> the browser's answer SDP
        self.answer_delay_s = 0.0
        self.frames: dict[int, int] = {}  # gen -> video frames received from the browser
        self.browser_candidates: list[str] = []  # every candidate line the browser sent
        self.applied_candidates: list[str] = []
        self._remote_set = False
        self._early: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._pump: asyncio.Task[None] | None = None
        self._pcs: list[RTCPeerConnection] = []

    async def start(self, name: str = "石门镇新村村便民服务站") -> TestBooth:
        self.booth_id, token = await self.env.add_booth(name)
        self.ws = await self.env.connect(token)
        self._pump = asyncio.create_task(self._run(), name="test-booth-pump")
        return self

    async def take_ticket(self, service_id: str) -> dict[str, Any]:
        assert self.ws is not None
        reply = await self.ws.request("ticket.create", {"service_id": service_id})
        assert reply["type"] == "ticket", reply
        return dict(reply["data"])

    async def offer(self, gen: int, answer_delay_s: float = 0.0) -> None:
        """Build a fresh peer connection for ``gen`` (closing the old one) and offer it."""
        assert self.ws is not None and self.call_id is not None
        old, self.pc = self.pc, None
        if old is not None:
            await old.close()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pcs.append(pc)
        self.pc, self.gen = pc, gen
        self._remote_set, self._early = False, []
        self.answer_delay_s = answer_delay_s
        self.answered[gen] = asyncio.Event()
        self.frames.setdefault(gen, 0)

        @pc.on("track")
        def _track(track: Any) -> None:
            if track.kind == "video":
                task = asyncio.create_task(self._count(track, gen), name=f"rx-{gen}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

        pc.addTransceiver(TestCard(), direction="sendrecv")
        pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        reply = await self.ws.request("call.sdp", {
            "call_id": self.call_id, "gen": gen,
            "description": {"type": "offer", "sdp": pc.localDescription.sdp}})
        assert reply["type"] == "ok", reply

    def selected_pairs(self) -> list[tuple[str, str]]:
        """(local, remote) addresses of the ICE pairs the current connection nominated."""
        if self.pc is None:
            return []
        out = []
        for transceiver in self.pc.getTransceivers():
            connection = transceiver.receiver.transport.transport._connection  # aioice
            for pair in connection._nominated.values():
                out.append((pair.local_candidate.host, pair.remote_addr[0]))
        return sorted(set(out))

    async def wait_answer(self, gen: int, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self.answered[gen].wait(), timeout)

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        for pc in self._pcs:
            await pc.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, MediaStreamError):
                await task

    # ------------------------------------------------------------ internals

    async def _count(self, track: Any, gen: int) -> None:
        try:
            while True:
                await track.recv()
                self.frames[gen] = self.frames.get(gen, 0) + 1
        except MediaStreamError:
            return

    async def _run(self) -> None:
        ws = self.ws
        assert ws is not None
        while not ws.closed.done():
            ws._new.clear()
            while ws.events:
                await self._handle(ws.events.pop(0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ws._new.wait(), 0.5)

    async def _handle(self, ev: dict[str, Any]) -> None:
        kind, data = ev["type"], ev.get("data", {})
        if kind == "call.start":
            self.call_id = data["call_id"]
            assert data["role"] == "offerer" and data["ice_servers"] == [], data
            self.call_started.set()
        elif kind == "call.sdp" and data.get("gen") == self.gen and self.pc is not None:
            assert data["description"]["type"] == "answer", data
            if self.answer_delay_s:
                await asyncio.sleep(self.answer_delay_s)
            self.answers[data["gen"]] = data["description"]["sdp"]
            await self.pc.setRemoteDescription(RTCSessionDescription(**data["description"]))
            self._remote_set = True
            for cand in self._early:
                await self._add_candidate(cand)
            self._early = []
            self.answered[data["gen"]].set()
        elif kind == "call.ice" and data.get("candidate") is not None:
            self.browser_candidates.append(data["candidate"]["candidate"])
            if data.get("gen") != self.gen:
                return
            if self._remote_set:
                await self._add_candidate(data["candidate"])
            else:
                self._early.append(data["candidate"])
        elif kind == "call.ended":
            self.ended = data
            self.ended_event.set()

    async def _add_candidate(self, cand: dict[str, Any]) -> None:
        # Only loopback: the test's traffic must stay on 127.0.0.1.
        line = cand["candidate"]
        if self.pc is None or not _loopback_udp(line) or ":" in line.split()[4]:
            return
        ice = candidate_from_sdp(line.removeprefix("candidate:"))
        ice.sdpMid = cand.get("sdpMid")
        ice.sdpMLineIndex = cand.get("sdpMLineIndex")
        await self.pc.addIceCandidate(ice)
        self.applied_candidates.append(line)
