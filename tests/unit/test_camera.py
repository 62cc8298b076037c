"""Camera sources without a camera: the synthetic pattern, a looped file, the failure paths."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from booth_client import _frames
from booth_client.camera import (
    CameraError,
    CameraUnavailable,
    DeviceCamera,
    FileCamera,
    SyntheticCamera,
    device_target,
    open_camera,
    unavailable_frame,
)

T0 = 1_700_000_000.25  # any fixed wall-clock time


# ---------------------------------------------------------------- synthetic


def test_synthetic_frames_have_the_requested_shape_and_type() -> None:
    cam = SyntheticCamera(320, 180, 25.0, clock=lambda: T0)
    cam.open()
    frame = cam.read()
    assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8
    assert frame.flags.c_contiguous and frame.flags.writeable
    cam.close()
    cam.close()  # idempotent


def test_synthetic_frames_change_with_the_clock_and_are_deterministic() -> None:
    times = iter([T0, T0 + 0.5])
    cam = SyntheticCamera(640, 360, clock=lambda: next(times))
    twin = SyntheticCamera(640, 360, clock=lambda: T0)
    cam.open()
    twin.open()
    first, twin_first = cam.read(), twin.read()
    later = cam.read()
    assert np.array_equal(first, twin_first), "same clock, same frame number: same pixels"
    changed = np.any(first != later, axis=2)
    # The clock, the counter, the sweep and the box all moved: a good part of the picture.
    assert changed.mean() > 0.01
    assert cam.frames_read == 2


def test_synthetic_frame_counter_alone_changes_the_picture() -> None:
    cam = SyntheticCamera(320, 180, clock=lambda: T0)
    cam.open()
    assert not np.array_equal(cam.read(), cam.read())


def test_synthetic_read_needs_open() -> None:
    cam = SyntheticCamera(64, 48)
    with pytest.raises(CameraUnavailable):
        cam.read()
    cam.open()
    cam.read()
    cam.close()
    with pytest.raises(CameraUnavailable):
        cam.read()


def test_synthetic_720p_render_speed() -> None:
    cam = SyntheticCamera(1280, 720, 25.0)
    cam.open()
    cam.read()
    n = 100
    start = time.perf_counter()
    for _ in range(n):
        cam.read()
    per_frame = (time.perf_counter() - start) / n
    budget = 1 / 25
    # Reported, not asserted: timing depends on the machine.
    print(f"\nSyntheticCamera 1280x720: {per_frame * 1000:.2f} ms/frame "
          f"({per_frame / budget:.0%} of one core at 25 fps)")


def test_synthetic_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        SyntheticCamera(0, 720)
    with pytest.raises(ValueError):
        SyntheticCamera(1280, 720, fps=0)


# ---------------------------------------------------------------- file


def write_video(path: Path, frames: int = 20, size: tuple[int, int] = (320, 240)) -> None:
    """An MJPG .avi whose frame ``i`` is a flat grey of level ``20 + 10 * i``."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (w, h))
    assert writer.isOpened(), "OpenCV must be able to write MJPG .avi"
    for i in range(frames):
        writer.write(np.full((h, w, 3), 20 + 10 * i, np.uint8))
    writer.release()


