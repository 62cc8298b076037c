"""Face checks in worker processes, for the hub's event loop.

dlib is CPU bound and holds the GIL, so checks run in a
``ProcessPoolExecutor`` (``spawn`` context by default: the hub has threads, and
a forked copy of them is unsafe; ``forkserver`` also works) whose initializer
loads the model once per worker. :class:`FaceCheckPool` adds what the hub needs
around it:

* **A bounded queue.** At most ``workers`` checks run and ``max_pending`` more
  wait; one more is refused at once with :class:`~.errors.PoolBusy` (the hub
  tells the agent to retry), so a burst cannot pile up unbounded work and memory.
* **A timeout.** :meth:`FaceCheckPool.check` raises
  :class:`~.errors.CheckTimeout` ``timeout_s`` after it was called, waiting
  included. Checks wait for an idle worker in the event loop, not in the
  executor's queue, so one that never got a worker is simply dropped. A running
  one is told the same deadline (``time.monotonic()``, one clock for all
  processes on Linux) and stops itself between frames; a worker still busy
  ``stuck_grace_s`` after the deadline is stuck (inside dlib, say) and is
  killed, and the executor replaced. Checks that were running on the other
  workers of the killed executor are run once more on the new one (checks are
  pure, so that is safe), as are checks whose worker died
  (``BrokenProcessPool``); a second death is :class:`~.errors.WorkerCrashed`.
* **An event loop that stays responsive.** Nothing blocks: submission, the
  (de)pickling of requests and results, and joining workers on close happen in
  the executor's or ``asyncio.to_thread``'s threads.

After :meth:`FaceCheckPool.close` the caller must not call :meth:`check` again
(it raises :class:`~.errors.PoolClosed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from cloud_seat.face_check.check import CheckRequest, CheckResult, run_check
from cloud_seat.face_check.errors import (
    CheckTimeout,
    FaceCheckError,
    PoolBusy,
    PoolClosed,
    WorkerCrashed,
)
from cloud_seat.face_check.model import default_model

__all__ = ["CheckFn", "FaceCheckPool", "load_default_model", "run_with_deadline"]

log = logging.getLogger(__name__)

CheckFn = Callable[[CheckRequest, float], CheckResult]
"""What a worker runs: ``fn(request, deadline)``, deadline a ``time.monotonic()`` instant."""


def run_with_deadline(req: CheckRequest, deadline: float) -> CheckResult:
    """The default :data:`CheckFn`: :func:`~.check.run_check` with the deadline."""
    return run_check(req, deadline=deadline)


def load_default_model() -> None:
    """The default worker initializer: load this process's model now, not on the first
    check. A model that cannot load is reported by each check (``model_error``)."""
    try:
        default_model()
    except FaceCheckError as exc:
        log.error("face model did not load in the worker: %s", exc)


def _init_worker(initializer: Callable[[], None] | None) -> None:
    # Ctrl-C in the hub's terminal reaches the whole process group; the hub decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import cv2

        cv2.setNumThreads(1)  # one check per core: no thread pools inside a worker
    except ImportError:  # pragma: no cover - cv2 is a dependency
        pass
    if initializer is not None:
        initializer()


def _call(fn: CheckFn, req: CheckRequest, deadline: float) -> CheckResult:
    return fn(req, deadline)


def _worker_processes(executor: ProcessPoolExecutor) -> list[BaseProcess]:
    # Python 3.11 has no public way to reach an executor's workers (3.14 adds
    # kill_workers()); _processes is the pid -> Process map it keeps.
    procs = getattr(executor, "_processes", None) or {}
    return list(procs.values())


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    kill = getattr(executor, "kill_workers", None)
    if callable(kill):  # Python >= 3.14
        kill()
    else:
        for proc in _worker_processes(executor):
            with contextlib.suppress(OSError, ValueError, AttributeError):
                proc.kill()
    executor.shutdown(wait=False, cancel_futures=True)


class FaceCheckPool:
    """``workers`` processes running face checks; see the module docstring.

    ``fn`` and ``initializer`` (module-level functions, picklable) replace what the
    workers run, for tests and benchmarks.
    """

    def __init__(
        self,
        workers: int = 1,
        max_pending: int = 8,
        timeout_s: float = 30.0,
        *,
        context: Literal["spawn", "forkserver"] = "spawn",
        fn: CheckFn = run_with_deadline,
        initializer: Callable[[], None] | None = load_default_model,
        stuck_grace_s: float = 2.0,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be >= 1")
        if max_pending < 0:
            raise ValueError("max_pending must be >= 0")
        if timeout_s <= 0 or stuck_grace_s < 0:
            raise ValueError("timeout_s must be > 0 and stuck_grace_s >= 0")
        if context not in ("spawn", "forkserver"):
            raise ValueError("context must be 'spawn' or 'forkserver'")
        self.workers = workers
        self.max_pending = max_pending
        self.timeout_s = timeout_s
        self._context = context
        self._fn = fn
        self._initializer = initializer
        self._grace = stuck_grace_s
        self._executor: ProcessPoolExecutor | None = None
        self._admitted = 0
        self._closed = False
        self._reapers: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(workers)
        self.replaced = 0  # executors killed and replaced (stuck or crashed workers)

    @property
    def admitted(self) -> int:
        """Checks running or waiting now."""
        return self._admitted

    def _ensure(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(self._context),
                initializer=_init_worker,
                initargs=(self._initializer,),
            )
        return self._executor

    def _replace(self, executor: ProcessPoolExecutor) -> None:
        """Kill ``executor``'s workers; the next submission starts a fresh executor."""
        if self._executor is executor:
            self._executor = None
            self.replaced += 1
            log.warning("face check workers replaced (stuck or dead)")
        _kill_workers(executor)

    async def start(self) -> None:
        """Start every worker and load its model now, rather than on the first checks
        (optional). Raises :class:`PoolClosed`, or :class:`CheckTimeout` when the
        workers are not up within ``timeout_s``."""
        if self._closed:
            raise PoolClosed("the face check pool is closed")
        deadline = time.monotonic() + self.timeout_s
        loop = asyncio.get_running_loop()

        async def warm() -> None:
            await self._slot(deadline)
            fut = self._ensure().submit(time.sleep, 0.2)  # long enough to spread out
            fut.add_done_callback(self._releaser(loop))
            async with asyncio.timeout_at(self._loop_deadline(deadline)):
                await asyncio.wrap_future(fut)

        try:
            await asyncio.gather(*(warm() for _ in range(self.workers)))
        except TimeoutError:
            raise CheckTimeout("the face check workers did not start in time") from None

    def _releaser(self, loop: asyncio.AbstractEventLoop) -> Callable[[Future[Any]], None]:
        """A done-callback (run in the executor's thread) that frees a worker slot."""

        def release(_fut: Future[Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(self._slots.release)

        return release

    async def check(self, req: CheckRequest) -> CheckResult:
        """Run ``req`` in a worker. Raises :class:`PoolBusy`, :class:`CheckTimeout`,
        :class:`PoolClosed` or :class:`WorkerCrashed`; bad input is in the result."""
        if self._closed:
            raise PoolClosed("the face check pool is closed")
        if self._admitted >= self.workers + self.max_pending:
            raise PoolBusy(f"{self._admitted - self.workers} face checks already waiting")
        self._admitted += 1
        try:
            return await self._run(req, time.monotonic() + self.timeout_s)
        finally:
            self._admitted -= 1

    async def _slot(self, deadline: float) -> None:
        """Wait for an idle worker. Checks wait here, in the event loop, and not in the
        executor's own queue: there they could no longer be cancelled, and a check
        queued behind a stuck one would look stuck itself."""
        try:
            async with asyncio.timeout_at(self._loop_deadline(deadline)):
                await self._slots.acquire()
        except TimeoutError:
            raise CheckTimeout(
                f"no face check worker became free within {self.timeout_s:g} s") from None
        if self._closed:
            self._slots.release()
            raise PoolClosed("the face check pool was closed")

    async def _run(self, req: CheckRequest, deadline: float) -> CheckResult:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            await self._slot(deadline)
            try:
                executor = self._ensure()
                fut = executor.submit(_call, self._fn, req, deadline)
            except (BrokenProcessPool, RuntimeError) as exc:
                self._slots.release()
                if self._closed:
                    raise PoolClosed("the face check pool was closed") from exc
                self._replace(executor)
                continue
            # The worker is busy until its future is done (answered, or killed).
            fut.add_done_callback(self._releaser(loop))
            try:
                return await self._await(fut, executor, deadline)
            except BrokenProcessPool as exc:
                if self._closed:
                    raise PoolClosed("the face check pool was closed") from exc
                self._replace(executor)
                if attempt == 2 or time.monotonic() >= deadline:
                    raise WorkerCrashed("the face check worker died") from exc
                log.warning("face check worker died; running the check once more")
        raise WorkerCrashed("no face check worker could be started")

    async def _await(self, fut: Future[CheckResult], executor: ProcessPoolExecutor,
                     deadline: float) -> CheckResult:
        waiter = asyncio.wrap_future(fut)
        try:
            async with asyncio.timeout_at(self._loop_deadline(deadline)):
                return await asyncio.shield(waiter)
        except TimeoutError:
            waiter.add_done_callback(_consume)
            # Running (submitted only to an idle worker): it stops itself at the
            # deadline, or is stuck.
            task = asyncio.create_task(self._reap_if_stuck(fut, executor))
            self._reapers.add(task)
            task.add_done_callback(self._reapers.discard)
            raise CheckTimeout(f"face check took longer than {self.timeout_s:g} s") from None
        except asyncio.CancelledError:
            waiter.add_done_callback(_consume)
            current = asyncio.current_task()
            if waiter.cancelled() and current is not None and not current.cancelling():
                # Not our caller cancelling us: close() cancelled the check.
                raise PoolClosed("the face check pool was closed") from None
            raise

    @staticmethod
    def _loop_deadline(deadline: float) -> float:
        loop = asyncio.get_running_loop()
        return loop.time() + (deadline - time.monotonic())

    async def _reap_if_stuck(self, fut: Future[CheckResult],
                             executor: ProcessPoolExecutor) -> None:
        await asyncio.sleep(self._grace)
        if not fut.done():
            log.warning("face check worker stuck past its deadline; killing it")
            self._replace(executor)

    async def close(self) -> None:
        """Stop taking checks, cancel waiting ones, stop the workers (killing any that
        do not stop within the grace period). Idempotent."""
        self._closed = True
        for task in list(self._reapers):
            task.cancel()
        for _ in range(self.workers + self.max_pending):
            self._slots.release()  # wake the waiting checks: they see the pool closed
        executor, self._executor = self._executor, None
        if executor is None:
            return
        procs = _worker_processes(executor)
        executor.shutdown(wait=False, cancel_futures=True)
        grace = max(self._grace, 1.0)

        def join() -> None:
            end = time.monotonic() + grace
            for proc in procs:
                proc.join(max(0.0, end - time.monotonic()))
            for proc in procs:
                if proc.is_alive():
                    proc.kill()
                    proc.join(5.0)

        await asyncio.to_thread(join)
        await asyncio.to_thread(executor.shutdown, wait=True)

    async def __aenter__(self) -> FaceCheckPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _consume(fut: asyncio.Future[CheckResult]) -> None:
    """Retrieve a dropped future's outcome, so asyncio does not log it as lost."""
    if not fut.cancelled():
        fut.exception()
