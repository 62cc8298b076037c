"""The booth's audio pieces without a sound device: specs, sources, sinks, the worker
threads against scripted devices (vanishing, hanging, coming back), health in booth.status."""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from booth_client import session as s
from booth_client.audio import BoothAudio
from booth_client.audio_common import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    AudioError,
    AudioStatus,
    AudioUnavailable,
    Samples,
    alsa_environment,
)
from booth_client.audio_devices import audio_devices_command, parse_pcm_list
from booth_client.audio_sink import AlsaSink, NullSink, open_speaker
from booth_client.audio_source import (
    AlsaSource,
    FileAudioSource,
    SilenceSource,
    ToneSource,
    open_mic,
)
from booth_client.audio_track import MicrophoneTrack, SpeakerPlayer
from booth_client.cli import build_parser, make_audio
from signaling import protocol as p

# -------------------------------------------------------------------------- specs


def test_mic_specs() -> None:
    assert isinstance(open_mic("none"), SilenceSource)
    tone = open_mic("tone:1000")
    assert isinstance(tone, ToneSource) and tone.frequency == 1000
    assert isinstance(open_mic("tone"), ToneSource)
    wav = open_mic("file:/tmp/x.wav")
    assert isinstance(wav, FileAudioSource) and wav.path == Path("/tmp/x.wav")
    for spec, device in (("default", "default"), ("hw:1", "hw:1"),
                         ("plughw:CARD=Device,DEV=0", "plughw:CARD=Device,DEV=0"),
                         ("alsa:dsnoop", "dsnoop")):
        mic = open_mic(spec)
        assert isinstance(mic, AlsaSource) and mic.device == device
    for bad in ("", "file:", "tone:abc", "tone:30000", "alsa:"):
        with pytest.raises(ValueError, match="microphone spec"):
            open_mic(bad)


def test_speaker_specs() -> None:
    assert isinstance(open_speaker("none"), NullSink)
    speaker = open_speaker("plughw:0")
    assert isinstance(speaker, AlsaSink) and speaker.device == "plughw:0"
    assert isinstance(open_speaker("alsa:default"), AlsaSink)
    for bad in ("", "alsa:"):
        with pytest.raises(ValueError, match="speaker spec"):
            open_speaker(bad)


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_intermixed_args(list(argv))


def test_headless_keeps_silence_and_discard_unless_asked_the_kiosk_uses_alsa_default() -> None:
    headless = make_audio(_args("--headless"))
    assert isinstance(headless.track.source, SilenceSource)
    assert isinstance(headless.player.sink, NullSink)
    kiosk = make_audio(_args("--windowed"))
    assert isinstance(kiosk.track.source, AlsaSource) and kiosk.track.source.device == "default"
    assert isinstance(kiosk.player.sink, AlsaSink) and kiosk.player.sink.device == "default"
    asked = make_audio(_args("--headless", "--mic", "tone:660", "--speaker", "hw:2"))
    assert isinstance(asked.track.source, ToneSource)
    assert isinstance(asked.player.sink, AlsaSink) and asked.player.sink.device == "hw:2"
    with pytest.raises(ValueError):
        make_audio(_args("--headless", "--mic", "tone:-5"))


# -------------------------------------------------------------------------- sources and sinks


def test_the_tone_is_a_continuous_sine() -> None:
    tone = ToneSource(1000.0, 0.5)
    with pytest.raises(AudioUnavailable):
        tone.read()
    tone.open()
    samples = np.concatenate([tone.read(100), tone.read(860), tone.read()])
    k = np.arange(samples.size)
    expected = np.round(np.sin(2 * np.pi * 1000 * k / SAMPLE_RATE) * 0.5 * 32767)
    assert samples.dtype == np.int16 and samples.shape == (1920,)
    assert np.abs(samples - expected).max() <= 1