def test_file_camera_loops_and_fits_the_requested_size(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_video(path, frames=20)
    cam = FileCamera(path, 480, 360, 25.0)
    cam.open()
    levels = []
    for _ in range(50):
        frame = cam.read()
        assert frame.shape == (360, 480, 3) and frame.dtype == np.uint8
        levels.append(int(frame.mean()))
    cam.close()
    assert cam.loops == 2, "50 frames of a 20-frame file: two restarts"
    # Same 4:3 aspect: scaled, no bars. Frame i has grey 20 + 10 i (JPEG: nearly).
    assert [abs(level - (20 + 10 * (i % 20))) <= 2 for i, level in enumerate(levels)] == \
        [True] * 50
    assert cam.file_fps == pytest.approx(10.0)


def test_file_camera_keeps_the_aspect_ratio(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_video(path, frames=2, size=(320, 240))  # 4:3 into 16:9: pillarbox
    cam = FileCamera(path, 640, 360)
    cam.open()
    frame = cam.read()
    cam.close()
    assert frame.shape == (360, 640, 3)
    assert frame[:, :70].max() == 0 and frame[:, -70:].max() == 0, "black bars left and right"
    assert abs(int(frame[:, 100:540].mean()) - 20) <= 2, "the picture, 480 wide, in the middle"


def test_file_camera_reopens_after_close(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_video(path, frames=3)
    cam = FileCamera(path, 320, 240)
    cam.open()
    cam.open()  # already open: nothing happens
    cam.read()
    cam.close()
    with pytest.raises(CameraUnavailable):
        cam.read()
    cam.open()
    assert abs(int(cam.read().mean()) - 20) <= 2, "a fresh open starts at the beginning"
    cam.close()


def test_missing_file_is_unavailable_at_open(tmp_path: Path) -> None:
    cam = FileCamera(tmp_path / "nope.avi", 320, 240)
    with pytest.raises(CameraUnavailable, match="no such file"):
        cam.open()
    cam.close()


def test_unreadable_file_is_unavailable_at_open(tmp_path: Path) -> None:
    path = tmp_path / "junk.avi"
    path.write_bytes(b"this is not a video" * 100)
    with pytest.raises(CameraUnavailable):
        FileCamera(path, 320, 240).open()


# ---------------------------------------------------------------- device (no camera here)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="V4L2 device nodes")
def test_missing_device_index_is_unavailable() -> None:
    index = next(i for i in range(64, 256) if not Path(f"/dev/video{i}").exists())
    cam = DeviceCamera(index, 640, 480)
    with pytest.raises(CameraUnavailable, match="no such device"):
        cam.open()
    with pytest.raises(CameraUnavailable):
        cam.read()
    cam.close()
    assert cam.actual_width is None


def test_missing_device_path_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailable, match="no such device"):
        DeviceCamera(str(tmp_path / "video0")).open()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="V4L2 device nodes")
def test_a_path_that_is_not_a_camera_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "video0"
    path.write_bytes(b"")
    with pytest.raises(CameraUnavailable, match="would not open"):
        DeviceCamera(str(path)).open()


def test_device_paths_are_opened_by_index(tmp_path: Path) -> None:
    stable = tmp_path / "usb-Logitech_C920-video-index0"
    stable.symlink_to("/dev/video7")  # like /dev/v4l/by-id/...; dangling here
    assert device_target(str(stable)) == 7
    assert device_target("/dev/video12") == 12
    assert device_target(3) == 3
    assert device_target(str(tmp_path)) == str(tmp_path)
    assert device_target("/dev/video0p") == "/dev/video0p"


def test_device_rejects_a_negative_index() -> None:
    with pytest.raises(ValueError):
        DeviceCamera(-1)


# ---------------------------------------------------------------- open_camera


def test_open_camera_builds_each_kind_without_opening_it(tmp_path: Path) -> None:
    synthetic = open_camera("synthetic", 640, 360, 15.0)
    assert isinstance(synthetic, SyntheticCamera)
    assert (synthetic.width, synthetic.height, synthetic.fps) == (640, 360, 15.0)
    with pytest.raises(CameraUnavailable):
        synthetic.read()  # not opened

    missing = open_camera(f"file:{tmp_path / 'x.avi'}")  # missing: noticed at open()
    assert isinstance(missing, FileCamera) and missing.path == tmp_path / "x.avi"
    assert (missing.width, missing.height, missing.fps) == (1280, 720, 25.0)

    by_index = open_camera("device:2")
    assert isinstance(by_index, DeviceCamera) and by_index.device == 2
    by_path = open_camera(" device:/dev/video3 ")
    assert isinstance(by_path, DeviceCamera) and by_path.device == "/dev/video3"
    assert by_path.name == "device:/dev/video3"


@pytest.mark.parametrize("spec", ["", "webcam", "synthetic:", "synthetic:x", "file:",
                                  "device:", "device:abc", "device:-1", "device:video0",
                                  "device:١", "usb:0"])
def test_open_camera_rejects_a_bad_spec(spec: str) -> None:
    with pytest.raises(ValueError, match="bad camera spec .*expected 'synthetic'"):
        open_camera(spec)


@pytest.mark.parametrize(("width", "height", "fps"), [(0, 720, 25.0), (1280, -1, 25.0),
                                                      (1280, 720, 0.0), (1280, 720, -5.0)])
def test_open_camera_rejects_bad_size_or_rate(width: int, height: int, fps: float) -> None:
    with pytest.raises(ValueError):
        open_camera("synthetic", width, height, fps)


def test_one_exception_tree() -> None:
    assert issubclass(CameraUnavailable, CameraError)
    assert issubclass(CameraError, Exception)


# ---------------------------------------------------------------- unavailable frame


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (640, 480), (64, 48), (2, 2)])
def test_unavailable_frame_is_calm_grey_with_a_drawing(width: int, height: int) -> None:
    frame = unavailable_frame(width, height)
    assert frame.shape == (height, width, 3) and frame.dtype == np.uint8
    background = np.array(_frames._UNAVAILABLE_BG, np.uint8)
    plain = np.all(frame == background, axis=2).mean()
    if width >= 64:  # (a 2x2 frame only has to exist)
        assert plain > 0.6, "mostly the plain grey background"
        assert plain < 0.99, "and an icon and text on it"
        assert frame.max() > 150


def test_unavailable_frame_is_a_fresh_array_each_call() -> None:
    first = unavailable_frame(320, 240)
    first[:] = 0
    assert unavailable_frame(320, 240).max() > 0


@pytest.mark.parametrize("unicode", [True, False])
def test_unavailable_text_is_drawn_with_or_without_a_cjk_font(unicode: bool) -> None:
    frame = _frames.unavailable_image(640, 360, "Camera unavailable / 摄像头不可用",
                                      unicode=unicode)
    below_icon = frame[205:]
    assert below_icon.max() > 200, "light text under the icon"


def test_ascii_fallback_keeps_the_ascii_part_of_each_line() -> None:
    assert _frames._ascii_lines("Camera unavailable / 摄像头不可用") == ["CAMERA UNAVAILABLE"]
    assert _frames._ascii_lines("摄像头不可用") == ["CAMERA UNAVAILABLE"]
    assert _frames._ascii_lines("Back  soon / Please wait") == ["BACK SOON", "PLEASE WAIT"]
