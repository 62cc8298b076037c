"""The headless agent (``cloud_seat.agent``) against a real hub on a loopback port.

The booth is built here, in the test, the way a booth does it (DESIGN.md §3):
an aiortc offerer with video then audio, ``gen`` 0 first and ``gen + 1`` on
every rebuild of its peer connection. No ICE servers at all and host
candidates pinned to 127.0.0.1, so every packet stays on loopback (§6).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aioice.ice
import numpy as np
import pytest
from aiortc import RTCIceTransportPolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from av import VideoFrame
from PIL import Image

from cloud_seat.agent import AuthError, HeadlessAgent, ws_url
from cloud_seat.ice import restore_host_addresses, restrict_host_addresses, rtc_configuration
from cloud_seat.synthetic import SyntheticVideoTrack
from signaling.faces import FaceJob, FaceVerdict
from signaling.protocol import IceServer
from tests.harness import HubEnv, free_port
from tests.turnserver import TurnServer
from tests.wsclient import WsClient

PASSWORD = "seat-pass-123"
AGENT_SIZE = (320, 180)
BOOTH_SIZE = (256, 144)
MEDIA_TIMEOUT = 20.0


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[HubEnv]:
    """The hub of ``tests/conftest.py`` without TURN, so ``call.start`` has no ICE servers.

    The harness's default TURN URL points at 127.0.0.1:3478 where nothing listens,
    and aioice would wait 5 s for that allocation before every answer.
    """
    hub_env = await HubEnv(tmp_path / "var", turn_urls=()).start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


class Seats:
    """Starts headless agents as tasks; :meth:`stop_all` checks that each stops cleanly."""

    def __init__(self, env: HubEnv) -> None:
        self.env = env
        self.running: list[tuple[HeadlessAgent, asyncio.Task[None]]] = []

    async def provision(self, username: str) -> None:
        await self.env.call("POST", "/api/admin/agents",
                            {"username": username, "password": PASSWORD, "skills": ["housing"]},
                            token=self.env.admin_token, expect=201)

    async def start(self, username: str, **options: Any) -> HeadlessAgent:
        await self.provision(username)
        options = {"video_size": AGENT_SIZE, "reconnect_backoff_s": (0.05, 0.5), **options}
        agent = HeadlessAgent(self.env.base, username, PASSWORD, **options)
        task = asyncio.create_task(agent.run())
        self.running.append((agent, task))
        await self.wait(agent, lambda: agent.state == "available")
        return agent

    async def wait(self, agent: HeadlessAgent, predicate: Any, timeout: float = 10.0) -> Any:
        """``agent.wait_for``, failing at once if the agent's run task died."""
        task = next(t for a, t in self.running if a is agent)
        waiter = asyncio.ensure_future(agent.wait_for(predicate, timeout))
        await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
            task.result()  # raises what run() raised
            raise AssertionError("the agent stopped")
        return waiter.result()

    async def stop_all(self) -> None:
        for agent, _ in self.running:
            agent.stop()
        for agent, task in self.running:
            await asyncio.wait_for(task, 10)
            assert not agent._tasks and agent._ws is None and agent._http is None
            assert agent.events[-1]["event"] == "stopped"


@pytest.fixture
async def seats(env: HubEnv, loopback_ice: None) -> AsyncIterator[Seats]:
    pool = Seats(env)
    try:
        yield pool
    finally:
        await pool.stop_all()


