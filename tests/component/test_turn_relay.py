"""Calls relayed through a real coturn on 127.0.0.1 with hub-issued credentials.

Both aiortc peers use ``iceTransportPolicy=relay`` with exactly the
``ice_servers`` of their ``call.start``: they gather no host candidates at all
(aioice's skip of 127.0.0.1 does not matter), and every media packet goes
booth → coturn → coturn → agent on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from aioice import stun, turn
from aiortc import RTCIceTransportPolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack

from booth_client.media import ice_configuration
from signaling.turn import turn_credential
from tests.conftest import need
from tests.harness import HubEnv
from tests.turnserver import (
    LOOPBACK_TEMPLATE,
    TurnServer,
    render_loopback_config,
    turnserver_binary,
)
from tests.wsclient import WsClient

PRODUCTION_CONF = Path(__file__).resolve().parents[2] / "deploy" / "coturn" / "turnserver.conf"
FRAMES = 10
CONNECT_TIMEOUT = 15.0


def _candidates(sdp: str) -> list[str]:
    return [line for line in sdp.splitlines() if line.startswith("a=candidate:")]


def _nominated_pairs(pc: RTCPeerConnection) -> list[tuple[str, str, str]]:
    """(local type, remote type, local address) of every nominated ICE pair.

    aiortc exposes no selected-pair API; the pair lives in aioice's connection.
    """
    pairs: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    for transceiver in pc.getTransceivers():
        dtls = transceiver.sender.transport
        if dtls is None or id(dtls.transport) in seen:
            continue
        seen.add(id(dtls.transport))
        for pair in dtls.transport._connection._nominated.values():
            local, remote = pair.local_candidate, pair.remote_candidate
            pairs.append((local.type, remote.type, f"{local.host}:{local.port}"))
    return pairs


async def _wait_state(pc: RTCPeerConnection, states: set[str], timeout: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while pc.connectionState not in states:
        if loop.time() > deadline:
            raise AssertionError(f"connectionState {pc.connectionState!r}, wanted {states}")
        await asyncio.sleep(0.05)
    return str(pc.connectionState)


async def _count_frames(track: MediaStreamTrack, enough: asyncio.Event,
                        counter: list[int]) -> None:
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()
            counter[0] += 1
            if counter[0] >= FRAMES:
                enough.set()


async def _start_call(env: HubEnv) -> tuple[WsClient, WsClient, dict[str, Any], dict[str, Any]]:
    """Agent available, booth takes a ticket, agent accepts: both ``call.start`` messages."""
    agent, _ = await env.agent("li", ["housing"])
    _, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    catalog = await env.call("GET", "/api/catalog")
    housing = next(d for d in catalog["departments"] if d["id"] == "housing")
    ticket = await booth.request("ticket.create", {"service_id": housing["services"][0]["id"]})
    assert ticket["type"] == "ticket", ticket
    offer = await agent.expect("ticket.offer")
    accepted = await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    assert accepted["data"]["state"] == "serving", accepted
    b_start = (await booth.expect("call.start"))["data"]
    a_start = (await agent.expect("call.start"))["data"]
    assert b_start["role"] == "offerer" and a_start["role"] == "answerer"
    return booth, agent, b_start, a_start


def test_aiortc_has_relay_policy() -> None:
    assert RTCIceTransportPolicy("relay") is RTCIceTransportPolicy.RELAY
    config = ice_configuration([{"urls": ["turn:127.0.0.1:3478?transport=udp"],
                                 "username": "u", "credential": "c"}], relay_only=True)
    assert config.iceTransportPolicy is RTCIceTransportPolicy.RELAY


async def test_call_relayed_through_coturn_with_hub_credentials(
        tmp_path: Path, turn_server: TurnServer) -> None:
    env = await HubEnv(tmp_path / "var", turn_urls=(turn_server.url,),
                       turn_secret=turn_server.secret).start()
    booth_pc: RTCPeerConnection | None = None
    agent_pc: RTCPeerConnection | None = None
    readers: list[asyncio.Task[None]] = []
    try:
        booth, agent, b_start, a_start = await _start_call(env)
        call_id = b_start["call_id"]
        for start, subject in ((b_start, "booth-"), (a_start, "agent-")):
            (server,) = start["ice_servers"]
            assert server["urls"] == [turn_server.url]
            expiry, _, who = server["username"].partition(":")
            assert who.startswith(subject) and int(expiry) > time.time()

        booth_pc = RTCPeerConnection(ice_configuration(b_start["ice_servers"], relay_only=True))
        agent_pc = RTCPeerConnection(ice_configuration(a_start["ice_servers"], relay_only=True))
        enough = asyncio.Event()
        frames = [0]

        @agent_pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                readers.append(asyncio.create_task(_count_frames(track, enough, frames)))

        booth_pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        await asyncio.wait_for(booth_pc.setLocalDescription(await booth_pc.createOffer()), 10)
        offer_sdp = booth_pc.localDescription.sdp
        offer_cands = _candidates(offer_sdp)
        assert offer_cands, "the booth got no relay allocation from coturn"
        assert all(" typ relay" in c and " 127.0.0.1 " in c for c in offer_cands), offer_cands

        # SDP through the hub, as a real booth and console do
        sent = await booth.request("call.sdp", {"call_id": call_id, "gen": 0,
                                                "description": {"type": "offer",
                                                                "sdp": offer_sdp}})
        assert sent["type"] == "ok", sent
        relayed = (await agent.expect("call.sdp"))["data"]["description"]
        await agent_pc.setRemoteDescription(RTCSessionDescription(**relayed))
        await asyncio.wait_for(agent_pc.setLocalDescription(await agent_pc.createAnswer()), 10)
        answer_sdp = agent_pc.localDescription.sdp
        answer_cands = _candidates(answer_sdp)
        assert answer_cands and all(" typ relay" in c for c in answer_cands), answer_cands
        await agent.send("call.sdp", {"call_id": call_id, "gen": 0,
                                      "description": {"type": "answer", "sdp": answer_sdp}})
        answer = (await booth.expect("call.sdp"))["data"]["description"]
        assert answer["type"] == "answer"
        await booth_pc.setRemoteDescription(RTCSessionDescription(**answer))

        for pc in (booth_pc, agent_pc):
            assert await _wait_state(pc, {"connected", "failed"}, CONNECT_TIMEOUT) == "connected"
        await asyncio.wait_for(enough.wait(), CONNECT_TIMEOUT)
        assert frames[0] >= FRAMES

        for pc in (booth_pc, agent_pc):
            pairs = _nominated_pairs(pc)
            assert pairs, "no nominated candidate pair"
            for local_type, remote_type, local_addr in pairs:
                assert (local_type, remote_type) == ("relay", "relay"), pairs
                assert local_addr.startswith("127.0.0.1:"), pairs

        # coturn admitted exactly the hub-issued usernames (its log names them)
        log = turn_server.log()
        for start in (b_start, a_start):
            username = start["ice_servers"][0]["username"]
            assert re.search(rf"user <{re.escape(username)}>.*ALLOCATE processed, success",
                             log), log[-3000:]
    finally:
        for maybe_pc in (booth_pc, agent_pc):
            if maybe_pc is not None:
                await maybe_pc.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await env.stop()


@pytest.mark.parametrize("case", ["expired", "wrong_secret"])
async def test_coturn_refuses_bad_credentials(turn_server: TurnServer, case: str) -> None:
    now = time.time()
    if case == "expired":  # issued two hours ago for one minute
        bad = turn_credential(turn_server.secret, "booth-expired", now - 7200, 60)
    else:
        bad = turn_credential("not-the-secret", "booth-forged", now, 600)
    good = turn_credential(turn_server.secret, "agent-good", now, 600)

    def relay_pc(username: str, credential: str) -> RTCPeerConnection:
        servers = [{"urls": [turn_server.url], "username": username, "credential": credential}]
        return RTCPeerConnection(ice_configuration(servers, relay_only=True))

    control = relay_pc(good.username, good.credential)
    booth_pc = relay_pc(bad.username, bad.credential)
    agent_pc = relay_pc(good.username, good.credential)
    try:
        # the same server admits a valid credential: the refusal is about the credential
        control.addTransceiver("video", direction="recvonly")
        await asyncio.wait_for(control.setLocalDescription(await control.createOffer()), 8)
        assert any(" typ relay" in c for c in _candidates(control.localDescription.sdp))

        booth_pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        # coturn answers 401 at once; 8 s bounds it (aioice itself gives up after 5 s)
        await asyncio.wait_for(booth_pc.setLocalDescription(await booth_pc.createOffer()), 8)
        offer = booth_pc.localDescription
        assert _candidates(offer.sdp) == [], "coturn allocated with bad credentials"

        log = turn_server.log()
        assert re.search(rf"user <{re.escape(bad.username)}>.*error 401", log), log[-3000:]
        assert not re.search(rf"user <{re.escape(bad.username)}>.*processed, success", log)

        # An offer without candidates (and with end-of-candidates) leaves the answerer
        # nothing to pair with either. aiortc 1.16 then never starts ICE at all: both
        # sides stay "new" — no "failed" event — and no media flows.
        await agent_pc.setRemoteDescription(offer)
        await asyncio.wait_for(agent_pc.setLocalDescription(await agent_pc.createAnswer()), 8)
        await booth_pc.setRemoteDescription(agent_pc.localDescription)
        await asyncio.sleep(2.0)
        for pc in (booth_pc, agent_pc):
            assert pc.connectionState in ("new", "failed"), pc.connectionState
            assert not _nominated_pairs(pc)
    finally:
        for pc in (control, booth_pc, agent_pc):
            await pc.close()


async def test_allocation_outlives_its_credential(turn_server: TurnServer) -> None:
    """The expiry gates new allocations only: a call longer than turn_ttl_s keeps its relay
    (coturn 4.6.1 still accepts Refresh and ChannelBind on the allocation afterwards)."""
    cred = turn_credential(turn_server.secret, "booth-long-call", time.time(), 1)
    transport, _ = await turn.create_turn_endpoint(
        asyncio.DatagramProtocol, ("127.0.0.1", turn_server.port), cred.username,
        cred.credential)
    # aioice keeps the TURN client protocol private; Refresh/ChannelBind need it
    client = transport._TurnTransport__inner_protocol  # type: ignore[attr-defined]
    try:
        # coturn compares whole seconds and still admits the expiry second + 1
        await asyncio.sleep(max(0.0, cred.expires_at + 2.5 - time.time()))
        refresh = stun.Message(message_method=stun.Method.REFRESH,
                               message_class=stun.Class.REQUEST)
        refresh.attributes["LIFETIME"] = 600
        response, _ = await asyncio.wait_for(client.request_with_retry(refresh), 5)
        assert response.attributes["LIFETIME"] == 600
        await asyncio.wait_for(client.channel_bind(0x4001, ("127.0.0.1", 40000)), 5)
    finally:
        transport.close()
    # a new allocation with the same, now expired, credential is refused
    with pytest.raises(stun.TransactionFailed):
        await asyncio.wait_for(turn.create_turn_endpoint(
            asyncio.DatagramProtocol, ("127.0.0.1", turn_server.port), cred.username,
            cred.credential), 5)


def _conf_lines(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out.append((key.strip(), value.strip()))
    return out


def test_loopback_template_renders(tmp_path: Path) -> None:
    text = render_loopback_config(34567, "s3cret-abc", tmp_path, min_port=40000,
                                  max_port=40100)
    lines = _conf_lines(text)
    conf = dict(lines)
    assert "$" not in text
    assert conf["listening-port"] == "34567"
    assert conf["static-auth-secret"] == "s3cret-abc"
    assert (conf["min-port"], conf["max-port"]) == ("40000", "40100")
    assert conf["pidfile"] == f"{tmp_path}/turnserver.pid"
    assert {v for k, v in lines if k in ("listening-ip", "relay-ip")} == {"127.0.0.1"}
    assert conf["allowed-peer-ip"] == "127.0.0.1"
    for flag in ("use-auth-secret", "no-cli", "allow-loopback-peers", "no-tls", "no-dtls"):
        assert flag in conf, flag
    assert "external-ip" not in conf and "cli-ip" not in conf
    with pytest.raises(ValueError):
        render_loopback_config(34567, "two words", tmp_path)


def _coturn_options() -> set[str]:
    binary = turnserver_binary()
    if binary is None:
        need("coturn (Debian package coturn)")
        raise AssertionError("unreachable")
    out = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=10)
    return set(re.findall(r"--([a-z0-9_-]+)", out.stdout + out.stderr))


def _valid_peer_range(value: str) -> bool:
    """``ip`` or ``first-last`` of IP literals (no host names, no CIDR)."""
    first, _, last = value.partition("-")
    try:
        a = ipaddress.ip_address(first)
        b = ipaddress.ip_address(last or first)
    except ValueError:
        return False
    return a.version == b.version and a <= b  # type: ignore[operator]


@pytest.mark.parametrize("conf", [PRODUCTION_CONF, LOOPBACK_TEMPLATE])
def test_conf_files_use_only_known_options(conf: Path) -> None:
    """Every key is a coturn 4.6 option; peer ranges are IP literals (coturn 4.6 takes
    anything else for a host name and resolves it through DNS)."""
    known = _coturn_options()
    lines = _conf_lines(conf.read_text(encoding="utf-8"))
    unknown = sorted({k for k, _ in lines} - known)
    assert not unknown, unknown
    for key, value in lines:
        if key in ("denied-peer-ip", "allowed-peer-ip", "listening-ip", "relay-ip"):
            assert _valid_peer_range(value), (key, value)


IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


def _coturn_less_eq(a: IPAddr, b: IPAddr) -> bool:
    """coturn 4.6's ``addr_less_eq``: across families every IPv4 sorts below every IPv6."""
    if a.version != b.version:
        return a.version < b.version
    return int(a) <= int(b)


