"""Helpers for the benchmarks: statistics, /proc readings, child processes, and the
client and server pieces the signaling benchmark runs (a protocol peer, the booth
client processes, the bare ``websockets`` relay used as a baseline).

Everything here stays on 127.0.0.1 and every wait is bounded. Child processes get a
raised file-descriptor limit (a hub holding 10 000 WebSockets needs more than the
usual 1 024 or 20 000).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import platform
import queue
import random
import resource
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp

__all__ = [
    "NOFILE",
    "Child",
    "Peer",
    "booth_worker",
    "cpu_now",
    "cpu_since",
    "free_port",
    "healthz",
    "machine_cpu_s",
    "machine_info",
    "poll_queue",
    "proc_cpu_s",
    "proc_rss_kb",
    "raise_nofile",
    "serve_bare",
    "source_digest",
    "summary",
    "wait_quiet",
]

NOFILE = 65536
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def raise_nofile(limit: int = NOFILE) -> int:
    """Raise RLIMIT_NOFILE (hard too when privileged); returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want_hard = max(hard, limit) if hard != resource.RLIM_INFINITY else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, want_hard))
    except (ValueError, OSError):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def summary(values: Sequence[float], digits: int = 2) -> dict[str, Any]:
    """n, mean and nearest-rank percentiles of ``values`` (milliseconds, usually)."""
    if not values:
        return {"n": 0}
    v = sorted(values)

    def pct(q: float) -> float:
        return round(v[min(len(v) - 1, max(0, int(q / 100 * len(v) + 0.5) - 1))], digits)

    return {"n": len(v), "mean": round(sum(v) / len(v), digits), "p50": pct(50),
            "p95": pct(95), "p99": pct(99), "max": round(v[-1], digits)}


def proc_rss_kb(pid: int) -> int | None:
    """VmRSS of a process in KiB, from /proc/<pid>/status."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime


def machine_cpu_s() -> float:
    """Busy CPU seconds of the whole machine, all cores (from /proc/stat): with our own
    processes' share subtracted, what else ran during a measurement."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _CLK_TCK


async def wait_quiet(limit_s: float, busy_pct: float = 25.0) -> dict[str, Any]:
    """Wait (at most ``limit_s``) until other processes use < ``busy_pct`` of one core over
    5 s: the machine may be shared (test suites, browsers) and the numbers mean little then.
    With ``limit_s`` 0, only samples the load for 1 s."""
    t0, sample = time.perf_counter(), 5.0 if limit_s > 0 else 1.0
    while True:
        before = machine_cpu_s()
        await asyncio.sleep(sample)
        busy = 100 * (machine_cpu_s() - before) / sample
        waited = time.perf_counter() - t0
        if busy < busy_pct or waited >= limit_s:
            return {"busy_pct_of_one_core": round(busy, 1), "waited_s": round(waited, 1),
                    "quiet": busy < busy_pct}
        await asyncio.sleep(5.0)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_mb() -> int | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return None


def machine_info() -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cpu_model": _cpu_model(), "cores": os.cpu_count(), "mem_total_mb": _mem_total_mb(),
        "kernel": platform.release(), "python": platform.python_version(),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
        "aiohttp": version("aiohttp"), "websockets": version("websockets"),
        "sqlalchemy": version("sqlalchemy"), "pydantic": version("pydantic"),
    }


