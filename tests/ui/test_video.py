"""The video widget: frames from any thread, newest wins, aspect ratio kept."""

from __future__ import annotations

import threading

import av
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from booth_client.ui.selfview import TeeSource
from booth_client.ui.video import VideoWidget, fit_rect, to_qimage


def _bgr(w: int = 64, h: int = 36, bgr: tuple[int, int, int] = (255, 0, 0)) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = bgr
    return img


def test_to_qimage_from_av_frame_and_arrays(qapp: QApplication) -> None:
    rgb = np.zeros((36, 64, 3), np.uint8)
    rgb[..., 0] = 200  # red
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    img = to_qimage(frame)
    assert (img.width(), img.height()) == (64, 36)
    assert img.pixelColor(10, 10).red() > 150 and img.pixelColor(10, 10).blue() < 60
    blue_in_bgr = to_qimage(_bgr(), "bgr24")  # OpenCV order: (255, 0, 0) is blue
    assert blue_in_bgr.pixelColor(1, 1).blue() == 255
    assert to_qimage(np.zeros((4, 4), np.uint8)).width() == 4
    with pytest.raises(ValueError):
        to_qimage(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(TypeError):
        to_qimage("not a frame")


def test_fit_rect_keeps_aspect_ratio() -> None:
    r = fit_rect(1280, 720, 1000, 1000)
    assert (r.width(), r.height()) == (1000, 562.5) and r.y() == pytest.approx(218.75)
    r = fit_rect(640, 480, 1920, 1080)
    assert r.height() == 1080 and r.width() == 1440 and r.x() == 240
    assert fit_rect(0, 0, 10, 10).isEmpty()


def test_newest_frame_wins_and_late_frames_are_dropped(qapp: QApplication) -> None:
    w = VideoWidget()
    w.resize(320, 180)
    for shade in (10, 20, 30):  # the UI thread is busy: three frames arrive
        w.push(_bgr(bgr=(shade, shade, shade)))
    assert not w.has_image()
    qapp.processEvents()
    img = w.image()
    assert img is not None and img.pixelColor(0, 0).red() == 30
    assert (w.frames_shown, w.frames_dropped) == (1, 2)
    w.clear()
    assert not w.has_image()


def test_frames_from_another_thread(qapp: QApplication) -> None:
    w = VideoWidget()
    done = threading.Event()

    def produce() -> None:
        for _ in range(50):
            w.push(_bgr())
        done.set()

    t = threading.Thread(target=produce)
    t.start()
    t.join(5)
    assert done.is_set()
    qapp.processEvents()
    assert w.has_image() and w.frames_shown >= 1
    assert w.frames_shown + w.frames_dropped == 50


def test_paints_placeholder_and_frames(qapp: QApplication) -> None:
    w = VideoWidget(placeholder="正在为您接通…", radius=12.0, mirror=True, border="#ffffff")
    w.resize(320, 180)
    assert not w.grab().isNull()  # placeholder text path
    w.push(_bgr(bgr=(0, 0, 255)))
    qapp.processEvents()
    center = w.grab().toImage().pixelColor(160, 90)
    assert center.red() > 200 and center.blue() < 50


def test_tee_source_feeds_the_self_view_at_a_lower_rate() -> None:
    class Source:
        name = "synthetic"

        def read(self) -> np.ndarray:
            return _bgr()

    seen: list[np.ndarray] = []
    t = [0.0]
    tee = TeeSource(Source(), seen.append, max_fps=10, clock=lambda: t[0])
    for i in range(10):  # 10 reads over 0.5 s: at most 10 fps reach the sink
        t[0] = i * 0.05
        frame = tee.read()
        assert frame.shape == (36, 64, 3)
    assert len(seen) == 5
    assert seen[0] is not frame  # a copy: the camera may reuse its buffer
    assert tee.name == "synthetic"
    with pytest.raises(ValueError):
        TeeSource(Source(), seen.append, max_fps=0)
