"""The booth's microphone and speaker on real alsa-lib (PyAV's), and in a call between two peers.

There is no sound card here, so the ALSA devices are alsa-lib's own plugins,
declared in a test configuration (``ALSA_CONFIG_PATH``): the microphone is a
``file`` PCM whose ``infile`` is a raw tone over a ``null`` slave, the speaker a
``file`` PCM writing what is played to a raw file over a ``null`` slave. A
``null`` slave is not paced by a clock, so these also check that the booth
keeps such a device to real time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack

from booth_client import session as s
from booth_client.audio import BoothAudio
from booth_client.audio_common import SAMPLE_RATE, AudioStatus
from booth_client.audio_sink import AlsaSink
from booth_client.audio_source import AlsaSource, ToneSource
from booth_client.audio_track import MicrophoneTrack, SpeakerPlayer
from booth_client.config import ws_url
from booth_client.media import BoothMedia
from booth_client.runner import BoothRunner
from tests.conftest import need
from tests.harness import HubEnv

MIC_HZ, AGENT_HZ = 1000.0, 440.0


def dominant_hz(samples: np.ndarray) -> float:
    """The strongest frequency in ``samples`` (48 kHz), to within a bin."""
    x = samples.astype(np.float64)
    x -= x.mean()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / SAMPLE_RATE)[int(np.argmax(spectrum))])


def write_tone(path: Path, hz: float, seconds: float) -> None:
    """Raw mono s16le at 48 kHz: what the capture PCM hands out (the booth asks for mono)."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    (np.sin(2 * np.pi * hz * t) * 12000).astype("<i2").tofile(path)


def played(path: Path) -> np.ndarray:
    """What the playback PCM wrote: raw s16le stereo (the sink's layout), left channel."""
    return np.fromfile(path, "<i2").reshape(-1, 2)[:, 0]


