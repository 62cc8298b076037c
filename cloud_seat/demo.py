"""``xiaowu-demo``: the whole system on one machine, everything on 127.0.0.1.

Provisions through the public command line (``xiaowu-admin``), then runs real
processes: coturn (when installed; media then goes relay-only through it), the
hub, a booth (the kiosk window where there is a display, headless with the
synthetic camera where there is none), and with ``--scripted`` a headless
agent too. It prints a merged timeline of what every process reports.

Without ``--scripted`` it runs until Ctrl-C: open the printed console URL, log
in with the printed password, go available, and the demo booth's call rings.
``--scripted`` runs one call unattended (ticket, offer, call with video both
ways, hang-up, rating) and exits 0 when the rating is recorded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

from cloud_seat.coturn import TurnServer, free_port, turnserver_binary

__all__ = ["main"]

BIN = Path(sys.executable).parent
SERVICE = "housing.public_rental"
BOOTH_NAME = "石门镇新村村便民服务站"


class Timeline:
    """Merges the JSON lines of several processes into one readable timeline."""

    def __init__(self, quiet: bool = False) -> None:
        self.t0 = time.time()
        self.lock = threading.Lock()
        self.quiet = quiet
        self.events: list[tuple[str, dict[str, Any]]] = []

    def say(self, who: str, text: str) -> None:
        with self.lock:
            print(f"{time.time() - self.t0:7.2f}s  {who:<6} {text}", flush=True)

    def follow(self, who: str, stream: IO[str]) -> None:
        def pump() -> None:
            last = ""
            for raw in stream:
                try:
                    ev = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(ev, dict):
                    continue
                with self.lock:
                    self.events.append((who, ev))
                line = describe(ev)
                if line and line != last and not self.quiet:
                    self.say(who, line)
                last = line or last

        threading.Thread(target=pump, daemon=True).start()

    def seen(self, who: str, **match: Any) -> dict[str, Any] | None:
        with self.lock:
            for w, ev in self.events:
                if w == who and all(ev.get(k) == v for k, v in match.items()):
                    return ev
        return None


class _Flag:
    """A stop flag that a signal handler may set (no locks involved)."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


def describe(ev: dict[str, Any]) -> str:
    kind = ev.get("event")
    if kind == "state":
        text = f"screen {ev.get('screen')} · link {ev.get('link')} · media {ev.get('media')}"
        if t := ev.get("ticket"):
            text += f" · ticket {t['number']} position {t['position']} eta {t['eta_s']}s"
        return text
    if kind == "frames":
        got = ev.get("received", ev.get("count"))
        return f"video frames received {got} (gen {ev.get('gen')})"
    if kind in ("agent.state", "ticket.offer", "call.start", "call.ended", "pc.state",
                "media.state", "media.offer", "first_frame", "disabled", "enrolled",
                "connected", "disconnected", "call.end"):
        extra = {k: v for k, v in ev.items() if k not in ("event", "t") and v is not None}
        return f"{kind} {json.dumps(extra, ensure_ascii=False)[:140]}"
    return ""


def sound_card_present() -> bool:
    """ALSA lists a card (a VM or CI box usually has none; then the kiosk would report
    its microphone and speaker missing and retry them every few seconds)."""
    try:
        cards = Path("/proc/asound/cards").read_text()
    except OSError:
        return False
    return bool(cards.strip()) and "no soundcards" not in cards


