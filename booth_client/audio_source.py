"""Microphone sources for the booth, behind one small interface.

An :class:`AudioSource` gives mono 16-bit samples at 48 kHz, ``n`` at a time;
the booth sends them with :class:`booth_client.audio_track.MicrophoneTrack`.
Four sources ship:

- :class:`AlsaSource`: an ALSA capture device through PyAV (``hw:1``,
  ``plughw:CARD=Device``, ``default``, a name from ``~/.asoundrc``).
- :class:`FileAudioSource`: a sound file (wav, ogg, …) through PyAV, looped.
- :class:`ToneSource`: a sine tone (demo, tests, checking a call's audio path).
- :class:`SilenceSource`: nothing to say (``--mic none``). It is the fake for
  everything else.

:func:`open_mic` builds one from the ``--mic`` spec. Exceptions are those of
:mod:`booth_client.audio_common`. A source that is not paced by a device (tone,
silence, file, and ALSA's ``null``-backed test PCMs) returns at once; the
track keeps it to real time. Sources are not thread-safe: use one from one
thread at a time.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np

from booth_client.audio_common import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    AudioError,
    AudioUnavailable,
    Samples,
    alsa_environment,
    silence,
)

__all__ = [
    "AlsaSource",
    "AudioSource",
    "FileAudioSource",
    "SilenceSource",
    "ToneSource",
    "open_mic",
]

log = logging.getLogger(__name__)


class AudioSource(Protocol):
    """A microphone. ``open()`` then any number of ``read()``; ``close()`` at any time.

    ``close()`` is idempotent and never raises; ``open()`` on an open source does
    nothing, and after ``close()`` it may be called again (that is how the track
    retries a device that went away).
    """

    name: str

    def open(self) -> None:
        """Acquire the device. Raises :class:`AudioUnavailable` or :class:`AudioError`."""

    def read(self, n: int = FRAME_SAMPLES) -> Samples:
        """Exactly ``n`` mono samples at 48 kHz; blocks while a device records them.

        The array is the caller's. Raises :class:`AudioUnavailable` when the source
        is not open or the device vanished, :class:`AudioError` for other failures.
        """

    def close(self) -> None:
        """Release the device. Idempotent; never raises."""


class _Generated:
    """A source computed, not captured: open and close only switch it on and off."""

    name: str
    _open = False

    def open(self) -> None:
        self._open = True

    def read(self, n: int = FRAME_SAMPLES) -> Samples:
        if not self._open:
            raise AudioUnavailable(f"{self.name}: not open")
        return self._generate(n)

    def _generate(self, n: int) -> Samples:
        raise NotImplementedError

    def close(self) -> None:
        self._open = False


class SilenceSource(_Generated):
    """Zeros: the booth has no microphone, or must not send one."""

    def __init__(self, name: str = "none") -> None:
        self.name = name

    def _generate(self, n: int) -> Samples:
        return silence(n)


class ToneSource(_Generated):
    """A sine of ``frequency`` Hz at ``amplitude`` (0..1 of full scale), phase continuous."""

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.3, *,
                 name: str | None = None) -> None:
        if not 0 < frequency < SAMPLE_RATE / 2:
            raise ValueError(f"tone frequency must be in (0, {SAMPLE_RATE // 2}) Hz, "
                             f"got {frequency!r}")
        if not 0 <= amplitude <= 1:
            raise ValueError(f"amplitude must be in [0, 1], got {amplitude!r}")
        self.name = name or f"tone:{frequency:g}"
        self.frequency, self.amplitude = float(frequency), float(amplitude)
        self.samples_read = 0

    def _generate(self, n: int) -> Samples:
        k = np.arange(self.samples_read, self.samples_read + n, dtype=np.float64)
        self.samples_read += n
        wave = np.sin(2 * math.pi * self.frequency / SAMPLE_RATE * k)
        return np.round(wave * self.amplitude * 32767).astype(np.int16)


class _MonoReader:
    """A PyAV input container's first audio stream as mono s16 at 48 kHz, ``n`` at a time.

    Raw 16-bit PCM (what ALSA capture gives, one packet per ALSA period, which
    may be a single sample) is converted with numpy in bulk; anything else is
    decoded. Either way ``av.AudioResampler`` brings it to 48 kHz mono.
    """

    def __init__(self, container: av.container.InputContainer, name: str) -> None:
        if not container.streams.audio:
            raise AudioUnavailable(f"{name}: no audio stream")
        self._stream = container.streams.audio[0]
        ctx = self._stream.codec_context
        self._raw = ctx.name == "pcm_s16le"
        self._channels = max(1, int(ctx.channels or 1))
        self._rate = int(ctx.sample_rate or SAMPLE_RATE)
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self._packets: Iterator[av.Packet[av.AudioStream]] = container.demux(self._stream)
        self._parts: list[Samples] = []
        self._have = 0

    def read(self, n: int) -> Samples | None:
        """``n`` samples, or ``None`` once the stream has ended (a partial tail is dropped)."""
        while self._have < n:
            part = self._next_part(n - self._have)
            if part is None:
                return None
            if part.size:
                self._parts.append(part)
                self._have += int(part.size)
        whole = np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
        out, rest = whole[:n], whole[n:]
        self._parts, self._have = ([rest] if rest.size else []), int(rest.size)
        return np.array(out, dtype=np.int16)

    def _next_part(self, want: int) -> Samples | None:
        if self._raw:
            return self._raw_part(want)
        for packet in self._packets:
            frames = packet.decode()
            if frames:
                return self._resample(frames)
        return None

    def _raw_part(self, want: int) -> Samples | None:
        need = max(1, want * self._rate // SAMPLE_RATE) * self._channels * 2
        chunk = bytearray()
        for packet in self._packets:
            chunk += bytes(packet)
            if len(chunk) >= need:
                break
        usable = len(chunk) - len(chunk) % (2 * self._channels)
        if usable == 0:
            return None
        pcm = np.frombuffer(bytes(chunk[:usable]), dtype="<i2").reshape(-1, self._channels)
        if self._rate == SAMPLE_RATE:
            return _downmix(pcm)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16",
                                           layout=self._stream.codec_context.layout)
        frame.sample_rate = self._rate
        return self._resample([frame])

    def _resample(self, frames: list[Any]) -> Samples:
        out = [r.to_ndarray().reshape(-1) for f in frames for r in self._resampler.resample(f)]
        return np.concatenate(out).astype(np.int16) if out else silence(0)


def _downmix(pcm: Any) -> Samples:
    if pcm.shape[1] == 1:
        return np.asarray(pcm[:, 0], dtype=np.int16)
    return np.asarray(pcm.mean(axis=1), dtype=np.int16)


class _ContainerSource:
    """What the PyAV-backed sources share: one input container and its reader."""

    name: str
    _container: av.container.InputContainer | None = None
    _reader: _MonoReader | None = None

    def _attach(self, container: av.container.InputContainer) -> None:
        try:
            self._reader = _MonoReader(container, self.name)
        except AudioError:
            container.close()
            raise
        self._container = container

    def close(self) -> None:
        container, self._container, self._reader = self._container, None, None
        if container is not None:
            try:
                container.close()
            except av.FFmpegError as exc:  # a device that vanished
                log.debug("%s: close failed: %s", self.name, exc)


class FileAudioSource(_ContainerSource):
    """A sound file decoded by PyAV (wav, ogg/opus, mp3, …), looped at its end.

    :meth:`open` raises :class:`AudioUnavailable` when the file is missing or
    has no audio stream PyAV can read. ``loops`` counts the restarts.
    """

    def __init__(self, path: str | os.PathLike[str], *, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"file:{self.path}"
        self.loops = 0

    def open(self) -> None:
        if self._reader is not None:
            return
        if not self.path.is_file():
            raise AudioUnavailable(f"{self.name}: no such file")
        try:
            container = av.open(str(self.path))
        except av.FFmpegError as exc:
            raise AudioUnavailable(f"{self.name}: not a sound file PyAV can read: {exc}"
                                   ) from exc
        self._attach(container)

    def read(self, n: int = FRAME_SAMPLES) -> Samples:
        if self._reader is None:
            raise AudioUnavailable(f"{self.name}: not open")
        try:
            samples = self._reader.read(n)
            if samples is None:  # the end: start over
                self.close()
                self.loops += 1
                self.open()
                assert self._reader is not None
                samples = self._reader.read(n)
        except av.FFmpegError as exc:
            self.close()
            raise AudioError(f"{self.name}: {exc}") from exc
        if samples is None:
            raise AudioUnavailable(f"{self.name}: the file holds less than {n} samples")
        return samples


class AlsaSource(_ContainerSource):
    """An ALSA capture PCM through PyAV's ``alsa`` input (FFmpeg's libavdevice).

    ``device`` is any ALSA PCM name. The device is asked for 48 kHz and
    ``channels``; what it gives instead is converted. Open failure ("Unknown
    PCM", no such card, busy) raises :class:`AudioUnavailable`, and so does a
    read failure (a USB microphone unplugged: alsa-lib reports ENODEV, FFmpeg
    EIO); the source is then closed, so the next :meth:`open` starts afresh.
    """

    def __init__(self, device: str, *, channels: int = 1, name: str | None = None) -> None:
        if not device:
            raise ValueError("an ALSA device name is needed")
        self.device = device
        self.name = name or f"alsa:{device}"
        self.channels = channels

    def open(self) -> None:
        if self._reader is not None:
            return
        alsa_environment()
        try:
            container = av.open(self.device, format="alsa", options={
                "sample_rate": str(SAMPLE_RATE), "channels": str(self.channels)})
        except av.FFmpegError as exc:
            raise AudioUnavailable(f"{self.name}: the device would not open: {exc}") from exc
        self._attach(container)
        log.info("microphone %s: open", self.name)

    def read(self, n: int = FRAME_SAMPLES) -> Samples:
        if self._reader is None:
            raise AudioUnavailable(f"{self.name}: not open")
        try:
            samples = self._reader.read(n)
        except av.FFmpegError as exc:
            self.close()
            raise AudioUnavailable(f"{self.name}: capture failed (unplugged?): {exc}") from exc
        if samples is None:
            self.close()
            raise AudioUnavailable(f"{self.name}: the capture stream ended")
        return samples


_SPECS = "an ALSA device name, 'file:PATH', 'tone[:HZ]' or 'none'"


def open_mic(spec: str) -> AudioSource:
    """The source a ``--mic`` spec names, not yet opened.

    ``spec`` is ``none`` (silence), ``tone`` or ``tone:HZ`` (440 Hz by default),
    ``file:PATH``, ``alsa:NAME`` or any other text, taken as an ALSA PCM name
    (``default``, ``hw:1``, ``plughw:CARD=Device,DEV=0``). Raises ``ValueError``
    for a bad spec; a missing device or file is only noticed by ``open()``.
    """
    spec = spec.strip()
    kind, sep, arg = spec.partition(":")
    if spec == "none":
        return SilenceSource()
    if kind == "tone":
        try:
            return ToneSource(float(arg) if sep else 440.0)
        except ValueError as exc:
            raise ValueError(f"bad microphone spec {spec!r}: {exc}") from exc
    if kind == "file" and arg:
        return FileAudioSource(arg)
    if kind == "alsa" and arg:
        return AlsaSource(arg)
    if spec and kind not in ("file", "alsa"):
        return AlsaSource(spec)
    raise ValueError(f"bad microphone spec {spec!r}: expected {_SPECS}")
