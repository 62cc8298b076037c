"""The default :class:`~signaling.faces.FaceJudge`: ``cloud_seat.face_check`` in a
process pool (dlib is CPU bound and must never run on the hub's event loop).

The engine is imported when the first check starts, so a hub that never runs a
face check never loads dlib or its models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signaling import protocol as p
from signaling.config import Settings
from signaling.faces import FaceJob, FaceJudge, FaceVerdict, JudgeUnavailable

if TYPE_CHECKING:
    from cloud_seat.face_check import CheckResult, FaceCheckPool

__all__ = ["default_judge", "PoolJudge", "verdict_of"]

_WIRE = frozenset(c.value for c in p.ErrorCode)

def verdict_of(result: CheckResult) -> FaceVerdict:
    """The engine's result as the hub's ``face.check.result`` fields."""
    raw = result.to_json()
    error: dict[str, Any] | None = None
    if result.error is not None:
        code = result.error.wire_code if result.error.wire_code in _WIRE else "internal"
        error = {"code": code, "message": f"{result.error.code}: {result.error.message}"[:500]}
    liveness = raw["liveness"]["challenges"] if raw["liveness"] else []
    out = {
        "state": "failed" if error else "judged",
        "band": raw["band"], "distance": raw["distance"], "thresholds": raw["thresholds"],
        "model": raw["model"], "passed": raw["passed"],
        "gates": [{k: g[k] for k in ("name", "passed", "value", "limit", "hint")}
                  for g in raw["gates"]],
        "liveness": [{k: c[k] for k in ("action", "passed", "value", "limit", "detail")}
                     for c in liveness],
        "id_box": raw["id_box"], "live_box": raw["live_box"], "error": error,
    }
    hint = result.hint
    if error is not None:
        hint = "error"
    return FaceVerdict(result=out, portrait_jpeg=result.portrait_jpeg,
                       best_frame=result.best_frame_index, hint=hint)


class PoolJudge:
    """Face checks in a :class:`~cloud_seat.face_check.FaceCheckPool`."""

    def __init__(self, settings: Settings, pool: FaceCheckPool | None = None) -> None:
        from cloud_seat import face_check as fc

        self._fc = fc
        self._settings = settings
        self._pool = pool or fc.FaceCheckPool(
            workers=settings.face_workers, max_pending=settings.face_max_pending,
            timeout_s=settings.face_timeout_s)

    async def judge(self, job: FaceJob) -> FaceVerdict:
        fc = self._fc
        try:
            req = fc.CheckRequest(
                id_image=job.id_image, frames=tuple(job.frames), challenges=job.challenges,
                thresholds=fc.Thresholds(job.match_max, job.mismatch_min),
                liveness_limits=fc.LivenessLimits(step_s=job.step_s),
            )
            result = await self._pool.check(req)
        except (fc.PoolBusy, fc.CheckTimeout, fc.PoolClosed, fc.WorkerCrashed) as exc:
            raise JudgeUnavailable(str(exc)) from exc
        except fc.BadRequest as exc:
            raise JudgeUnavailable(f"bad check request: {exc}") from exc
        return verdict_of(result)

    async def close(self) -> None:
        await self._pool.close()


def default_judge(settings: Settings) -> FaceJudge:
    return PoolJudge(settings)
