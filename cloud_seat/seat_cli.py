"""``xiaowu-seat``: an agent seat from the command line.

Headless (``--headless``) it runs :class:`~cloud_seat.agent.HeadlessAgent` and
prints one JSON object per line on stdout for every event (``login``,
``welcome``, ``agent.state``, ``ticket.offer``, ``call.start``, ``pc.state``,
``frames``, ``call.ended``, ...): an unattended agent for the demo, end-to-end
tests and load benchmarks. People use the browser console at ``{server}/seat/``.

Documents and face checks can be scripted: ``--request-document KIND`` asks the
booth for a document once the call's media connects; every document that
arrives is downloaded with the session token and checked against its SHA-256
(``document.downloaded``; ``--save-dir`` keeps the files, 0600);
``--review accepted|rescan`` answers it (``rescan`` sends each request back
once and accepts the re-scan); ``--face-check`` starts a face check on the
first ``id_front`` document kept and ``--face-decision`` decides it when the
result comes.

Remote assist can be scripted too (:mod:`cloud_seat.seat_assist`), once the
call's media connects: ``--assist-consent screen|control`` asks the resident
(``control`` asks for the screen first) and waits for the grant;
``--pointer-probe [N]`` sends N pointer moves and logs when each went out
(``assist.pointer.sent``, for latency against the booth's log); ``--push-form
TEMPLATE.json`` pushes a form (the console's templates are in
``cloud_seat/console/forms/``), logs the resident's progress and checks the
signed form's hashes (``assist.form.verified``); ``--guide TEXT`` shows a text
on the booth; ``--control-tap X,Y`` taps once remote control is granted.

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
from typing import Any, get_args

from cloud_seat.agent import OUTCOMES, AuthError, HeadlessAgent, ws_url
from cloud_seat.seat_desk import DEFAULT_RESCAN_REASON
from signaling.protocol import DocumentKind

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
    docs = ap.add_argument_group("documents and face checks")
    docs.add_argument("--request-document", default=None, metavar="KIND",
                      choices=get_args(DocumentKind),
                      help="once each call's media connects, ask the booth for a document: "
                           + ", ".join(get_args(DocumentKind)))
    docs.add_argument("--document-instruction", default=None, metavar="TEXT",
                      help="text shown to the resident (default: the hub's text for the kind)")
    docs.add_argument("--review", default=None, choices=("accepted", "rescan"),
                      help="review every document received; rescan sends each request back "
                           "once, then accepts the new scan")
    docs.add_argument("--rescan-reason", default=DEFAULT_RESCAN_REASON, metavar="TEXT",
                      help="the reason shown to the resident with --review rescan")
    docs.add_argument("--face-check", action="store_true",
                      help="start a face check on the first ID card front (id_front) kept")
    docs.add_argument("--face-decision", default=None, choices=("confirmed", "rejected"),
                      help="decide each face check when its result comes (needs --face-check)")
    docs.add_argument("--save-dir", default=None, metavar="DIR",
                      help="write downloaded documents here (files 0600: personal data)")
    assist = ap.add_argument_group("remote assist")
    assist.add_argument("--assist-consent", default=None, choices=("screen", "control"),
                        help="ask the resident to share the screen (control: then also to "
                             "let the seat tap) and wait for the grant")
    assist.add_argument("--pointer-probe", default=0, nargs="?", const=5, type=int,
                        metavar="N", help="send N pointer moves (default 5), each logged with "
                                          "its send time")
    assist.add_argument("--push-form", default=None, metavar="TEMPLATE.json",
                        help="push this form template to the booth and follow it")
    assist.add_argument("--guide", default=None, metavar="TEXT",
                        help="show this text on the booth (assist.guide)")
    assist.add_argument("--control-tap", default=None, metavar="X,Y", type=_point,
                        help="tap the kiosk at X,Y (0..1) once control is granted "
                             "(needs --assist-consent control)")
    record = ap.add_argument_group("call records")
    record.add_argument("--outcome", default=None, choices=OUTCOMES,
                        help="record this outcome for every call when it ends")
    record.add_argument("--notes", default="", metavar="TEXT",
                        help="and this note (needs --outcome)")
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


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y such as 0.5,0.8, not {text!r}") from None
    return x, y


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
    if args.face_decision and not args.face_check:
        return _fail("--face-decision needs --face-check")
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
                              on_event=_print_event, request_document=args.request_document,
                              document_instruction=args.document_instruction,
                              review=args.review, rescan_reason=args.rescan_reason,
                              face_check=args.face_check, face_decision=args.face_decision,
                              save_dir=args.save_dir, assist_consent=args.assist_consent,
                              pointer_probe=args.pointer_probe, push_form=args.push_form,
                              guide=args.guide, control_tap=args.control_tap,
                              record_outcome=args.outcome, record_notes=args.notes)
    except ValueError as exc:
        return _fail(str(exc))
    return asyncio.run(_run(agent, args.duration))


if __name__ == "__main__":
    raise SystemExit(main())