class Child:
    """A subprocess, its output in ``log``; :meth:`stop` always reaps. It inherits the fd
    limit, raised here first (no ``preexec_fn``: this process has threads)."""

    def __init__(self, argv: Sequence[str], log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        raise_nofile()
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            list(argv), stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def wait_port(self, port: int, timeout: float) -> None:
        """Until something accepts on 127.0.0.1:``port``; RuntimeError if the child died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.proc.args!r} exited early:\n{self.tail()}")
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(0.5):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")

    def stop(self, grace_s: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace_s``; returns the exit code."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                self.proc.wait(5)
        self._out.close()
        return self.proc.returncode


def source_digest(root: Path) -> str:
    """A short digest of the ``*.py`` under ``root``: which code was measured."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cpu_now(pid: int) -> tuple[float, float, float]:
    """CPU seconds so far: the server ``pid``, this process, the whole machine."""
    return proc_cpu_s(pid), time.process_time(), machine_cpu_s()


def cpu_since(then: tuple[float, float, float], pid: int) -> tuple[float, float, float]:
    server, client, machine = cpu_now(pid)
    return server - then[0], client - then[1], machine - then[2]


async def healthz(http: aiohttp.ClientSession, base: str) -> tuple[float, dict[str, Any]]:
    """Latency in ms and body of GET /healthz (raises unless 200)."""
    t0 = time.perf_counter()
    async with http.get(base + "/healthz", timeout=aiohttp.ClientTimeout(total=10)) as resp:
        resp.raise_for_status()
        body = await resp.json()
    return (time.perf_counter() - t0) * 1000, body


async def poll_queue(q: Any, timeout: float) -> Any:
    """The next report of a client process (polled: a cancelled run must not wait on it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return q.get_nowait()[1]
        except queue.Empty:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"client processes did not report within {timeout:.0f} s") from None
            await asyncio.sleep(0.1)



# ----------------------------------------------------------------------------- protocol peer


class Peer:
    """One WebSocket whose reader hands every text frame to ``on_text`` (default: buffer
    the parsed frame for :meth:`expect`)."""

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
        """The first buffered or future frame matching ``pred`` (removed from the buffer)."""
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
        """Send a request and return its reply; RuntimeError unless the reply is ``ok``."""
        rid = f"b{next(self._ids)}"
        await self.ws.send_str(json.dumps({"v": 1, "type": mtype, "id": rid, "data": data}))
        reply = await self.expect(lambda m: m.get("re") == rid)
        if reply["type"] != ok:
            raise RuntimeError(f"{mtype}: expected {ok}, got {reply}")
        return reply

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError, aiohttp.ClientError):
            async with asyncio.timeout(5):
                await self.ws.close()
                await self.reader


# ----------------------------------------------------------------------------- bare relay


async def serve_bare(port: int) -> None:
    """The baseline relay: the first frame of a connection names its pair (``{"pair": k}``);
    once both ends are there, every text frame goes unchanged to the other end."""
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


# ----------------------------------------------------------------------------- booth clients

STATUS_FRAME = json.dumps({"v": 1, "type": "booth.status",
                           "data": {"camera": "ok", "scanner": "ok", "version": "bench/1"}})


@dataclass
class _Stats:
    attempted: int = 0
    connected: int = 0
    dropped: int = 0
    pings_unanswered: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    close_codes: Counter[str] = field(default_factory=Counter)
    connect_ms: list[float] = field(default_factory=list)
    hello_ms: list[float] = field(default_factory=list)
    ping_ms: list[float] = field(default_factory=list)
    connect_cpu_s: float = 0.0
    hold_cpu_s: float = 0.0
    holding: bool = False
    stopping: bool = False


@dataclass
class _Booth:
    ws: aiohttp.ClientWebSocketResponse
    pending: str | None = None
    sent_at: float = 0.0
    record: bool = False


async def _open_booth(http: aiohttp.ClientSession, url: str, token: str,
                      st: _Stats) -> _Booth | None:
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(30):
            ws = await http.ws_connect(url, autoping=True)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        errno = getattr(getattr(exc, "os_error", exc), "errno", None)
        st.failures[f"connect: {type(exc).__name__} errno={errno}"] += 1
        return None
    t1 = time.perf_counter()
    try:
        async with asyncio.timeout(30):
            await ws.send_str(json.dumps({"v": 1, "type": "hello", "id": "h", "data": {
                "token": token, "client": "xiaowu-bench/1", "resume": None}}))
            msg = await ws.receive()
        reply = json.loads(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else {}
        if reply.get("type") != "welcome":
            raise ValueError(f"{reply.get('type') or msg.type.name} {ws.close_code}")
    except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
        st.failures[f"hello: {type(exc).__name__}: {str(exc)[:60]}"] += 1
        await ws.close()
        return None
    st.connect_ms.append((t1 - t0) * 1000)
    st.hello_ms.append((time.perf_counter() - t1) * 1000)
    st.connected += 1
    return _Booth(ws)


async def _heartbeat(booth: _Booth, hb: float, st: _Stats) -> None:
    """``booth.status`` (no id) and ``ping`` every ``hb`` s, like a kiosk (protocol.md)."""
    await asyncio.sleep(random.uniform(0, hb))  # independent booths do not beat in step
    for n in itertools.count():
        if booth.pending is not None and booth.record:
            st.pings_unanswered += 1
        await booth.ws.send_str(STATUS_FRAME)
        booth.pending, booth.sent_at, booth.record = f"p{n}", time.perf_counter(), st.holding
        await booth.ws.send_str(f'{{"v":1,"type":"ping","id":"p{n}","data":{{}}}}')
        await asyncio.sleep(hb)


async def _booth_life(http: aiohttp.ClientSession, url: str, token: str, hb: float, st: _Stats,
                      sem: asyncio.Semaphore, live: list[_Booth], all_tried: asyncio.Event,
                      total: int) -> None:
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
        async for msg in booth.ws:  # until we close it, or the hub does
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


async def _booths(url: str, tokens: list[str], hb: float, conc: int, hold: Any, stop: Any,
                  out: Any, deadline_s: float) -> None:
    st, all_tried = _Stats(), asyncio.Event()
    live: list[_Booth] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    cpu0 = time.process_time()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sem = asyncio.Semaphore(conc)
        lives = [asyncio.create_task(_booth_life(http, url, tok, hb, st, sem, live, all_tried,
                                                 len(tokens))) for tok in tokens]
        try:
            async with asyncio.timeout(max(1.0, deadline - loop.time())):
                await all_tried.wait()
        except TimeoutError:
            st.failures["connect phase timed out"] += len(tokens) - st.attempted
        st.connect_cpu_s = time.process_time() - cpu0
        out.put(("connected", st.connected))
        while not stop.is_set() and loop.time() < deadline:
            if not st.holding and hold.is_set():  # pings sent while holding are reported
                st.holding, cpu0 = True, time.process_time()
            await asyncio.sleep(0.1)
        st.hold_cpu_s = time.process_time() - cpu0 if st.holding else 0.0
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


def booth_worker(url: str, tokens: list[str], hb: float, conc: int, hold: Any, stop: Any,
                 out: Any, deadline_s: float) -> None:
    """A client process: connects ``tokens`` booths (``conc`` at a time), puts
    ``("connected", n)`` on ``out``, heartbeats until ``stop`` is set (or the deadline),
    closes them and puts ``("result", stats)``. ``hold``/``stop`` are multiprocessing
    events."""
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    asyncio.run(_booths(url, tokens, hb, conc, hold, stop, out, deadline_s))
