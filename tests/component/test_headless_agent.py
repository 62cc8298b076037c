"""The headless agent (``cloud_seat.agent``) against a real hub on a loopback port.

The booth is built here, in the test, the way a booth does it (DESIGN.md §3):
an aiortc offerer with video then audio, ``gen`` 0 first and ``gen + 1`` on
every rebuild of its peer connection. No ICE servers at all and host
candidates pinned to 127.0.0.1, so every packet stays on loopback (§6).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aioice.ice
import numpy as np
import pytest
from aiortc import RTCIceTransportPolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from av import VideoFrame

from cloud_seat.agent import AuthError, HeadlessAgent, ws_url
from cloud_seat.ice import restore_host_addresses, restrict_host_addresses, rtc_configuration
from cloud_seat.synthetic import SyntheticVideoTrack
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


@pytest.fixture
def loopback_ice() -> Iterator[None]:
    """Host candidates on 127.0.0.1 only (aioice leaves it out by default)."""
    restrict_host_addresses(["127.0.0.1"])
    try:
        yield
    finally:
        restore_host_addresses()


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
    """The booth's media side: one RTCPeerConnection per gen, the offerer, video then audio."""

    def __init__(self, ws: WsClient, ice_servers: list[IceServer] | None = None,
                 relay_only: bool = False) -> None:
        self.ws = ws
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
