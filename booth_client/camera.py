"""Camera sources for the booth, behind one small interface.

A :class:`CameraSource` gives BGR frames of a fixed size; the booth sends them
with :class:`booth_client.video_track.CameraTrack`. Three sources ship:

- :class:`SyntheticCamera`: a moving test pattern with a wall clock (demo,
  tests, booths without a camera yet). It is the fake for everything else.
- :class:`FileCamera`: a video file, looped.
- :class:`DeviceCamera`: a real camera through OpenCV (V4L2 on Linux).

:func:`open_camera` builds one from the ``--camera`` spec;
:func:`unavailable_frame` is what is sent while there is no camera.

Exceptions (OpenCV's ``cv2.error`` is translated at this boundary)::

    CameraError              the camera failed: status "error"
     └── CameraUnavailable   no such device or file, or it vanished: status "missing"

Sources are not thread-safe: use one from one thread at a time (the track
reads it in a worker thread, one call at a time).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2

from booth_client._frames import Image, TestPattern, check_size, fit_frame, unavailable_image

__all__ = [
    "CameraError",
    "CameraSource",
    "CameraStatus",
    "CameraUnavailable",
    "DeviceCamera",
    "FileCamera",
    "Image",
    "SyntheticCamera",
    "device_target",
    "open_camera",
    "unavailable_frame",
]

log = logging.getLogger(__name__)

CameraStatus = Literal["ok", "missing", "error"]
"""What the booth reports as ``booth.status.camera`` (protocol v1)."""


class CameraError(Exception):
    """The camera failed (root of this module's exceptions)."""


class CameraUnavailable(CameraError):
    """The device or file is missing, or vanished / ended while in use."""


class CameraSource(Protocol):
    """A camera. ``width``, ``height`` and ``fps`` are what the booth sends.

    Lifecycle: ``open()`` then any number of ``read()``; ``close()`` at any
    time and more than once. ``open()`` on an open source does nothing; after
    ``close()``, ``open()`` may be called again (that is how a track retries).
    """

    name: str
    width: int
    height: int
    fps: float

    def open(self) -> None:
        """Acquire the camera. Raises :class:`CameraUnavailable` or :class:`CameraError`."""

    def read(self) -> Image:
        """The next frame, BGR ``uint8``, shape ``(height, width, 3)``; blocks until it is due.

        The array is the caller's. Raises :class:`CameraUnavailable` when the source
        is not open, the device vanished or the stream ended unexpectedly, and
        :class:`CameraError` for other failures.
        """

    def close(self) -> None:
        """Release the camera. Idempotent; never raises."""


def _check_fps(fps: float) -> float:
    fps = float(fps)
    if not 0 < fps <= 240:
        raise ValueError(f"fps must be in (0, 240], got {fps!r}")
    return fps


def unavailable_frame(width: int, height: int,
                      text: str = "Camera unavailable / 摄像头不可用") -> Image:
    """A calm grey frame with a crossed-out camera and ``text``, shape ``(height, width, 3)``.

    ``text`` lines are separated by ``/``. OpenCV 5 draws them as given (its
    "uni" font has Chinese); with OpenCV 4, whose fonts are ASCII only, the
    ASCII part is drawn upper-cased (``CAMERA UNAVAILABLE``). A new array each call.
    """
    return unavailable_image(width, height, text)


class SyntheticCamera:
    """A moving test pattern: colour bars, a sweep, a moving box, a clock, a counter, a label.

    Deterministic: frame ``k`` depends only on ``clock()`` at that read and
    ``k``. The clock shows ``HH:MM:SS.mmm`` in local time, so a glass-to-glass
    delay can be read off a photo of both screens. The static part is drawn
    once at :meth:`open`; a 1280x720 frame costs a few milliseconds. ``read()``
    does not wait: the track paces it.
    """

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 25.0, *,
                 label: str = "XIAOWU SYNTHETIC CAMERA",
                 clock: Callable[[], float] = time.time, name: str = "synthetic") -> None:
        check_size(width, height)
        self.name, self.width, self.height, self.fps = name, width, height, _check_fps(fps)
        self.label = label
        self.frames_read = 0
        self._clock = clock
        self._pattern: TestPattern | None = None
        self._open = False

    def open(self) -> None:
        if self._pattern is None:
            self._pattern = TestPattern(self.width, self.height, self.label)
        self._open = True

    def read(self) -> Image:
        if not self._open or self._pattern is None:
            raise CameraUnavailable(f"{self.name}: not open")
        image = self._pattern.render(self._clock(), self.frames_read)
        self.frames_read += 1
        return image

    def close(self) -> None:
        self._open = False