class AlsaRig:
    """A test ALSA configuration in ``tmp``; ``define_*`` add PCMs (alsa-lib reloads a
    configuration whose file changed at the next open)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.conf = tmp / "asound.conf"
        self.blocks: list[str] = ["pcm.xw_dummy { type null }\n"]
        self.mic_in = tmp / "mic.raw"
        self.speaker_out = tmp / "speaker.raw"
        self._write()

    def define_mic(self, name: str = "xw_mic") -> None:
        self.blocks.append(
            f'pcm.{name} {{\n  type file\n  slave.pcm {{ type null }}\n  file "/dev/null"\n'
            f'  infile "{self.mic_in}"\n  format "raw"\n'
            f'  hint {{ show on description "Test microphone (a tone file)" }}\n}}\n')
        self._write()

    def define_speaker(self, name: str = "xw_speaker") -> None:
        self.blocks.append(
            f'pcm.{name} {{\n  type file\n  slave.pcm {{ type null }}\n'
            f'  file "{self.speaker_out}"\n  format "raw"\n'
            f'  hint {{ show on description "Test speaker (writes a file)" }}\n}}\n')
        self._write()

    def _write(self) -> None:
        text = "".join(self.blocks)
        tmp = self.conf.with_suffix(".new")
        tmp.write_text(text)
        tmp.replace(self.conf)
        # alsa-lib notices a changed configuration by its mtime: make each change visible.
        stamp = time.time() + len(self.blocks)
        os.utime(self.conf, (stamp, stamp))


@pytest.fixture
def alsa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AlsaRig:
    if "alsa" not in av.formats_available:
        need("PyAV with FFmpeg's alsa device (the PyPI wheels have it)")
    rig = AlsaRig(tmp_path)
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(rig.conf))
    monkeypatch.delenv("ALSA_CONFIG_DIR", raising=False)
    return rig


class Statuses:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, status: AudioStatus, detail: str | None) -> None:
        self.seen.append(status)


async def until(pred: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def take(track: MediaStreamTrack, seconds: float) -> np.ndarray:
    frames = [await track.recv() for _ in range(int(seconds * 50))]
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames])


# -------------------------------------------------------------------------- real ALSA


async def test_the_microphone_captures_the_device_at_real_time(alsa: AlsaRig) -> None:
    write_tone(alsa.mic_in, MIC_HZ, 5.0)
    alsa.define_mic()
    statuses = Statuses()
    track = MicrophoneTrack(AlsaSource("xw_mic"), on_status=statuses)
    try:
        await take(track, 0.2)  # the device opens meanwhile
        started = time.monotonic()
        samples = await take(track, 1.0)
        elapsed = time.monotonic() - started
    finally:
        track.stop()
        await track.wait_closed()
    assert statuses.seen == ["ok"]
    assert abs(dominant_hz(samples) - MIC_HZ) <= 2
    assert np.sqrt(np.mean(samples.astype(float) ** 2)) > 5000  # the tone, not silence
    assert 0.8 < elapsed < 1.6  # 50 frames of 20 ms, though a null PCM never waits
    # The worker read no faster than real time (a null PCM would allow 100x that).
    assert track.frames_captured < 80


async def test_the_speaker_plays_what_the_call_delivers(alsa: AlsaRig) -> None:
    alsa.define_speaker()
    statuses = Statuses()
    player = SpeakerPlayer(AlsaSink("xw_speaker"), on_status=statuses)
    player.start()
    tone = MicrophoneTrack(ToneSource(AGENT_HZ))
    try:
        await until(lambda: statuses.seen == ["ok"], "the speaker open")
        for _ in range(50):
            frame = await tone.recv()  # mono s16: the sink converts to its stereo
            player.feed(frame)
        await until(lambda: player.frames_played == 50, "50 frames played")
    finally:
        tone.stop()
        player.stop()
        await player.wait_closed()
    out = played(alsa.speaker_out)
    assert out.size >= 50 * 960
    assert abs(dominant_hz(out) - AGENT_HZ) <= 2
    assert player.frames_dropped == 0


async def test_a_missing_microphone_sends_silence_and_recovers_when_it_appears(
        alsa: AlsaRig) -> None:
    alsa.define_mic()  # declared, but its device (the tone file) is not there yet
    statuses = Statuses()
    track = MicrophoneTrack(AlsaSource("xw_mic"), on_status=statuses, reopen_every_s=0.2)
    try:
        quiet = await take(track, 0.5)
        assert statuses.seen == ["missing"]
        assert not quiet.any()  # silence, and the call goes on
        write_tone(alsa.mic_in, MIC_HZ, 5.0)  # plugged in
        await until(lambda: statuses.seen == ["missing", "ok"], "the microphone back",
                    timeout=5)
        await take(track, 0.1)
        back = await take(track, 0.5)
    finally:
        track.stop()
        await track.wait_closed()
    assert abs(dominant_hz(back) - MIC_HZ) <= 2


async def test_a_missing_speaker_drops_audio_and_recovers_when_it_appears(
        alsa: AlsaRig) -> None:
    statuses = Statuses()
    player = SpeakerPlayer(AlsaSink("xw_speaker"), on_status=statuses, reopen_every_s=0.2)
    player.start()
    tone = MicrophoneTrack(ToneSource(AGENT_HZ))
    try:
        await until(lambda: statuses.seen == ["missing"], "the speaker reported missing")
        for _ in range(5):
            player.feed(await tone.recv())
        await until(lambda: player.frames_dropped == 5, "audio dropped while missing")
        alsa.define_speaker()  # the device appears (a USB speaker plugged in)
        await until(lambda: statuses.seen == ["missing", "ok"], "the speaker back")
        for _ in range(25):
            player.feed(await tone.recv())
        await until(lambda: player.frames_played == 25, "frames played")
    finally:
        tone.stop()
        player.stop()
        await player.wait_closed()
    assert abs(dominant_hz(played(alsa.speaker_out)) - AGENT_HZ) <= 4


def test_audio_devices_lists_the_configured_pcms(alsa: AlsaRig,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import shutil

    from booth_client.cli import main

    if shutil.which("arecord") is None:
        need("alsa-utils (arecord, aplay)")
    alsa.define_mic()
    alsa.define_speaker()
    assert main(["audio-devices", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    names = {kind: {p["name"]: p["description"] for p in listed[kind]}
             for kind in ("capture", "playback")}
    assert names["capture"]["xw_mic"] == "Test microphone (a tone file)"
    assert names["playback"]["xw_speaker"] == "Test speaker (writes a file)"


# -------------------------------------------------------------------------- a call


class AgentPeer:
    """The other side of the call: answers the booth's offer, sends a tone, records audio."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # never a public STUN
        self.tone = MicrophoneTrack(ToneSource(AGENT_HZ))
        self.received: list[np.ndarray] = []
        self._tasks: list[asyncio.Task[None]] = []

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._drain(track)))

    async def answer(self, offer_sdp: str) -> dict[str, Any]:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        self.pc.addTrack(self.tone)  # takes the offer's audio m-line (sendrecv)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return {"type": "answer", "sdp": self.pc.localDescription.sdp}

    async def _drain(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "audio":
                    self.received.append(frame.to_ndarray().reshape(-1, 2)[:, 0])
        except MediaStreamError:
            return

    async def close(self) -> None:
        self.tone.stop()
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@pytest.fixture
async def booth_audio(alsa: AlsaRig) -> AsyncIterator[tuple[BoothAudio, list[tuple[str, str]]]]:
    write_tone(alsa.mic_in, MIC_HZ, 30.0)
    alsa.define_mic()
    alsa.define_speaker()
    health: list[tuple[str, str]] = []
    audio = BoothAudio.from_specs("xw_mic", "xw_speaker",
                                  on_status=lambda device, st: health.append((device, st)))
    audio.start()
    try:
        yield audio, health
    finally:
        audio.stop()
        await asyncio.wait_for(audio.wait_closed(), 5)


async def test_in_a_call_each_side_hears_the_other(
        loopback_ice: None, alsa: AlsaRig,
        booth_audio: tuple[BoothAudio, list[tuple[str, str]]]) -> None:
    audio, health = booth_audio
    camera = VideoStreamTrack()
    media = BoothMedia(camera, audio.track, on_state=lambda c, g, st: None,
                       on_remote_audio=audio.play)
    agent = AgentPeer()
    try:
        offer = await media.start("call-1", 0, ())
        await media.apply_answer("call-1", 0, await agent.answer(offer))
        await until(lambda: media.pc is not None and media.pc.connectionState == "connected",
                    "the peers connected", timeout=20)
        await until(lambda: audio.player.frames_played >= 150, "3 s of the agent played",
                    timeout=20)
        await until(lambda: len(agent.received) >= 150, "3 s of the booth heard", timeout=20)
    finally:
        await agent.close()
        await media.close()
        camera.stop()
    assert sorted(health) == [("mic", "ok"), ("speaker", "ok")]
    # The booth's speaker: the agent's 440 Hz (Opus in between, so within a few Hz).
    assert abs(dominant_hz(played(alsa.speaker_out)[-2 * SAMPLE_RATE:]) - AGENT_HZ) <= 4
    # The agent: the booth's microphone, 1 kHz from the ALSA capture device.
    heard = np.concatenate(agent.received[-100:])
    assert abs(dominant_hz(heard) - MIC_HZ) <= 4
    assert np.sqrt(np.mean(heard.astype(float) ** 2)) > 2000


# -------------------------------------------------------------------------- health to the hub


async def test_audio_health_reaches_the_hub_in_booth_status(env: HubEnv, alsa: AlsaRig) -> None:
    """A booth whose microphone is not plugged in says so to the hub before any call, and
    the hub's record follows it when the microphone appears."""
    alsa.define_mic()
    alsa.define_speaker()
    booth_id, token = await env.add_booth()
    engine = s.BoothSession(has_token=True, token=token)
    holder: dict[str, BoothRunner] = {}
    audio = BoothAudio(AlsaSource("xw_mic"), AlsaSink("xw_speaker"), reopen_every_s=0.2,
                       on_status=lambda device, st: holder["r"].audio_status(device, st))
    camera = VideoStreamTrack()
    media = BoothMedia(camera, audio.track, on_state=lambda c, g, st: None,
                       on_remote_audio=audio.play)
    runner = BoothRunner(env.base, ws_url(env.base), engine, media)
    holder["r"] = runner
    task = asyncio.create_task(runner.run())
    audio.start()

    def reported(device: str) -> str | None:
        status = env.hub.booth_status.get(booth_id)
        return None if status is None else str(status[device])

    try:
        await until(lambda: (reported("mic"), reported("speaker")) == ("missing", "ok"),
                    "mic missing and speaker ok at the hub")
        write_tone(alsa.mic_in, MIC_HZ, 5.0)
        await until(lambda: reported("mic") == "ok", "mic ok at the hub")
    finally:
        audio.stop()
        runner.stop()
        await asyncio.wait_for(task, 10)
        await audio.wait_closed()
        camera.stop()
