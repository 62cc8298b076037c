"""The default :class:`~signaling.faces.FaceJudge`: ``cloud_seat.face_check`` in a
process pool (dlib is CPU bound and must never run on the hub's event loop)."""

from __future__ import annotations

from signaling.config import Settings
from signaling.faces import FaceJob, FaceJudge, FaceVerdict, JudgeUnavailable

__all__ = ["default_judge"]


class _Unavailable:
    async def judge(self, job: FaceJob) -> FaceVerdict:
        raise JudgeUnavailable("the face check engine is not installed")

    async def close(self) -> None:
        return None


def default_judge(settings: Settings) -> FaceJudge:
    return _Unavailable()