def _write_wav(path: Path, hz: float, seconds: float, rate: int, layout: str) -> None:
    channels = 2 if layout == "stereo" else 1
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout=layout)
        t = np.arange(int(seconds * rate)) / rate
        wave = (np.sin(2 * np.pi * hz * t) * 10000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(wave, channels).reshape(1, -1),
                                           format="s16", layout=layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def test_a_file_is_resampled_to_48k_mono_and_looped(tmp_path: Path) -> None:
    path = tmp_path / "voice.wav"
    _write_wav(path, 500.0, 0.5, 44100, "stereo")  # not the booth's rate nor its layout
    source = open_mic(f"file:{path}")
    assert isinstance(source, FileAudioSource)
    source.open()
    try:
        samples = np.concatenate([source.read() for _ in range(60)])  # 1.2 s of a 0.5 s file
    finally:
        source.close()
    assert source.loops == 2
    head = samples[:SAMPLE_RATE // 2 - 2000].astype(np.float64)
    crossings = np.count_nonzero(np.diff(np.signbit(head)))
    assert abs(crossings / 2 / (head.size / SAMPLE_RATE) - 500) < 5  # still 500 Hz at 48 kHz


def test_a_missing_or_unreadable_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(AudioUnavailable, match="no such file"):
        FileAudioSource(tmp_path / "gone.wav").open()
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a sound file at all" * 10)
    with pytest.raises(AudioUnavailable):
        FileAudioSource(junk).open()


def _frame(samples: Samples) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    return frame


def test_the_null_sink_counts_frames_and_energy() -> None:
    sink = NullSink()
    with pytest.raises(AudioUnavailable):
        sink.write(_frame(np.zeros(FRAME_SAMPLES, np.int16)))
    sink.open()
    sink.write(_frame(np.zeros(FRAME_SAMPLES, np.int16)))
    assert sink.rms == 0
    loud = ToneSource(440, 1.0)
    loud.open()
    sink.write(_frame(loud.read()))
    sink.write(_frame(np.zeros(FRAME_SAMPLES, np.int16)))
    assert (sink.frames, sink.samples) == (3, 3 * FRAME_SAMPLES)
    assert sink.rms == 0 and abs(sink.peak_rms - 2 ** -0.5) < 0.01  # a full-scale sine


def test_alsa_environment_points_pyav_at_the_system_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALSA_CONFIG_PATH", raising=False)
    monkeypatch.delenv("ALSA_CONFIG_DIR", raising=False)
    alsa_environment(tmp_path)  # no alsa.conf there: left alone
    assert "ALSA_CONFIG_DIR" not in __import__("os").environ
    (tmp_path / "alsa.conf").write_text("")
    alsa_environment(tmp_path)
    assert __import__("os").environ["ALSA_CONFIG_DIR"] == str(tmp_path)
    monkeypatch.setenv("ALSA_CONFIG_DIR", "/elsewhere")
    alsa_environment(tmp_path)  # the operator's choice wins
    assert __import__("os").environ["ALSA_CONFIG_DIR"] == "/elsewhere"


# -------------------------------------------------------------------------- the microphone track


class FakeMic:
    """A scripted microphone: ``present`` is whether it is plugged in; it is unplugged
    after ``fail_after`` reads; ``gate`` cleared makes reads hang."""

    def __init__(self, *, present: bool = True, fail_after: int | None = None,
                 level: int = 1000) -> None:
        self.name = "fake"
        self.present, self.fail_after, self.level = present, fail_after, level
        self.is_open = False
        self.reads = self.opens = self.closes = 0
        self.gate = threading.Event()
        self.gate.set()

    def open(self) -> None:
        if not self.present:
            raise AudioUnavailable("fake: unplugged")
        self.is_open = True
        self.opens += 1

    def read(self, n: int = FRAME_SAMPLES) -> Samples:
        assert self.gate.wait(10), "test bug: the gate was never opened"
        if not self.is_open:
            raise AudioUnavailable("fake: not open")
        if self.fail_after is not None and self.reads >= self.fail_after:
            self.present = self.is_open = False
            self.fail_after = None
            raise AudioUnavailable("fake: unplugged while reading")
        self.reads += 1
        return np.full(n, self.level, np.int16)

    def close(self) -> None:
        if self.is_open:
            self.closes += 1
        self.is_open = False


class Seen:
    def __init__(self) -> None:
        self.statuses: list[AudioStatus] = []
        self.threads: set[str] = set()

    def __call__(self, status: AudioStatus, detail: str | None) -> None:
        self.statuses.append(status)
        self.threads.add(threading.current_thread().name)


async def _until(pred: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def _levels(track: MicrophoneTrack, n: int) -> list[int]:
    return [int((await track.recv()).to_ndarray().max()) for _ in range(n)]


async def test_the_track_sends_20ms_mono_frames_on_a_48k_clock() -> None:
    track = MicrophoneTrack(FakeMic())
    try:
        frames = [await track.recv() for _ in range(5)]
    finally:
        track.stop()
        await track.wait_closed()
    assert [f.pts for f in frames] == [0, 960, 1920, 2880, 3840]
    for f in frames:
        assert (f.samples, f.sample_rate, f.layout.name, f.format.name) == (
            960, 48000, "mono", "s16")
        assert f.time_base == Fraction(1, 48000)


async def test_a_microphone_unplugged_mid_call_gives_silence_then_comes_back() -> None:
    mic = FakeMic(fail_after=10)
    seen = Seen()
    track = MicrophoneTrack(mic, on_status=seen, reopen_every_s=0.1)
    track.start()
    try:
        await _until(lambda: seen.statuses == ["ok", "missing"], "the microphone missing")
        await _levels(track, 5)  # what was buffered before it went
        assert set(await _levels(track, 5)) == {0}  # silence, and the track goes on
        mic.present = True
        await _until(lambda: seen.statuses == ["ok", "missing", "ok"], "the microphone back")
        await _levels(track, 3)
        assert set(await _levels(track, 5)) == {1000}
    finally:
        track.stop()
        await track.wait_closed()
    assert mic.opens == 2 and not mic.is_open  # the worker closed it at stop
    assert seen.threads == {"xiaowu-microphone"}


async def test_a_hung_microphone_is_an_error_and_the_call_goes_on() -> None:
    mic = FakeMic()
    seen = Seen()
    track = MicrophoneTrack(mic, on_status=seen, stall_after_s=0.2)
    try:
        await _levels(track, 5)
        mic.gate.clear()  # the next read hangs, like a stuck USB device
        levels = await _levels(track, 25)
        assert seen.statuses == ["ok", "error"] and levels[-1] == 0
        mic.gate.set()
        await _until(lambda: seen.statuses == ["ok", "error", "ok"], "the microphone back")
    finally:
        mic.gate.set()
        track.stop()
        await track.wait_closed()


async def test_a_microphone_never_there_is_missing_from_the_start() -> None:
    seen = Seen()
    track = MicrophoneTrack(FakeMic(present=False), on_status=seen)
    track.start()
    try:
        await _until(lambda: seen.statuses == ["missing"], "missing reported before a call")
        assert set(await _levels(track, 3)) == {0}
    finally:
        track.stop()
        await track.wait_closed()


async def test_a_broken_source_is_an_error_not_a_crash() -> None:
    class Broken(FakeMic):
        def read(self, n: int = FRAME_SAMPLES) -> Samples:
            raise AudioError("fake: the codec refused")

    seen = Seen()
    track = MicrophoneTrack(Broken(), on_status=seen)
    try:
        assert set(await _levels(track, 3)) == {0}
        await _until(lambda: seen.statuses == ["error"], "error reported")
    finally:
        track.stop()
        await track.wait_closed()


# -------------------------------------------------------------------------- the speaker


class FakeSpeaker:
    def __init__(self, *, present: bool = True) -> None:
        self.name = "fake-speaker"
        self.present = present
        self.is_open = False
        self.written: list[int] = []

    def open(self) -> None:
        if not self.present:
            raise AudioUnavailable("fake: no speaker")
        self.is_open = True

    def write(self, frame: av.AudioFrame) -> None:
        if not self.present:
            self.is_open = False
            raise AudioUnavailable("fake: unplugged")
        assert self.is_open
        self.written.append(int(frame.to_ndarray().max()))

    def close(self) -> None:
        self.is_open = False


async def test_a_speaker_that_vanishes_drops_audio_and_comes_back() -> None:
    speaker = FakeSpeaker()
    seen = Seen()
    player = SpeakerPlayer(speaker, on_status=seen, reopen_every_s=0.1)
    player.start()
    try:
        await _until(lambda: seen.statuses == ["ok"], "the speaker open before any audio")
        player.feed(_frame(np.full(FRAME_SAMPLES, 7, np.int16)))
        await _until(lambda: player.frames_played == 1, "a frame played")
        speaker.present = False
        player.feed(_frame(np.full(FRAME_SAMPLES, 8, np.int16)))
        await _until(lambda: seen.statuses == ["ok", "missing"], "the speaker missing")
        speaker.present = True
        await _until(lambda: seen.statuses == ["ok", "missing", "ok"], "the speaker back")
        player.feed(_frame(np.full(FRAME_SAMPLES, 9, np.int16)))
        await _until(lambda: player.frames_played == 2, "a frame played again")
    finally:
        player.stop()
        await player.wait_closed()
    assert speaker.written == [7, 9] and player.frames_dropped == 1
    assert not speaker.is_open and seen.threads == {"xiaowu-speaker"}


async def test_a_stuck_speaker_never_blocks_the_caller() -> None:
    gate = threading.Event()

    class Stuck(FakeSpeaker):
        def write(self, frame: av.AudioFrame) -> None:
            gate.wait(10)

    player = SpeakerPlayer(Stuck(), max_queue=4)
    player.start()
    try:
        started = time.monotonic()
        for _ in range(50):
            player.feed(_frame(np.zeros(FRAME_SAMPLES, np.int16)))
        assert time.monotonic() - started < 0.5
        assert player.frames_in == 50 and player.frames_dropped >= 45
    finally:
        gate.set()
        player.stop()
        await player.wait_closed()


async def test_booth_audio_reports_by_device_and_not_for_none() -> None:
    reports: list[tuple[str, str]] = []
    audio = BoothAudio(FakeMic(present=False), FakeSpeaker(),
                       on_status=lambda device, st: reports.append((device, st)))
    silent = BoothAudio(SilenceSource(), NullSink(),
                        on_status=lambda device, st: reports.append(("none?", st)))
    audio.start()
    silent.start()
    try:
        await _until(lambda: sorted(reports) == [("mic", "missing"), ("speaker", "ok")],
                     "both devices reported")
        await asyncio.sleep(0.1)
    finally:
        for a in (audio, silent):
            a.stop()
            await a.wait_closed()
    assert not any(device == "none?" for device, _ in reports)


# -------------------------------------------------------------------------- listing devices


def test_pcm_lists_are_parsed() -> None:
    text = ("null\n    Discard all samples (playback) or generate zero samples (capture)\n"
            "default\n    Default Audio Device\n"
            "hw:CARD=PCH,DEV=0\n    HDA Intel PCH, ALC892 Analog\n"
            "    Direct hardware device without any conversions\n"
            "\n"
            "plughw:CARD=Device,DEV=0\n")
    pcms = parse_pcm_list(text)
    assert [(x.name, x.description) for x in pcms] == [
        ("null", "Discard all samples (playback) or generate zero samples (capture)"),
        ("default", "Default Audio Device"),
        ("hw:CARD=PCH,DEV=0",
         "HDA Intel PCH, ALC892 Analog / Direct hardware device without any conversions"),
        ("plughw:CARD=Device,DEV=0", ""),
    ]


def test_audio_devices_says_when_alsa_utils_is_missing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("booth_client.audio_devices.shutil.which", lambda name: None)
    assert audio_devices_command(_args("audio-devices", "--json")) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "no_alsa_utils"
    assert audio_devices_command(_args("audio-devices")) == 1
    assert "alsa-utils" in capsys.readouterr().out


# -------------------------------------------------------------------------- health to the hub


def test_audio_health_goes_into_booth_status() -> None:
    engine = s.BoothSession(has_token=True, token="t")
    engine.link = s.Link.ONLINE
    [send] = engine.device_status(mic="missing")
    assert isinstance(send, s.Send) and send.mtype == "booth.status"
    assert isinstance(send.data, p.BoothStatus)
    assert (send.data.mic, send.data.speaker, send.data.camera) == ("missing", "unknown",
                                                                     "unknown")
    [send] = engine.device_status(speaker="ok", mic="ok")
    assert isinstance(send.data, p.BoothStatus)
    assert (send.data.mic, send.data.speaker) == ("ok", "ok")
    assert engine.device_status(mic="ok") == []  # no change, nothing sent
    engine.link = s.Link.OFFLINE
    assert engine.device_status(mic="error") == [] and engine.mic == "error"


def test_booth_status_without_audio_fields_still_parses() -> None:
    """Older booths send no mic / speaker: the fields are optional (protocol v1 contract)."""
    frame = p.parse_frame(json.dumps({"v": 1, "type": "booth.status",
                                      "data": {"camera": "ok"}}), p.INBOUND)
    assert isinstance(frame.data, p.BoothStatus)
    assert (frame.data.mic, frame.data.speaker) == ("unknown", "unknown")
