"""Signaling benchmark: a real ``xiaowu-server`` on 127.0.0.1, measured three ways.

1. Connections: N enrolled booths connect, ``hello``, then send ``booth.status``
   and ``ping`` every ``heartbeat_s`` while held for ``--hold-s`` (clients spread
   over several processes); hello and ping->pong latency, hub RSS, ``/healthz``.
2. Relay: K real calls (agent login, ``agent.state``, ``ticket.create``,
   ``ticket.offer``/``ticket.accept``, ``call.start``); booths send ``call.ice``
   without ``id`` carrying a send timestamp; one-way latency at the agent at a
   fixed aggregate rate, then unthrottled throughput (a bounded window per call).
3. The same relay client against a bare ``websockets`` relay server (a baseline).

Prints one JSON object. Run from the repository root::

    .venv/bin/python bench/signaling.py --quick
    .venv/bin/python bench/signaling.py --connections 10000

Every socket is on 127.0.0.1; every wait is bounded; children and the temporary
data directory are removed on exit, also on error or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing as mp
import os
import queue
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

_HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):  # run as a script: bench/ must not shadow the hub's package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

from bench._common import (  # noqa: E402
    Child,
    free_port,
    machine_info,
    proc_cpu_s,
    proc_rss_kb,
    raise_nofile,
    summary,
)

MARK = "candidate:bench "
AGENT_PASSWORD = "bench-agent-pass-1"
RATE_PER_S, RATE_BURST = 1_000_000, 1_000_000  # the hub's per-connection bucket, raised
STATUS_FRAME = json.dumps({"v": 1, "type": "booth.status",
                           "data": {"camera": "ok", "scanner": "ok", "version": "bench/1"}})


@dataclass(frozen=True)
class Config:
    connections: int
    hold_s: float
    heartbeat_s: int
    pairs: int
    rate: float
    duration_s: float
    throughput_s: float
    window: int
    workers: int
    connect_concurrency: int
    max_s: float
    quick: bool


# ----------------------------------------------------------------------------- set-up


async def provision(data_dir: Path, booths: int, agents: int) -> dict[str, Any]:
    """Create the store, booths (create_booth + enroll) and agents straight in SQLite."""
    from signaling.store import Store, sqlite_url_for_dir

    store = await Store.open(sqlite_url_for_dir(data_dir))
    try:
        await store.migrate()
        await store.seed_catalog()
        dept = (await store.get_catalog())[0]
        t0 = time.perf_counter()
        tokens: list[str] = []
        for i in range(booths):  # writes serialize on SQLite's lock: concurrency gains nothing
            _, code = await store.create_booth(f"bench booth {i}", "330110101001", "bench")
            tokens.append((await store.enroll(code, {"model": "bench"}))[1])
        booth_s = time.perf_counter() - t0
        names = [f"bench-agent-{i}" for i in range(agents)]
        for name in names:
            await store.create_user(name, AGENT_PASSWORD, "agent", [dept.id])
    finally:
        await store.close()
    return {"tokens": tokens, "agents": names, "service_id": dept.services[0].id,
            "stats": {"booths": booths, "seconds": round(booth_s, 2),
                      "booths_per_s": round(booths / booth_s, 1) if booth_s else None,
                      "agents": agents,
                      "how": "Store.create_booth + Store.enroll, one process, before start"}}


def start_hub(tmp: Path, cfg: Config, children: list[Child]) -> tuple[Child, int, dict[str, str]]:
    port = free_port()
    settings = {"XIAOWU_HEARTBEAT_S": str(cfg.heartbeat_s), "XIAOWU_RATE_PER_S": str(RATE_PER_S),
                "XIAOWU_RATE_BURST": str(RATE_BURST), "XIAOWU_LOG_LEVEL": "WARNING"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOWU_")} | settings
    exe = Path(sys.executable).with_name("xiaowu-server")
    cmd = [str(exe)] if exe.exists() else [
        sys.executable, "-c", "from signaling.server import main; raise SystemExit(main())"]
    hub = Child([*cmd, "--data-dir", str(tmp / "data"), "--host", "127.0.0.1",
                 "--port", str(port)], tmp / "hub.log", env=env, cwd=_HERE.parent)
    children.append(hub)
    hub.wait_port(port, 60)
    return hub, port, settings


async def healthz(http: aiohttp.ClientSession, base: str) -> tuple[float, dict[str, Any]]:
    """Latency in ms and body of GET /healthz (raises unless 200)."""
    t0 = time.perf_counter()
    async with http.get(base + "/healthz", timeout=aiohttp.ClientTimeout(total=10)) as resp:
        body = await resp.json()
        resp.raise_for_status()
    return (time.perf_counter() - t0) * 1000, body


# ----------------------------------------------------------------------------- relay client


class Peer:
    """One WebSocket whose reader hands every text frame to ``on_text`` (default: buffer)."""

    _ids = itertools.count(1)

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inbox: list[dict[str, Any]] = []
        self.got = asyncio.Event()
        self.on_text: Callable[[str], None] = self._buffer
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, http: aiohttp.ClientSession, url: str) -> Peer:
        async with asyncio.timeout(15):
            return cls(await http.ws_connect(url, autoping=True, max_msg_size=2**20))

    def _buffer(self, raw: str) -> None:
        self.inbox.append(json.loads(raw))
        self.got.set()

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.on_text(msg.data)
        self.got.set()

    async def expect(self, pred: Callable[[dict[str, Any]], bool],
                     timeout: float = 15) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                for i, m in enumerate(self.inbox):
                    if pred(m):
                        return self.inbox.pop(i)
                if self.reader.done():
                    raise RuntimeError(f"connection closed ({self.ws.close_code})")
                self.got.clear()
                await self.got.wait()

    async def request(self, mtype: str, data: dict[str, Any], ok: str) -> dict[str, Any]:
        rid = f"b{next(self._ids)}"
        await self.ws.send_str(json.dumps({"v": 1, "type": mtype, "id": rid, "data": data}))
        reply = await self.expect(lambda m: m.get("re") == rid)
        if reply["type"] != ok:
            raise RuntimeError(f"{mtype}: expected {ok}, got {reply}")
        return reply

    async def close(self) -> None:
        async with asyncio.timeout(5):
            await self.ws.close()
            await self.reader


@dataclass
class Pair:
    """A sender (booth) whose frames the relay hands to a receiver (agent)."""

    tx: Peer
    rx: Peer
    call_id: str
    sent: int = 0
    received: int = 0
    record: bool = False
    lat_ms: list[float] = field(default_factory=list)
    room: asyncio.Event = field(default_factory=asyncio.Event)
    window: int = 64

    def __post_init__(self) -> None:
        self.rx.on_text = self.on_text
        self.head, self.tail = ice_template(self.call_id)

    def frame(self) -> str:
        return f"{self.head}{self.sent} {time.perf_counter_ns()}{self.tail}"

    def on_text(self, raw: str) -> None:
        i = raw.find(MARK)
        if i < 0:
            return
        now = time.perf_counter_ns()
        _, sent_ns = raw[i + len(MARK):raw.index('"', i)].split()
        self.received += 1
        if self.record:
            self.lat_ms.append((now - int(sent_ns)) / 1e6)
        if self.sent - self.received <= self.window // 2:
            self.room.set()

    async def close(self) -> None:
        for peer in (self.tx, self.rx):
            try:
                await peer.close()
            except (TimeoutError, aiohttp.ClientError):
                pass


def ice_template(call_id: str) -> tuple[str, str]:
    """The ``call.ice`` frame (no id: no reply) split where ``<seq> <t_ns>`` goes."""
    frame = json.dumps({"v": 1, "type": "call.ice", "data": {
        "call_id": call_id, "gen": 0,
        "candidate": {"candidate": MARK + "@@", "sdpMid": "0", "sdpMLineIndex": 0}}})
    head, tail = frame.split("@@")
    return head, tail


async def hub_pairs(http: aiohttp.ClientSession, base: str, prov: dict[str, Any],
                    k: int) -> list[Pair]:
    """K calls through the real flow, one after the other so booth i meets agent i."""
    url, pairs = base.replace("http", "ws", 1) + "/ws", []
    for token, username in zip(prov["tokens"][:k], prov["agents"], strict=True):
        async with http.post(base + "/api/login",
                             json={"username": username, "password": AGENT_PASSWORD}) as resp:
            resp.raise_for_status()
            agent_token = (await resp.json())["token"]
        agent, booth = await Peer.connect(http, url), await Peer.connect(http, url)
        for peer, tok in ((agent, agent_token), (booth, token)):
            await peer.request("hello", {"token": tok, "client": "xiaowu-bench/1"}, "welcome")
        await agent.request("agent.state", {"state": "available"}, "agent.state")
        await booth.request("ticket.create", {"service_id": prov["service_id"]}, "ticket")
        offer = await agent.expect(lambda m: m["type"] == "ticket.offer")
        await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]}, "ticket")
        start = await booth.expect(lambda m: m["type"] == "call.start")
        await agent.expect(lambda m: m["type"] == "call.start")
        pairs.append(Pair(booth, agent, start["data"]["call_id"]))
    return pairs


async def bare_pairs(http: aiohttp.ClientSession, port: int, k: int) -> list[Pair]:
    url, pairs = f"ws://127.0.0.1:{port}/", []
    for i in range(k):
        a, b = await Peer.connect(http, url), await Peer.connect(http, url)
        for peer in (a, b):
            await peer.ws.send_str(json.dumps({"pair": i}))
        for peer in (a, b):
            await peer.expect(lambda m: m.get("paired") is True)
        pairs.append(Pair(a, b, f"bare_{i}"))
    return pairs


def _reset(pairs: list[Pair], window: int) -> None:
    for p in pairs:
        p.sent = p.received = 0
        p.lat_ms, p.record, p.window = [], False, window


async def _drain(pairs: list[Pair], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while any(p.received < p.sent for p in pairs) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def _loss(pairs: list[Pair]) -> dict[str, Any]:
    sent, received = sum(p.sent for p in pairs), sum(p.received for p in pairs)
    return {"sent": sent, "received": received, "lost": sent - received,
            "loss_pct": round(100 * (sent - received) / sent, 3) if sent else None}


async def run_rate(pairs: list[Pair], rate: float, duration: float, pid: int) -> dict[str, Any]:
    """Aggregate ``rate`` msg/s spread evenly over the pairs; one-way latency at the receiver."""
    _reset(pairs, 10**9)
    loop, interval = asyncio.get_running_loop(), len(pairs) / rate
    t0 = loop.time() + 0.05

    async def sender(k: int, pair: Pair) -> None:
        pair.record = True
        start = t0 + k * interval / len(pairs)
        while (due := start + pair.sent * interval) - t0 < duration:
            if (delay := due - loop.time()) > 0:
                await asyncio.sleep(delay)
            await pair.tx.ws.send_str(pair.frame())
            pair.sent += 1

    cpu0, client0 = proc_cpu_s(pid), time.process_time()
    async with asyncio.timeout(duration + 30):
        await asyncio.gather(*(sender(k, p) for k, p in enumerate(pairs)))
    elapsed = loop.time() - t0
    await _drain(pairs)
    lat = [x for p in pairs for x in p.lat_ms]
    return {"target_msgs_per_s": rate, "seconds": round(elapsed, 2),
            "sent_msgs_per_s": round(sum(p.sent for p in pairs) / elapsed, 1), **_loss(pairs),
            "latency_ms": summary(lat),
            "server_cpu_pct": round(100 * (proc_cpu_s(pid) - cpu0) / elapsed, 1),
            "client_cpu_pct": round(100 * (time.process_time() - client0) / elapsed, 1)}


async def run_flood(pairs: list[Pair], duration: float, window: int, pid: int) -> dict[str, Any]:
    """As fast as the relay delivers, at most ``window`` frames in flight per pair."""
    _reset(pairs, window)
    stop = False

    async def sender(pair: Pair) -> None:
        while not stop:
            if pair.sent - pair.received >= window:
                pair.room.clear()
                try:
                    await asyncio.wait_for(pair.room.wait(), 2.0)
                except TimeoutError:
                    pass
                continue
            await pair.tx.ws.send_str(pair.frame())
            pair.sent += 1

    tasks = [asyncio.create_task(sender(p)) for p in pairs]
    try:
        await asyncio.sleep(1.0)  # warm-up
        got0, cpu0, client0 = sum(p.received for p in pairs), proc_cpu_s(pid), time.process_time()
        t0 = time.perf_counter()
        for p in pairs:
            p.record = True
        await asyncio.sleep(duration)
        elapsed, got = time.perf_counter() - t0, sum(p.received for p in pairs) - got0
        server_cpu, client_cpu = proc_cpu_s(pid) - cpu0, time.process_time() - client0
        for p in pairs:
            p.record = False
    finally:
        stop = True
        for p in pairs:
            p.room.set()
        async with asyncio.timeout(10):
            await asyncio.gather(*tasks, return_exceptions=True)
    await _drain(pairs)
    return {"seconds": round(elapsed, 2), "window_per_pair": window,
            "delivered_msgs_per_s": round(got / elapsed, 1), **_loss(pairs),
            "latency_ms": summary([x for p in pairs for x in p.lat_ms]),
            "server_cpu_pct": round(100 * server_cpu / elapsed, 1),
            "client_cpu_pct": round(100 * client_cpu / elapsed, 1)}


async def measure_relay(pairs: list[Pair], cfg: Config, pid: int) -> dict[str, Any]:
    return {"pairs": len(pairs),
            "fixed_rate": await run_rate(pairs, cfg.rate, cfg.duration_s, pid),
            "unthrottled": await run_flood(pairs, cfg.throughput_s, cfg.window, pid),
            "server_rss_kb": proc_rss_kb(pid)}


async def _serve_bare(port: int) -> None:
    """The baseline: forwards every text frame to the connection paired by the first one."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    waiting: dict[str, ServerConnection] = {}
    peer: dict[ServerConnection, ServerConnection] = {}
    paired: dict[ServerConnection, asyncio.Event] = {}

    async def handler(ws: ServerConnection) -> None:
        try:
            key = str(json.loads(await ws.recv())["pair"])
            if (other := waiting.pop(key, None)) is None:
                waiting[key] = ws
                paired[ws] = asyncio.Event()
                await paired[ws].wait()
            else:
                peer[ws], peer[other] = other, ws
                paired.pop(other).set()
                for w in (ws, other):
                    await w.send('{"paired":true}')
            dst = peer[ws]
            async for msg in ws:
                await dst.send(msg)
        except ConnectionClosed:
            pass

    loop = asyncio.get_running_loop()
    stopped = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stopped.set_result, None)
    async with serve(handler, "127.0.0.1", port, compression=None, max_size=2**16):
        await stopped


