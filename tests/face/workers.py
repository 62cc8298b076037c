"""Functions the pool tests run in worker processes (module level: picklable by name).

``scripted`` reads what to do from the request's ``id_image``:
``sleep:S`` sleep S seconds then answer; ``polite`` sleep until the deadline and
answer ``timeout`` as run_check does; ``stuck`` sleep 60 s ignoring the deadline;
``crash`` kill the worker. The answer's ``model_version`` is the worker's pid.
"""

from __future__ import annotations

import os
import time

from cloud_seat.face_check.check import CheckRequest, CheckResult, ErrorInfo


def scripted(req: CheckRequest, deadline: float) -> CheckResult:
    order = req.id_image.decode()
    error = None
    if order.startswith("sleep:"):
        time.sleep(float(order.split(":", 1)[1]))
    elif order == "polite":
        time.sleep(max(0.0, deadline - time.monotonic()))
        error = ErrorInfo("timeout", "the check ran out of time")
    elif order == "stuck":
        time.sleep(60)
    elif order == "crash":
        os._exit(3)
    return CheckResult(thresholds=req.thresholds, model_name="scripted",
                       model_version=str(os.getpid()), error=error)


def no_model() -> None:
    """An initializer that loads nothing (fast worker start)."""
