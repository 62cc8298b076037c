"""``run_kiosk``: the Qt + asyncio loop starts, draws, and quits cleanly."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from booth_client.cli import build_parser
from booth_client.session import Screen
from booth_client.ui.app import run_kiosk
from booth_client.ui.window import KioskWindow


def _stand_in_camera(monkeypatch: pytest.MonkeyPatch) -> None:
    """The camera modules come from another change; stand in for them until they land."""
    try:
        import booth_client.camera  # noqa: F401
        import booth_client.video_track  # noqa: F401
        return
    except ImportError:
        pass
    from aiortc.mediastreams import VideoStreamTrack
    from av import VideoFrame

    class Source:
        def read(self) -> np.ndarray:
            return np.zeros((72, 128, 3), np.uint8)

    class CameraTrack(VideoStreamTrack):
        def __init__(self, source: Any, on_status: Any = None) -> None:
            super().__init__()
            self.source = source

        async def recv(self) -> VideoFrame:
            pts, base = await self.next_timestamp()
            frame = VideoFrame.from_ndarray(self.source.read(), format="bgr24")
            frame.pts, frame.time_base = pts, base
            return frame

    camera = types.ModuleType("booth_client.camera")
    camera.open_camera = lambda spec, w, h, fps: Source()  # type: ignore[attr-defined]
    track = types.ModuleType("booth_client.video_track")
    track.CameraTrack = CameraTrack  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "booth_client.camera", camera)
    monkeypatch.setitem(sys.modules, "booth_client.video_track", track)


def test_unenrolled_kiosk_shows_its_screen_and_quits_on_close(
        qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stand_in_camera(monkeypatch)
    args = build_parser().parse_args(["--config-dir", str(tmp_path / "cfg"), "--windowed",
                                      "--lang", "zh"])
    seen: list[str] = []

    def close_window() -> None:
        windows = [w for w in qapp.topLevelWidgets()
                   if isinstance(w, KioskWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(50, close_window)
            return
        win = windows[0]
        view = win.view()
        seen.append(view.screen.value if view is not None else "none")
        win.close()

    QTimer.singleShot(200, close_window)
    assert run_kiosk(args) == 0
    assert seen == [Screen.UNENROLLED.value]
    assert not any(isinstance(w, KioskWindow) and w.isVisible() for w in qapp.topLevelWidgets())


class _HubThread:
    """A real hub on loopback, on its own event loop in a thread (the kiosk owns this one)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __enter__(self) -> _HubThread:
        import asyncio
        import threading

        from tests.harness import HubEnv

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hub", daemon=True)
        self.thread.start()
        self.env = self.run(HubEnv(self.data_dir).start())
        self.booth_id, self.token = self.run(self.env.add_booth())
        return self

    def run(self, coro: Any) -> Any:
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(15)

    def __exit__(self, *exc: object) -> None:
        self.run(self.env.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def test_enrolled_kiosk_reaches_the_hub_and_takes_touches(
        qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from booth_client.config import BoothConfig, save_config
    from tests.ui.helpers import click, find_button

    _stand_in_camera(monkeypatch)
    with _HubThread(tmp_path / "var") as hub:
        cfg_dir = tmp_path / "cfg"
        save_config(cfg_dir, BoothConfig(hub.env.base, hub.booth_id, hub.token))
        args = build_parser().parse_args(["--config-dir", str(cfg_dir), "--windowed"])
        seen: list[Screen] = []

        def drive() -> None:
            win = next((w for w in qapp.topLevelWidgets()
                        if isinstance(w, KioskWindow) and w.isVisible()), None)
            view = win.view() if win is not None else None
            if win is None or view is None:
                QTimer.singleShot(50, drive)
                return
            if not seen or seen[-1] is not view.screen:
                seen.append(view.screen)
            if view.screen is Screen.WELCOME and view.departments:
                click(find_button(win, "welcome.start"))
            elif view.screen is Screen.CHOOSING:
                win.close()
                return
            QTimer.singleShot(50, drive)

        QTimer.singleShot(100, drive)
        assert run_kiosk(args) == 0
    assert seen[-2:] == [Screen.WELCOME, Screen.CHOOSING]
