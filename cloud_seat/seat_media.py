"""The headless agent's media: the answering side of a call's peer connections.

Media rules (DESIGN.md §3): the booth is the offerer and the seat only answers.
aiortc has no ICE restart, so a booth recovers by rebuilding its peer connection
and offering again with a higher ``gen``; the seat then drops its own peer
connection and answers the new offer on a fresh one (:meth:`SeatMedia.answer`).
aiortc puts every candidate in the SDP, so nothing is trickled; incoming
``call.ice`` of the current ``gen`` are still added (browsers trickle).

The booth's video m-lines are its camera, then (remote assist) its kiosk screen:
frames of the second are counted apart (:attr:`CallStats.screen_frames`).

:class:`~cloud_seat.agent.HeadlessAgent` owns the call's lifecycle (``call.start``,
``call.ended``, hang-up) and runs these steps one at a time on its media worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame

from cloud_seat.ice import rtc_configuration
from cloud_seat.seat_desk import SeatLink
from cloud_seat.synthetic import SyntheticVideoTrack
from signaling import protocol as p

__all__ = ["CallStats", "SeatCall", "SeatMedia"]

_RTC_ERRORS = (ValueError, InternalError, InvalidAccessError, InvalidStateError)


@dataclass
class CallStats:
    """What the agent saw of one call; times are Unix seconds.

    ``frames_received`` counts decoded camera frames over all gens,
    ``frames_by_gen`` per peer connection; ``gens`` lists the gens answered;
    ``screen_frames`` counts the frames of the booth's screen share (its second
    video track, docs/protocol.md ``assist.consent``).
    """

    call_id: str
    ticket_id: str
    started_at: float
    peer_name: str = ""
    frames_received: int = 0
    audio_frames_received: int = 0
    first_frame_at: float | None = None
    frame_size: tuple[int, int] | None = None
    gens: list[int] = field(default_factory=list)
    frames_by_gen: dict[int, int] = field(default_factory=dict)
    screen_frames: int = 0
    pc_states: list[tuple[int, str]] = field(default_factory=list)
    ended_at: float | None = None
    end_reason: str | None = None
    ended_by: str | None = None


@dataclass
class SeatCall:
    """The live call's media side; only the agent's media worker touches it."""

    stats: CallStats
    ice_servers: list[p.IceServer]
    pc: RTCPeerConnection | None = None
    gen: int = -1
    answer_sdp: str | None = None
    answer_acked: bool = False
    local_tracks: list[MediaStreamTrack] = field(default_factory=list)
    readers: set[asyncio.Task[None]] = field(default_factory=set)
    hangup: asyncio.TimerHandle | None = None


class SeatMedia:
    """Answers a call's offers with a synthetic camera (``video_size``, ``video_fps``,
    labelled ``label``) and a silent microphone; ``on_connected(call)`` runs each time
    a peer connection of the call connects; ``notify()`` after every frame counted."""

    def __init__(self, link: SeatLink, *, relay_only: bool, video_size: tuple[int, int],
                 video_fps: float, label: str, on_connected: Callable[[SeatCall], None],
                 notify: Callable[[], None]) -> None:
        self.link = link
        self.relay_only = relay_only
        self.video_size = video_size
        self.video_fps = video_fps
        self.label = label
        self.on_connected = on_connected
        self.notify = notify

    async def answer(self, call: SeatCall, gen: int, offer_sdp: str) -> None:
        """Build a fresh peer connection for ``gen`` and send its answer."""
        stats = call.stats
        rebuilt = call.pc is not None
        await self.close(call)
        pc = RTCPeerConnection(rtc_configuration(call.ice_servers, relay_only=self.relay_only))
        call.pc, call.gen, call.answer_sdp, call.answer_acked = pc, gen, None, False
        stats.gens.append(gen)
        self.link.emit({"event": "call.offer", "call_id": stats.call_id, "gen": gen,
                    "rebuilt": rebuilt})

        def state_changed() -> None:
            state = str(pc.connectionState)
            stats.pc_states.append((gen, state))
            self.link.emit({"event": "pc.state", "call_id": stats.call_id, "gen": gen,
                        "state": state})
            if state == "connected":
                self.on_connected(call)

        def track_added(track: MediaStreamTrack) -> None:
            # the booth's second video m-line is its screen share (docs/protocol.md)
            videos = [t.receiver.track for t in pc.getTransceivers() if t.kind == "video"]
            screen = track.kind == "video" and track in videos[1:]
            self.link.emit({"event": "track", "call_id": stats.call_id, "gen": gen,
                        "kind": track.kind, "screen": screen})
            task = asyncio.create_task(self._consume(track, stats, gen, screen), name="seat-rx")
            call.readers.add(task)
            task.add_done_callback(call.readers.discard)

        pc.add_listener("connectionstatechange", state_changed)
        pc.add_listener("track", track_added)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            self._add_local_tracks(call, pc)
            await pc.setLocalDescription(await pc.createAnswer())
        except _RTC_ERRORS as exc:
            self.link.emit({"event": "pc.error", "call_id": stats.call_id, "gen": gen,
                        "error": f"{type(exc).__name__}: {exc}"})
            await self.close(call)
            return
        call.answer_sdp = str(pc.localDescription.sdp)
        await self.resend_answer(call, force=True)

    def _add_local_tracks(self, call: SeatCall, pc: RTCPeerConnection) -> None:
        """Send on the booth's m-lines: video on the first video one, audio on the first audio.

        ``addTrack`` takes the first transceiver of the kind without a track and
        makes it send; kinds the offer does not have are not added (an answer
        cannot add m-lines).
        """
        kinds = {t.kind for t in pc.getTransceivers()}
        tracks: list[MediaStreamTrack] = []
        if "video" in kinds:
            width, height = self.video_size
            tracks.append(SyntheticVideoTrack(width, height, self.video_fps,
                                              label=self.label))
        if "audio" in kinds:
            tracks.append(AudioStreamTrack())
        for track in tracks:
            pc.addTrack(track)
            call.local_tracks.append(track)

    async def resend_answer(self, call: SeatCall, force: bool = False) -> None:
        """Send the current gen's answer (again): after an offer, or after a resume if the
        hub never confirmed it."""
        if call.answer_sdp is None or (call.answer_acked and not force):
            return
        sdp = p.CallSdp(call_id=call.stats.call_id, gen=call.gen,
                        description=p.SessionDescription(type="answer", sdp=call.answer_sdp))
        reply = await self.link.request("call.sdp", sdp)
        if reply is not None and reply.type == "ok":
            call.answer_acked = True
            self.link.emit({"event": "call.answer", "call_id": call.stats.call_id, "gen": call.gen,
                        "candidates": call.answer_sdp.count("a=candidate:")})

    async def add_ice(self, call: SeatCall | None, data: p.CallIce) -> None:
        if call is None or call.stats.call_id != data.call_id or call.pc is None \
                or data.gen != call.gen:
            self.link.emit({"event": "ice.ignored", "call_id": data.call_id, "gen": data.gen,
                        "reason": "not the current call and gen"})
            return
        cand = data.candidate
        line = cand.candidate.strip() if cand is not None else ""
        if not line:
            return  # end of candidates: aiortc's SDP already said so (a=end-of-candidates)
        try:
            parsed = candidate_from_sdp(line.removeprefix("a=").removeprefix("candidate:"))
            parsed.sdpMid = cand.sdpMid if cand is not None else None
            parsed.sdpMLineIndex = cand.sdpMLineIndex if cand is not None else None
            if parsed.sdpMid is None and parsed.sdpMLineIndex is None:
                parsed.sdpMLineIndex = 0  # everything is bundled on the first m-line
            await call.pc.addIceCandidate(parsed)
        except (ValueError, IndexError) as exc:
            # aioice refuses candidates after end-of-candidates, which aiortc's SDP carries
            self.link.emit({"event": "ice.ignored", "call_id": data.call_id, "gen": data.gen,
                        "reason": f"{type(exc).__name__}: {exc}"})

    async def close(self, call: SeatCall) -> None:
        pc, call.pc = call.pc, None
        tracks, call.local_tracks = call.local_tracks, []
        if pc is not None:
            await pc.close()  # ends the remote tracks: the readers see MediaStreamError
        for track in tracks:
            track.stop()
        readers = list(call.readers)
        if readers:
            _, late = await asyncio.wait(readers, timeout=2.0)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _consume(self, track: MediaStreamTrack, stats: CallStats, gen: int,
                       screen: bool = False) -> None:
        """Read the booth's frames as they come (audio too, so nothing backs up)."""
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if screen:
                    stats.screen_frames += 1
                    self.notify()
                elif isinstance(frame, VideoFrame):
                    now = time.time()
                    stats.frames_received += 1
                    stats.frames_by_gen[gen] = stats.frames_by_gen.get(gen, 0) + 1
                    stats.frame_size = (int(frame.width), int(frame.height))
                    if stats.first_frame_at is None:
                        stats.first_frame_at = now
                        self.link.emit({"event": "first_frame", "call_id": stats.call_id,
                                    "gen": gen, "size": list(stats.frame_size),
                                    "after_s": round(now - stats.started_at, 3)})
                    self.notify()
                else:
                    stats.audio_frames_received += 1

    async def stats_loop(self, current: Callable[[], SeatCall | None], interval_s: float
                         ) -> None:
        """About once a second during a call: frames received so far (``frames`` event)."""
        last: tuple[str, int, float] | None = None
        while True:
            await asyncio.sleep(interval_s)
            call = current()
            if call is None or call.pc is None:
                continue
            s, now = call.stats, time.monotonic()
            fps = None
            if last is not None and last[0] == s.call_id and now > last[2]:
                fps = round((s.frames_received - last[1]) / (now - last[2]), 1)
            last = (s.call_id, s.frames_received, now)
            self.link.emit({"event": "frames", "call_id": s.call_id, "gen": call.gen,
                        "count": s.frames_received, "audio": s.audio_frames_received,
                        "screen": s.screen_frames,
                        "size": list(s.frame_size) if s.frame_size else None, "fps": fps})

