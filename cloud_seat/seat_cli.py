"""``xiaowu-seat``: an agent seat from the command line.

Headless (``--headless``) it runs :class:`~cloud_seat.agent.HeadlessAgent` and
prints one JSON object per line on stdout for every event (``login``,
``welcome``, ``agent.state``, ``ticket.offer``, ``call.start``, ``pc.state``,
``frames``, ``call.ended``, ...): an unattended agent for the demo, end-to-end
tests and load benchmarks. People use the browser console at ``{server}/seat/``.

Exit codes: 0 stopped (SIGTERM, SIGINT or ``--duration``), 2 usage error or
refused credentials (the reason on stderr).

The password may come from ``XIAOWU_SEAT_PASSWORD`` instead of ``--password``,
which keeps it out of the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

from cloud_seat.agent import AuthError, HeadlessAgent, ws_url

__all__ = ["main", "build_parser"]

PASSWORD_ENV = "XIAOWU_SEAT_PASSWORD"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="xiaowu-seat", description="Xiaowu agent seat (云坐席)")
    ap.add_argument("--server", required=True, help="the hub's base URL, http://… or https://…")
    ap.add_argument("--username", required=True, help="the agent's user name")
    ap.add_argument("--password", default=None,
                    help=f"the agent's password (or set {PASSWORD_ENV})")
    ap.add_argument("--headless", action="store_true",
                    help="run without a browser; JSON lines on stdout")
    ap.add_argument("--auto-accept", action="store_true", help="accept every ticket offered")
    ap.add_argument("--hangup-after", type=float, default=None, metavar="S",
                    help="end each call S seconds after it starts (reason 'completed')")
    ap.add_argument("--relay-only", action="store_true",
                    help="media only through the call's TURN servers (iceTransportPolicy relay)")
    ap.add_argument("--ice-address", action="append", default=[], metavar="ADDR",
                    help="gather host candidates only on these local addresses (repeatable)")
    ap.add_argument("--duration", type=float, default=None, metavar="S",
                    help="stop after S seconds")
    ap.add_argument("--fps", type=float, default=10.0, help="synthetic camera frame rate")
    ap.add_argument("--size", default="640x360", help="synthetic camera size WxH")
    ap.add_argument("--log-level", default="WARNING", help="stderr log level")
    return ap


def _fail(message: str) -> int:
    print(f"xiaowu-seat: {message}", file=sys.stderr)
    return 2


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise ValueError(f"--size must look like 640x360, not {text!r}")
    return int(width), int(height)


def _print_event(event: dict[str, Any]) -> None:
    print(json.dumps(event, ensure_ascii=False, separators=(",", ":")), flush=True)


async def _run(agent: HeadlessAgent, duration: float | None) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, agent.stop)
    timer = loop.call_later(duration, agent.stop) if duration is not None else None
    try:
        await agent.run()
    except AuthError as exc:
        return _fail(str(exc))
    finally:
        if timer is not None:
            timer.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.headless:
        return _fail(f"the agent console is a web page: open {args.server.rstrip('/')}/seat/ "
                     "in a browser (use --headless for an unattended seat)")
    password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV)
    if not password:
        return _fail(f"--password (or {PASSWORD_ENV}) is required")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        ws_url(args.server)
        size = _size(args.size)
        if args.ice_address:
            from cloud_seat.ice import restrict_host_addresses

            restrict_host_addresses(list(args.ice_address))
        agent = HeadlessAgent(args.server, args.username, password,
                              auto_accept=args.auto_accept, hangup_after_s=args.hangup_after,
                              relay_only=args.relay_only, video_fps=args.fps, video_size=size,
                              on_event=_print_event)
    except ValueError as exc:
        return _fail(str(exc))
    return asyncio.run(_run(agent, args.duration))


if __name__ == "__main__":
    raise SystemExit(main())
