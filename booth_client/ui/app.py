"""``xiaowu-booth`` with a window: the kiosk on a Qt event loop.

:func:`run_kiosk` builds what ``cli._run`` builds for ``--headless`` (config,
camera track, peer connection, runner) on a ``qasync`` loop, so the asyncio
runner and the Qt widgets share one thread: the runner's ``on_view`` draws
straight into :class:`~booth_client.ui.window.KioskWindow` and the buttons call
:meth:`~booth_client.runner.BoothRunner.act` directly.

Unlike headless mode an unenrolled booth does not exit: it shows "本终端尚未登记，
请联系管理员" until someone closes the window. A disabled booth likewise stays
on its screen. Exit codes as for ``cli``: 0 stopped, 2 usage / camera /
enrollment error, 3 the booth was disabled.

Remote assist: the window is the screen the agent sees (grabbed a few times a
second while shared, :mod:`booth_client.ui.screen_grab`), remote taps press it
(:meth:`KioskWindow.inject_tap`), and documents the booth uploaded are drawn on
from its own copies.

Test and demo hook: with ``XIAOWU_KIOSK_SCRIPT=path.json`` the kiosk plays a
scripted resident (:mod:`booth_client.ui.kiosk_script`) and, like headless mode,
prints JSON lines on stdout: the runner's events, a ``state`` line per change of
what is shown, and ``assist.pointer.drawn`` each time the agent's pointer has
been painted. ``XIAOWU_KIOSK_EVENTS=1`` prints the lines without a script.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from booth_client.ui.refguard import keep_protected, protect
from booth_client.ui.theme import apply_theme
from booth_client.ui.window import KioskWindow

__all__ = ["run_kiosk"]

log = logging.getLogger(__name__)

_NO_SERVER = "http://127.0.0.1:8080"  # an unenrolled booth never connects anywhere


def run_kiosk(args: argparse.Namespace) -> int:
    """Run the kiosk until the window is closed or SIGINT / SIGTERM arrives."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    guard = keep_protected(app)  # PySide6 6.12 on CPython 3.11 drops refs of None: refguard
    app.setApplicationName("xiaowu-booth")
    app.setQuitOnLastWindowClosed(False)  # the runner stops first, then the loop ends
    family = apply_theme(app)
    if family is None:
        log.warning("no CJK font found: Chinese may not render (install fonts-noto-cjk)")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            code: int = loop.run_until_complete(_kiosk(args))
            _finish_leftovers(loop)
            return code
    except SystemExit as exc:  # cli's config / enrollment errors
        return exc.code if isinstance(exc.code, int) else 2
    finally:
        asyncio.set_event_loop(None)
        if guard is not None:
            guard.stop()
            protect()  # for what runs until the interpreter is gone


