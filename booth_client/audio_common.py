"""What the booth's audio modules share: the format, the health words, the exceptions.

The booth's audio is 48 kHz, signed 16-bit, in 20 ms frames: what aiortc's
Opus codec works in, so nothing is resampled twice. Microphone samples are
mono; the speaker takes whatever the call delivers (aiortc decodes Opus to
stereo) and converts.

Exceptions (PyAV's ``av.error.*`` are translated at the source and sink boundary)::

    AudioError              the device failed: status "error"
     └── AudioUnavailable   no such device or file, or it vanished: status "missing"

:func:`alsa_environment` must run before PyAV first opens an ALSA device
(the sources and sinks call it): the alsa-lib that PyAV's wheels bundle looks
for its configuration in the build machine's prefix, not in ``/usr/share/alsa``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "AudioError",
    "AudioStatus",
    "AudioUnavailable",
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "Samples",
    "StatusCallback",
    "alsa_environment",
    "silence",
]

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
"""Samples per second everywhere in the booth's audio (Opus's rate, RFC 7587 §4.1)."""
FRAME_SAMPLES = SAMPLE_RATE // 50
"""One 20 ms frame (960 samples), the ptime aiortc sends."""

Samples = npt.NDArray[np.int16]
"""Mono samples, shape ``(n,)``."""

AudioStatus = Literal["ok", "missing", "error"]
"""What the booth reports as ``booth.status.mic`` and ``booth.status.speaker``."""

SYSTEM_ALSA_DIR = Path("/usr/share/alsa")
"""Debian's alsa-lib configuration (package libasound2-data)."""


class AudioError(Exception):
    """An audio device failed (root of the booth's audio exceptions)."""


class AudioUnavailable(AudioError):
    """The device or file is missing, or vanished while in use."""


class StatusCallback(Protocol):
    """``on_status(status, detail)``: ``detail`` is a reason for people, ``None`` for "ok".

    Called from the audio worker thread (or the event loop), once per change; the
    return value is ignored and an exception it raises is logged.
    """

    def __call__(self, status: AudioStatus, detail: str | None, /) -> object: ...


def silence(n: int = FRAME_SAMPLES) -> Samples:
    """``n`` samples of silence (a new array)."""
    return np.zeros(n, np.int16)


def alsa_environment(system_dir: Path = SYSTEM_ALSA_DIR) -> None:
    """Point PyAV's bundled alsa-lib at the system's ALSA configuration.

    PyAV's wheels carry their own alsa-lib, built to read its configuration
    from the build machine's prefix (``/tmp/vendor/share/alsa``), which does not
    exist here: without this, no PCM name resolves (not even ``default``) and
    ``~/.asoundrc`` is ignored. When neither ``ALSA_CONFIG_PATH`` nor
    ``ALSA_CONFIG_DIR`` is set and ``system_dir/alsa.conf`` exists, this sets
    ``ALSA_CONFIG_DIR`` for the process; alsa-lib reads it at every open.
    A caller's own setting is left alone.

    ``ALSA_PLUGIN_DIR`` is not set: the system's external plugins (pulse,
    pipewire) are built against the system's alsa-lib, not the bundled one.
    """
    if os.environ.get("ALSA_CONFIG_PATH") or os.environ.get("ALSA_CONFIG_DIR"):
        return
    if (system_dir / "alsa.conf").is_file():
        os.environ["ALSA_CONFIG_DIR"] = str(system_dir)
        log.debug("audio: ALSA_CONFIG_DIR=%s for PyAV's alsa-lib", system_dir)
    else:
        log.warning("audio: no %s/alsa.conf (Debian package libasound2-data): "
                    "ALSA device names will not resolve", system_dir)
