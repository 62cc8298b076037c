"""The booth's audio as one piece: the microphone track it sends, the speaker it plays on.

:class:`BoothAudio` is built from the ``--mic`` and ``--speaker`` specs
(:func:`~booth_client.audio_source.open_mic`,
:func:`~booth_client.audio_sink.open_speaker`). Hand :attr:`BoothAudio.track`
to :class:`~booth_client.media.BoothMedia` as its audio and
:meth:`BoothAudio.play` as its ``on_remote_audio``; health goes to
``on_status(device, status)`` with ``device`` ``"mic"`` or ``"speaker"``, from
the audio worker threads. A device given as ``none`` reports nothing: the
booth has none, which is not a fault.

The modules: :mod:`~booth_client.audio_common` (format, health, exceptions),
:mod:`~booth_client.audio_source` (microphones), :mod:`~booth_client.audio_sink`
(speakers), :mod:`~booth_client.audio_track` (the worker threads),
:mod:`~booth_client.audio_devices` (listing ALSA devices).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import av

from booth_client.audio_common import AudioStatus
from booth_client.audio_sink import AudioSink, NullSink, open_speaker
from booth_client.audio_source import AudioSource, SilenceSource, open_mic
from booth_client.audio_track import MicrophoneTrack, SpeakerPlayer

__all__ = ["AudioDevice", "AudioStatusCallback", "BoothAudio"]

AudioDevice = Literal["mic", "speaker"]
AudioStatusCallback = Callable[[AudioDevice, AudioStatus], object]


class BoothAudio:
    """A :class:`MicrophoneTrack` and a :class:`SpeakerPlayer`, started and stopped together.

    Call :meth:`start` once the event loop runs (the devices open then, so their
    health is known before the first call) and :meth:`stop` then
    ``await`` :meth:`wait_closed` when the booth stops.
    """

    def __init__(self, mic: AudioSource, speaker: AudioSink, *,
                 on_status: AudioStatusCallback | None = None,
                 reopen_every_s: float = 3.0) -> None:
        def reporter(device: AudioDevice, silent: bool
                     ) -> Callable[[AudioStatus, str | None], object] | None:
            if on_status is None or silent:
                return None
            return lambda status, _detail: on_status(device, status)

        self.track = MicrophoneTrack(
            mic, on_status=reporter("mic", isinstance(mic, SilenceSource)),
            reopen_every_s=reopen_every_s)
        self.player = SpeakerPlayer(
            speaker, on_status=reporter("speaker", isinstance(speaker, NullSink)),
            reopen_every_s=reopen_every_s)

    @classmethod
    def from_specs(cls, mic: str, speaker: str, *,
                   on_status: AudioStatusCallback | None = None) -> BoothAudio:
        """From ``--mic`` and ``--speaker`` specs; ``ValueError`` with a message for a bad one."""
        return cls(open_mic(mic), open_speaker(speaker), on_status=on_status)

    def start(self) -> None:
        self.track.start()
        self.player.start()

    def play(self, frame: av.AudioFrame) -> None:
        """A frame of the call's received audio (``BoothMedia(on_remote_audio=...)``)."""
        self.player.feed(frame)

    def stop(self) -> None:
        self.track.stop()
        self.player.stop()

    async def wait_closed(self) -> None:
        await self.track.wait_closed()
        await self.player.wait_closed()