class FileCamera:
    """A video file read through ``cv2.VideoCapture``, looped, fitted to ``width`` x ``height``.

    :meth:`open` raises :class:`CameraUnavailable` if the file is missing or
    yields no frame. At the end of the file it seeks back to the start (or
    re-opens the file if seeking fails); ``loops`` counts the restarts. The
    file's own rate is ``file_fps``; the booth sends at ``fps``.
    """

    def __init__(self, path: str | os.PathLike[str], width: int = 1280, height: int = 720,
                 fps: float = 25.0, *, name: str | None = None) -> None:
        check_size(width, height)
        self.path = Path(path)
        self.name = name or f"file:{self.path}"
        self.width, self.height, self.fps = width, height, _check_fps(fps)
        self.file_fps: float | None = None
        self.loops = 0
        self._cap: cv2.VideoCapture | None = None
        self._first: Any = None  # the frame open() read to prove the file is readable

    def open(self) -> None:
        if self._cap is not None:
            return
        if not self.path.is_file():
            raise CameraUnavailable(f"{self.name}: no such file")
        try:
            cap, first = self._start()
            self.file_fps = float(cap.get(cv2.CAP_PROP_FPS)) or None
        except cv2.error as exc:
            raise CameraError(f"{self.name}: OpenCV failed: {exc}") from exc
        self._cap, self._first = cap, first

    def _start(self) -> tuple[cv2.VideoCapture, Any]:
        """A capture positioned after its first frame, and that frame."""
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(f"{self.name}: not a video file OpenCV can read")
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise CameraUnavailable(f"{self.name}: the file has no readable frame")
        return cap, frame

    def read(self) -> Image:
        if self._cap is None:
            raise CameraUnavailable(f"{self.name}: not open")
        try:
            if self._first is not None:
                frame, self._first = self._first, None
            else:
                ok, frame = self._cap.read()
                if not ok or frame is None:
                    frame = self._rewind()
            return fit_frame(frame, self.width, self.height)
        except cv2.error as exc:
            raise CameraError(f"{self.name}: OpenCV failed: {exc}") from exc
        except ValueError as exc:
            raise CameraError(f"{self.name}: {exc}") from exc

    def _rewind(self) -> Any:
        assert self._cap is not None
        self.loops += 1
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        ok, frame = self._cap.read()
        if ok and frame is not None:
            return frame
        # Some containers do not seek: start over with a fresh capture.
        self._cap.release()
        self._cap = None
        if not self.path.is_file():
            raise CameraUnavailable(f"{self.name}: the file went away")
        self._cap, frame = self._start()
        return frame

    def close(self) -> None:
        cap, self._cap, self._first = self._cap, None, None
        if cap is not None:
            try:
                cap.release()
            except cv2.error:
                pass


class DeviceCamera:
    """A real camera through OpenCV: an index (``0``) or a device path (``/dev/video0``).

    :meth:`open` asks for MJPG (if ``mjpeg``; USB cameras give 720p at full
    rate only compressed), ``width`` x ``height`` and ``fps``, then records
    what the device actually gave in ``actual_width``, ``actual_height``,
    ``actual_fps`` and ``actual_fourcc``. Frames are fitted to ``width`` x
    ``height`` whatever the device gives. A device path is opened by its index
    (see :func:`device_target`), so a stable ``/dev/v4l/by-id/…`` name works.
    A missing device raises :class:`CameraUnavailable` from :meth:`open`; a
    failed read (unplugged) raises it from :meth:`read` and releases the
    device, so the next :meth:`open` starts afresh. ``read()`` blocks until the
    device has a frame.
    """

    def __init__(self, device: int | str, width: int = 1280, height: int = 720,
                 fps: float = 25.0, *, mjpeg: bool = True, api_preference: int | None = None,
                 name: str | None = None) -> None:
        check_size(width, height)
        if isinstance(device, int) and device < 0:
            raise ValueError(f"device index must be >= 0, got {device}")
        self.device = device
        self.name = name or f"device:{device}"
        self.width, self.height, self.fps = width, height, _check_fps(fps)
        self.mjpeg = mjpeg
        if api_preference is None:
            api_preference = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        self.api_preference = api_preference
        self.actual_width: int | None = None
        self.actual_height: int | None = None
        self.actual_fps: float | None = None
        self.actual_fourcc: str | None = None
        self._cap: cv2.VideoCapture | None = None

    def _node(self) -> str | None:
        """The device node to check for before asking OpenCV (which only logs why it failed)."""
        if isinstance(self.device, str):
            return self.device
        if sys.platform.startswith("linux"):
            return f"/dev/video{self.device}"
        return None

    def open(self) -> None:
        if self._cap is not None:
            return
        node = self._node()
        if node is not None and not os.path.exists(node):
            raise CameraUnavailable(f"{self.name}: no such device {node}")
        target = device_target(self.device)
        try:
            cap = cv2.VideoCapture(target, self.api_preference)
            if not cap.isOpened():
                cap.release()
                raise CameraUnavailable(f"{self.name}: the device would not open")
            # V4L2 wants the pixel format before the size.
            if self.mjpeg:
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
            self.actual_width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            self.actual_height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            self.actual_fps = float(cap.get(cv2.CAP_PROP_FPS))
            code = int(cap.get(cv2.CAP_PROP_FOURCC))
            self.actual_fourcc = bytes((code >> s) & 0xFF for s in (0, 8, 16, 24)).decode(
                "ascii", "replace")
        except cv2.error as exc:
            raise CameraError(f"{self.name}: OpenCV failed: {exc}") from exc
        self._cap = cap
        log.info("camera %s: asked for %dx%d@%g%s, got %sx%s@%s %s", self.name, self.width,
                 self.height, self.fps, " MJPG" if self.mjpeg else "", self.actual_width,
                 self.actual_height, self.actual_fps, self.actual_fourcc)

    def read(self) -> Image:
        if self._cap is None:
            raise CameraUnavailable(f"{self.name}: not open")
        try:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                self.close()  # dead: a later open() starts afresh
                raise CameraUnavailable(f"{self.name}: no frame from the device (unplugged?)")
            return fit_frame(frame, self.width, self.height)
        except cv2.error as exc:
            raise CameraError(f"{self.name}: OpenCV failed: {exc}") from exc
        except ValueError as exc:
            raise CameraError(f"{self.name}: {exc}") from exc

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            try:
                cap.release()
            except cv2.error:
                pass


def device_target(device: int | str) -> int | str:
    """What to hand ``cv2.VideoCapture`` for ``device``.

    A V4L2 node path (``/dev/video2``, or a stable symlink to one such as
    ``/dev/v4l/by-id/usb-…-video-index0``) becomes its index: OpenCV's V4L2
    backend may refuse to open by name (opencv-python 5 logs "can't be used to
    capture by name"). Anything else is passed through.
    """
    if isinstance(device, int):
        return device
    match = re.fullmatch(r"/dev/video(\d+)", os.path.realpath(device))
    return int(match.group(1)) if match else device


_SPECS = "'synthetic', 'file:PATH', 'device:N' or 'device:/dev/videoN'"


def open_camera(spec: str, width: int = 1280, height: int = 720,
                fps: float = 25.0) -> CameraSource:
    """The source a ``--camera`` spec names, not yet opened.

    ``spec`` is ``synthetic``, ``file:PATH``, ``device:N`` or
    ``device:/dev/videoN``. Raises ``ValueError`` with a message fit for the
    command line for a bad spec, size or rate; a missing device or file is only
    noticed by ``open()`` (the track keeps retrying it).
    """
    check_size(width, height)
    fps = _check_fps(fps)
    kind, sep, arg = spec.strip().partition(":")
    if kind == "synthetic" and not sep:
        return SyntheticCamera(width, height, fps)
    if kind == "file" and arg:
        return FileCamera(arg, width, height, fps)
    if kind == "device" and arg:
        if arg.isascii() and arg.isdigit():
            return DeviceCamera(int(arg), width, height, fps)
        if arg.startswith("/"):
            return DeviceCamera(arg, width, height, fps)
    raise ValueError(f"bad camera spec {spec!r}: expected {_SPECS}")
