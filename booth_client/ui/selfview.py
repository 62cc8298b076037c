"""The self view: show the resident the camera frames the agent is being sent.

:class:`TeeSource` wraps a camera source (anything with ``read() -> BGR
ndarray``) before it is handed to the camera track: every frame the track reads
is also passed, at a lower rate and as a copy, to a sink such as
:meth:`booth_client.ui.video.VideoWidget.push`. The track and the source need
no hook for this, and the resident sees exactly what is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["TeeSource"]


class TeeSource:
    """A camera source that also feeds ``sink`` (at most ``max_fps`` frames a second).

    Any other attribute is the wrapped source's. ``sink`` may be called from
    whichever thread reads the camera, so it must be thread-safe.
    """

    def __init__(self, source: Any, sink: Callable[[np.ndarray], None], *,
                 max_fps: float = 15.0, clock: Callable[[], float] = time.monotonic) -> None:
        if max_fps <= 0:
            raise ValueError("max_fps must be > 0")
        self._source = source
        self._sink = sink
        self._interval = 1.0 / max_fps
        self._clock = clock
        self._last = float("-inf")

    def read(self) -> Any:
        frame = self._source.read()
        if isinstance(frame, np.ndarray):
            now = self._clock()
            if now - self._last >= self._interval:
                self._last = now
                # A copy: the source may reuse its buffer before the UI draws it.
                self._sink(frame.copy())
        return frame

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._source, name)
