"""Helpers shared by the benchmarks: statistics, /proc readings, child processes.

Everything here stays on 127.0.0.1. Child processes get a raised file-descriptor
limit (a hub holding 10 000 WebSockets needs more than the usual 1 024 or 20 000).
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "NOFILE",
    "Child",
    "free_port",
    "machine_info",
    "proc_cpu_s",
    "proc_rss_kb",
    "raise_nofile",
    "summary",
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
        "aiohttp": version("aiohttp"), "websockets": version("websockets"),
        "sqlalchemy": version("sqlalchemy"), "pydantic": version("pydantic"),
    }


def _child_setup() -> None:
    raise_nofile()


class Child:
    """A subprocess with a raised fd limit, its output in ``log``; :meth:`stop` always reaps."""

    def __init__(self, argv: Sequence[str], log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            list(argv), stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, preexec_fn=_child_setup, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def wait_port(self, port: int, timeout: float) -> None:
        """Until something accepts on 127.0.0.1:``port``; RuntimeError if the child died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.proc.args!r} exited early:\n{self.tail()}")
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", port), timeout=0.5):
                return
            time.sleep(0.1)
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
