"""The screen share's track (booth_client.screen_track): nothing until shared, a few
pictures a second while shared, one dark frame when stopped, placeholders without a
window."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from booth_client.screen_track import ScreenSource, ScreenTrack, fit_picture, placeholder_picture


def picture(w: int = 101, h: int = 51, value: int = 200) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


async def test_nothing_is_sent_until_the_screen_is_shared() -> None:
    source = ScreenSource(lambda: picture(), fps=50)
    track = ScreenTrack(source)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(track.recv(), 0.2)
    assert source.frames_sent == 0
    track.stop()


async def test_shared_pictures_come_paced_and_even_sized() -> None:
    sizes: list[tuple[int, int]] = []
    source = ScreenSource(lambda: picture(), fps=20, on_frame=lambda w, h: sizes.append((w, h)))
    track = ScreenTrack(source)
    source.start()
    loop = asyncio.get_running_loop()
    first = await track.recv()
    t0 = loop.time()
    second = await track.recv()
    assert loop.time() - t0 >= 0.04, "at most fps pictures a second"
    assert (first.width, first.height) == (100, 50) and second.pts > first.pts
    assert sizes == [(100, 50), (100, 50)] and source.size == (100, 50)
    arr = first.to_ndarray(format="rgb24")
    assert abs(int(arr[10, 10, 0]) - 200) < 8
    track.stop()


async def test_stopping_sends_one_dark_frame_then_nothing() -> None:
    source = ScreenSource(lambda: picture(64, 32, 230), fps=50)
    track = ScreenTrack(source)
    source.start()
    await track.recv()
    source.stop()
    dark = await asyncio.wait_for(track.recv(), 1)
    assert (dark.width, dark.height) == (64, 32), "the same size: no encoder restart"
    assert int(dark.to_ndarray(format="rgb24").max()) < 80
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(track.recv(), 0.2)
    source.start()  # shared again
    again = await asyncio.wait_for(track.recv(), 1)
    assert int(again.to_ndarray(format="rgb24").mean()) > 200
    track.stop()


async def test_a_stop_while_waiting_for_the_slot_sends_no_screen() -> None:
    source = ScreenSource(lambda: picture(64, 32, 230), fps=4)
    track = ScreenTrack(source)
    source.start()
    await track.recv()
    pending = asyncio.ensure_future(track.recv())  # waits ~0.25 s for its slot
    await asyncio.sleep(0.05)
    source.stop()
    frame = await asyncio.wait_for(pending, 1)
    assert int(frame.to_ndarray(format="rgb24").max()) < 80, "the dark frame, not the screen"
    track.stop()


async def test_without_a_window_a_placeholder_is_sent() -> None:
    source = ScreenSource(None, fps=50)
    track = ScreenTrack(source)
    source.start()
    frame = await track.recv()
    assert (frame.width, frame.height) == (640, 360)
    nothing = ScreenSource(lambda: None, fps=50)  # a hidden window
    nothing.start()
    frame = await ScreenTrack(nothing).recv()
    assert (frame.width, frame.height) == (640, 360)
    track.stop()


def test_pictures_are_fitted() -> None:
    assert fit_picture(picture(2000, 1001), 1280).shape == (640, 1280, 3)
    assert fit_picture(picture(33, 17), 1280).shape == (16, 32, 3)
    with pytest.raises(ValueError):
        fit_picture(np.zeros((10, 10), np.uint8), 1280)
    assert placeholder_picture(320, 180, stopped=True).max() < 80
    with pytest.raises(ValueError):
        ScreenSource(fps=0)
