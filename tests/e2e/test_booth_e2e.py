"""End to end with real processes on 127.0.0.1: hub, headless booth, headless aiortc agent.

Host candidates are pinned to 127.0.0.1 (``--ice-address``) and no ICE server
is configured, so nothing leaves the loopback interface.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.procs import BIN, Hub, Line, Proc, TcpProxy, run_json

pytestmark = pytest.mark.e2e
SERVICE = "housing.public_rental"


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    h = Hub(tmp_path / "hub", env={"XIAOWU_RESUME_GRACE_S": "30"})
    try:
        await h.ready()
        yield h
    finally:
        h.stop()


def booth_proc(hub: Hub, cfg: Path, server: str, *extra: str) -> Proc:
    return Proc("booth", [str(BIN / "xiaowu-booth"), "--server", server, "--config-dir",
                          str(cfg), "--headless", "--camera", "synthetic", "--size", "640x360",
                          "--fps", "15", "--ice-address", "127.0.0.1", "--service", SERVICE,
                          "--log-level", "INFO", *extra])


def agent_proc(hub: Hub, *extra: str) -> Proc:
    return Proc("agent", [str(BIN / "xiaowu-seat"), "--server", hub.base, "--username",
                          "zhangmin", "--password", "agent-pass-1", "--headless",
                          "--auto-accept", "--ice-address", "127.0.0.1", *extra])


def enroll_args(hub: Hub) -> list[str]:
    """First run: the booth trades the one-time code for its device token."""
    _, code = hub.add_booth("石门镇新村村便民服务站")
    return ["--enroll", code]


def assert_enrolled(cfg: Path) -> None:
    path = cfg / "booth.json"
    assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"


def frames_at(proc: Proc, call_id: str) -> int:
    counts = [int(line.get("received", line.get("count", 0))) for line in proc.lines
              if line.get("event") == "frames" and line.get("call_id") == call_id]
    return max(counts, default=0)


async def rising(proc: Proc, call_id: str, above: int, timeout: float = 20.0) -> int:
    line = await proc.wait_for(
        lambda ln: ln.get("event") == "frames" and ln.get("call_id") == call_id
        and int(ln.get("received", ln.get("count", 0))) > above,
        timeout, f"frames above {above} for {call_id}")
    return int(line.get("received", line.get("count", 0)))


def is_state(screen: str) -> object:
    return lambda ln: ln.get("event") == "state" and ln.get("screen") == screen


async def test_priority_ticket_reaches_the_agent_marked(hub: Hub, tmp_path: Path) -> None:
    """A resident who takes a priority ticket (优先办理) is offered to the agent as such."""
    hub.add_agent("zhangmin", "agent-pass-1", ["housing"])
    agent = agent_proc(hub, "--hangup-after", "1")
    booth = booth_proc(hub, tmp_path / "booth", hub.base, "--priority", "--auto-rate", "5",
                       "--max-calls", "1", *enroll_args(hub))
    try:
        offer = await agent.wait_for(lambda ln: ln.get("event") == "ticket.offer", 30,
                                     "the offer")
        assert offer["priority"] == "priority" and offer["service"] == SERVICE
        waiting = next(ln for ln in booth.lines if ln.get("event") == "state"
                       and ln.get("screen") == "waiting")
        assert waiting["ticket"]["priority"] is True  # the resident sees 优先办理
        await booth.wait_for(is_state("thanks"), 40, "the booth's thanks")
    finally:
        booth.stop()
        agent.stop()


async def test_call_with_video_both_ways_then_end_and_rating(hub: Hub, tmp_path: Path) -> None:
    hub.add_agent("zhangmin", "agent-pass-1", ["housing"])
    cfg = tmp_path / "booth"
    agent = agent_proc(hub, "--hangup-after", "6")
    booth = booth_proc(hub, cfg, hub.base, "--auto-rate", "5", "--max-calls", "1",
                       *enroll_args(hub))
    try:
        call: Line = await booth.wait_for(
            lambda ln: ln.get("event") == "state" and ln.get("screen") == "in_call",
            40, "the call")
        assert_enrolled(cfg)
        call_id = call["call"]["id"]
        await rising(agent, call_id, 20)  # the agent receives the booth's camera
        await rising(booth, call_id, 20)  # and the booth the agent's video
        await booth.wait_for(is_state("rating"), 20, "rating screen")  # type: ignore[arg-type]
        await booth.wait_for(is_state("thanks"), 10, "thanks")  # type: ignore[arg-type]
        assert booth.popen.wait(20) == 0  # --max-calls 1: the booth exits by itself
        rows = run_json([*hub.admin, "audit", "list", "--limit", "200"])["rows"]
        actions = {r["action"]: r for r in rows}
        assert actions["rating.submit"]["target"] == call_id
        assert actions["rating.submit"]["detail"]["level"] == 5
        assert actions["call.end"]["target"] == call_id
        assert run_json([*hub.admin, "audit", "verify"])["ok"] is True
    finally:
        booth.stop()
        agent.stop()


async def test_forced_drops_recover_same_ticket_and_rebuilt_media(hub: Hub,
                                                                  tmp_path: Path) -> None:
    hub.add_agent("zhangmin", "agent-pass-1", ["housing"])
    cfg = tmp_path / "booth"
    proxy = await TcpProxy(hub.port).start()  # the booth reaches the hub only through this
    booth = booth_proc(hub, cfg, f"http://127.0.0.1:{proxy.port}", *enroll_args(hub))
    agent: Proc | None = None
    try:
        first = await booth.wait_for(
            lambda ln: ln.get("event") == "state" and ln.get("screen") == "waiting"
            and "ticket" in ln, 30, "a ticket")
        ticket = first["ticket"]
        await asyncio.sleep(0.5)
        assert proxy.cut() >= 1  # the network drops the booth's TCP connection
        await booth.wait_for(lambda ln: ln.get("event") == "disconnected", 10, "the drop")
        again = await booth.wait_for(
            lambda ln: ln.get("event") == "state" and ln.get("link") == "online"
            and ln.get("screen") == "waiting"
            and booth.lines.index(ln) > booth.lines.index(first)
            and any(x.get("event") == "disconnected" for x in
                    booth.lines[booth.lines.index(first):booth.lines.index(ln)]),
            30, "reconnected")
        assert again["ticket"]["id"] == ticket["id"]
        assert again["ticket"]["number"] == ticket["number"]
        assert again["ticket"]["position"] == ticket["position"]
        assert proxy.accepted >= 2

        agent = agent_proc(hub)
        call = await booth.wait_for(
            lambda ln: ln.get("event") == "state" and ln.get("screen") == "in_call",
            40, "the call")
        call_id = call["call"]["id"]
        before_agent = await rising(agent, call_id, 15)
        await rising(booth, call_id, 15)

        booth_before = frames_at(booth, call_id)
        booth.signal(signal.SIGUSR1)  # kill the media path in the middle of the call
        await booth.wait_for(lambda ln: ln.get("event") == "media.offer"
                             and ln.get("gen") == 1, 20, "a rebuilt peer connection")
        await booth.wait_for(lambda ln: ln.get("event") == "media.state" and ln.get("gen") == 1
                             and ln.get("state") == "connected", 30, "gen 1 connected")
        await rising(agent, call_id, before_agent + 30, 30)  # frames flow again to the agent
        await booth.wait_for(  # and to the booth, on the rebuilt connection
            lambda ln: ln.get("event") == "frames" and ln.get("gen") == 1
            and int(ln.get("received", 0)) > booth_before + 15, 30,
            "booth frames after the rebuild")
    finally:
        booth.stop()
        if agent is not None:
            agent.stop()
        await proxy.stop()


async def test_revoked_booth_shows_disabled_and_stops(hub: Hub, tmp_path: Path) -> None:
    cfg = tmp_path / "booth"
    enroll = enroll_args(hub)
    booth = booth_proc(hub, cfg, hub.base, *enroll)
    try:
        await booth.wait_for(lambda ln: ln.get("event") == "state"
                             and ln.get("link") == "online", 30, "online")
        booth_id = run_json([*hub.admin, "booth", "list"])["booths"][0]["id"]
        run_json([*hub.admin, "booth", "revoke", booth_id])  # from another process
        await booth.wait_for(lambda ln: ln.get("event") == "disabled", 10, "disabled")
        await booth.wait_for(is_state("disabled"), 5, "the disabled screen")  # type: ignore[arg-type]
        try:
            code = booth.popen.wait(15)
        except Exception as exc:
            raise AssertionError(booth.tail(40)) from exc
        assert code == 3
    finally:
        booth.stop()
    again = Proc("booth-again", [str(BIN / "xiaowu-booth"), "--server", hub.base,
                                 "--config-dir", str(cfg), "--headless"])
    try:
        assert again.popen.wait(30) == 3  # the stored token is refused at hello
        assert any(ln.get("event") == "disabled" for ln in again.lines)
    finally:
        again.stop()


def test_scripted_demo_runs_one_call_end_to_end(tmp_path: Path) -> None:
    import subprocess

    from tests.harness import free_port

    out = subprocess.run([str(BIN / "xiaowu-demo"), "--data-dir", str(tmp_path / "var"),
                          "--port", str(free_port()), "--scripted", "--hangup-after", "4",
                          "--timeout", "90"], capture_output=True, text=True, timeout=150)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "scripted call completed" in out.stdout
    assert "video frames received" in out.stdout
    assert "login: demo   password: " in out.stdout


def test_demo_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import subprocess
    import time

    from tests.harness import free_port

    proc = subprocess.Popen([str(BIN / "xiaowu-demo"), "--data-dir", str(tmp_path / "var"),
                             "--port", str(free_port()), "--headless"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        seen = ""
        assert proc.stdout is not None
        while "screen waiting" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "screen waiting" in seen, seen[-2000:]
        # the printed admin console and password work
        import json
        import re
        import urllib.request

        found = re.search(r"admin console: (http://127\.0\.0\.1:\d+)/admin/\s+login: admin"
                          r"\s+password: (\S+)", seen)
        assert found, seen[-2000:]
        base, password = found.groups()
        with urllib.request.urlopen(f"{base}/admin/", timeout=5) as page:
            assert "晓屋" in page.read().decode()
        login = urllib.request.Request(
            f"{base}/api/login", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"username": "admin", "password": password}).encode())
        with urllib.request.urlopen(login, timeout=5) as resp:
            assert json.load(resp)["role"] == "admin"
        proc.send_signal(signal.SIGTERM)  # what Ctrl-C on `make run` amounts to
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", leftovers.stdout  # hub, booth, coturn all gone
