"""Speaker sinks for the booth: where the agent's voice goes.

An :class:`AudioSink` takes the ``av.AudioFrame`` objects of the call's
received audio track (aiortc decodes Opus to 48 kHz stereo s16) and plays
them; :class:`booth_client.audio_track.SpeakerPlayer` feeds it from a worker
thread. Two sinks ship:

- :class:`AlsaSink`: an ALSA playback PCM through PyAV's ``alsa`` output.
- :class:`NullSink`: discards the audio and only counts it (frames, samples,
  energy): ``--speaker none``, headless booths, tests. It is the fake.

:func:`open_speaker` builds one from the ``--speaker`` spec. Exceptions are
those of :mod:`booth_client.audio_common`. Sinks are not thread-safe.
"""

from __future__ import annotations

import logging
import math
import time
from fractions import Fraction
from typing import Protocol

import av
import numpy as np

from booth_client.audio_common import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    AudioError,
    AudioUnavailable,
    alsa_environment,
)

__all__ = ["AlsaSink", "AudioSink", "NullSink", "open_speaker"]

log = logging.getLogger(__name__)

_TIME_BASE = Fraction(1, SAMPLE_RATE)
_IDLE_S = 0.1  # a gap this long between writes means the device has run dry
_CUSHION_SAMPLES = 2 * FRAME_SAMPLES  # 40 ms of silence in front of sound after a gap


class AudioSink(Protocol):
    """A speaker. ``open()`` then any number of ``write()``; ``close()`` at any time.

    ``close()`` is idempotent and never raises; after it ``open()`` may be called
    again (that is how the player retries a device that went away).
    """

    name: str

    def open(self) -> None:
        """Acquire the device. Raises :class:`AudioUnavailable` or :class:`AudioError`."""

    def write(self, frame: av.AudioFrame) -> None:
        """Play ``frame`` (any rate and layout); may block while the device buffer is full.

        Raises :class:`AudioUnavailable` when the sink is not open or the device
        vanished, :class:`AudioError` for other failures.
        """

    def close(self) -> None:
        """Release the device. Idempotent; never raises."""


class NullSink:
    """Discards audio; counts ``frames``, ``samples`` and the ``rms`` of the last frame.

    ``peak_rms`` is the loudest frame so far (0..1 of full scale): enough to tell
    a call that carries sound from one that carries silence.
    """

    def __init__(self, name: str = "none") -> None:
        self.name = name
        self.frames = self.samples = 0
        self.rms = self.peak_rms = 0.0
        self._open = False

    def open(self) -> None:
        self._open = True

    def write(self, frame: av.AudioFrame) -> None:
        if not self._open:
            raise AudioUnavailable(f"{self.name}: not open")
        data = frame.to_ndarray().astype(np.float64)
        if frame.format.name in ("s16", "s16p"):
            data /= 32768.0
        self.frames += 1
        self.samples += int(frame.samples)
        self.rms = math.sqrt(float(np.mean(data * data))) if data.size else 0.0
        self.peak_rms = max(self.peak_rms, self.rms)

    def close(self) -> None:
        self._open = False


class AlsaSink:
    """An ALSA playback PCM through PyAV's ``alsa`` output (FFmpeg's libavdevice).

    :meth:`open` opens the device at once (the muxer's header), so a missing
    device is known before any audio arrives; it raises :class:`AudioUnavailable`.
    Every frame is resampled to 48 kHz s16 with ``channels`` channels (the
    device's own conversion, e.g. ``plughw`` or ``default``, does the rest). A
    write that fails (the device unplugged) closes the sink and raises
    :class:`AudioUnavailable`; the next :meth:`open` starts afresh.
    """

    def __init__(self, device: str, *, channels: int = 2, name: str | None = None) -> None:
        if not device:
            raise ValueError("an ALSA device name is needed")
        if channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, got {channels!r}")
        self.device = device
        self.name = name or f"alsa:{device}"
        self.layout = "mono" if channels == 1 else "stereo"
        self.samples_written = 0
        self._last_write = -math.inf
        self._container: av.container.OutputContainer | None = None
        self._stream: av.AudioStream | None = None
        self._resampler: av.AudioResampler | None = None

    def open(self) -> None:
        if self._container is not None:
            return
        alsa_environment()
        try:
            container = av.open(self.device, "w", format="alsa")
        except av.FFmpegError as exc:
            raise AudioUnavailable(f"{self.name}: {exc}") from exc
        try:
            stream = container.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout=self.layout)
            container.start_encoding()  # the header: snd_pcm_open and hw params happen here
        except av.FFmpegError as exc:
            _close_quietly(container)
            raise AudioUnavailable(f"{self.name}: the device would not open: {exc}") from exc
        self._container, self._stream = container, stream
        self._resampler = av.AudioResampler(format="s16", layout=self.layout, rate=SAMPLE_RATE)
        log.info("speaker %s: open", self.name)

    def write(self, frame: av.AudioFrame) -> None:
        container, stream, resampler = self._container, self._stream, self._resampler
        if container is None or stream is None or resampler is None:
            raise AudioUnavailable(f"{self.name}: not open")
        frame.pts = None  # the received track's clock is not the device's
        try:
            if time.monotonic() - self._last_write > _IDLE_S:
                self._play(self._cushion())
            for out in resampler.resample(frame):
                self._play(out)
            self._last_write = time.monotonic()
        except av.FFmpegError as exc:
            self.close()
            raise AudioUnavailable(f"{self.name}: playback failed (unplugged?): {exc}") from exc
        except ValueError as exc:  # a frame the resampler cannot take
            raise AudioError(f"{self.name}: {exc}") from exc

    def _play(self, frame: av.AudioFrame) -> None:
        assert self._container is not None and self._stream is not None
        frame.pts, frame.time_base = self.samples_written, _TIME_BASE
        self.samples_written += frame.samples
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def _cushion(self) -> av.AudioFrame:
        """Silence to write before sound that follows a pause.

        After a pause the device has run dry (an underrun: alsa-lib restarts it at
        the next write); without a little queued silence in front of the sound,
        the next late packet from the network runs it dry again.
        """
        channels = 1 if self.layout == "mono" else 2
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, _CUSHION_SAMPLES * channels), np.int16), format="s16",
            layout=self.layout)
        frame.sample_rate = SAMPLE_RATE
        return frame

    def close(self) -> None:
        container, self._container = self._container, None
        self._stream = self._resampler = None
        if container is not None:
            _close_quietly(container)


def _close_quietly(container: av.container.OutputContainer) -> None:
    try:
        container.close()
    except av.FFmpegError as exc:  # the trailer of a vanished device
        log.debug("speaker: close failed: %s", exc)


def open_speaker(spec: str) -> AudioSink:
    """The sink a ``--speaker`` spec names, not yet opened.

    ``spec`` is ``none`` (:class:`NullSink`), ``alsa:NAME`` or any other text,
    taken as an ALSA PCM name (``default``, ``hw:0``, ``plughw:CARD=PCH``).
    Raises ``ValueError`` for an empty spec; a missing device is only noticed
    by ``open()``.
    """
    spec = spec.strip()
    if spec == "none":
        return NullSink()
    device = spec.removeprefix("alsa:")
    if not device:
        raise ValueError(f"bad speaker spec {spec!r}: expected an ALSA device name or 'none'")
    return AlsaSink(device)
