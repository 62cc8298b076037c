"""Signaling benchmark: a real ``xiaowu-server`` on 127.0.0.1, measured three ways.

1. Relay: K real calls (agent login, ``agent.state``, ``ticket.create``,
   ``ticket.offer``/``ticket.accept``, ``call.start``); booths send ``call.ice``
   without ``id`` carrying a send timestamp; one-way latency at the agent at a fixed
   aggregate rate, then unthrottled throughput (a bounded window of frames in flight
   per call, for a few window sizes).
2. The same relay client against a bare ``websockets`` relay server (the baseline).
3. Connections: N enrolled booths connect and ``hello``, then send ``booth.status``
   and ``ping`` every ``heartbeat_s`` while held for ``--hold-s`` (the clients are
   spread over a few processes); hello and ping->pong latency, hub RSS, ``/healthz``.

Prints one JSON object. Run from the repository root::

    .venv/bin/python bench/signaling.py --quick
    .venv/bin/python bench/signaling.py --connections 10000

Every socket is on 127.0.0.1 and every wait is bounded; the hub, the baseline, the
client processes and the temporary data directory are removed on exit, also on an
error or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing as mp
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
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
    Peer,
    booth_worker,
    cpu_now,
    cpu_since,
    free_port,
    healthz,
    machine_cpu_s,
    machine_info,
    poll_queue,
    proc_cpu_s,
    proc_rss_kb,
    raise_nofile,
    serve_bare,
    source_digest,
    summary,
    wait_quiet,
)

MARK = "candidate:bench "
AGENT_PASSWORD = "bench-agent-pass-1"
RATE_PER_S = RATE_BURST = 1_000_000  # the hub's per-connection token bucket, raised


@dataclass(frozen=True)
class Config:
    connections: int
    hold_s: float
    heartbeat_s: int
    pairs: int
    rate: float
    duration_s: float
    throughput_s: float
    windows: tuple[int, ...]
    rounds: int
    workers: int
    connect_concurrency: int
    max_s: float
    wait_quiet_s: float
    quick: bool


# ----------------------------------------------------------------------------- set-up


async def provision(data_dir: Path, booths: int, agents: int) -> dict[str, Any]:
    """Create the store, the booths (create_booth + enroll) and the agents, in SQLite."""
    from signaling.store import Store, sqlite_url_for_dir

    store = await Store.open(sqlite_url_for_dir(data_dir))
    try:
        await store.migrate()
        await store.seed_catalog()
        dept = (await store.get_catalog())[0]
        t0 = time.perf_counter()
        tokens: list[str] = []
        for i in range(booths):  # sequential: writes serialize on SQLite's write lock anyway
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
                      "ms_per_booth": round(1000 * booth_s / booths, 2), "agents": agents,
                      "how": "Store.create_booth + Store.enroll, sequential, one process"}}


async def start_hub(tmp: Path, cfg: Config,
                    children: list[Child]) -> tuple[Child, int, dict[str, str]]:
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
    await hub.wait_port(port, 60)
    return hub, port, settings


# ----------------------------------------------------------------------------- relay


@dataclass
class Pair:
    """A sender (booth) whose ``call.ice`` frames the relay hands to a receiver (agent)."""

    tx: Peer
    rx: Peer
    call_id: str
    sent: int = 0
    received: int = 0
    record: bool = False
    lat_ms: list[float] = field(default_factory=list)
    room: asyncio.Event = field(default_factory=asyncio.Event)
    window: int = 0

    def __post_init__(self) -> None:
        self.rx.on_text = self.on_text
        frame = json.dumps({"v": 1, "type": "call.ice", "data": {  # no id: no reply
            "call_id": self.call_id, "gen": 0,
            "candidate": {"candidate": MARK + "@", "sdpMid": "0", "sdpMLineIndex": 0}}})
        self.head, self.tail = frame.split("@")

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

    def reset(self, window: int) -> None:
        self.sent = self.received = 0
        self.lat_ms, self.record, self.window = [], False, window


async def hub_pairs(http: aiohttp.ClientSession, base: str, prov: dict[str, Any],
                    k: int) -> list[Pair]:
    """K calls through the real flow, one after another so that booth i meets agent i."""
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


async def _finish(pairs: list[Pair], elapsed: float,
                  cpu: tuple[float, float, float]) -> dict[str, Any]:
    """Wait (bounded) for stragglers; sent, received, loss, latency, and CPU: the server,
    this client, and all other processes on the machine, in % of one core."""
    deadline = time.monotonic() + 3.0
    while any(p.received < p.sent for p in pairs) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    sent, received = sum(p.sent for p in pairs), sum(p.received for p in pairs)
    return {"sent": sent, "received": received, "lost": sent - received,
            "loss_pct": round(100 * (sent - received) / sent, 3) if sent else None,
            "latency_ms": summary([x for p in pairs for x in p.lat_ms]),
            "server_cpu_pct": round(100 * cpu[0] / elapsed, 1),
            "client_cpu_pct": round(100 * cpu[1] / elapsed, 1),
            "other_cpu_pct": round(100 * max(0.0, cpu[2] - cpu[0] - cpu[1]) / elapsed, 1)}


async def run_rate(pairs: list[Pair], rate: float, duration: float, pid: int) -> dict[str, Any]:
    """``rate`` msg/s in all, spread evenly over the pairs; one-way latency at the receiver."""
    loop, interval = asyncio.get_running_loop(), len(pairs) / rate
    t0 = loop.time() + 0.05

    async def sender(k: int, pair: Pair) -> None:
        pair.reset(10**9)
        pair.record = True
        start = t0 + k * interval / len(pairs)
        while (due := start + pair.sent * interval) - t0 < duration:
            if (delay := due - loop.time()) > 0:
                await asyncio.sleep(delay)
            await pair.tx.ws.send_str(pair.frame())
            pair.sent += 1

    cpu0 = cpu_now(pid)
    async with asyncio.timeout(duration + 30):
        await asyncio.gather(*(sender(k, p) for k, p in enumerate(pairs)))
    elapsed = loop.time() - t0
    cpu = cpu_since(cpu0, pid)
    return {"target_msgs_per_s": rate, "seconds": round(elapsed, 2),
            "sent_msgs_per_s": round(sum(p.sent for p in pairs) / elapsed, 1),
            **await _finish(pairs, elapsed, cpu)}


async def run_flood(pairs: list[Pair], duration: float, window: int, pid: int) -> dict[str, Any]:
    """As fast as the relay delivers, with at most ``window`` frames in flight per pair
    (unbounded, a hub would close the receiver once 2048 frames queue for it)."""
    stop = False

    async def sender(pair: Pair) -> None:
        while not stop:
            if pair.sent - pair.received >= window:
                pair.room.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(pair.room.wait(), 2.0)
                continue
            await pair.tx.ws.send_str(pair.frame())
            pair.sent += 1

    for p in pairs:
        p.reset(window)
    tasks = [asyncio.create_task(sender(p)) for p in pairs]
    try:
        await asyncio.sleep(1.0)  # warm-up
        got0, cpu0, t0 = sum(p.received for p in pairs), cpu_now(pid), time.perf_counter()
        for p in pairs:
            p.record = True
        await asyncio.sleep(duration)
        elapsed, got = time.perf_counter() - t0, sum(p.received for p in pairs) - got0
        cpu = cpu_since(cpu0, pid)
        for p in pairs:
            p.record = False
    finally:
        stop = True
        for p in pairs:
            p.room.set()
        async with asyncio.timeout(10):
            await asyncio.gather(*tasks, return_exceptions=True)
    return {"window_per_pair": window, "seconds": round(elapsed, 2),
            "delivered_msgs_per_s": round(got / elapsed, 1),
            "server_cpu_us_per_msg": round(1e6 * cpu[0] / got, 1) if got else None,
            **await _finish(pairs, elapsed, cpu)}


async def measure_relay(cfg: Config, sides: dict[str, tuple[list[Pair], int]]) -> dict[str, Any]:
    """The same runs for each relay (``name -> (pairs, server pid)``), interleaved (and
    repeated ``rounds`` times) so that a change in the machine's other load hits both alike.
    Besides msg/s, each unthrottled run reports the server's CPU per message, which does
    not depend on how much CPU other processes left it."""
    out: dict[str, Any] = {name: {"pairs": len(pairs), "unthrottled": []}
                           for name, (pairs, _) in sides.items()}
    for name, (pairs, pid) in sides.items():
        out[name]["fixed_rate"] = await run_rate(pairs, cfg.rate, cfg.duration_s, pid)
    for _, window in itertools.product(range(cfg.rounds), cfg.windows):
        for name, (pairs, pid) in sides.items():
            out[name]["unthrottled"].append(await run_flood(pairs, cfg.throughput_s, window, pid))
    for name, (_, pid) in sides.items():
        floods = out[name]["unthrottled"]
        out[name]["peak_msgs_per_s"] = max(f["delivered_msgs_per_s"] for f in floods)
        out[name]["server_cpu_us_per_msg_best"] = min(f["server_cpu_us_per_msg"] for f in floods)
        out[name]["server_rss_kb"] = proc_rss_kb(pid)
    hub, bare = out["hub"], out["bare"]
    out["throughput_ratio"] = round(hub["peak_msgs_per_s"] / bare["peak_msgs_per_s"], 3)
    out["throughput_ratio_by_window"] = {
        str(w): round(statistics.median(
            h["delivered_msgs_per_s"] / b["delivered_msgs_per_s"]
            for h, b in zip(hub["unthrottled"], bare["unthrottled"], strict=True)
            if h["window_per_pair"] == w), 3)
        for w in cfg.windows}
    out["cpu_per_msg_ratio_bare_vs_hub"] = round(
        bare["server_cpu_us_per_msg_best"] / hub["server_cpu_us_per_msg_best"], 3)
    out["frame"] = "call.ice, no id, candidate 'candidate:bench <seq> <perf_counter_ns>'"
    return out


# ----------------------------------------------------------------------------- connections


async def connection_phase(cfg: Config, hub: Child, base: str, tokens: list[str],
                           procs: list[Any]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    hold, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    workers = max(1, min(cfg.workers, len(tokens)))
    connect_budget = 60 + len(tokens) / 50
    peak = [proc_rss_kb(hub.pid) or 0]

    async def sample_rss() -> None:
        while True:
            peak[0] = max(peak[0], proc_rss_kb(hub.pid) or 0)
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    t0, cpu_start = time.perf_counter(), proc_cpu_s(hub.pid)
    for w in range(workers):
        procs.append(ctx.Process(target=booth_worker, daemon=True, args=(
            base.replace("http", "ws", 1) + "/ws", tokens[w::workers], float(cfg.heartbeat_s),
            max(1, cfg.connect_concurrency // workers), hold, stop, out,
            connect_budget + cfg.hold_s + 30)))
        procs[-1].start()
    try:
        up = sum([await poll_queue(out, connect_budget + 30) for _ in range(workers)])
        all_up_s, connect_cpu = time.perf_counter() - t0, proc_cpu_s(hub.pid) - cpu_start
        health_ms, health_fail, hub_conns = [], 0, 0
        async with aiohttp.ClientSession() as http:
            hold.set()
            await asyncio.sleep(min(1.0, cfg.hold_s / 4))  # the workers see the flag
            cpu0, h0, machine0 = proc_cpu_s(hub.pid), time.perf_counter(), machine_cpu_s()
            while (elapsed := time.perf_counter() - h0) < cfg.hold_s:
                try:
                    ms, body = await healthz(http, base)
                    health_ms.append(ms)
                    hub_conns = max(hub_conns, int(body.get("connections", 0)))
                except (aiohttp.ClientError, TimeoutError):
                    health_fail += 1
                await asyncio.sleep(max(0.0, min(1.0, cfg.hold_s - elapsed - 0.01)))
            hold_wall, machine = time.perf_counter() - h0, machine_cpu_s() - machine0
            hub_cpu = 100 * (proc_cpu_s(hub.pid) - cpu0) / hold_wall
        stop.set()
        results = [await poll_queue(out, 60) for _ in range(workers)]
    finally:
        stop.set()
        sampler.cancel()
    total: dict[str, Any] = {k: 0 for k in ("connected", "dropped", "pings_unanswered",
                                            "connect_cpu_s", "hold_cpu_s")}
    total |= {k: [] for k in ("connect_ms", "hello_ms", "ping_ms")}
    total |= {k: Counter() for k in ("failures", "close_codes")}
    for r in results:
        for key in total:
            total[key] += Counter(r[key]) if isinstance(total[key], Counter) else r[key]
    return {
        "requested": len(tokens), "client_processes": workers,
        "connect_concurrency": cfg.connect_concurrency, "heartbeat_s": cfg.heartbeat_s,
        "hold_s": cfg.hold_s, "hub_frames_in_per_s": round(2 * len(tokens) / cfg.heartbeat_s),
        "connected": total["connected"], "held_to_end": total["connected"] - total["dropped"],
        "connected_at_hold_start": up, "hub_reported_connections": hub_conns,
        "failures": sum(total["failures"].values()), "failure_kinds": dict(total["failures"]),
        "dropped_during_hold": total["dropped"], "drop_close_codes": dict(total["close_codes"]),
        "all_connected_after_s": round(all_up_s, 2),
        "hub_cpu_s_connecting": round(connect_cpu, 2),
        "hub_cpu_ms_per_hello": round(1000 * connect_cpu / max(1, total["connected"]), 2),
        "clients_cpu_s_connecting": round(total["connect_cpu_s"], 2),
        "connect_ms": summary(total["connect_ms"]), "hello_ms": summary(total["hello_ms"]),
        "ping_pong_ms": summary(total["ping_ms"]),
        "pings_unanswered_within_heartbeat": total["pings_unanswered"],
        "healthz_ms": summary(health_ms), "healthz_failures": health_fail,
        "hub_cpu_pct_during_hold": round(hub_cpu, 1),
        "clients_cpu_pct_during_hold": round(100 * total["hold_cpu_s"] / hold_wall, 1),
        "other_cpu_pct_during_hold": round(100 * max(
            0.0, machine - hub_cpu * hold_wall / 100 - total["hold_cpu_s"]) / hold_wall, 1),
        "hub_rss_kb_peak": peak[0],
    }


# ----------------------------------------------------------------------------- main


async def run(cfg: Config, tmp: Path, children: list[Child], procs: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": machine_info(), "config": asdict(cfg)}
    out["machine"]["rlimit_nofile"] = raise_nofile()  # asks 65536; the hard limit may be lower
    timings, t = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        timings[name], t = round(time.perf_counter() - t, 1), time.perf_counter()

    out["machine"]["quiet_wait"] = await wait_quiet(cfg.wait_quiet_s)
    lap("quiet_wait")
    prov = await provision(tmp / "data", cfg.connections + cfg.pairs, cfg.pairs)
    out["provisioning"] = prov["stats"]
    lap("provision")
    hub, port, settings = await start_hub(tmp, cfg, children)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        await healthz(http, base)
        await asyncio.sleep(0.5)
        rss_idle = proc_rss_kb(hub.pid)
        lap("hub_start")
        bare_port = free_port()
        bare = Child([sys.executable, str(Path(__file__).resolve()), "--serve-bare",
                      str(bare_port)], tmp / "bare.log", cwd=_HERE.parent)
        children.append(bare)
        await bare.wait_port(bare_port, 30)
        pairs: list[Pair] = []
        try:
            pairs += (hub_side := await hub_pairs(http, base, prov, cfg.pairs))
            pairs += (bare_side := await bare_pairs(http, bare_port, cfg.pairs))
            lap("relay_setup")
            out["relay"] = await measure_relay(cfg, {"hub": (hub_side, hub.pid),
                                                     "bare": (bare_side, bare.pid)})
        finally:
            for p in pairs[:cfg.pairs]:
                with contextlib.suppress(Exception):  # hang up: no call outlives the run
                    await p.tx.request("call.end", {"call_id": p.call_id}, "ok")
            for p in pairs:
                await p.tx.close()
                await p.rx.close()
            await asyncio.to_thread(bare.stop)  # keep our loop serving its closing handshakes
        lap("relay")
    conns = await connection_phase(cfg, hub, base, prov["tokens"][cfg.pairs:], procs)
    out["connections"] = {**conns, "hub_rss_kb_idle": rss_idle, "hub_rss_kb_per_connection": round(
        (conns["hub_rss_kb_peak"] - (rss_idle or 0)) / max(1, conns["connected"]), 1)}
    lap("connections")
    out["hub"] = {"settings_env": settings, "rss_kb_end": proc_rss_kb(hub.pid),
                  "source_sha256": source_digest(_HERE.parent / "signaling"),
                  "exit_code": await asyncio.to_thread(hub.stop)}
    out["timings_s"] = timings
    out["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    p99 = out["relay"]["hub"]["fixed_rate"]["latency_ms"].get("p99")
    held, ratio = conns["held_to_end"], out["relay"]["throughput_ratio"]
    out["goals"] = {
        "connections_held": {"goal": ">= 5000 (aim 10000)", "measured": held,
                             "met": held >= 5000},
        "relay_p99_ms_at_1000_msgs_per_s": {
            "goal": "< 50", "measured": p99, "rate": cfg.rate,
            "met": p99 is not None and p99 < 50 and cfg.rate >= 1000},
        "throughput_ratio_hub_vs_bare": {"goal": ">= 0.5", "measured": ratio,
                                         "met": ratio >= 0.5},
        "healthz_while_loaded": {"goal": "200 OK", "measured_p99_ms": conns["healthz_ms"].get(
            "p99"), "met": conns["healthz_failures"] == 0 and conns["healthz_ms"]["n"] > 0},
    }
    return out


def parse_args(argv: list[str] | None) -> Config | None:
    """The run's Config; None after serving the baseline relay (``--serve-bare``)."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--hold-s", type=float, default=30.0)
    ap.add_argument("--heartbeat-s", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--rate", type=float, default=1000.0, help="msg/s in all, fixed-rate run")
    ap.add_argument("--duration-s", type=float, default=10.0, help="fixed-rate run")
    ap.add_argument("--throughput-s", type=float, default=4.0, help="each unthrottled run")
    ap.add_argument("--windows", default="32,256,1024",
                    help="frames in flight per pair, one unthrottled run each")
    ap.add_argument("--rounds", type=int, default=2, help="repeats of the unthrottled runs")
    ap.add_argument("--workers", type=int, default=3, help="client processes, connections")
    ap.add_argument("--connect-concurrency", type=int, default=120,
                    help="connects in flight over all workers (the hub's listen backlog is 128)")
    ap.add_argument("--wait-quiet-s", type=float, default=0.0,
                    help="first wait up to this long for the rest of the machine to go idle")
    ap.add_argument("--max-s", type=float, help="hard bound on the whole run")
    ap.add_argument("--quick", action="store_true", help="small numbers: a smoke run, < 30 s")
    ap.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.serve_bare:
        asyncio.run(serve_bare(a.serve_bare))
        return None
    if a.quick:
        a.connections, a.hold_s, a.heartbeat_s, a.pairs, a.windows = 200, 3.0, 1, 4, "256"
        a.duration_s, a.throughput_s, a.workers, a.rounds = 2.0, 1.5, 2, 1
    windows = tuple(int(w) for w in a.windows.split(","))
    if min(a.connections, a.pairs, a.heartbeat_s, a.rounds, *windows) < 1 or min(
            a.rate, a.duration_s, a.throughput_s) <= 0:
        ap.error("counts, windows, rate and durations must be positive")
    max_s = a.max_s or (300 + a.wait_quiet_s + a.connections * 0.03 + a.duration_s * 2
                        + a.hold_s + a.rounds * len(windows) * 2 * (a.throughput_s + 5))
    return Config(a.connections, a.hold_s, a.heartbeat_s, a.pairs, a.rate, a.duration_s,
                  a.throughput_s, windows, a.rounds, a.workers, a.connect_concurrency, max_s,
                  a.wait_quiet_s, a.quick)


async def _guarded(cfg: Config, tmp: Path, children: list[Child],
                   procs: list[Any]) -> dict[str, Any]:
    """:func:`run` within ``max_s``; SIGTERM cancels it like Ctrl-C, so cleanup runs."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with asyncio.timeout(cfg.max_s):
        return await run(cfg, tmp, children, procs)


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    if cfg is None:
        return 0
    raise_nofile()
    children: list[Child] = []
    procs: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="xiaowu-bench-") as tmp:
        try:
            result = asyncio.run(_guarded(cfg, Path(tmp), children, procs))
        except (Exception, KeyboardInterrupt, asyncio.CancelledError) as exc:
            why = "stopped (SIGTERM)" if isinstance(exc, asyncio.CancelledError) else exc
            result = {"error": f"{type(exc).__name__}: {why}"[:2000],
                      "hub_log_tail": children[0].tail() if children else None}
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the cleanup is bounded: let it run
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
