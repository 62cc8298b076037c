"""The booth's side of remote assist against the REAL hub on a loopback port: the real
engine and runner (WebSocket, HTTP, peer connection), an agent made of a protocol
client and an aiortc answerer in the test.

Host candidates are pinned to 127.0.0.1 and the hub gives no ICE servers, so every
packet stays on loopback (DESIGN.md §6).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from PIL import Image, ImageDraw

from booth_client import session as s
from booth_client.config import ws_url
from booth_client.media import BoothMedia
from booth_client.remote import Consent
from booth_client.remote_forms import FormPhase, SignatureData
from booth_client.runner import BoothRunner
from booth_client.screen_track import ScreenSource
from signaling import forms
from signaling.store.audit import canonical_json
from tests.harness import HubEnv
from tests.unit.test_booth_remote import FORM, ID
from tests.wsclient import WsClient

SERVICE_DEPT = "housing"
SCREEN = (320, 200)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[HubEnv]:
    """A hub without TURN: ``call.start`` names no ICE server at all."""
    hub_env = await HubEnv(tmp_path / "var", turn_urls=()).start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


async def until(check: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s: {what}")
        await asyncio.sleep(0.02)


class Agent:
    """The call's agent: protocol over a :class:`WsClient`, media over an aiortc answerer
    that counts the booth's video frames per m-line (``mid``)."""

    def __init__(self, ws: WsClient) -> None:
        self.ws = ws
        self.call_id = ""
        self.pc: RTCPeerConnection | None = None
        self.frames: dict[str, int] = {}
        self.sizes: dict[str, tuple[int, int]] = {}
        self.directions: list[tuple[str, str]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def answer(self) -> None:
        offer = await self.ws.expect("call.sdp", timeout=10)
        data = offer["data"]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc = pc

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            mid = next(t.mid for t in pc.getTransceivers() if t.receiver.track is track)
            if track.kind == "video":
                task = asyncio.create_task(self._count(str(mid), track))
                self._tasks.add(task)

        await pc.setRemoteDescription(RTCSessionDescription(**data["description"]))
        self.directions = [(t.kind, t.direction) for t in pc.getTransceivers()]
        await pc.setLocalDescription(await pc.createAnswer())
        reply = await self.ws.request("call.sdp", {
            "call_id": self.call_id, "gen": data["gen"],
            "description": {"type": "answer", "sdp": pc.localDescription.sdp}})
        assert reply["type"] == "ok", reply

    async def _count(self, mid: str, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.frames[mid] = self.frames.get(mid, 0) + 1
                self.sizes[mid] = (frame.width, frame.height)
        except MediaStreamError:
            return

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _screen_picture() -> np.ndarray:
    img = np.full((SCREEN[1], SCREEN[0], 3), 240, np.uint8)
    img[:20] = (11, 78, 162)
    return img


class Booth:
    """The real engine and runner (as ``xiaowu-booth --headless`` builds them)."""

    def __init__(self, env: HubEnv, token: str) -> None:
        self.events: list[dict[str, Any]] = []
        self.taps: list[tuple[float, float, int]] = []
        self.screen = ScreenSource(_screen_picture, fps=10)
        self.engine = s.BoothSession(has_token=True, token=token)
        self.media = BoothMedia(VideoStreamTrack(), None,
                                on_state=lambda c, g, st: self.runner.media_state(c, g, st),
                                screen=self.screen)
        self.runner = BoothRunner(env.base, ws_url(env.base), self.engine, self.media,
                                  on_event=self.events.append)
        self.runner.on_tap = self._tap
        self.task: asyncio.Task[None] | None = None

    def _tap(self, x: float, y: float, seq: int) -> str:
        self.taps.append((x, y, seq))
        return "test.button"

    def start(self) -> None:
        self.task = asyncio.create_task(self.runner.run())

    async def stop(self) -> None:
        self.runner.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
        assert self.runner.remote_jobs is not None and self.runner.remote_jobs.running() == 0

    def view(self) -> s.BoothView:
        return self.engine.view()

    def remote(self) -> Any:
        return self.engine.view().remote

    def act(self, *args: Any) -> None:
        self.runner.act(*args)


@pytest.fixture
async def call(env: HubEnv, loopback_ice: None) -> AsyncIterator[tuple[Booth, Agent]]:
    agent_ws, _ = await env.agent("zhang", [SERVICE_DEPT])
    _, token = await env.add_booth()
    booth = Booth(env, token)
    booth.start()
    agent = Agent(agent_ws)
    try:
        await until(lambda: booth.view().screen is s.Screen.WELCOME and booth.view().departments,
                    what="the booth online with its catalog")
        service = next(d for d in booth.view().departments if d.id == SERVICE_DEPT).services[0]
        booth.act("start")
        booth.act("service", service.id)
        booth.act("take_ticket")
        offer = await agent_ws.expect("ticket.offer", timeout=10)
        await agent_ws.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
        started = await agent_ws.expect("call.start")
        agent.call_id = started["data"]["call_id"]
        await agent.answer()
        await until(lambda: booth.view().media is s.Media.CONNECTED, 20, "media connected")
        yield booth, agent
    finally:
        await booth.stop()
        await agent.close()


def _signature_png(strokes: list[list[list[float]]]) -> bytes:
    img = Image.new("RGBA", (600, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    for stroke in strokes:
        draw.line([(x * 600, y * 240) for x, y, _ in stroke], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


async def test_the_screen_is_a_second_video_track_sent_only_while_shared(
        env: HubEnv, call: tuple[Booth, Agent]) -> None:
    booth, agent = call
    # camera first (sendrecv), audio, then the screen (sendonly): the agent answers recvonly
    assert agent.directions == [("video", "recvonly"), ("audio", "recvonly"),
                                ("video", "recvonly")]
    await until(lambda: agent.frames.get("0", 0) > 10, what="camera frames")
    await asyncio.sleep(0.5)
    assert agent.frames.get("2", 0) == 0, "no screen before the resident's consent"

    reply = await agent.ws.request("assist.consent.request",
                                   {"call_id": agent.call_id, "scope": "screen"})
    assert reply["type"] == "assist.consent.requested"
    await until(lambda: booth.remote() is not None and booth.remote().asking is not None,
                what="the question on the kiosk")
    booth.act("remote", "consent", "screen", True)
    granted = await agent.ws.expect("assist.consent", scope="screen")
    assert granted["data"]["granted"] is True
    await until(lambda: booth.remote().screen is Consent.ON, what="screen on")
    await until(lambda: agent.frames.get("2", 0) >= 5, what="screen frames at the agent")
    assert agent.sizes["2"] == SCREEN
    assert agent.sizes["0"] != SCREEN, "the camera is still the first video"
    assert {"event": "screen.share", "call_id": agent.call_id, "on": True} in [
        {k: v for k, v in e.items() if k != "t"} for e in booth.events]

    booth.act("remote", "stop_share")
    assert not booth.screen.sharing, "stopped at once, before the hub answers"
    revoked = await agent.ws.expect("assist.consent", scope="screen")
    assert revoked["data"]["granted"] is False
    await asyncio.sleep(0.4)
    after_stop = agent.frames.get("2", 0)
    await asyncio.sleep(0.6)
    assert agent.frames.get("2", 0) == after_stop, "nothing more after the stop frame"
    camera = agent.frames.get("0", 0)
    await until(lambda: agent.frames.get("0", 0) > camera + 5, what="the camera goes on")


async def test_consent_control_pointer_drawings_and_call_end(
        env: HubEnv, call: tuple[Booth, Agent]) -> None:
    booth, agent = call
    call_id = agent.call_id
    tap = {"call_id": call_id, "action": "tap", "x": 0.25, "y": 0.75}
    for scope in ("screen", "control"):
        await agent.ws.request("assist.consent.request", {"call_id": call_id, "scope": scope})
        await until(lambda sc=scope: booth.remote().asking is not None
                    and booth.remote().asking.value == sc, what=f"asked for {scope}")
        booth.act("remote", "consent", scope, True)
        await agent.ws.expect("assist.consent", scope=scope)
    await until(lambda: booth.remote().control is Consent.ON, what="control on")
    assert (await agent.ws.request("assist.control", tap))["type"] == "ok"
    await until(lambda: booth.taps, what="the tap injected")
    assert booth.taps == [(0.25, 0.75, 1)]

    await agent.ws.send("assist.pointer", {"call_id": call_id, "x": 0.4, "y": 0.6})
    await until(lambda: booth.remote().pointer is not None, what="the pointer")
    pen = {"id": "p1", "kind": "pen", "points": [[0.1, 0.1], [0.2, 0.2]]}
    await agent.ws.request("assist.annotate", {"call_id": call_id, "surface": "screen",
                                               "op": "add", "shape": pen})
    await until(lambda: booth.remote().board.shapes("screen"), what="the drawing")

    booth.act("remote", "revoke_control")
    await agent.ws.expect("assist.consent", scope="control")
    assert (await agent.ws.request("assist.control", tap))["type"] == "error"

    await agent.ws.request("call.end", {"call_id": call_id})
    await until(lambda: booth.view().remote is None, what="remote assist gone with the call")
    assert not booth.screen.sharing
    stopped = [e for e in booth.events if e.get("event") == "assist.remote.stopped"]
    assert stopped and stopped[0]["call_id"] == call_id


async def test_a_pushed_form_is_filled_signed_and_stored_with_its_hash(
        env: HubEnv, call: tuple[Booth, Agent]) -> None:
    booth, agent = call
    call_id = agent.call_id
    pushed = await agent.ws.request("assist.form.push", {"call_id": call_id, "form": FORM})
    form_id = pushed["data"]["form_id"]
    await until(lambda: booth.remote().form is not None, what="the form on the kiosk")

    for field, value in (("id_number", ID), ("phone", "13812345678"), ("household", "3"),
                         ("housing", "none"), ("needs", ["lift"]), ("agree", True)):
        booth.act("remote", "fill", form_id, field, value)
    # the agent sees it live, sensitive values masked
    seen: dict[str, Any] = {}
    while "agree" not in seen:
        progress = await agent.ws.expect("assist.form.progress", timeout=5)
        seen.update(progress["data"]["values"])
        agent.ws.drop("assist.form.progress")
    assert seen["id_number"] == "••••002X" and seen["household"] == 3
    assert seen["phone"] == "13812345678", "not sensitive in this form"

    booth.act("remote", "review", form_id)
    assert booth.remote().form.phase is FormPhase.REVIEW
    booth.act("remote", "confirm", form_id)
    strokes = [[[round(0.1 + 0.02 * i, 4), round(0.5 + 0.1 * np.sin(i / 3), 4), i * 20]
                for i in range(30)]]
    signature = SignatureData(tuple(tuple((x, y, int(t)) for x, y, t in st) for st in strokes),
                              _signature_png(strokes))
    booth.act("remote", "sign", form_id, signature)
    await until(lambda: booth.remote().form.phase is FormPhase.SUBMITTED, 15, "submitted")
    view = booth.remote().form
    submitted = (await agent.ws.expect("assist.form.submitted", timeout=5))["data"]
    assert submitted["form_id"] == form_id and submitted["sha256"] == view.sha256
    assert submitted["values"]["name"] == "李秀英" and submitted["values"]["id_number"] == ID

    rec = await env.hub.store.get_form(form_id)
    assert rec.state == "submitted" and rec.values == submitted["values"]
    assert rec.strokes == [[[x, y, t] for x, y, t in st] for st in strokes]
    assert rec.submitted_at is not None
    doc = forms.submission_document(
        form_id=form_id, call_id=call_id, booth_id=rec.booth_id,
        form=forms.parse_definition(rec.definition), values=rec.values, strokes=rec.strokes,
        signature_sha256=rec.signature_sha256,
        submitted_at=rec.submitted_at.isoformat(timespec="microseconds"))
    assert hashlib.sha256(canonical_json(doc).encode()).hexdigest() == view.sha256
    audit = [r for r in await env.hub.store.list_audit(limit=1000)
             if r.action == "assist.form.submit" and r.target == form_id]
    assert audit and audit[0].detail["sha256"] == view.sha256
    events = [e for e in booth.events if e.get("event") == "assist.form.submit"]
    assert events and events[0]["ok"] is True and events[0]["sha256"] == view.sha256

    booth.act("remote", "close_form", form_id)
    assert booth.remote().form is None