def _coturn_in_range(value: str, addr: IPAddr) -> bool:
    """coturn 4.6's ``ioa_addr_in_range``: an all-zero bound means "no bound"."""
    first, _, last = value.partition("-")
    lo, hi = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
    if int(lo) != 0 and not _coturn_less_eq(lo, addr):
        return False
    return int(hi) == 0 or _coturn_less_eq(addr, hi)


def _coturn_peer_ok(lines: list[tuple[str, str]], peer: str) -> bool:
    """Whether coturn 4.6 relays to ``peer`` (whitelist first, then blacklist)."""
    addr = ipaddress.ip_address(peer)
    keys = {k for k, _ in lines}
    if "no-multicast-peers" in keys and addr.is_multicast:
        return False
    if "allow-loopback-peers" not in keys and addr.is_loopback:
        return False
    if any(_coturn_in_range(v, addr) for k, v in lines if k == "allowed-peer-ip"):
        return True
    return not any(_coturn_in_range(v, addr) for k, v in lines if k == "denied-peer-ip")


def test_production_conf_essentials() -> None:
    lines = _conf_lines(PRODUCTION_CONF.read_text(encoding="utf-8"))
    conf = dict(lines)
    for flag in ("use-auth-secret", "fingerprint", "no-multicast-peers", "no-cli", "syslog",
                 "no-tlsv1", "no-tlsv1_1", "no-software-attribute"):
        assert flag in conf, flag
    assert conf["listening-port"] == "3478" and conf["tls-listening-port"] == "443"
    assert conf["static-auth-secret"].startswith("__")  # a placeholder, never a secret
    for key in ("realm", "cert", "pkey", "user-quota", "total-quota", "max-bps",
                "stale-nonce", "min-port", "max-port"):
        assert conf.get(key), key
    assert "allow-loopback-peers" not in conf and "external-ip" not in conf
    for private in ("10.1.2.3", "172.20.0.1", "192.168.1.1", "127.0.0.1", "100.64.0.1",
                    "169.254.169.254", "0.0.0.1", "224.0.0.1", "::1", "fd00::1", "fe80::1",
                    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::10.0.0.1", "64:ff9b::a00:1",
                    "2002:a00:1::"):
        assert not _coturn_peer_ok(lines, private), private
    for public in ("1.2.3.4", "114.114.114.114", "223.5.5.5", "8.8.8.8", "100.128.0.1",
                   "2400:3200::1", "2408:8000::1"):
        assert _coturn_peer_ok(lines, public), public


def test_loopback_conf_relays_only_to_loopback(tmp_path: Path) -> None:
    lines = _conf_lines(render_loopback_config(3478, "x", tmp_path))
    assert _coturn_peer_ok(lines, "127.0.0.1")
    for other in ("127.0.0.2", "10.0.0.1", "1.2.3.4", "::1", "2400:3200::1", "::ffff:1.2.3.4"):
        assert not _coturn_peer_ok(lines, other), other
