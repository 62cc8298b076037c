"""The asyncio adapter around :class:`~booth_client.session.BoothSession`.

It carries out the engine's effects and feeds it what happens: the WebSocket
(``websockets`` client, reconnect with backoff and ``resume``), the catalog
over HTTP, the peer connection (:class:`~booth_client.media.BoothMedia`) and
the timers. It holds no booth logic of its own: the kiosk UI and the headless
driver both call :meth:`BoothRunner.act` with the engine's ``user_*`` intents
and draw :meth:`BoothSession.view`.

Effects run in order on two queues: media effects (which may take a while to
gather candidates) on one, everything else on the other. Document and
face-check effects go at once to :class:`~booth_client.assist_jobs.AssistJobs`
(a cancellation must not wait behind a slow send); it scans, uploads and
takes face frames in tasks of its own. Remote-assist effects go at once to
:class:`~booth_client.remote_jobs.RemoteJobs` likewise (screen share on/off,
remote taps, signed form submissions).

Events (``on_event``; headless mode prints them as JSON lines) include the
hub's ``document.requested``, ``document.reviewed``, ``face.check.started``
and ``face.check.status`` as received (``event`` is the type, the rest its
data), ``document.status.sent`` and ``face.check.submit.sent`` as sent, and
``scanner`` (the scanner's health at start), besides the jobs' own events.

Remote assist: every ``assist.*`` frame of the hub as received (``assist.pointer``,
``assist.annotate``, ``assist.board``, ``assist.form``, ``assist.guide``,
``assist.control``, ``assist.consent``, ``assist.consent.requested``), what the
booth sends as ``assist.consent.sent``, ``assist.form.progress.sent`` and
``assist.board.get.sent``, and once a second while the screen is shared
``screen.frames {call_id, sent, size}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import websockets
from websockets.asyncio.client import ClientConnection

from booth_client import session as s
from booth_client.assist_jobs import AssistJobs
from booth_client.capture import DocumentScanner, scanner_health
from booth_client.effects import AssistEffect, RemoteEffect
from booth_client.facecapture import FrameGrabber, TrackGrabber
from booth_client.media import BoothMedia
from booth_client.remote_jobs import RemoteJobs, TapHandler
from booth_client.uploads import Uploader
from signaling import protocol as p

__all__ = ["BoothRunner"]

log = logging.getLogger(__name__)

ViewCallback = Callable[[s.BoothView], None]
EventCallback = Callable[[dict[str, Any]], None]

# Frames from the hub that are logged as events (documents, face check).
_LOGGED_IN = frozenset({"document.requested", "document.reviewed", "face.check.started",
                        "face.check.status"})
_LOGGED_OUT = frozenset({"document.status", "face.check.submit", "assist.consent",
                         "assist.form.progress", "assist.board.get"})


class BoothRunner:
    """Run with ``await runner.run()``; stop with :meth:`stop` (from any task)."""

    def __init__(
        self,
        server: str,
        ws_url: str,
        engine: s.BoothSession,
        media: BoothMedia,
        *,
        on_view: ViewCallback | None = None,
        on_event: EventCallback | None = None,
        on_reset: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.time,
        scanner: DocumentScanner | None = None,
        grabber: Callable[[], FrameGrabber] | None = None,
        upload_backoff_s: float = 0.5,
    ) -> None:
        self.server = server.rstrip("/")
        self.ws_url = ws_url
        self.engine = engine
        self.media = media
        self.clock = clock
        self._on_view = on_view
        self._on_event = on_event
        self._on_reset = on_reset
        self.ws: ClientConnection | None = None
        self._main: asyncio.Queue[s.Effect] = asyncio.Queue()
        self._media_q: asyncio.Queue[s.Effect] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._last_view: s.BoothView | None = None
        self.disabled_reason: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):  # devices may report before run() starts
            self._loop = asyncio.get_running_loop()
        self.scanner = scanner
        # Face-check frames: by default a second consumer of the call's camera track.
        self._grabber = grabber or (lambda: TrackGrabber(self.media.video_tap()))
        self._upload_backoff_s = upload_backoff_s
        self.jobs: AssistJobs | None = None
        self.remote_jobs: RemoteJobs | None = None
        self.on_tap: TapHandler | None = None  # the kiosk presses remote taps here

    # ------------------------------------------------------------------ public

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        uploader = Uploader(self._http, self.server, lambda: self.engine.token,
                            backoff_s=self._upload_backoff_s)
        self.remote_jobs = RemoteJobs(self.engine, self._apply, uploader, self.media.screen,
                                      on_event=self._event, clock=self.clock)
        self.remote_jobs.on_tap = self.on_tap
        self.jobs = AssistJobs(self.engine, self._apply, uploader, scanner=self.scanner,
                               grabber=self._grabber, on_event=self._event,
                               on_scanner=self._scanner_status,
                               on_document=self.remote_jobs.keep_document, clock=self.clock)
        workers = [self._spawn(self._worker(self._main), "booth-effects"),
                   self._spawn(self._worker(self._media_q), "booth-media"),
                   self._spawn(self._timers(), "booth-timers"),
                   self._spawn(self._stats(), "booth-stats"),
                   self._spawn(self._scanner_health(), "booth-scanner")]
        self._apply(self.engine.start(self.clock()))
        try:
            await self._stopped.wait()
            log.info("booth: stopping")
        finally:
            ws = self.ws
            if ws is not None:  # say goodbye so the hub releases the session at once
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 3)
            for task in list(self._tasks):
                task.cancel()
            for task in [*workers, *list(self._tasks)]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.jobs.close()  # no capture, upload or face frame outlives the booth
            await self.remote_jobs.close()
            if self.scanner is not None:
                await self.scanner.close()
            if self.ws is not None:
                with contextlib.suppress(Exception):
                    await self.ws.close()
            log.info("booth: closing media")
            await self.media.close()
            await self._http.close()
            log.info("booth: stopped")

    def stop(self) -> None:
        self._stopped.set()

    def act(self, intent: str, *args: Any) -> None:
        """Call the engine's ``user_<intent>`` with ``now`` and carry out its effects."""
        method = getattr(self.engine, "user_" + intent)
        self._apply(method(*args, now=self.clock()))

    def view(self) -> s.BoothView:
        return self.engine.view()

    def document_image(self, document_id: str) -> bytes | None:
        """The booth's own copy of a document it uploaded in this call (encoded bytes)."""
        jobs = self.remote_jobs
        image = jobs.document_image(document_id) if jobs is not None else None
        return image.body if image is not None else None

    async def drop_link(self) -> None:
        """Fault drill: cut the WebSocket's TCP connection without a closing handshake."""
        if self.ws is not None:
            self.ws.transport.abort()

    async def drop_media(self) -> None:
        """Fault drill: kill the current peer connection's media path."""
        await self.media.kill_transport()

    def camera_status(self, status: str, detail: str | None = None) -> None:
        """Called by the camera track (possibly from another thread)."""
        self._device_status_threadsafe(camera=status)

    def audio_status(self, device: str, status: str) -> None:
        """Called by the microphone and speaker workers (``device`` "mic" or "speaker"),
        from their threads. Headless mode prints it as an ``audio`` event."""
        if device not in ("mic", "speaker"):
            raise ValueError(f"not an audio device: {device!r}")
        self._device_status_threadsafe(**{device: status})
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(
                self._event, {"event": "audio", "device": device, "status": status})

    def _device_status_threadsafe(self, **health: str) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(lambda: self._apply(self.engine.device_status(**health)))

    # ------------------------------------------------------------------ effects

    def _apply(self, effects: list[s.Effect]) -> None:
        for eff in effects:
            if isinstance(eff, AssistEffect):
                if self.jobs is not None:
                    self.jobs.handle(eff)
            elif isinstance(eff, RemoteEffect):
                if self.remote_jobs is not None:
                    self.remote_jobs.handle(eff)
            elif isinstance(eff, s.StartMedia | s.ApplyRemote | s.StopMedia):
                self._media_q.put_nowait(eff)
            else:
                self._main.put_nowait(eff)
        self._wake.set()
        view = self.engine.view()
        if view != self._last_view:
            self._last_view = view
            if self._on_view is not None:
                self._on_view(view)

    async def _worker(self, q: asyncio.Queue[s.Effect]) -> None:
        while True:
            eff = await q.get()
            try:
                await self._do(eff)
            except Exception:
                log.exception("booth: effect %s failed", type(eff).__name__)

    async def _do(self, eff: s.Effect) -> None:
        if isinstance(eff, s.Connect):
            self._spawn(self._connect(), "booth-connect")
        elif isinstance(eff, s.Send):
            await self._send(eff)
        elif isinstance(eff, s.ScheduleReconnect):
            self._event({"event": "reconnect_in", "delay_s": round(eff.delay_s, 2)})
            loop = asyncio.get_running_loop()
            loop.call_later(eff.delay_s, lambda: self._apply([s.Connect()]))
        elif isinstance(eff, s.StartMedia):
            sdp = await self.media.start(eff.call_id, eff.gen, eff.ice_servers)
            self._event({"event": "media.offer", "call_id": eff.call_id, "gen": eff.gen})
            self._apply(self.engine.local_offer(eff.call_id, eff.gen, sdp))
        elif isinstance(eff, s.ApplyRemote):
            if eff.description is not None:
                await self.media.apply_answer(eff.call_id, eff.gen, eff.description)
            elif eff.candidate is not None:
                await self.media.add_candidate(eff.call_id, eff.gen, eff.candidate)
        elif isinstance(eff, s.StopMedia):
            await self.media.stop(eff.call_id)
        elif isinstance(eff, s.LoadCatalog):
            await self._load_catalog()
        elif isinstance(eff, s.ResetResident):
            if self.remote_jobs is not None:
                self.remote_jobs.forget_documents()
            if self._on_reset is not None:
                self._on_reset()
        elif isinstance(eff, s.Disabled):
            self.disabled_reason = eff.reason
            self._event({"event": "disabled", "reason": eff.reason})
            if self.ws is not None:
                with contextlib.suppress(Exception):
                    await self.ws.close()

    async def _send(self, eff: s.Send) -> None:
        ws = self.ws
        if ws is None:
            log.debug("booth: not connected; dropping %s", eff.mtype)
            return
        try:
            await ws.send(p.encode(eff.mtype, eff.data, id=eff.id))
        except websockets.ConnectionClosed:
            return  # the reader sees the close and the engine reconnects
        if eff.mtype in _LOGGED_OUT:
            self._event({"event": eff.mtype + ".sent", **eff.data.model_dump(mode="json")})

    async def _load_catalog(self) -> None:
        assert self._http is not None
        try:
            async with self._http.get(self.server + "/api/catalog") as resp:
                resp.raise_for_status()
                body = await resp.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("booth: catalog unavailable: %s", exc)
            return
        self._apply(self.engine.catalog_loaded(body))

    # ------------------------------------------------------------------ websocket

    async def _connect(self) -> None:
        try:
            ws = await websockets.connect(self.ws_url, open_timeout=10, max_size=2**20,
                                          ping_interval=20, ping_timeout=20)
        except (OSError, TimeoutError, websockets.InvalidHandshake,
                websockets.InvalidURI) as exc:
            log.info("booth: cannot connect to %s: %s", self.ws_url, exc)
            self._apply(self.engine.disconnected(self.clock(), None))
            return
        self.ws = ws
        self._event({"event": "connected"})
        self._apply(self.engine.connected(self.clock()))
        code: int | None = None
        try:
            async for raw in ws:
                try:
                    frame = p.parse_frame(raw, p.OUTBOUND)
                except p.ProtocolError as exc:
                    log.warning("booth: unreadable frame from the hub: %s", exc)
                    continue
                if frame.type in _LOGGED_IN or frame.type.startswith("assist."):
                    self._event({"event": frame.type, **frame.data.model_dump(mode="json")})
                self._apply(self.engine.frame(frame, self.clock()))
        except websockets.ConnectionClosed:
            pass
        finally:
            code = ws.close_code
            if self.ws is ws:
                self.ws = None
            self._event({"event": "disconnected", "code": code})
            if not self._stopped.is_set():
                self._apply(self.engine.disconnected(self.clock(), code))

    # ------------------------------------------------------------------ timers

    async def _stats(self) -> None:
        """Once a second during a call: what the booth receives (JSON event; tests read it)."""
        while True:
            await asyncio.sleep(1.0)
            call = self.engine.call
            if call is None:
                continue
            st = self.media.stats.get(call.call_id)
            if st is not None:
                self._event({"event": "frames", "call_id": call.call_id, "gen": call.gen,
                             "received": st.frames_received,
                             "audio_received": st.audio_frames_received,
                             "size": list(st.frame_size) if st.frame_size else None})
            screen = self.media.screen
            if screen.sharing:
                self._event({"event": "screen.frames", "call_id": call.call_id,
                             "sent": screen.frames_sent,
                             "size": list(screen.size) if screen.size else None})

    async def _timers(self) -> None:
        while True:
            deadline = self.engine.next_deadline()
            delay = 1.0 if deadline is None else max(0.0, min(1.0, deadline - self.clock()))
            self._wake.clear()
            try:  # asyncio.timeout, unlike wait_for in 3.11, never swallows a cancellation
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._apply(self.engine.tick(self.clock()))

    async def _scanner_health(self) -> None:
        status = await scanner_health(self.scanner)
        self._event({"event": "scanner", "spec": self.scanner.spec if self.scanner else None,
                     "status": status})
        self._scanner_status(status)

    def _scanner_status(self, status: str) -> None:
        self._apply(self.engine.device_status(scanner=status))

    def media_state(self, call_id: str, gen: int, state: str) -> None:
        """Hook for BoothMedia's connection state changes."""
        self._event({"event": "media.state", "call_id": call_id, "gen": gen, "state": state})
        self._apply(self.engine.peer_state(call_id, gen, state, self.clock()))

    # ------------------------------------------------------------------ misc

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _event(self, ev: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event({"t": round(self.clock(), 3), **ev})
