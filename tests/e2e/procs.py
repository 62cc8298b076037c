"""Real processes for end-to-end tests: the hub, booths and agents, all on 127.0.0.1.

Each process's stdout JSON lines are collected by a reader thread; tests wait
for a line matching a predicate. Every process is stopped (TERM, then KILL)
when the test ends, and its stderr is kept for the failure report.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness import free_port

BIN = Path(sys.executable).parent
Line = dict[str, Any]


class Proc:
    """A child process whose stdout is JSON lines."""

    def __init__(self, name: str, args: list[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.args = args
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.popen = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=full_env, cwd=cwd,
                                      start_new_session=True)
        self.lines: list[Line] = []
        self.raw: list[str] = []
        self.err: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self) -> None:
        try:
            self._read_lines()
        except (ValueError, OSError):
            pass  # the pipe was closed by stop()

    def _read_lines(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self._cond:
                self.raw.append(line.rstrip("\n"))
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = None
                if isinstance(obj, dict):
                    self.lines.append(obj)
                self._cond.notify_all()

    def _read_err(self) -> None:
        assert self.popen.stderr is not None
        try:
            for line in self.popen.stderr:
                self.err.append(line.rstrip("\n"))
                if len(self.err) > 2000:
                    del self.err[:1000]
        except (ValueError, OSError):
            pass

    async def wait_for(self, pred: Callable[[Line], bool], timeout: float = 20.0,
                       what: str = "") -> Line:
        """The first line (already seen or future) for which ``pred`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                for line in self.lines:
                    if pred(line):
                        return line
            if self.popen.poll() is not None and time.monotonic() > deadline - timeout + 0.5:
                with self._cond:
                    for line in self.lines:
                        if pred(line):
                            return line
                raise AssertionError(f"{self.name} exited {self.popen.returncode} before "
                                     f"{what}\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {what or 'matching line'} in "
                                     f"{timeout}s\n{self.tail()}")
            await asyncio.sleep(0.05)

    def tail(self, n: int = 25) -> str:
        return ("stdout:\n  " + "\n  ".join(self.raw[-n:]) + "\nstderr:\n  "
                + "\n  ".join(self.err[-n:]))

    def signal(self, sig: int) -> None:
        self.popen.send_signal(sig)

    def stop(self, timeout: float = 8.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                try:
                    stream.close()
                except (OSError, ValueError):
                    pass  # a reader thread may still hold it; it ends with the pipe
        return int(self.popen.returncode)


def run_json(args: list[str], env: dict[str, str] | None = None) -> Any:
    """Run a CLI with --json and return its one JSON object."""
    out = subprocess.run(args, capture_output=True, text=True, timeout=60,
                         env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise AssertionError(f"{args} exited {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)


class Hub:
    """``xiaowu-server`` on a free loopback port with its own data dir."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None,
                 extra_args: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin = [str(BIN / "xiaowu-admin"), "--data-dir", str(data_dir), "--json"]
        run_json([*self.admin, "init", "--admin-password", "admin-pass-123"])
        self.proc = Proc("hub", [str(BIN / "xiaowu-server"), "--data-dir", str(data_dir),
                                 "--host", "127.0.0.1", "--port", str(self.port),
                                 *(extra_args or [])],
                         env={"XIAOWU_OFFER_TIMEOUT_S": "10", "XIAOWU_WRAP_UP_S": "1",
                              **(env or {})})

    async def ready(self, timeout: float = 20.0) -> None:
        import aiohttp

        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                try:
                    async with http.get(self.base + "/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.proc.popen.poll() is not None:
                    raise AssertionError("hub exited\n" + self.proc.tail())
                await asyncio.sleep(0.1)
        raise AssertionError("hub not ready\n" + self.proc.tail())

    def add_agent(self, username: str, password: str, skills: list[str]) -> str:
        args = [*self.admin, "agent", "add", username, "--password", password]
        for skill in skills:
            args += ["--skill", skill]
        return str(run_json(args)["user_id"])

    def add_booth(self, name: str, region: str = "330110101001") -> tuple[str, str]:
        made = run_json([*self.admin, "booth", "add", name, "--region", region,
                         "--region-name", "余杭区 · 石门镇 · 新村村"])
        return str(made["booth_id"]), str(made["enrollment_code"])

    def stop(self) -> None:
        self.proc.stop()


class TcpProxy:
    """A TCP forwarder on 127.0.0.1 whose connections a test can cut (a network failure)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.pairs: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self.accepted = 0

    async def start(self) -> TcpProxy:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.pairs.append((writer, up_w))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pump(reader, up_w), pump(up_r, writer))

    def cut(self) -> int:
        """Abort every open connection (both sides see a reset, no closing handshake)."""
        n = len(self.pairs)
        for down, up in self.pairs:
            down.transport.abort()
            up.transport.abort()
        self.pairs = []
        return n

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
