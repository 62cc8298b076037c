"""The booth's peer connection (aiortc): the booth is the offerer.

One :class:`BoothMedia` per booth. :meth:`start` builds a fresh
``RTCPeerConnection`` for a call at a ``gen`` (closing any older one; aiortc
has no ICE restart, DESIGN.md §3), sends the camera and microphone (or
silence), and returns the offer with every candidate in it. The local camera
and microphone tracks are shared between rebuilt connections through a
``MediaRelay``; the agent's audio goes to ``on_remote_audio`` (the speaker,
:class:`booth_client.audio.BoothAudio`), frame by frame.

Every offer has three m-lines, always in this order: video (the camera,
``sendrecv``), audio (``sendrecv``), video (the kiosk screen, ``sendonly``;
:mod:`booth_client.screen_track`). The screen's m-line carries no RTP until the
resident shares the screen, so sharing starts and stops without renegotiation.

ICE servers come only from ``call.start``: an empty list means host
candidates only, never aiortc's default public STUN server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame

from booth_client.screen_track import ScreenSource, ScreenTrack

__all__ = ["BoothMedia", "MediaStats", "ice_configuration"]

log = logging.getLogger(__name__)

StateCallback = Callable[[str, int, str], None]  # (call_id, gen, connectionState)
FrameCallback = Callable[[Any], None]  # av.VideoFrame of the agent's video
AudioCallback = Callable[[Any], None]  # av.AudioFrame of the agent's audio


def ice_configuration(servers: tuple[dict[str, Any], ...] | list[dict[str, Any]],
                      relay_only: bool = False) -> RTCConfiguration:
    """An explicit configuration: never falls back to aiortc's default STUN server."""
    ice = [RTCIceServer(urls=s["urls"], username=s.get("username"),
                        credential=s.get("credential")) for s in servers]
    if relay_only:
        from aiortc import RTCIceTransportPolicy

        return RTCConfiguration(iceServers=ice,
                                iceTransportPolicy=RTCIceTransportPolicy.RELAY)
    return RTCConfiguration(iceServers=ice)


@dataclass
class MediaStats:
    frames_received: int = 0
    audio_frames_received: int = 0
    first_frame_at: float | None = None
    last_frame_at: float | None = None
    frame_size: tuple[int, int] | None = None
    gens: list[int] = field(default_factory=list)


class BoothMedia:
    """Owns at most one peer connection at a time."""

    def __init__(
        self,
        video: MediaStreamTrack,
        audio: MediaStreamTrack | None,
        *,
        on_state: StateCallback,
        on_remote_video: FrameCallback | None = None,
        on_remote_audio: AudioCallback | None = None,
        relay_only: bool = False,
        screen: ScreenSource | None = None,
    ) -> None:
        self._relay = MediaRelay()
        self.screen = screen if screen is not None else ScreenSource()
        self._video = video
        self._audio = audio
        self._on_state = on_state
        self._on_remote_video = on_remote_video
        self._on_remote_audio = on_remote_audio
        self._relay_only = relay_only
        self.pc: RTCPeerConnection | None = None
        self.call_id: str | None = None
        self.gen = -1
        self.stats: dict[str, MediaStats] = {}
        self._readers: set[asyncio.Task[None]] = set()

    async def start(self, call_id: str, gen: int, ice_servers: tuple[dict[str, Any], ...]
                    ) -> str:
        """Build the peer connection for ``(call_id, gen)`` and return its offer SDP."""
        await self._close_pc()
        pc = RTCPeerConnection(ice_configuration(ice_servers, self._relay_only))
        self.pc, self.call_id, self.gen = pc, call_id, gen
        stats = self.stats.setdefault(call_id, MediaStats())
        stats.gens.append(gen)

        @pc.on("connectionstatechange")
        def _changed() -> None:
            log.info("booth media %s gen %d: %s", call_id, gen, pc.connectionState)
            self._on_state(call_id, gen, pc.connectionState)

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            task = asyncio.create_task(self._consume(track, stats), name=f"rx-{track.kind}")
            self._readers.add(task)
            task.add_done_callback(self._readers.discard)

        pc.addTransceiver(self._relay.subscribe(self._video, buffered=False),
                          direction="sendrecv")
        if self._audio is not None:
            pc.addTransceiver(self._relay.subscribe(self._audio, buffered=False),
                              direction="sendrecv")
        else:
            pc.addTransceiver("audio", direction="recvonly")
        # The screen share's m-line, third and last (module docstring): quiet until shared.
        pc.addTransceiver(ScreenTrack(self.screen), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)

    def video_tap(self) -> MediaStreamTrack:
        """A second consumer of the camera track the call sends (newest frame only).

        The face check takes its frames here: the relay reads the camera once and
        hands every frame to the peer connection and to this proxy, so the call's
        video is not disturbed. The caller must ``stop()`` the proxy when done.
        """
        return self._relay.subscribe(self._video, buffered=False)

    async def apply_answer(self, call_id: str, gen: int, description: dict[str, Any]) -> None:
        if not self._current(call_id, gen) or self.pc is None:
            return
        if description.get("type") != "answer":
            log.warning("booth media: ignoring a remote %s", description.get("type"))
            return
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=description["sdp"], type="answer"))

    async def add_candidate(self, call_id: str, gen: int, candidate: dict[str, Any]) -> None:
        """Trickled candidates (browsers send them); aiortc takes them after the answer."""
        if not self._current(call_id, gen) or self.pc is None:
            return
        line = str(candidate.get("candidate", ""))
        if not line:
            return
        try:
            cand = candidate_from_sdp(line.removeprefix("candidate:"))
        except (ValueError, IndexError) as exc:
            log.warning("booth media: bad candidate %r: %s", line[:80], exc)
            return
        cand.sdpMid = candidate.get("sdpMid")
        cand.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await self.pc.addIceCandidate(cand)

    async def stop(self, call_id: str | None = None) -> None:
        """Close the peer connection (of ``call_id`` if given)."""
        if call_id is None or call_id == self.call_id:
            await self._close_pc()
            self.call_id, self.gen = None, -1

    async def kill_transport(self) -> None:
        """Fault drill: drop the current connection's media path without telling anyone.

        The engine sees the connection go ``closed`` and rebuilds it with ``gen + 1``.
        """
        if self.pc is not None:
            await self.pc.close()

    async def close(self) -> None:
        await self.stop()
        for task in list(self._readers):
            task.cancel()
        for task in list(self._readers):
            with contextlib.suppress(asyncio.CancelledError, MediaStreamError):
                await task

    def _current(self, call_id: str, gen: int) -> bool:
        return self.call_id == call_id and self.gen == gen

    async def _close_pc(self) -> None:
        pc, self.pc = self.pc, None
        if pc is not None:
            await pc.close()

    async def _consume(self, track: MediaStreamTrack, stats: MediaStats) -> None:
        try:
            while True:
                frame = await track.recv()
                now = time.time()
                if track.kind == "video" and isinstance(frame, VideoFrame):
                    stats.frames_received += 1
                    stats.first_frame_at = stats.first_frame_at or now
                    stats.last_frame_at = now
                    stats.frame_size = (int(frame.width), int(frame.height))
                    if self._on_remote_video is not None:
                        self._on_remote_video(frame)
                else:
                    stats.audio_frames_received += 1
                    if self._on_remote_audio is not None:
                        self._on_remote_audio(frame)
        except MediaStreamError:
            return