class BoothPeer:
    """The booth's media side: one RTCPeerConnection per gen, the offerer, video then audio
    (and, with ``screen``, the kiosk screen as a second video m-line, ``sendonly``)."""

    def __init__(self, ws: WsClient, ice_servers: list[IceServer] | None = None,
                 relay_only: bool = False, screen: bool = False) -> None:
        self.ws = ws
        self.screen = screen
        self.ice_servers = ice_servers or []
        self.relay_only = relay_only
        self.answer_sdp = ""
        self.pc: RTCPeerConnection | None = None
        self.tracks: list[MediaStreamTrack] = []
        self.readers: list[asyncio.Task[None]] = []
        self.frames: dict[int, int] = {}
        self.frame_size: tuple[int, int] | None = None

    async def offer(self, call_id: str, gen: int) -> str:
        """(Re)build the peer connection for ``gen``, offer, apply the answer; the offer SDP."""
        await self.close()
        pc = self.pc = RTCPeerConnection(rtc_configuration(self.ice_servers,
                                                           relay_only=self.relay_only))
        self.tracks = [SyntheticVideoTrack(*BOOTH_SIZE, fps=15, label="booth"),
                       AudioStreamTrack()]
        for track in self.tracks:
            pc.addTransceiver(track, direction="sendrecv")
        if self.screen:
            self.tracks.append(SyntheticVideoTrack(*BOOTH_SIZE, fps=4, label="kiosk screen"))
            pc.addTransceiver(self.tracks[-1], direction="sendonly")
        self.frames[gen] = 0

        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self.readers.append(asyncio.create_task(self._count(track, gen)))

        pc.add_listener("track", on_track)
        await pc.setLocalDescription(await pc.createOffer())
        sdp = str(pc.localDescription.sdp)
        sent = await self.ws.request("call.sdp", {"call_id": call_id, "gen": gen,
                                                  "description": {"type": "offer", "sdp": sdp}})
        assert sent["type"] == "ok", sent
        answer = (await self.ws.expect("call.sdp", timeout=10))["data"]
        assert answer["gen"] == gen and answer["description"]["type"] == "answer", answer
        await pc.setRemoteDescription(RTCSessionDescription(**answer["description"]))
        self.answer_sdp = answer["description"]["sdp"]
        return sdp

    async def _count(self, track: MediaStreamTrack, gen: int) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                self.frames[gen] += 1
                self.frame_size = (frame.width, frame.height)

    async def wait_frames(self, gen: int, at_least: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MEDIA_TIMEOUT
        while self.frames.get(gen, 0) < at_least:
            assert loop.time() < deadline, f"booth got {self.frames} frames by gen"
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
            self.pc = None
        for track in self.tracks:
            track.stop()
        await asyncio.gather(*self.readers, return_exceptions=True)
        self.readers = []


@pytest.fixture
async def booth_peers() -> AsyncIterator[list[BoothPeer]]:
    made: list[BoothPeer] = []
    try:
        yield made
    finally:
        for peer in made:
            await peer.close()


async def _ticket_to_call(env: HubEnv, booth: WsClient) -> str:
    """The booth takes a ticket; the seat accepts it by itself; the call id."""
    return str((await _ticket_to_start(env, booth))["call_id"])


async def _ticket_to_start(env: HubEnv, booth: WsClient) -> dict[str, Any]:
    """The booth takes a ticket; the seat accepts it by itself; the booth's call.start."""
    catalog = await env.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    ticket = await booth.request("ticket.create", {"service_id": housing["services"][0]["id"]})
    assert ticket["type"] == "ticket", ticket
    start = (await booth.expect("call.start", timeout=10))["data"]
    assert start["role"] == "offerer" and start["ticket_id"] == ticket["data"]["ticket_id"]
    return dict(start)


async def test_call_media_both_ways_rebuild_and_rating(
        env: HubEnv, seats: Seats, booth_peers: list[BoothPeer]) -> None:
    agent = await seats.start("seat1")
    _, token = await env.add_booth()
    booth = await env.connect(token)
    call_id = await _ticket_to_call(env, booth)
    await seats.wait(agent, lambda: agent.current_call is not None)
    stats = agent.calls[call_id]
    assert agent.state == "in_call" and stats.gens == []

    peer = BoothPeer(booth)
    booth_peers.append(peer)
    offer_sdp = await peer.offer(call_id, 0)
    await seats.wait(agent, lambda: stats.frames_by_gen.get(0, 0) >= 10, MEDIA_TIMEOUT)
    await peer.wait_frames(0, 10)
    assert stats.frame_size == BOOTH_SIZE and peer.frame_size == AGENT_SIZE
    assert stats.first_frame_at is not None and stats.first_frame_at >= stats.started_at
    assert (0, "connected") in stats.pc_states

    # Trickled candidates (as a browser would send) do not disturb the call: the null
    # end-of-candidates is skipped; a duplicate of one already in the SDP is ignored.
    line = next(x for x in offer_sdp.splitlines() if x.startswith("a=candidate:"))
    for cand in ({"candidate": line[2:], "sdpMid": "0", "sdpMLineIndex": 0}, None):
        sent = await booth.request("call.ice", {"call_id": call_id, "gen": 0, "candidate": cand})
        assert sent["type"] == "ok", sent

    # The booth rebuilds its peer connection (aiortc has no ICE restart): gen 1.
    before = stats.frames_received
    await peer.offer(call_id, 1)
    await seats.wait(agent, lambda: stats.frames_by_gen.get(1, 0) >= 10, MEDIA_TIMEOUT)
    await peer.wait_frames(1, 10)
    assert stats.gens == [0, 1] and stats.frames_received > before
    assert (0, "closed") in stats.pc_states and (1, "connected") in stats.pc_states
    offers = [e for e in agent.events if e["event"] == "call.offer"]
    assert [(e["gen"], e["rebuilt"]) for e in offers] == [(0, False), (1, True)]
    assert not [e for e in agent.events if e["event"] in ("error", "pc.error")], agent.events

    ended = await booth.request("call.end", {"call_id": call_id, "reason": "hangup"})
    assert ended["type"] == "ok", ended
    await booth.expect("call.ended", call_id=call_id)
    await seats.wait(agent, lambda: stats.ended_at is not None)
    assert (stats.end_reason, stats.ended_by) == ("hangup", "booth")
    assert agent.current_call is None
    await seats.wait(agent, lambda: agent.state == "available", 5)
    await booth.expect("rating.request", call_id=call_id)
    rating = await booth.request("rating.submit", {"call_id": call_id, "level": 5})
    assert rating["data"] == {"call_id": call_id, "level": 5}
    stored = await env.hub.store.get_rating(call_id)
    assert stored is not None and stored.level == 5
    record = await env.hub.store.get_call(call_id)
    assert record.end_reason == "hangup" and record.ended_by == "booth"


async def test_hangup_after_completes_each_call_and_the_seat_serves_the_next(
        env: HubEnv, seats: Seats) -> None:
    events: list[dict[str, Any]] = []
    agent = await seats.start("seat2", hangup_after_s=0.3, on_event=events.append)
    _, token = await env.add_booth()
    booth = await env.connect(token)
    for level in (4, 2):
        call_id = await _ticket_to_call(env, booth)
        ended = await booth.expect("call.ended", call_id=call_id, timeout=5)
        assert ended["data"] == {"call_id": call_id, "reason": "completed", "by": "agent"}
        await booth.expect("rating.request", call_id=call_id)
        rating = await booth.request("rating.submit", {"call_id": call_id, "level": level})
        assert rating["type"] == "rating", rating
        stored = await env.hub.store.get_rating(call_id)
        assert stored is not None and stored.level == level
        await seats.wait(agent, lambda: agent.state == "available" and agent.current_call
                         is None, 5)
        assert agent.calls[call_id].end_reason == "completed"
    assert len(agent.calls) == 2
    names = [e["event"] for e in events]
    assert names.count("call.end") == 2 and names.count("call.ended") == 2
    assert all(isinstance(e["t"], float) for e in events)
    json.dumps(events)  # every event is JSON-ready


async def test_seat_reconnects_resumes_and_keeps_its_call(
        env: HubEnv, seats: Seats, booth_peers: list[BoothPeer]) -> None:
    agent = await seats.start("seat3")
    _, token = await env.add_booth()
    booth = await env.connect(token)
    call_id = await _ticket_to_call(env, booth)
    peer = BoothPeer(booth)
    booth_peers.append(peer)
    await peer.offer(call_id, 0)
    stats = agent.calls[call_id]
    await seats.wait(agent, lambda: stats.frames_received >= 5, MEDIA_TIMEOUT)
    first_session = agent.session_id

    await agent.drop_link()
    await booth.expect("call.peer", call_id=call_id, state="away")
    await booth.expect("call.peer", call_id=call_id, state="back")
    await seats.wait(agent, lambda: agent.connected)
    welcome = [e for e in agent.events if e["event"] == "welcome"][-1]
    assert welcome["resumed"] is True and welcome["call_id"] == call_id
    assert agent.session_id == first_session and agent.current_call is stats
    # the hub repeats call.start after the welcome: the same call goes on, same peer connection
    await seats.wait(agent, lambda: any(e["event"] == "call.start" and e.get("repeat")
                                        for e in agent.events))
    # media is peer to peer: it never stopped
    now = stats.frames_received
    await seats.wait(agent, lambda: stats.frames_received >= now + 5, MEDIA_TIMEOUT)
    assert stats.gens == [0] and agent.current_call is stats
    assert [s for _, s in stats.pc_states] == ["connecting", "connected"]

    assert await agent.end_call("done")
    await booth.expect("call.ended", call_id=call_id)
    await seats.wait(agent, lambda: stats.ended_at is not None and agent.state == "available")
    assert (stats.end_reason, stats.ended_by) == ("done", "agent")


async def test_relay_only_seat_answers_with_relay_candidates_only(
        tmp_path: Path, turn_server: TurnServer, booth_peers: list[BoothPeer]) -> None:
    """Production's normal path (DESIGN.md §3): media through coturn on 127.0.0.1 with the
    hub's per-call credentials; no host candidates at all, so no pinning either."""
    env = await HubEnv(tmp_path / "var", turn_urls=(turn_server.url,),
                       turn_secret=turn_server.secret).start()
    pool = Seats(env)
    try:
        agent = await pool.start("seat-relay", relay_only=True)
        _, token = await env.add_booth()
        booth = await env.connect(token)
        start = await _ticket_to_start(env, booth)
        servers = [IceServer.model_validate(s) for s in start["ice_servers"]]
        assert servers and servers[0].urls == [turn_server.url]
        peer = BoothPeer(booth, servers, relay_only=True)
        booth_peers.append(peer)
        await peer.offer(start["call_id"], 0)
        candidates = [x for x in peer.answer_sdp.splitlines() if x.startswith("a=candidate:")]
        assert candidates and all(" typ relay " in c for c in candidates), candidates
        stats = agent.calls[start["call_id"]]
        await pool.wait(agent, lambda: stats.frames_received >= 10, MEDIA_TIMEOUT)
        await peer.wait_frames(0, 10)
        assert await agent.end_call()
        await booth.expect("call.ended", call_id=start["call_id"])
    finally:
        await pool.stop_all()
        await env.stop()


class CuttableLink:
    """A TCP proxy on 127.0.0.1 in front of the hub: :meth:`cut` drops every connection
    and refuses new ones (a network outage) until :meth:`restore`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        await asyncio.gather(*self.pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {writer, up_writer}
        pipes = {asyncio.create_task(self._pipe(reader, up_writer)),
                 asyncio.create_task(self._pipe(up_reader, writer))}
        self.pipes |= pipes
        await asyncio.gather(*pipes, return_exceptions=True)
        self.pipes -= pipes
        self.writers -= {writer, up_writer}

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except ConnectionError:
            pass
        finally:
            dst.transport.abort()


async def test_outage_longer_than_grace_loses_the_call_then_serves_the_requeued_ticket(
        env: HubEnv, seats: Seats, booth_peers: list[BoothPeer]) -> None:
    """The seat's link to the hub (not the media) is down past the 1 s grace: the hub ends
    the call (``agent_lost``) and requeues the ticket; back online, the seat drops its stale
    peer connection, goes available and serves the same ticket in a new call."""
    link = CuttableLink(env.port)
    await link.restore()
    try:
        await seats.provision("seat4")
        agent = HeadlessAgent(link.base, "seat4", PASSWORD, video_size=AGENT_SIZE,
                              reconnect_backoff_s=(0.05, 0.3))
        seats.running.append((agent, asyncio.create_task(agent.run())))
        await seats.wait(agent, lambda: agent.state == "available")
        _, token = await env.add_booth()
        booth = await env.connect(token)
        first = await _ticket_to_call(env, booth)
        peer = BoothPeer(booth)
        booth_peers.append(peer)
        await peer.offer(first, 0)
        stats = agent.calls[first]
        await seats.wait(agent, lambda: stats.frames_received >= 5, MEDIA_TIMEOUT)

        await link.cut()
        await booth.expect("call.peer", call_id=first, state="away")
        ended = await booth.expect("call.ended", call_id=first, timeout=5)
        assert ended["data"]["by"] == "hub" and ended["data"]["reason"] == "agent_lost"
        await booth.expect("ticket.update", state="waiting")
        assert stats.ended_at is None  # the seat cannot know yet
        await link.restore()

        second = (await booth.expect("call.start", timeout=10))["data"]["call_id"]
        assert second != first
        assert (stats.end_reason, stats.ended_by) == ("seat_session_lost", "hub")
        assert (0, "closed") in stats.pc_states
        welcome = [e for e in agent.events if e["event"] == "welcome"][-1]
        assert welcome["resumed"] is False
        await peer.offer(second, 0)
        again = agent.calls[second]
        await seats.wait(agent, lambda: again.frames_received >= 5, MEDIA_TIMEOUT)
        await peer.wait_frames(0, 5)
        assert await agent.end_call()
        await booth.expect("call.ended", call_id=second)
    finally:
        await seats.stop_all()
        seats.running.clear()
        await link.cut()


async def test_login_retries_until_the_hub_answers(tmp_path: Path) -> None:
    env = await HubEnv(tmp_path / "var", turn_urls=()).start()
    await Seats(env).provision("late")
    await env.stop_server()  # nothing listens on the hub's port now
    agent = HeadlessAgent(env.base, "late", PASSWORD, reconnect_backoff_s=(0.05, 0.2))
    task = asyncio.create_task(agent.run())
    try:
        await agent.wait_for(lambda: sum(e["event"] == "login.retry" for e in agent.events) >= 2)
        await env.start()
        await agent.wait_for(lambda: agent.state == "available", 10)
    finally:
        agent.stop()
        await asyncio.wait_for(task, 10)
        await env.stop()


async def test_disabled_agent_is_cut_off_and_run_raises(env: HubEnv, seats: Seats) -> None:
    agent = await seats.start("seat5")
    assert agent.user_id is not None
    await env.call("POST", f"/api/admin/agents/{agent.user_id}/disable", token=env.admin_token)
    task = next(t for a, t in seats.running if a is agent)
    with pytest.raises(AuthError):
        await asyncio.wait_for(task, 10)
    seats.running.remove((agent, task))
    closes = [e["code"] for e in agent.events if e["event"] == "disconnected"]
    assert closes == [4403]


async def test_wrong_password_raises_auth_error(env: HubEnv) -> None:
    agent = HeadlessAgent(env.base, "nobody", "wrong-password")
    with pytest.raises(AuthError, match="wrong username or password"):
        await asyncio.wait_for(agent.run(), 10)
    assert agent._http is None and not agent._tasks


def _seat_command() -> list[str]:
    script = Path(sys.executable).with_name("xiaowu-seat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cloud_seat.seat_cli"]


async def _run_cli(*args: str, timeout: float = 30.0) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *_seat_command(), *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"})
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_cli_refuses_bad_credentials_then_serves_for_duration(env: HubEnv) -> None:
    await Seats(env).provision("seat-cli")
    common = ["--server", env.base, "--username", "seat-cli", "--headless", "--auto-accept",
              "--ice-address", "127.0.0.1"]
    code, out, err = await _run_cli(*common, "--password", "not-the-password")
    assert code == 2, (out, err)
    assert "login refused" in err and "wrong username or password" in err

    code, out, err = await _run_cli(*common, "--password", PASSWORD, "--duration", "3")
    assert code == 0, (out, err)
    events = [json.loads(line) for line in out.splitlines()]
    names = [e["event"] for e in events]
    assert {"login", "welcome", "agent.state"} <= set(names), names
    assert any(e["event"] == "agent.state" and e["state"] == "available" for e in events)
    assert names[-1] == "stopped"
    # stopping says goodbye: the hub has the agent offline, not dangling available
    assert any(e["event"] == "agent.state" and e["state"] == "offline" for e in events)


def test_cli_without_headless_points_at_the_console() -> None:
    out = subprocess.run([*_seat_command(), "--server", "http://127.0.0.1:9/", "--username",
                          "u", "--password", "p"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "http://127.0.0.1:9/seat/" in out.stderr


# -- the small pieces


async def test_synthetic_track_paces_and_moves() -> None:
    track = SyntheticVideoTrack(160, 90, fps=20, label="t")
    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        frames = [await track.recv() for _ in range(5)]
        assert loop.time() - began >= 4 / 20 * 0.9  # paced at fps, not as fast as possible
        assert [(f.width, f.height) for f in frames] == [(160, 90)] * 5
        assert [f.pts for f in frames] == [0, 4500, 9000, 13500, 18000]
        first, later = (f.to_ndarray(format="bgr24") for f in (frames[0], frames[4]))
        assert not np.array_equal(first, later)
    finally:
        track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()
    with pytest.raises(ValueError):
        SyntheticVideoTrack(15, 90)


def test_restrict_host_addresses_pins_and_restores() -> None:
    original = aioice.ice.get_host_addresses
    restrict_host_addresses(["127.0.0.1", "::1"])
    try:
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1", "::1"]
        with pytest.raises(ValueError, match="not an IP address"):
            restrict_host_addresses(["localhost"])
    finally:
        restore_host_addresses()
    assert aioice.ice.get_host_addresses is original


def test_rtc_configuration_is_explicit() -> None:
    assert rtc_configuration([]).iceServers == []
    turn = IceServer(urls=["turn:127.0.0.1:3478?transport=udp"], username="1:a", credential="c")
    config = rtc_configuration([turn], relay_only=True)
    assert config.iceTransportPolicy is RTCIceTransportPolicy.RELAY
    (server,) = config.iceServers or []
    assert (server.urls, server.username, server.credential) == (turn.urls, "1:a", "c")


def test_ws_url() -> None:
    assert ws_url("http://127.0.0.1:8080/") == "ws://127.0.0.1:8080/ws"
    assert ws_url("https://seat.example/") == "wss://seat.example/ws"
    with pytest.raises(ValueError):
        ws_url("127.0.0.1:8080")


# -- documents and face checks (docs/protocol.md document.*, face.check.*)


class ThumbsUpJudge:
    """A stand-in face judge: a match with every gate and challenge passed."""

    def __init__(self) -> None:
        self.jobs: list[FaceJob] = []

    async def judge(self, job: FaceJob) -> FaceVerdict:
        self.jobs.append(job)
        return FaceVerdict(result={
            "state": "judged", "band": "match", "distance": 0.33,
            "thresholds": {"match_max": job.match_max, "mismatch_min": job.mismatch_min},
            "model": {"name": "stand-in", "version": "1"}, "passed": True,
            "gates": [{"name": "one_face", "passed": True, "value": 1.0, "limit": 1.0}],
            "liveness": [{"action": c, "passed": True} for c in job.challenges],
        }, portrait_jpeg=_image(102, 126, "JPEG"), best_frame=0)

    async def close(self) -> None:
        return None


def _image(width: int, height: int, fmt: str = "PNG", seed: int = 3) -> bytes:
    """A page-like picture (the hub decodes and re-encodes every upload)."""
    rng = np.random.default_rng(seed)
    arr = np.full((height, width, 3), 240, np.uint8)
    arr[40:height - 40:24, 30:width - 30] = 40
    arr += rng.integers(0, 10, arr.shape, dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, fmt)
    return out.getvalue()


async def _upload(env: HubEnv, token: str, call_id: str, body: bytes, kind: str,
                  request_id: str | None) -> dict[str, Any]:
    assert env.http is not None
    query = f"?kind={kind}" + (f"&request_id={request_id}" if request_id else "")
    async with env.http.post(f"{env.base}/api/calls/{call_id}/documents{query}",
                             data=body, headers={"Authorization": f"Bearer {token}"}) as resp:
        assert resp.status == 201, await resp.text()
        return dict(await resp.json())


def _named(agent: HeadlessAgent, name: str) -> list[dict[str, Any]]:
    return [e for e in agent.events if e["event"] == name]


async def test_document_requested_downloaded_rescanned_then_face_checked(
        env: HubEnv, seats: Seats, booth_peers: list[BoothPeer], tmp_path: Path) -> None:
    """The whole scripted flow: the seat asks for an ID card front once media connects,
    downloads and verifies each scan, sends the first back, keeps the second, starts a
    face check on it and confirms the result."""
    judge = ThumbsUpJudge()
    env.hub.faces._judge_factory = lambda: judge
    save_dir = tmp_path / "scans"
    agent = await seats.start("seat-docs", request_document="id_front", review="rescan",
                              rescan_reason="有反光", face_check=True,
                              face_decision="confirmed", save_dir=save_dir)
    _, token = await env.add_booth()
    booth = await env.connect(token)
    call_id = await _ticket_to_call(env, booth)
    peer = BoothPeer(booth)
    booth_peers.append(peer)
    await peer.offer(call_id, 0)

    # asked for once the media is up
    asked = (await booth.expect("document.requested", timeout=MEDIA_TIMEOUT))["data"]
    assert asked["kind"] == "id_front" and asked["instruction"]
    request_id = asked["request_id"]
    for state, code, message in (("capturing", None, None), ("retrying", "quality", "blurry"),
                                 ("uploading", None, None)):
        sent = await booth.request("document.status", {
            "call_id": call_id, "request_id": request_id, "state": state, "code": code,
            "message": message})
        assert sent["type"] == "ok", sent
    first = await _upload(env, token, call_id, _image(640, 404), "id_front", request_id)

    # the first scan goes back with the reason; the booth captures the same request again
    reviewed = (await booth.expect("document.reviewed", timeout=10))["data"]
    assert (reviewed["document_id"], reviewed["decision"], reviewed["reason"]) == (
        first["document_id"], "rescan", "有反光")
    second = await _upload(env, token, call_id, _image(640, 404, "JPEG", seed=9), "id_front",
                           request_id)
    kept = (await booth.expect("document.reviewed", timeout=10))["data"]
    assert (kept["document_id"], kept["decision"]) == (second["document_id"], "accepted")

    # the face check starts on the kept scan; the booth sends its frames
    started = (await booth.expect("face.check.started", timeout=10))["data"]
    assert started["document_id"] == second["document_id"]
    steps = ["baseline", *started["challenges"]]
    assert env.http is not None
    for seq, step in enumerate(steps):
        async with env.http.post(f"{env.base}{started['upload_url']}?seq={seq}"
                                 f"&t_ms={seq * 200}&step={step}",
                                 data=_image(320, 240, "JPEG", seed=seq),
                                 headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 201, await resp.text()
    submitted = await booth.request("face.check.submit", {
        "call_id": call_id, "check_id": started["check_id"], "frames": len(steps)})
    assert submitted["data"]["state"] == "judging", submitted
    await booth.expect("face.check.status", state="done", timeout=10)
    await booth.expect("face.check.status", state="decided", timeout=10)

    # what the seat logged, in order, with the fields scripts read
    statuses = [(e["state"], e["code"], e["message"]) for e in _named(agent, "document.status")]
    assert statuses == [("capturing", None, None), ("retrying", "quality", "blurry"),
                        ("uploading", None, None)]
    (req_ev,) = _named(agent, "document.requested")
    assert req_ev["request_id"] == request_id and req_ev["call_id"] == call_id
    added = _named(agent, "document.added")
    assert [e["document_id"] for e in added] == [first["document_id"], second["document_id"]]
    assert added[0]["sha256"] == first["sha256"] and added[0]["kind"] == "id_front"
    downloads = _named(agent, "document.downloaded")
    assert [(e["document_id"], e["sha256"], e["bytes"]) for e in downloads] == [
        (d["document_id"], d["sha256"], d["size"]) for d in (first, second)]
    assert all(e["request_id"] == request_id and e["ms_since_request"] >= 0 for e in downloads)
    for event in downloads:  # saved, private, and exactly the stored bytes
        path = Path(event["path"])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert hashlib.sha256(path.read_bytes()).hexdigest() == event["sha256"]
    assert sorted(p.suffix for p in save_dir.iterdir()) == [".jpg", ".png"]
    assert [e["decision"] for e in _named(agent, "document.reviewed")] == ["rescan", "accepted"]
    assert [agent.documents[d["document_id"]].review for d in (first, second)] == [
        "rescan", "accepted"]
    (fc_started,) = _named(agent, "face.check.started")
    assert fc_started["check_id"] == started["check_id"]
    assert fc_started["challenges"] == started["challenges"]
    assert [e["state"] for e in _named(agent, "face.check.status")] == ["judging"]
    (result,) = _named(agent, "face.check.result")
    assert (result["state"], result["band"], result["distance"], result["passed"]) == (
        "judged", "match", 0.33, True)
    assert result["failed_gates"] == [] and set(result["liveness"]) == set(started["challenges"])
    (decided,) = _named(agent, "face.check.decided")
    assert decided["decision"] == "confirmed" and decided["by"]
    assert not _named(agent, "error") and not _named(agent, "document.download_failed")

    # and the hub has it all
    listing = await env.call("GET", f"/api/calls/{call_id}/documents",
                             token=env.admin_token)
    assert [(d["document_id"], d["review"]) for d in listing["documents"]] == [
        (first["document_id"], "rescan"), (second["document_id"], "accepted")]
    record = await env.hub.store.get_face_check(started["check_id"])
    assert (record.decision, record.decided_by) == ("confirmed", agent.user_id)
    json.dumps(list(agent.events))  # every event is JSON-ready


async def test_capture_failure_is_logged_and_a_corrupt_download_is_refused(
        env: HubEnv, seats: Seats) -> None:
    """Without scripted options nothing is fetched by itself; the methods still work, and a
    download whose bytes do not hash to ``document.added.sha256`` is refused."""
    agent = await seats.start("seat-verify")
    _, token = await env.add_booth()
    booth = await env.connect(token)
    call_id = await _ticket_to_call(env, booth)
    await seats.wait(agent, lambda: agent.current_call is not None)

    request_id = await agent.request_document("id_back", "请翻到国徽面")
    assert request_id is not None
    asked = (await booth.expect("document.requested"))["data"]
    assert (asked["request_id"], asked["instruction"]) == (request_id, "请翻到国徽面")
    await booth.request("document.status", {"call_id": call_id, "request_id": request_id,
                                            "state": "failed", "code": "jammed",
                                            "message": "纸张卡住"})
    status = await seats.wait(agent, lambda: _named(agent, "document.status"))
    assert (status[0]["state"], status[0]["code"], status[0]["message"]) == (
        "failed", "jammed", "纸张卡住")

    made = await _upload(env, token, call_id, _image(600, 380), "id_back", request_id)
    await seats.wait(agent, lambda: made["document_id"] in agent.documents)
    assert not _named(agent, "document.downloaded")  # no scripted options: left alone
    assert await agent.download_document(made["document_id"]) is not None
    assert agent.documents[made["document_id"]].downloaded == made["size"]

    # the stored file changes under the hub (a disk fault): the seat notices
    blob = next(p for p in (env.settings.data_dir / "files").rglob(made["sha256"]))
    blob.write_bytes(blob.read_bytes()[:-1] + b"\0")
    assert await agent.download_document(made["document_id"]) is None
    (failed,) = _named(agent, "document.download_failed")
    assert failed["document_id"] == made["document_id"] and "does not match" in failed["error"]

    assert await agent.review_document(made["document_id"], "accepted")
    assert (await booth.expect("document.reviewed"))["data"]["decision"] == "accepted"
    # a face check needs an ID card front: the hub refuses, the seat reports it
    assert await agent.start_face_check(made["document_id"]) is None
    assert _named(agent, "error")[-1]["code"] == "conflict"


class SeatProcess:
    """``xiaowu-seat`` as a process: its JSON lines, read as a test waits for them."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []

    async def until(self, name: str, timeout: float = MEDIA_TIMEOUT) -> dict[str, Any]:
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.proc.stdout.readline()
                assert raw, f"xiaowu-seat exited; lines {[e['event'] for e in self.lines]}"
                self.lines.append(json.loads(raw))
                if self.lines[-1]["event"] == name:
                    return self.lines[-1]

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
        await asyncio.wait_for(self.proc.wait(), 15)


def test_document_options_are_checked_before_connecting() -> None:
    for bad in ({"request_document": "passport"}, {"review": "maybe"},
                {"face_decision": "yes"}, {"document_instruction": "长" * 201},
                {"record_outcome": "done"}):
        with pytest.raises(ValueError):
            HeadlessAgent("http://127.0.0.1:9", "u", "p", **bad)  # type: ignore[arg-type]
    out = subprocess.run([*_seat_command(), "--server", "http://127.0.0.1:9/", "--username",
                          "u", "--password", "p", "--headless", "--face-decision",
                          "confirmed"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "--face-decision needs --face-check" in out.stderr


async def test_cli_requests_downloads_and_accepts_a_document(
        env: HubEnv, loopback_ice: None, booth_peers: list[BoothPeer], tmp_path: Path) -> None:
    """``xiaowu-seat --request-document --review accepted --save-dir``: the JSON lines a
    script reads, from a real process."""
    await Seats(env).provision("seat-cli-docs")
    save_dir = tmp_path / "saved"
    proc = await asyncio.create_subprocess_exec(
        *_seat_command(), "--server", env.base, "--username", "seat-cli-docs", "--password",
        PASSWORD, "--headless", "--auto-accept", "--ice-address", "127.0.0.1",
        "--size", "320x180", "--request-document", "household_register",
        "--review", "accepted", "--save-dir", str(save_dir),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"})
    seat = SeatProcess(proc)
    until, lines = seat.until, seat.lines

    try:
        await until("agent.state")
        _, token = await env.add_booth()
        booth = await env.connect(token)
        call_id = await _ticket_to_call(env, booth)
        peer = BoothPeer(booth)
        booth_peers.append(peer)
        await peer.offer(call_id, 0)
        asked = (await booth.expect("document.requested", timeout=MEDIA_TIMEOUT))["data"]
        assert asked["kind"] == "household_register"
        made = await _upload(env, token, call_id, _image(800, 560), "household_register",
                             asked["request_id"])
        downloaded = await until("document.downloaded")
        assert (downloaded["document_id"], downloaded["sha256"], downloaded["bytes"]) == (
            made["document_id"], made["sha256"], made["size"])
        assert isinstance(downloaded["ms_since_request"], int)
        saved = Path(downloaded["path"])
        assert saved.parent == save_dir and saved.name.startswith(made["document_id"])
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == made["sha256"]
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        reviewed = await until("document.reviewed")
        assert reviewed["decision"] == "accepted"
        assert (await booth.expect("document.reviewed"))["data"]["decision"] == "accepted"
        names = [e["event"] for e in lines]
        assert names.index("document.requested") < names.index("document.added") \
            < names.index("document.downloaded")
    finally:
        await seat.stop()
    assert proc.returncode == 0


# -- remote assist (docs/protocol.md assist.*)

TEMPLATES = Path(__file__).resolve().parents[2] / "cloud_seat" / "console" / "forms"
RESIDENT = {"name": "李秀英", "id_number": "11010519491231002X", "phone": "13812345678",
            "household": 3, "address": "余杭区石门镇新村村12号", "income": 3200,
            "housing": "none", "agree": True}


def _signature() -> dict[str, Any]:
    strokes = [[[0.1 + i / 50, 0.5 + (i % 7) / 40, i * 20] for i in range(30)]]
    img = Image.new("RGB", (300, 120), "white")
    out = io.BytesIO()
    img.save(out, "PNG")
    return {"strokes": strokes, "png": base64.b64encode(out.getvalue()).decode()}


async def _consent(booth: WsClient, call_id: str, scope: str, granted: bool) -> None:
    asked = await booth.expect("assist.consent.requested", timeout=MEDIA_TIMEOUT)
    assert asked["data"] == {"call_id": call_id, "scope": scope}
    reply = await booth.request("assist.consent", {"call_id": call_id, "scope": scope,
                                                   "granted": granted})
    assert reply["type"] == "ok", reply


async def test_assist_script_consent_pointer_form_guide_tap_and_a_checked_signature(
        env: HubEnv, seats: Seats, booth_peers: list[BoothPeer], tmp_path: Path) -> None:
    """Scripted assist once the media connects: screen then control consent, pointer
    probes, a form from the console's templates, a guide and a tap; then the resident's
    progress (masked), the signed form (both hashes checked, the signature saved 0600)
    and the booth's screen counted apart from its camera."""
    saved = tmp_path / "saved"
    agent = await seats.start("seat-assist", assist_consent="control", pointer_probe=3,
                              push_form=TEMPLATES / "housing-public-rental.json",
                              guide="请看屏幕上的红框。", control_tap=(0.5, 0.8), save_dir=saved)
    _, token = await env.add_booth()
    booth = await env.connect(token)
    start = await _ticket_to_start(env, booth)
    call_id = start["call_id"]
    peer = BoothPeer(booth, screen=True)
    booth_peers.append(peer)
    await peer.offer(call_id, 0)

    await _consent(booth, call_id, "screen", True)
    await _consent(booth, call_id, "control", True)
    moves = [(await booth.expect("assist.pointer", timeout=10))["data"] for _ in range(4)]
    assert [m["visible"] for m in moves] == [True, True, True, False]
    sent = _named(agent, "assist.pointer.sent")
    assert [(e["x"], e["y"]) for e in sent] == [(m["x"], m["y"]) for m in moves[:3]]
    assert all(isinstance(e["sent_at"], float) for e in sent)
    form = (await booth.expect("assist.form", timeout=10))["data"]
    fields = {f["id"]: f for f in form["form"]["fields"]}
    assert fields["service"]["value"] == "公租房申请"  # the call's service, from call.start
    assert form["form"]["template"] == "housing-public-rental-v1"
    guide = (await booth.expect("assist.guide", timeout=10))["data"]
    assert (guide["kind"], guide["text"]) == ("text", "请看屏幕上的红框。")
    tap = (await booth.expect("assist.control", timeout=10))["data"]
    assert (tap["x"], tap["y"]) == (0.5, 0.8)
    assert _named(agent, "assist.control.sent")[0]["ok"] is True

    form_id = form["form_id"]
    reply = await booth.request("assist.form.progress", {
        "call_id": call_id, "form_id": form_id,
        "values": {"name": RESIDENT["name"], "id_number": RESIDENT["id_number"]}})
    assert reply["type"] == "ok", reply
    progress = await seats.wait(agent, lambda: _named(agent, "assist.form.progress"))
    assert progress[0]["values"]["id_number"] == "••••002X" and progress[0]["masked"] == [
        "id_number"]
    assert agent.assist.forms[form_id].masked == {"id_number"}
    assert env.http is not None
    async with env.http.post(f"{env.base}/api/calls/{call_id}/forms/{form_id}/submission",
                             json={"values": RESIDENT, "signature": _signature(),
                                   "reviewed": True},
                             headers={"Authorization": f"Bearer {token}"}) as resp:
        assert resp.status == 201, await resp.text()
        stored = await resp.json()
    verified = (await seats.wait(agent, lambda: _named(agent, "assist.form.verified")))[0]
    assert (verified["ok"], verified["signature_ok"], verified["digest_ok"]) == (
        True, True, True)
    (submitted,) = _named(agent, "assist.form.submitted")
    assert submitted["sha256"] == stored["sha256"]
    assert submitted["values"]["id_number"] == RESIDENT["id_number"]  # unmasked once signed
    path = Path(verified["path"])
    assert path.parent == saved and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored["signature_sha256"]

    call = agent.current_call
    assert call is not None
    await seats.wait(agent, lambda: call.screen_frames > 2 and call.frames_received > 2)
    screens = [e["screen"] for e in _named(agent, "track") if e["kind"] == "video"]
    assert screens == [False, True]
    actions = [r.action for r in await env.hub.store.list_audit(limit=500)]
    assert actions.count("assist.control") == 1 and "assist.form.submit" in actions


async def test_assist_script_stops_at_a_refusal(
        env: HubEnv, seats: Seats, booth_peers: list[BoothPeer]) -> None:
    agent = await seats.start("seat-refused", assist_consent="screen", pointer_probe=2,
                              push_form=TEMPLATES / "general-statement.json")
    _, token = await env.add_booth()
    booth = await env.connect(token)
    call_id = await _ticket_to_call(env, booth)
    peer = BoothPeer(booth)
    booth_peers.append(peer)
    await peer.offer(call_id, 0)
    await _consent(booth, call_id, "screen", False)
    missing = await seats.wait(agent, lambda: _named(agent, "assist.consent.missing"))
    assert missing[0]["scope"] == "screen"
    await asyncio.sleep(0.3)
    assert not _named(agent, "assist.pointer.sent") and not _named(agent, "assist.form.pushed")
    assert agent.assist.consent == {"screen": False}


def test_assist_options_are_checked_before_connecting(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"title": {"zh": "表"}, "fields": [], "signature": {}}))
    for bad in ({"assist_consent": "everything"}, {"pointer_probe": -1},
                {"control_tap": (0.5, 0.5)}, {"assist_consent": "control",
                                               "control_tap": (1.5, 0.5)},
                {"push_form": broken}, {"push_form": tmp_path / "missing.json"},
                {"guide": ""}):
        with pytest.raises(ValueError):
            HeadlessAgent("http://127.0.0.1:9", "u", "p", **bad)  # type: ignore[arg-type]
    out = subprocess.run([*_seat_command(), "--server", "http://127.0.0.1:9/", "--username",
                          "u", "--password", "p", "--headless", "--control-tap", "0.5"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "--control-tap" in out.stderr


async def test_cli_asks_consent_probes_the_pointer_and_pushes_a_form(
        env: HubEnv, loopback_ice: None, booth_peers: list[BoothPeer]) -> None:
    """``xiaowu-seat --assist-consent screen --pointer-probe 2 --push-form``: the JSON
    lines a latency script reads, from a real process."""
    await Seats(env).provision("seat-cli-assist")
    proc = await asyncio.create_subprocess_exec(
        *_seat_command(), "--server", env.base, "--username", "seat-cli-assist", "--password",
        PASSWORD, "--headless", "--auto-accept", "--ice-address", "127.0.0.1",
        "--size", "320x180", "--assist-consent", "screen", "--pointer-probe", "2",
        "--push-form", str(TEMPLATES / "disabled-certificate.json"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"})
    seat = SeatProcess(proc)
    until, lines = seat.until, seat.lines

    try:
        await until("agent.state")
        _, token = await env.add_booth()
        booth = await env.connect(token)
        call_id = await _ticket_to_call(env, booth)
        peer = BoothPeer(booth, screen=True)
        booth_peers.append(peer)
        await peer.offer(call_id, 0)
        await _consent(booth, call_id, "screen", True)
        first = await until("assist.pointer.sent")
        moved = (await booth.expect("assist.pointer", timeout=10))["data"]
        assert (moved["x"], moved["y"]) == (first["x"], first["y"]) and first["seq"] == 0
        pushed = await until("assist.form.pushed")
        form = (await booth.expect("assist.form", timeout=10))["data"]
        assert form["form_id"] == pushed["form_id"] and pushed["title"] == "残疾人证申领表"
        names = [e["event"] for e in lines]
        # (the grant may be logged before the reply to the request: both come before the rest)
        assert max(names.index("assist.consent.requested"), names.index("assist.consent")) \
            < names.index("assist.pointer.sent") < names.index("assist.form.pushed")
    finally:
        await seat.stop()
    assert proc.returncode == 0
