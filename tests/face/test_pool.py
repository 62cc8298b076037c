"""FaceCheckPool: bounded queue, timeouts, stuck and dying workers, a responsive loop."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cloud_seat.face_check import (
    CheckRequest,
    CheckTimeout,
    FaceCheckPool,
    LiveFrame,
    PoolBusy,
    PoolClosed,
    WorkerCrashed,
)
from cloud_seat.face_check.model import DlibModel
from tests.face import assets
from tests.face.workers import no_model, scripted


def order(what: str) -> CheckRequest:
    return CheckRequest(what.encode(), (LiveFrame(b"-", 0),))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def pool() -> AsyncIterator[FaceCheckPool]:
    p = FaceCheckPool(workers=1, max_pending=1, timeout_s=5.0, fn=scripted,
                      initializer=no_model, stuck_grace_s=0.3)
    await p.start()
    yield p
    await p.close()


async def test_a_check_runs_in_another_process(pool: FaceCheckPool) -> None:
    result = await pool.check(order("sleep:0"))
    assert result.error is None
    assert int(result.model_version) != os.getpid()


async def test_a_full_queue_refuses_at_once(pool: FaceCheckPool) -> None:
    first = asyncio.create_task(pool.check(order("sleep:0.6")))
    second = asyncio.create_task(pool.check(order("sleep:0")))
    await asyncio.sleep(0.1)
    assert pool.admitted == 2  # one running, one waiting (max_pending=1)
    t0 = time.monotonic()
    with pytest.raises(PoolBusy) as info:
        await pool.check(order("sleep:0"))
    assert time.monotonic() - t0 < 0.1
    assert info.value.wire_code == "rate_limited"
    assert (await first).error is None and (await second).error is None
    assert pool.admitted == 0
    assert (await pool.check(order("sleep:0"))).error is None  # room again


async def test_a_slow_check_times_out_and_the_worker_stays(pool: FaceCheckPool) -> None:
    pool.timeout_s = 0.4
    before = (await pool.check(order("sleep:0"))).model_version
    t0 = time.monotonic()
    with pytest.raises(CheckTimeout):
        await pool.check(order("polite"))
    assert 0.3 < time.monotonic() - t0 < 1.5
    await asyncio.sleep(0.6)  # past the grace period: the worker had stopped by itself
    assert pool.replaced == 0
    assert (await pool.check(order("sleep:0"))).model_version == before


async def test_a_stuck_worker_is_killed_and_replaced(pool: FaceCheckPool) -> None:
    pool.timeout_s = 0.4
    stuck_pid = int((await pool.check(order("sleep:0"))).model_version)
    with pytest.raises(CheckTimeout):
        await pool.check(order("stuck"))
    for _ in range(50):
        if pool.replaced:
            break
        await asyncio.sleep(0.1)
    assert pool.replaced == 1
    for _ in range(50):
        if not alive(stuck_pid):
            break
        await asyncio.sleep(0.1)
    assert not alive(stuck_pid)
    pool.timeout_s = 10.0
    fresh = await pool.check(order("sleep:0"))
    assert fresh.error is None and int(fresh.model_version) != stuck_pid


async def test_a_waiting_check_times_out_without_running(pool: FaceCheckPool) -> None:
    busy = asyncio.create_task(pool.check(order("sleep:0.8")))
    await asyncio.sleep(0.05)
    pool.timeout_s = 0.4
    with pytest.raises(CheckTimeout, match="no face check worker"):
        await pool.check(order("crash"))  # would kill the worker if it ever ran
    assert (await busy).error is None
    await asyncio.sleep(0.5)
    assert pool.replaced == 0
    assert (await pool.check(order("sleep:0"))).error is None


async def test_a_dying_worker_is_retried_once_then_reported(pool: FaceCheckPool) -> None:
    with pytest.raises(WorkerCrashed):
        await pool.check(order("crash"))
    assert pool.replaced == 2
    assert (await pool.check(order("sleep:0"))).error is None


async def test_close_refuses_new_and_cancels_waiting_checks() -> None:
    p = FaceCheckPool(workers=1, max_pending=2, timeout_s=10.0, fn=scripted,
                      initializer=no_model, stuck_grace_s=0.5)
    running = asyncio.create_task(p.check(order("sleep:0.5")))
    waiting = asyncio.create_task(p.check(order("sleep:0")))
    await asyncio.sleep(0.2)
    await p.close()
    with pytest.raises(PoolClosed):
        await waiting
    # the running one either finished before the worker stopped or was closed
    try:
        assert (await running).error is None
    except PoolClosed:
        pass
    with pytest.raises(PoolClosed):
        await p.check(order("sleep:0"))
    await p.close()  # idempotent


def test_bad_arguments() -> None:
    bad: list[dict[str, Any]] = [{"workers": 0}, {"max_pending": -1}, {"timeout_s": 0},
                                 {"context": "fork"}]
    for kw in bad:
        with pytest.raises(ValueError):
            FaceCheckPool(**kw)


async def test_the_loop_keeps_ticking_during_a_real_check(model: DlibModel) -> None:
    frames = tuple(LiveFrame(assets.live_frame("obama3.jpg", seed=i, face_px=180 + 4 * i),
                             100 * i) for i in range(6))
    request = CheckRequest(assets.id_card("obama.jpg"), frames)
    async with FaceCheckPool(workers=1, max_pending=2, timeout_s=45.0) as p:
        await p.start()  # spawn the worker and load its model first
        ticks: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            while not stop.is_set():
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        t0 = time.monotonic()
        result = await p.check(request)
        took = time.monotonic() - t0
        stop.set()
        await task
    assert result.error is None and result.band == "match"
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert took > 0.3
    assert len(ticks) > took / 0.05  # ticking all along (every 10 ms asked)
    # had the check run on the loop, one gap would be the whole check
    assert max(gaps) < max(0.5, took / 3), (max(gaps), took)