def _finish_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await what still runs once the kiosk has stopped (a websocket keepalive
    after a close the hub never answered, a camera relay's reader), as ``asyncio.run``
    would: tasks left pending when the loop closes are destroyed during interpreter
    shutdown, which has crashed the process in PySide6 (``none_dealloc``)."""
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


async def _kiosk(args: argparse.Namespace) -> int:
    from booth_client import __version__
    from booth_client.camera import open_camera
    from booth_client.cli import _enroll_or_load, _size, _view_json, make_audio, make_scanner
    from booth_client.config import ws_url
    from booth_client.media import BoothMedia
    from booth_client.runner import BoothRunner
    from booth_client.screen_track import ScreenSource
    from booth_client.session import BoothSession, BoothView, SessionConfig
    from booth_client.ui.screen_grab import grab_window
    from booth_client.ui.selfview import TeeSource
    from booth_client.video_track import CameraTrack

    cfg = await _enroll_or_load(args)
    width, height = _size(args.size)
    if args.ice_address:
        from booth_client.ice import restrict_host_addresses

        restrict_host_addresses(list(args.ice_address))
    holder: dict[str, BoothRunner] = {}
    try:
        source = open_camera(args.camera, width, height, args.fps)
        scanner = make_scanner(args, None)  # a real kiosk names its scanner; no fake default
        audio = make_audio(args, lambda device, st: holder["r"].audio_status(device, st))
    except ValueError as exc:
        print(f"xiaowu-booth: {exc}", file=sys.stderr)
        return 2

    loop = asyncio.get_running_loop()

    def act(intent: str, *a: Any) -> None:
        runner = holder.get("r")
        if runner is not None:
            runner.act(intent, *a)

    window = KioskWindow(act, lang=args.lang)
    emit = _event_printer()
    screen = ScreenSource(lambda: grab_window(window))
    # The self view sees what the track reads. TeeSource forwards every other
    # attribute to the real source, whatever its declared type, hence Any.
    tee: Any = TeeSource(source, window.self_video.push)
    # The track may report status from its reader thread: hop to the loop first.
    track = CameraTrack(
        tee,
        on_status=lambda st, _d=None: loop.call_soon_threadsafe(
            lambda: holder["r"].camera_status(st)))
    media = BoothMedia(track, audio.track,
                       on_state=lambda c, g, st: holder["r"].media_state(c, g, st),
                       on_remote_video=window.remote_video.push, on_remote_audio=audio.play,
                       relay_only=args.relay_only, screen=screen)
    engine = BoothSession(has_token=cfg is not None, token=cfg.token if cfg else "",
                          client=f"xiaowu-booth/{__version__}", config=SessionConfig(),
                          jitter=random.random, version=__version__)
    server = cfg.server if cfg is not None else (args.server or _NO_SERVER)
    last_state: list[str] = [""]

    def on_view(view: BoothView) -> None:
        window.render(view)
        if emit is not None:
            line = json.dumps(_view_json(view), ensure_ascii=False)
            if line != last_state[0]:
                last_state[0] = line
                emit(_view_json(view))

    runner = BoothRunner(server, ws_url(server), engine, media, on_view=on_view,
                         on_event=emit, on_reset=window.reset_resident, scanner=scanner)
    holder["r"] = runner
    runner.on_tap = window.inject_tap
    window.set_images(runner.document_image)
    if emit is not None:
        window.set_remote_events(emit)
    script = _script(window, runner, emit)
    closing: list[asyncio.Task[None]] = []

    def stop() -> None:
        # BoothRunner.run() cancels its reader without closing the WebSocket, so
        # the hub would only notice the booth leaving at its next timeout; say
        # goodbye properly first (the close handshake is awaited below).
        ws = runner.ws
        if ws is not None and not closing:
            closing.append(loop.create_task(ws.close(), name="booth-ws-close"))
        runner.stop()

    window.closed.connect(stop)
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(stop)
    keepalive = _stop_on_signals(loop, stop)
    if args.windowed:
        window.resize(1600, 960)
        window.show()
    else:
        window.showFullScreen()
    if script is not None:
        script.start()
    audio.start()
    try:
        await runner.run()
    finally:
        if script is not None:
            await script.stop()
        keepalive.stop()
        for task in closing:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 3.0)
        with contextlib.suppress(Exception):
            track.stop()
        audio.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(audio.wait_closed(), 3.0)
        window.closed.disconnect(stop)
        if app is not None:
            app.aboutToQuit.disconnect(stop)
        window.close()
    return 3 if runner.disabled_reason else 0


def _event_printer() -> Callable[[dict[str, Any]], None] | None:
    """JSON lines on stdout, only for the test and demo hook (module docstring)."""
    from booth_client.ui.kiosk_script import SCRIPT_ENV

    if not (os.environ.get(SCRIPT_ENV) or os.environ.get("XIAOWU_KIOSK_EVENTS") == "1"):
        return None

    def emit(ev: dict[str, Any]) -> None:
        print(json.dumps({"t": round(time.time(), 3), **ev}, ensure_ascii=False), flush=True)

    return emit


def _script(window: KioskWindow, runner: Any, emit: Callable[[dict[str, Any]], None] | None
            ) -> Any:
    """The scripted resident of ``XIAOWU_KIOSK_SCRIPT`` (a test and demo hook), if set."""
    from booth_client.ui.kiosk_script import SCRIPT_ENV, KioskScript, load_script

    path = os.environ.get(SCRIPT_ENV)
    if not path or emit is None:
        return None
    log.warning("kiosk: playing the scripted resident of %s (test/demo hook)", path)
    return KioskScript(window, runner.view, load_script(path), emit)


def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Any) -> QTimer:
    """SIGINT / SIGTERM stop the runner.

    Python runs signal handlers only between bytecodes, and a Qt loop waiting in
    C++ runs none; a short timer lets the interpreter look now and then.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError, ValueError):
            signal.signal(sig, lambda _n, _f: loop.call_soon_threadsafe(stop))
    timer = QTimer()
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer
