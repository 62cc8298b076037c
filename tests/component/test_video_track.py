"""CameraTrack against scripted cameras: pacing, a camera that vanishes and comes back, stop().

Small frames and a high rate keep these fast; timers are shrunk, not slept out.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import AsyncIterator, Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

from booth_client.camera import (
    CameraError,
    CameraStatus,
    CameraUnavailable,
    Image,
    SyntheticCamera,
    unavailable_frame,
)
from booth_client.video_track import CameraTrack, SilenceTrack

W, H, FPS = 64, 48, 100.0
REAL = (10, 200, 30)  # BGR of the fake camera's frames


class FakeCamera:
    """A scripted camera: ``present`` says whether it is plugged in.

    Reads fail with :class:`CameraUnavailable` once ``fail_after`` frames were
    read (then it is unplugged), or with ``error`` if set; ``gate``, when
    cleared, makes ``read()`` hang like a stuck USB camera.
    """

    def __init__(self, *, present: bool = True, fail_after: int | None = None) -> None:
        self.name, self.width, self.height, self.fps = "fake", W, H, FPS
        self.present = present
        self.fail_after = fail_after
        self.error: CameraError | None = None
        self.gate = threading.Event()
        self.gate.set()
        self.is_open = False
        self.opens = self.open_attempts = self.closes = self.reads = 0
        self.threads: set[str] = set()

    def open(self) -> None:
        self.threads.add(threading.current_thread().name)
        self.open_attempts += 1
        if not self.present:
            raise CameraUnavailable("fake: unplugged")
        self.is_open = True
        self.opens += 1

    def read(self) -> Image:
        self.threads.add(threading.current_thread().name)
        assert self.gate.wait(10), "test bug: the gate was never opened"
        if self.error is not None:
            raise self.error
        if not self.is_open:
            raise CameraUnavailable("fake: not open")
        if self.fail_after is not None and self.reads >= self.fail_after:
            self.present = self.is_open = False
            self.fail_after = None
            raise CameraUnavailable("fake: unplugged while reading")
        self.reads += 1
        return np.full((H, W, 3), REAL, np.uint8)

    def close(self) -> None:
        self.threads.add(threading.current_thread().name)
        if self.is_open:
            self.closes += 1
        self.is_open = False


Statuses = list[tuple[CameraStatus, str | None]]


def camera_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("xiaowu-camera")]


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(camera_threads())
    yield
    assert set(camera_threads()) <= before, "a camera worker thread outlived its track"


@pytest.fixture
def statuses() -> Statuses:
    return []


def make_track(source: FakeCamera | SyntheticCamera, statuses: Statuses,
               **kw: Any) -> CameraTrack:
    return CameraTrack(source, on_status=lambda st, detail: statuses.append((st, detail)), **kw)


@pytest.fixture
async def stopper() -> AsyncIterator[list[CameraTrack]]:
    """Tracks to stop at the end, checking that stopping is clean."""
    tracks: list[CameraTrack] = []
    yield tracks
    for track in tracks:
        track.stop()
        await asyncio.wait_for(track.wait_closed(), 5)
        assert track.readyState == "ended"


def is_real(frame: VideoFrame) -> bool:
    return bool(np.all(frame.to_ndarray(format="bgr24") == REAL))


def is_unavailable(frame: VideoFrame) -> bool:
    return np.array_equal(frame.to_ndarray(format="bgr24"), unavailable_frame(W, H))


async def recv_until(track: CameraTrack, want: str, limit: int = 200) -> list[VideoFrame]:
    """Receive until a frame that is ``want`` ("real" or "unavailable"); all frames received."""
    test = is_real if want == "real" else is_unavailable
    frames: list[VideoFrame] = []
    for _ in range(limit):
        frames.append(await track.recv())
        if test(frames[-1]):
            return frames
    raise AssertionError(f"no {want} frame in {limit} frames")


# ---------------------------------------------------------------- normal running


async def test_recv_gives_sized_frames_with_increasing_pts(
        statuses: Statuses, stopper: list[CameraTrack]) -> None:
    cam = SyntheticCamera(160, 90, 50.0)
    track = make_track(cam, statuses)
    stopper.append(track)
    frames = [await track.recv() for _ in range(6)]
    for frame in frames:
        assert isinstance(frame, VideoFrame)
        assert (frame.width, frame.height) == (160, 90)
        assert frame.format.name == "bgr24"
        assert frame.time_base == Fraction(1, 90_000)
    pts = [int(f.pts) for f in frames if f.pts is not None]
    assert len(pts) == 6 and pts[0] == 0
    assert all(b > a for a, b in zip(pts, pts[1:], strict=False))
    assert all(p % 1800 == 0 for p in pts), "90 kHz at 50 fps: 1800 ticks a frame"
    assert not np.array_equal(frames[0].to_ndarray(format="bgr24"),
                              frames[-1].to_ndarray(format="bgr24")), "the pattern moves"
    assert track.frames_sent == 6
    assert track.last_status == "ok" and statuses == [("ok", None)]
    assert cam.frames_read == 6


async def test_frames_are_paced_at_the_source_rate(stopper: list[CameraTrack]) -> None:
    cam = FakeCamera()
    cam.fps = 50.0
    track = CameraTrack(cam)
    stopper.append(track)
    await track.recv()
    start = time.monotonic()
    for _ in range(10):
        await track.recv()
    elapsed = time.monotonic() - start
    assert elapsed >= 10 / 50 - 0.01, f"10 frames at 50 fps came in {elapsed:.3f} s"


async def test_a_late_frame_skips_ahead_instead_of_bursting(stopper: list[CameraTrack]) -> None:
    cam = FakeCamera()  # 100 fps: 900 ticks a frame
    track = CameraTrack(cam)
    stopper.append(track)
    assert (await track.recv()).pts == 0
    cam.gate.clear()
    late = asyncio.create_task(track.recv())
    await asyncio.sleep(0.1)  # the read takes ten frame times
    cam.gate.set()
    assert (await late).pts == 900
    after, next_ = await track.recv(), await track.recv()
    assert after.pts is not None and next_.pts is not None
    assert after.pts >= 900 * 10, "the missed slots are skipped: the pts keeps to the clock"
    assert 0 < next_.pts - after.pts <= 900 * 3, "and then it runs at the rate again"


async def test_the_camera_is_only_touched_in_the_worker_thread(
        stopper: list[CameraTrack]) -> None:
    cam = FakeCamera()
    track = CameraTrack(cam)
    stopper.append(track)
    await track.recv()
    await track.recv()
    track.stop()
    await track.wait_closed()
    assert cam.closes == 1 and not cam.is_open
    assert cam.threads and all(n.startswith("xiaowu-camera") for n in cam.threads), cam.threads


# ---------------------------------------------------------------- failures


async def test_camera_vanishes_then_comes_back(statuses: Statuses,
                                               stopper: list[CameraTrack]) -> None:
    cam = FakeCamera(fail_after=3)
    track = make_track(cam, statuses, reopen_every_s=0.02)
    stopper.append(track)
    frames = [await track.recv() for _ in range(3)]
    assert all(is_real(f) for f in frames)
    assert statuses == [("ok", None)]

    frames = [await track.recv() for _ in range(10)]  # unplugged: it keeps sending
    assert all(is_unavailable(f) for f in frames)
    assert [st for st, _ in statuses] == ["ok", "missing"], "reported once"
    assert "unplugged" in (statuses[-1][1] or "") and track.last_status == "missing"
    assert cam.open_attempts >= 2, "it keeps trying to reopen"

    cam.present = True  # plugged in again
    await recv_until(track, "real")
    assert [st for st, _ in statuses] == ["ok", "missing", "ok"]
    assert all([is_real(await track.recv()) for _ in range(3)])
    assert track.frames_sent >= 17 and statuses[-1] == ("ok", None)


async def test_camera_missing_at_start(statuses: Statuses, stopper: list[CameraTrack]) -> None:
    cam = FakeCamera(present=False)
    track = make_track(cam, statuses, reopen_every_s=0.02)
    stopper.append(track)
    frames = [await track.recv() for _ in range(5)]
    assert all(is_unavailable(f) for f in frames)
    assert statuses == [("missing", "CameraUnavailable: fake: unplugged")]
    attempts = cam.open_attempts
    assert attempts >= 2
    cam.present = True
    await recv_until(track, "real")
    assert [st for st, _ in statuses] == ["missing", "ok"]


async def test_reopen_waits_reopen_every_s(statuses: Statuses,
                                           stopper: list[CameraTrack]) -> None:
    cam = FakeCamera(present=False)
    track = make_track(cam, statuses, reopen_every_s=60.0)
    stopper.append(track)
    for _ in range(10):
        assert is_unavailable(await track.recv())
    assert cam.open_attempts == 1, "no second attempt before reopen_every_s"


async def test_other_camera_errors_report_error(statuses: Statuses,
                                                stopper: list[CameraTrack]) -> None:
    cam = FakeCamera()
    track = make_track(cam, statuses, reopen_every_s=0.02)
    stopper.append(track)
    assert is_real(await track.recv())
    cam.error = CameraError("fake: USB bandwidth")
    assert is_unavailable(await track.recv())
    assert statuses[-1] == ("error", "CameraError: fake: USB bandwidth")
    cam.error = None
    await recv_until(track, "real")
    assert [st for st, _ in statuses] == ["ok", "error", "ok"]


async def test_a_bug_in_the_source_does_not_end_the_track(
        statuses: Statuses, stopper: list[CameraTrack], caplog: pytest.LogCaptureFixture) -> None:
    cam = FakeCamera()
    track = make_track(cam, statuses, reopen_every_s=0.02)
    stopper.append(track)
    cam.error = ZeroDivisionError("oops")  # type: ignore[assignment]
    assert is_unavailable(await track.recv())
    assert statuses == [("error", "ZeroDivisionError: oops")]
    assert "unexpected failure" in caplog.text


async def test_a_stuck_camera_is_an_error_and_does_not_stall_the_track(
        statuses: Statuses, stopper: list[CameraTrack]) -> None:
    cam = FakeCamera()
    track = make_track(cam, statuses, reopen_every_s=0.02, stall_after_s=0.05)
    stopper.append(track)
    assert is_real(await track.recv())
    cam.gate.clear()  # read() hangs
    assert is_unavailable(await track.recv())
    assert statuses[-1] == ("error", "no frame from the camera in 0.05 s")
    start = time.monotonic()
    frames = [await track.recv() for _ in range(5)]
    assert all(is_unavailable(f) for f in frames)
    assert time.monotonic() - start < 1.0, "unavailable frames keep coming at the frame rate"
    assert cam.reads == 1, "no read piles up behind the stuck one"
    cam.gate.set()
    await recv_until(track, "real")
    assert [st for st, _ in statuses] == ["ok", "error", "ok"]


async def test_a_failing_status_callback_is_logged(stopper: list[CameraTrack],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def on_status(status: CameraStatus, detail: str | None) -> None:
        raise RuntimeError("listener broke")

    track = CameraTrack(FakeCamera(), on_status=on_status)
    stopper.append(track)
    assert is_real(await track.recv())
    assert is_real(await track.recv())
    assert "on_status callback failed" in caplog.text


# ---------------------------------------------------------------- stop


async def test_stop_ends_the_track_and_closes_the_camera(statuses: Statuses) -> None:
    cam = FakeCamera()
    track = make_track(cam, statuses)
    ended: list[bool] = []
    track.on("ended", lambda: ended.append(True))
    await track.recv()
    track.stop()
    track.stop()  # idempotent
    with pytest.raises(MediaStreamError):
        await track.recv()
    await asyncio.wait_for(track.wait_closed(), 5)
    assert ended == [True] and cam.closes == 1 and not cam.is_open
    assert not camera_threads()


async def test_stop_while_a_read_hangs(statuses: Statuses) -> None:
    cam = FakeCamera()
    track = make_track(cam, statuses, stall_after_s=5.0)
    await track.recv()
    cam.gate.clear()
    pending = asyncio.create_task(track.recv())
    await asyncio.sleep(0.05)
    track.stop()
    with pytest.raises(MediaStreamError):
        await pending
    closing = asyncio.create_task(track.wait_closed())
    await asyncio.sleep(0.05)
    assert not closing.done(), "close waits for the read running in the camera"
    cam.gate.set()
    await asyncio.wait_for(closing, 5)
    assert not cam.is_open and cam.closes == 1


async def test_stop_while_waiting_for_the_next_frame_time() -> None:
    cam = FakeCamera()
    cam.fps = 5.0
    track = CameraTrack(cam)
    await track.recv()
    pending = asyncio.create_task(track.recv())  # sleeps until the next frame is due
    await asyncio.sleep(0.02)
    track.stop()
    with pytest.raises(MediaStreamError):
        await pending
    await track.wait_closed()
    assert cam.reads == 1


async def test_stop_before_any_recv() -> None:
    cam = FakeCamera()
    track = CameraTrack(cam)
    track.stop()
    await track.wait_closed()
    assert cam.open_attempts == 0 and not cam.is_open


async def test_a_callers_executor_is_left_running(statuses: Statuses) -> None:
    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="caller") as executor:
        cam = FakeCamera()
        track = make_track(cam, statuses, executor=executor)
        await track.recv()
        track.stop()
        await track.wait_closed()
        assert executor.submit(lambda: 42).result() == 42
        assert cam.threads and all(n.startswith("caller") for n in cam.threads)


async def test_wait_closed_needs_stop() -> None:
    track = CameraTrack(FakeCamera())
    with pytest.raises(RuntimeError):
        await track.wait_closed()
    track.stop()
    await track.wait_closed()


# ---------------------------------------------------------------- audio


async def test_silence_track_gives_silent_audio() -> None:
    track = SilenceTrack()
    frame = await track.recv()
    assert isinstance(frame, AudioFrame) and track.kind == "audio"
    assert not np.any(frame.to_ndarray())
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()
