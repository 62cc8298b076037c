"""``xiaowu-booth``: the booth program (kiosk window, or headless).

First run: ``xiaowu-booth --server URL --config-dir DIR --enroll CODE`` trades
the one-time code for the device token and stores it (0600). Later runs use it.

Headless (``--headless``) runs the same engine without Qt and prints one JSON
line per state change or notable event; with ``--service`` it takes a ticket
by itself, and with ``--auto-rate LEVEL`` it rates every call — an unattended
resident, for the demo, tests and benchmarks. ``SIGUSR1`` drops the media path
and ``SIGUSR2`` the hub connection (recovery drills). The headless resident
also presses "ready" as soon as the agent asks for a document; the face check
runs on its own timers. With ``--auto-consent screen`` (or ``screen,control``)
it grants those remote-assist scopes when the agent asks; the state lines carry
a ``remote`` summary (consent, the form's phase and errors, guidance, drawings).

Documents are captured with ``--scanner DRIVER[:DEVICE]`` (``sane:test``,
``uvc:0``, ``folder:/dir``, ``synthetic``; headless default ``synthetic``,
which renders whatever kind the agent asks for; the kiosk has no default:
``none`` or no flag means "no scanner" and a request fails with ``no_device``).
``--scanner-option KEY=VALUE`` passes a backend option (SANE: ``--KEY=VALUE``).

Subcommands for setting up the scanner (see :mod:`booth_client.scan_cli`):
``xiaowu-booth scanners [--json]`` and ``xiaowu-booth scan --driver SPEC --out FILE``.

Audio (:mod:`booth_client.audio`): ``--mic DEVICE|file:PATH|tone[:HZ]|none`` and
``--speaker DEVICE|none``, where DEVICE is an ALSA PCM name. The kiosk defaults
to ALSA ``default`` for both; headless defaults to ``none`` (silence is sent,
the agent's audio is only counted). ``xiaowu-booth audio-devices [--json]``
lists the ALSA PCMs (needs alsa-utils).

Exit codes: 0 stopped, 2 usage / enrollment error, 3 the booth is disabled;
``scan``: 1 when the scanner fails; ``audio-devices``: 1 without alsa-utils.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booth_client import __version__
from booth_client.assist import DocPhase
from booth_client.config import (
    BoothConfig,
    ConfigError,
    EnrollError,
    device_info,
    enroll,
    load_config,
    save_config,
    ws_url,
)
from booth_client.remote import RemoteView
from booth_client.session import BoothSession, BoothView, Screen, SessionConfig

if TYPE_CHECKING:
    from booth_client.audio import AudioStatusCallback, BoothAudio
    from booth_client.capture import DocumentScanner

__all__ = ["main", "build_parser"]

log = logging.getLogger("booth_client")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="xiaowu-booth", description="Xiaowu service booth",
        epilog="commands: run (default) the booth; scanners: list scanners and their "
               "health; scan: capture one page to a file; audio-devices: list the ALSA "
               "microphones and speakers")
    ap.add_argument("command", nargs="?", choices=("run", "scanners", "scan", "audio-devices"),
                    default="run", help=argparse.SUPPRESS)
    ap.add_argument("--server", help="the hub's base URL, http://… or https://…")
    ap.add_argument("--config-dir", type=Path, default=Path("booth-config"),
                    help="where the device token is kept (default ./booth-config)")
    ap.add_argument("--enroll", metavar="CODE", help="one-time enrollment code")
    ap.add_argument("--headless", action="store_true", help="no window; JSON lines on stdout")
    ap.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    ap.add_argument("--camera", default="synthetic",
                    help="synthetic | file:PATH | device:N | device:/dev/videoN")
    ap.add_argument("--size", default="1280x720", help="camera size WxH (default 1280x720)")
    ap.add_argument("--fps", type=float, default=25.0, help="camera frame rate (default 25)")
    ap.add_argument("--mic", default=None, metavar="DEVICE|file:PATH|tone[:HZ]|none",
                    help="microphone: an ALSA device (see audio-devices), a sound file "
                         "(looped), a test tone or none (kiosk default: ALSA 'default'; "
                         "headless: none)")
    ap.add_argument("--speaker", default=None, metavar="DEVICE|none",
                    help="speaker: an ALSA device or none (kiosk default: ALSA 'default'; "
                         "headless: none)")
    ap.add_argument("--scanner", default=None,
                    help="DRIVER[:DEVICE] for documents: sane[:DEVICE], uvc:N, folder:DIR, "
                         "synthetic, none (headless default: synthetic)")
    ap.add_argument("--scanner-option", action="append", default=[], metavar="KEY=VALUE",
                    help="a scanner backend option, e.g. test-picture=Grid (repeatable)")
    ap.add_argument("--scan-timeout", type=float, default=60.0, metavar="S",
                    help="give up on a scan after S seconds (default 60)")
    ap.add_argument("--service", help="headless: take a ticket for this service id")
    ap.add_argument("--priority", action="store_true",
                    help="headless: take priority tickets (优先办理)")
    ap.add_argument("--auto-rate", type=int, choices=range(1, 6), metavar="LEVEL",
                    help="headless: rate every call with LEVEL (5 非常满意 … 1 非常不满意)")
    ap.add_argument("--auto-consent", default="", metavar="SCOPES",
                    help="headless: grant these remote-assist scopes when asked "
                         "(screen, control; comma separated)")
    ap.add_argument("--max-calls", type=int, default=0,
                    help="headless: exit after this many finished calls (0 = never)")
    ap.add_argument("--lang", choices=("zh", "en"), default="zh", help="kiosk language")
    ap.add_argument("--ice-address", action="append", default=[], metavar="ADDR",
                    help="gather host candidates only on these local addresses")
    ap.add_argument("--relay-only", action="store_true", help="media only through TURN")
    ap.add_argument("--log-level", default="WARNING")
    scan = ap.add_argument_group("scanners / scan")
    scan.add_argument("--json", action="store_true", help="print one JSON object")
    scan.add_argument("--driver", help="scan: DRIVER[:DEVICE] (default: --scanner)")
    scan.add_argument("--out", help="scan: the image file to write (.png, .jpg, .tif)")
    scan.add_argument("--resolution", type=int, default=300, help="scan: dpi (default 300)")
    scan.add_argument("--mode", choices=("color", "gray", "lineart"), default="color")
    scan.add_argument("--source", choices=("flatbed", "feeder"), default="flatbed")
    return ap


def make_scanner(args: argparse.Namespace, default: str | None) -> DocumentScanner | None:
    """The booth's document scanner from ``--scanner`` (None: no scanner). ValueError if bad."""
    from booth_client.capture import DocumentScanner
    from booth_client.scan_cli import backend_options

    spec = args.scanner or default
    if spec is None or spec == "none":
        return None
    return DocumentScanner(spec, backend_options=backend_options(args.scanner_option),
                           timeout_s=args.scan_timeout)