# ----------------------------------------------------------------------------- connections


@dataclass
class WorkerStats:
    attempted: int = 0
    connected: int = 0
    dropped: int = 0
    pings_unanswered: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    close_codes: Counter[str] = field(default_factory=Counter)
    connect_ms: list[float] = field(default_factory=list)
    hello_ms: list[float] = field(default_factory=list)
    ping_ms: list[float] = field(default_factory=list)
    connect_phase_s: float = 0.0
    holding: bool = False
    stopping: bool = False


@dataclass
class Booth:
    ws: aiohttp.ClientWebSocketResponse
    pending: str | None = None
    sent_at: float = 0.0
    record: bool = False


async def _open_booth(http: aiohttp.ClientSession, url: str, token: str,
                      st: WorkerStats) -> Booth | None:
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(30):
            ws = await http.ws_connect(url, autoping=True)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        st.failures[f"connect: {type(exc).__name__}"] += 1
        return None
    t1 = time.perf_counter()
    try:
        async with asyncio.timeout(30):
            await ws.send_str(json.dumps({"v": 1, "type": "hello", "id": "h", "data": {
                "token": token, "client": "xiaowu-bench/1", "resume": None}}))
            msg = await ws.receive()
        reply = json.loads(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else {}
        if reply.get("type") != "welcome":
            raise ValueError(f"hello: {reply.get('type') or msg.type.name} {ws.close_code}")
    except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
        st.failures[f"hello: {type(exc).__name__}: {str(exc)[:60]}"] += 1
        await ws.close()
        return None
    st.connect_ms.append((t1 - t0) * 1000)
    st.hello_ms.append((time.perf_counter() - t1) * 1000)
    st.connected += 1
    return Booth(ws)


async def _heartbeat(booth: Booth, hb: float, st: WorkerStats) -> None:
    await asyncio.sleep(random.uniform(0, hb))  # spread beats like independent booths
    for n in itertools.count():
        if booth.pending is not None and booth.record:
            st.pings_unanswered += 1
        await booth.ws.send_str(STATUS_FRAME)
        booth.pending, booth.sent_at, booth.record = f"p{n}", time.perf_counter(), st.holding
        await booth.ws.send_str(f'{{"v":1,"type":"ping","id":"p{n}","data":{{}}}}')
        await asyncio.sleep(hb)


async def _booth_life(http: aiohttp.ClientSession, url: str, token: str, hb: float,
                      st: WorkerStats, sem: asyncio.Semaphore, live: list[Booth],
                      all_tried: asyncio.Event, total: int) -> None:
    async with sem:
        booth = await _open_booth(http, url, token, st)
    st.attempted += 1
    if st.attempted == total:
        all_tried.set()
    if booth is None:
        return
    live.append(booth)
    beat = asyncio.create_task(_heartbeat(booth, hb, st))
    try:
        async for msg in booth.ws:
            if msg.type == aiohttp.WSMsgType.TEXT and booth.pending and '"pong"' in msg.data:
                if json.loads(msg.data).get("re") == booth.pending:
                    if booth.record:
                        st.ping_ms.append((time.perf_counter() - booth.sent_at) * 1000)
                    booth.pending = None
    finally:
        beat.cancel()
    if not st.stopping:
        st.dropped += 1
        st.close_codes[str(booth.ws.close_code)] += 1


async def _conn_worker(url: str, tokens: list[str], hb: float, conc: int, hold: Any, stop: Any,
                       out: Any, deadline_s: float) -> None:
    st, all_tried = WorkerStats(), asyncio.Event()
    live: list[Booth] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        sem, t0 = asyncio.Semaphore(conc), time.perf_counter()
        lives = [asyncio.create_task(_booth_life(http, url, tok, hb, st, sem, live, all_tried,
                                                 len(tokens))) for tok in tokens]
        try:
            async with asyncio.timeout(max(1.0, deadline - loop.time())):
                await all_tried.wait()
        except TimeoutError:
            st.failures["connect phase timed out"] += len(tokens) - st.attempted
        st.connect_phase_s = time.perf_counter() - t0
        out.put(("connected", st.connected))
        while not stop.is_set() and loop.time() < deadline:
            st.holding = hold.is_set()
            await asyncio.sleep(0.1)
        st.stopping, st.holding = True, False
        try:
            async with asyncio.timeout(20):
                await asyncio.gather(*(b.ws.close() for b in live), return_exceptions=True)
        except TimeoutError:
            st.failures["close timed out"] += 1
        for task in lives:
            task.cancel()
        await asyncio.gather(*lives, return_exceptions=True)
    result = asdict(st)
    result["failures"], result["close_codes"] = dict(st.failures), dict(st.close_codes)
    out.put(("result", result))


def conn_worker(url: str, tokens: list[str], hb: float, conc: int, hold: Any, stop: Any,
                out: Any, deadline_s: float) -> None:
    """Entry point of a client process (spawned): holds ``tokens`` booths until ``stop``."""
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    asyncio.run(_conn_worker(url, tokens, hb, conc, hold, stop, out, deadline_s))


async def _get(q: Any, timeout: float) -> Any:
    try:
        return await asyncio.to_thread(q.get, True, timeout)
    except queue.Empty:
        raise RuntimeError(f"client processes did not report within {timeout:.0f} s") from None


async def connection_phase(cfg: Config, hub: Child, base: str, tokens: list[str],
                           procs: list[Any]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    hold, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    workers = max(1, min(cfg.workers, len(tokens)))
    connect_budget = 60 + len(tokens) / 50
    url = base.replace("http", "ws", 1) + "/ws"
    peak = [proc_rss_kb(hub.pid) or 0]

    async def sample_rss() -> None:
        while True:
            peak[0] = max(peak[0], proc_rss_kb(hub.pid) or 0)
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    t0 = time.perf_counter()
    for w in range(workers):
        proc = ctx.Process(target=conn_worker, daemon=True, args=(
            url, tokens[w::workers], float(cfg.heartbeat_s),
            max(1, cfg.connect_concurrency // workers), hold, stop, out,
            connect_budget + cfg.hold_s + 30))
        proc.start()
        procs.append(proc)
    try:
        up = sum([(await _get(out, connect_budget + 30))[1] for _ in range(workers)])
        all_up_s = time.perf_counter() - t0
        async with aiohttp.ClientSession() as http:
            hold.set()
            await asyncio.sleep(min(1.0, cfg.hold_s / 4))  # workers see the flag
            cpu0, h0 = proc_cpu_s(hub.pid), time.perf_counter()
            health_ms, health_fail, hub_conns = [], 0, 0
            while (elapsed := time.perf_counter() - h0) < cfg.hold_s:
                try:
                    ms, body = await healthz(http, base)
                    health_ms.append(ms)
                    hub_conns = max(hub_conns, int(body.get("connections", 0)))
                except (aiohttp.ClientError, TimeoutError):
                    health_fail += 1
                await asyncio.sleep(max(0.0, min(1.0, cfg.hold_s - elapsed - 0.01)))
            hub_cpu = 100 * (proc_cpu_s(hub.pid) - cpu0) / (time.perf_counter() - h0)
        stop.set()
        results = [(await _get(out, 60))[1] for _ in range(workers)]
    finally:
        stop.set()
        sampler.cancel()
    merged: dict[str, Any] = {"failures": Counter(), "close_codes": Counter()}
    for r in results:
        for key in ("connected", "dropped", "pings_unanswered"):
            merged[key] = merged.get(key, 0) + r[key]
        for key in ("connect_ms", "hello_ms", "ping_ms"):
            merged.setdefault(key, []).extend(r[key])
        merged["failures"].update(r["failures"])
        merged["close_codes"].update(r["close_codes"])
    rate = len(tokens) * 2 / cfg.heartbeat_s
    return {
        "requested": len(tokens), "client_processes": workers,
        "connect_concurrency": cfg.connect_concurrency, "heartbeat_s": cfg.heartbeat_s,
        "hold_s": cfg.hold_s, "frames_in_per_s_expected": round(rate, 1),
        "connected": merged["connected"], "held_to_end": merged["connected"] - merged["dropped"],
        "hub_reported_connections": hub_conns,
        "failures": sum(merged["failures"].values()), "failure_kinds": dict(merged["failures"]),
        "dropped_during_hold": merged["dropped"], "drop_close_codes": dict(merged["close_codes"]),
        "all_connected_after_s": round(all_up_s, 2), "connected_at_hold_start": up,
        "connect_ms": summary(merged["connect_ms"]), "hello_ms": summary(merged["hello_ms"]),
        "ping_pong_ms": summary(merged["ping_ms"]),
        "pings_unanswered_within_heartbeat": merged["pings_unanswered"],
        "healthz_ms": summary(health_ms), "healthz_failures": health_fail,
        "hub_cpu_pct_during_hold": round(hub_cpu, 1), "hub_rss_kb_peak": peak[0],
    }


# ----------------------------------------------------------------------------- main


async def run(cfg: Config, tmp: Path, children: list[Child], procs: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": machine_info(), "config": asdict(cfg)}
    out["provisioning"] = (prov := await provision(tmp / "data", cfg.connections + cfg.pairs,
                                                   cfg.pairs))["stats"]
    hub, port, settings = start_hub(tmp, cfg, children)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        await healthz(http, base)
        await asyncio.sleep(1.0)
        rss_idle = proc_rss_kb(hub.pid)
        pairs = await hub_pairs(http, base, prov, cfg.pairs)
        try:
            hub_relay = await measure_relay(pairs, cfg, hub.pid)
        finally:
            for p in pairs:
                with contextlib.suppress(Exception):  # hang up, so no call outlives the run
                    await p.tx.request("call.end", {"call_id": p.call_id}, "ok")
                await p.close()
        bare_port = free_port()
        bare = Child([sys.executable, str(Path(__file__).resolve()), "--serve-bare",
                      str(bare_port)], tmp / "bare.log", cwd=_HERE.parent)
        children.append(bare)
        bare.wait_port(bare_port, 30)
        pairs = await bare_pairs(http, bare_port, cfg.pairs)
        try:
            bare_relay = await measure_relay(pairs, cfg, bare.pid)
        finally:
            for p in pairs:
                await p.close()
            bare.stop()
    hub_tp = hub_relay["unthrottled"]["delivered_msgs_per_s"]
    bare_tp = bare_relay["unthrottled"]["delivered_msgs_per_s"]
    out["relay"] = {"hub": hub_relay, "bare": bare_relay,
                    "throughput_ratio": round(hub_tp / bare_tp, 3) if bare_tp else None,
                    "frame": "call.ice without id, candidate 'candidate:bench <seq> <t_ns>'"}
    conns = await connection_phase(cfg, hub, base, prov["tokens"][cfg.pairs:], procs)
    out["connections"] = {**conns, "hub_rss_kb_idle": rss_idle}
    out["hub"] = {"settings_env": settings, "rss_kb_end": proc_rss_kb(hub.pid),
                  "exit_code": hub.stop()}
    p99 = hub_relay["fixed_rate"]["latency_ms"].get("p99")
    held, ratio = conns["held_to_end"], out["relay"]["throughput_ratio"]
    out["goals"] = {
        "connections_held": {"goal": ">= 5000 (aim 10000)", "measured": held,
                             "met": held >= 5000},
        "relay_p99_ms_at_1000_msgs_per_s": {
            "goal": "< 50", "measured": p99, "rate": cfg.rate,
            "met": p99 is not None and p99 < 50 and cfg.rate >= 1000},
        "throughput_ratio_hub_vs_bare": {"goal": ">= 0.5", "measured": ratio,
                                         "met": ratio is not None and ratio >= 0.5},
        "healthz_while_loaded": {"goal": "answers", "measured": conns["healthz_ms"].get("p99"),
                                 "met": conns["healthz_failures"] == 0
                                 and conns["healthz_ms"]["n"] > 0},
    }
    return out


def parse_args(argv: list[str] | None) -> Config | int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--hold-s", type=float, default=30.0)
    ap.add_argument("--heartbeat-s", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--rate", type=float, default=1000.0, help="aggregate msg/s, fixed-rate run")
    ap.add_argument("--duration-s", type=float, default=10.0, help="fixed-rate run")
    ap.add_argument("--throughput-s", type=float, default=5.0, help="unthrottled run")
    ap.add_argument("--window", type=int, default=64, help="frames in flight per pair, unthrottled")
    ap.add_argument("--workers", type=int, default=3, help="client processes for connections")
    ap.add_argument("--connect-concurrency", type=int, default=120,
                    help="connects in flight, all workers (the hub's listen backlog is 128)")
    ap.add_argument("--max-s", type=float, help="hard bound on the whole run")
    ap.add_argument("--quick", action="store_true", help="small numbers, a smoke run < 30 s")
    ap.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.serve_bare:
        asyncio.run(_serve_bare(a.serve_bare))
        return 0
    if a.quick:
        a.connections, a.hold_s, a.heartbeat_s, a.pairs = 200, 4.0, 2, 4
        a.duration_s, a.throughput_s, a.workers = 3.0, 2.0, 2
    if min(a.connections, a.pairs, a.heartbeat_s) < 1 or min(a.rate, a.duration_s) <= 0:
        ap.error("counts, rate and durations must be positive")
    max_s = a.max_s or (300 + a.connections * 0.03 + 2 * (a.duration_s + a.throughput_s)
                        + a.hold_s)
    return Config(a.connections, a.hold_s, a.heartbeat_s, a.pairs, a.rate, a.duration_s,
                  a.throughput_s, a.window, a.workers, a.connect_concurrency, max_s, a.quick)


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    if isinstance(cfg, int):
        return cfg
    raise_nofile()
    signal.signal(signal.SIGTERM, _terminate)
    children: list[Child] = []
    procs: list[Any] = []
    result: dict[str, Any]
    with tempfile.TemporaryDirectory(prefix="xiaowu-bench-") as tmp:
        try:
            result = asyncio.run(asyncio.wait_for(run(cfg, Path(tmp), children, procs),
                                                  cfg.max_s))
        except (Exception, KeyboardInterrupt, SystemExit) as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"[:2000],
                      "hub_log_tail": children[0].tail() if children else None}
        finally:
            for child in reversed(children):
                child.stop()
            for proc in procs:
                proc.join(5)
                if proc.is_alive():
                    proc.kill()
                    proc.join(5)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    raise SystemExit(main())