def admin(data_dir: Path, *args: str) -> Any:
    out = subprocess.run([str(BIN / "xiaowu-admin"), "--data-dir", str(data_dir), "--json",
                          *args], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit(f"xiaowu-demo: xiaowu-admin {' '.join(args[:2])} failed: "
                         f"{out.stderr.strip()}")
    return json.loads(out.stdout)


def ensure_agent(data_dir: Path, username: str, name: str) -> str:
    """The agent exists with a fresh random password (printed, never stored in clear)."""
    password = secrets.token_urlsafe(9)
    users = {u["username"] for u in admin(data_dir, "agent", "list")["users"]}
    if username in users:
        admin(data_dir, "agent", "password", username, "--password", password)
    else:
        skills = ["housing", "emergency", "market", "planning", "disabled", "identity", "policy"]
        args = ["agent", "add", username, "--password", password, "--name", name]
        for skill in skills:
            args += ["--skill", skill]
        admin(data_dir, *args)
    return password


def wait_healthy(base: str, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("xiaowu-demo: the hub exited during start-up (see above)")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("xiaowu-demo: the hub did not become healthy")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="xiaowu-demo", description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=Path("var"))
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--scripted", action="store_true", help="one call, unattended, then exit")
    ap.add_argument("--headless", action="store_true", help="no kiosk window even with a display")
    ap.add_argument("--hangup-after", type=float, default=8.0, help="scripted call length (s)")
    ap.add_argument("--timeout", type=float, default=120.0, help="scripted: give up after (s)")
    args = ap.parse_args(argv)

    data_dir: Path = args.data_dir
    tl = Timeline()
    procs: list[tuple[str, subprocess.Popen[str]]] = []
    turn: TurnServer | None = None
    stop = _Flag()  # set from signal handlers: a threading.Event would deadlock there
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def spawn(who: str, cmd: list[str]) -> subprocess.Popen[str]:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                start_new_session=True)
        assert proc.stdout is not None
        tl.follow(who, proc.stdout)
        procs.append((who, proc))
        return proc

    try:
        init = admin(data_dir, "init")
        tl.say("demo", f"store ready in {data_dir}/ (catalog seeded: {init['seeded']})")
        password = ensure_agent(data_dir, "demo", "演示坐席")
        admin_password = secrets.token_urlsafe(9)  # fresh each run, like the agent's
        admin(data_dir, "agent", "password", "admin", "--password", admin_password)
        relay: list[str] = []
        hub_turn: list[str] = []
        if turnserver_binary() is not None:
            turn = TurnServer().start()
            relay, hub_turn = ["--relay-only"], ["--turn-url", turn.url]
            tl.say("turn", f"coturn relaying on {turn.url} (loopback only)")
        else:
            tl.say("turn", "coturn not installed: host candidates on 127.0.0.1 only")
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        hub_log = open(data_dir / "hub.log", "ab")  # noqa: SIM115 (closed with the process)
        hub = subprocess.Popen([str(BIN / "xiaowu-server"), "--data-dir", str(data_dir),
                                "--host", "127.0.0.1", "--port", str(port), *hub_turn],
                               env={**os.environ, "XIAOWU_WRAP_UP_S": "10",
                                    # the secret through the environment, not the
                                    # process list
                                    **({"XIAOWU_TURN_SECRET": turn.secret} if turn else {})},
                               stdout=hub_log, stderr=hub_log, start_new_session=True)
        hub_log.close()  # the child has its own descriptor
        procs.append(("hub", hub))  # type: ignore[arg-type]
        wait_healthy(base, hub)  # type: ignore[arg-type]
        tl.say("hub", f"listening on {base} (log: {data_dir / 'hub.log'})")

        booth_dir = data_dir / "demo-booth"
        booth_cmd = [str(BIN / "xiaowu-booth"), "--server", base, "--config-dir",
                     str(booth_dir), *relay]
        if not (booth_dir / "booth.json").exists():
            made = admin(data_dir, "booth", "add", BOOTH_NAME, "--region", "330110101001",
                         "--region-name", "余杭区 · 石门镇 · 新村村")
            booth_cmd += ["--enroll", made["enrollment_code"]]
        if not relay:
            booth_cmd += ["--ice-address", "127.0.0.1"]
        kiosk = bool(os.environ.get("DISPLAY")) and not (args.headless or args.scripted)
        # the demo booth has no scanner: documents come from the synthetic renderer
        booth_cmd += ["--scanner", "synthetic"]
        if kiosk:
            booth_cmd += ["--windowed"]
            if not sound_card_present():
                booth_cmd += ["--mic", "none", "--speaker", "none"]
                tl.say("demo", "no sound card: the kiosk runs without microphone and speaker")
        else:
            booth_cmd += ["--headless", "--camera", "synthetic", "--size", "960x540",
                          "--service", SERVICE, "--auto-rate", "5"]
            if args.scripted:
                booth_cmd += ["--max-calls", "1"]
        booth = spawn("booth", booth_cmd)

        query = "?relay=1" if relay else ""
        tl.say("demo", "-" * 60)
        tl.say("demo", f"agent console: {base}/seat/{query}")
        tl.say("demo", f"login: demo   password: {password}")
        tl.say("demo", "go available (空闲可接) and the demo booth's call rings")
        tl.say("demo", f"admin console: {base}/admin/   login: admin   password: "
                       f"{admin_password}")
        tl.say("demo", "-" * 60)

        if not args.scripted:
            while not stop.is_set() and booth.poll() is None:
                time.sleep(0.2)
            return 0

        bot_password = ensure_agent(data_dir, "demo-bot", "自动坐席")
        spawn("agent", [str(BIN / "xiaowu-seat"), "--server", base, "--username", "demo-bot",
                        "--password", bot_password, "--headless", "--auto-accept",
                        "--hangup-after", str(args.hangup_after), *relay,
                        *([] if relay else ["--ice-address", "127.0.0.1"]),
                        "--outcome", "consultation", "--notes", "演示通话：已答复公积金提取条件。"])
        deadline = time.monotonic() + args.timeout
        while booth.poll() is None and time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.2)
        rated = tl.seen("booth", event="state", screen="thanks")
        frames = [ev for who, ev in tl.events if ev.get("event") == "frames"]
        settle = time.monotonic() + 5  # the agent's record may land just after the booth ends
        while tl.seen("agent", event="call.recorded") is None and time.monotonic() < settle:
            time.sleep(0.1)
        recorded = tl.seen("agent", event="call.recorded")
        ok = (rated is not None and recorded is not None and booth.returncode == 0
              and len(frames) > 0)
        verdict = admin(data_dir, "audit", "verify")
        tl.say("demo", f"scripted call {'completed' if ok else 'FAILED'}; "
                       f"audit chain intact: {verdict['ok']} ({verdict['rows']} rows)")
        return 0 if ok and verdict["ok"] else 1
    finally:
        for _who, proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _who, proc in reversed(procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if turn is not None:
            turn.stop()


if __name__ == "__main__":
    raise SystemExit(main())