def make_audio(args: argparse.Namespace, on_status: AudioStatusCallback | None = None
               ) -> BoothAudio:
    """The booth's microphone and speaker from ``--mic`` / ``--speaker`` (ValueError if bad).

    Unset, they are ALSA ``default`` for the kiosk and ``none`` headless.
    """
    from booth_client.audio import BoothAudio

    default = "none" if args.headless else "default"
    return BoothAudio.from_specs(args.mic or default, args.speaker or default,
                                 on_status=on_status)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError as exc:
        raise SystemExit(f"xiaowu-booth: --size must look like 1280x720, not {text!r}") from exc


async def _enroll_or_load(args: argparse.Namespace) -> BoothConfig | None:
    try:
        cfg = load_config(args.config_dir)
    except ConfigError as exc:
        print(f"xiaowu-booth: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    if args.enroll:
        if not args.server:
            print("xiaowu-booth: --enroll needs --server", file=sys.stderr)
            raise SystemExit(2)
        try:
            cfg = await enroll(args.server, args.enroll, device_info(__version__))
        except EnrollError as exc:
            print(f"xiaowu-booth: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
        path = save_config(args.config_dir, cfg)
        print(json.dumps({"event": "enrolled", "booth_id": cfg.booth_id, "config": str(path)},
                         ensure_ascii=False), flush=True)
    if cfg is not None and args.server and args.server.rstrip("/") != cfg.server.rstrip("/"):
        cfg = BoothConfig(args.server, cfg.booth_id, cfg.token, cfg.name, cfg.region_name)
    return cfg


def _view_json(view: BoothView) -> dict[str, Any]:
    out: dict[str, Any] = {"event": "state", "screen": view.screen.value,
                           "link": view.link.value, "media": view.media.value}
    if view.ticket is not None:
        out["ticket"] = {"id": view.ticket.ticket_id, "number": view.ticket.number,
                         "state": view.ticket.state, "position": view.ticket.position,
                         "eta_s": view.ticket.eta_s, "priority": view.ticket.priority}
    if view.call is not None:
        out["call"] = {"id": view.call.call_id, "gen": view.call.gen,
                       "peer": view.call.peer_name, "peer_away": view.call.peer_away}
    if view.notice:
        out["notice"] = view.notice
    if view.camera != "unknown":
        out["camera"] = view.camera
    if view.overlay is not None:
        out["overlay"] = view.overlay
    if view.document is not None:
        d = view.document
        out["document"] = {"request_id": d.request_id, "kind": d.kind, "phase": d.phase.value,
                           "attempt": d.attempt, "code": d.code, "message": d.message,
                           "rescan": d.rescan}
    if view.face is not None:
        f = view.face
        out["face"] = {"check_id": f.check_id, "phase": f.phase.value, "step": f.step,
                       "index": f.index, "steps": list(f.steps), "hint": f.hint,
                       "message": f.message}
    if view.remote is not None:
        out["remote"] = _remote_json(view.remote)
    return out


def _remote_json(r: RemoteView) -> dict[str, Any]:
    """What a test needs of remote assist (the pointer has its own ``assist.pointer`` lines)."""
    out: dict[str, Any] = {"screen": r.screen.value, "control": r.control.value,
                           "asking": r.asking.value if r.asking else None, "front": r.front,
                           "shapes": {k: len(v.shapes) for k, v in r.board.surfaces.items()}}
    if r.form is not None:
        out["form"] = {"form_id": r.form.form_id, "phase": r.form.phase.value,
                       "errors": {f.field.id: f.error for f in r.form.fields if f.error},
                       "failure": r.form.failure, "sha256": r.form.sha256,
                       "waiting": r.form.waiting}
    if r.guide is not None:
        out["guide"] = {"kind": r.guide.kind, "title": r.guide.title}
    if r.document_id is not None:
        out["document_id"] = r.document_id
    return out


class HeadlessResident:
    """Stands in for the resident: picks the service, waits, rates, goes again."""

    def __init__(self, runner: Any, service: str | None, rate: int | None, max_calls: int,
                 consent: frozenset[str] = frozenset(), priority: bool = False) -> None:
        self.runner = runner
        self.service = service
        self.priority = priority
        self.rate = rate
        self.max_calls = max_calls
        self.consent = consent
        self.calls_done = 0
        self._busy = False
        self._last = ""

    def on_view(self, view: BoothView) -> None:
        line = json.dumps(_view_json(view), ensure_ascii=False)
        if line != self._last:  # a pointer move changes the view, not this summary
            self._last = line
            print(json.dumps({"t": round(self.runner.clock(), 3), **_view_json(view)},
                             ensure_ascii=False), flush=True)
        loop = asyncio.get_running_loop()
        loop.call_soon(self._react, view)

    def _react(self, view: BoothView) -> None:
        if view.screen is Screen.WELCOME and self.service and view.departments:
            if self.max_calls and self.calls_done >= self.max_calls:
                self.runner.stop()
                return
            self.runner.act("start")
            self.runner.act("service", self.service)
            self.runner.act("take_priority_ticket" if self.priority else "take_ticket")
        elif (view.screen is Screen.IN_CALL and view.document is not None
              and view.document.phase is DocPhase.READY):
            self.runner.act("document_ready")  # the document is on the plate already
        elif (view.screen is Screen.IN_CALL and view.remote is not None
              and view.remote.asking is not None):
            scope = view.remote.asking.value
            self.runner.act("remote", "consent", scope, scope in self.consent)
        elif view.screen is Screen.RATING and self.rate and not view.busy:
            self.runner.act("rate", self.rate, ())
        elif view.screen is Screen.THANKS:
            self.calls_done += 1
            self.runner.act("done")
        elif view.screen is Screen.DISABLED:
            self.runner.stop()


async def _run(args: argparse.Namespace) -> int:
    from booth_client.camera import open_camera
    from booth_client.media import BoothMedia
    from booth_client.runner import BoothRunner
    from booth_client.video_track import CameraTrack

    cfg = await _enroll_or_load(args)
    if cfg is None:
        print("xiaowu-booth: this booth is not enrolled yet: run once with --server URL "
              "--enroll CODE (the administrator gives you the code)", file=sys.stderr)
        return 2
    if args.ice_address:
        from booth_client.ice import restrict_host_addresses

        restrict_host_addresses(list(args.ice_address))
    width, height = _size(args.size)
    holder: dict[str, BoothRunner] = {}
    try:
        source = open_camera(args.camera, width, height, args.fps)
        scanner = make_scanner(args, "synthetic")
        audio = make_audio(args, lambda device, st: holder["r"].audio_status(device, st))
    except ValueError as exc:
        print(f"xiaowu-booth: {exc}", file=sys.stderr)
        return 2
    engine = BoothSession(has_token=True, token=cfg.token, client=f"xiaowu-booth/{__version__}",
                          config=SessionConfig(), jitter=random.random, version=__version__)
    track = CameraTrack(source, on_status=lambda st, _d=None: holder["r"].camera_status(st))
    media = BoothMedia(track, audio.track,
                       on_state=lambda c, g, st: holder["r"].media_state(c, g, st),
                       on_remote_audio=audio.play, relay_only=args.relay_only)
    resident: HeadlessResident | None = None

    def emit(ev: dict[str, Any]) -> None:
        print(json.dumps(ev, ensure_ascii=False), flush=True)

    runner = BoothRunner(cfg.server, ws_url(cfg.server), engine, media,
                         on_event=emit if args.headless else None, scanner=scanner)
    holder["r"] = runner
    consent = frozenset(x.strip() for x in args.auto_consent.split(",") if x.strip())
    if not consent <= {"screen", "control"}:
        print("xiaowu-booth: --auto-consent takes screen and/or control", file=sys.stderr)
        return 2
    resident = HeadlessResident(runner, args.service, args.auto_rate, args.max_calls, consent,
                                args.priority)
    runner._on_view = resident.on_view  # the headless resident reads every view
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.stop)
    loop.add_signal_handler(signal.SIGUSR1, lambda: asyncio.ensure_future(runner.drop_media()))
    loop.add_signal_handler(signal.SIGUSR2, lambda: asyncio.ensure_future(runner.drop_link()))
    audio.start()
    try:
        await runner.run()
    finally:
        audio.stop()
        with contextlib.suppress(Exception):
            track.stop()
            await asyncio.wait_for(track.wait_closed(), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(audio.wait_closed(), 5)
    return 3 if runner.disabled_reason else 0


def main(argv: list[str] | None = None) -> int:
    # Options may come before or after the command (DESIGN.md §4, command-line contract).
    args = build_parser().parse_intermixed_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "audio-devices":
        from booth_client.audio_devices import audio_devices_command

        return audio_devices_command(args)
    if args.command in ("scanners", "scan"):
        from booth_client import scan_cli

        if args.command == "scanners":
            return scan_cli.scanners_command(args)
        return scan_cli.scan_command(args)
    if not args.headless:
        from booth_client.ui.app import run_kiosk

        return run_kiosk(args)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    raise SystemExit(main())
