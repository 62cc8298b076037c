"""Face check (人脸核身): is the resident at the booth the person on the ID card?

Server side only (DESIGN.md §3): the booth is not trusted to judge itself. The
hub runs :func:`run_check` in a :class:`FaceCheckPool` of worker processes.

The flow of one check::

    ID image ──► portrait: find the one face on the card scan (or chip photo),
                 crop, encode with a few jitters
    live frames (t_ms, step) ──► each decoded and analysed once: faces, 68
                 landmarks, head pose, sharpness → quality gates (one_face,
                 face_size, frontal, sharpness; hints for the resident)
             ──► liveness: the landmark series against the prompted challenges
                 (blink, turn_left, turn_right, open_mouth), relative to the
                 resident's own baseline
             ──► the best usable frame of each step (up to 3) encoded; median
                 distance to the portrait → band match / review / mismatch
    CheckResult: advice for the agent, who decides

The distance is advice, never a verdict: dlib's model is much weaker on
East-Asian faces and on children than its LFW score suggests, so the bands
(:class:`Thresholds`, default match ≤ 0.40 < review ≤ 0.55 < mismatch) are
configuration and the agent compares the faces side by side.

The model sits behind :class:`FaceModel` (:class:`DlibModel` by default); the
pure parts (:mod:`.pose`, :mod:`.gates`, :mod:`.liveness`, :mod:`.matcher`,
:mod:`.selection`) take numbers, not images.

Errors form one tree (all in :mod:`.errors`)::

    FaceCheckError
    ├── BadRequest
    ├── BadImage
    ├── PortraitError
    │   ├── NoFaceOnId
    │   └── ManyFacesOnId
    ├── ModelError
    ├── CheckTimeout
    ├── PoolBusy
    ├── PoolClosed
    └── WorkerCrashed
"""

from cloud_seat.face_check.check import (
    CheckRequest,
    CheckResult,
    ErrorInfo,
    FrameSummary,
    LiveFrame,
    run_check,
)
from cloud_seat.face_check.errors import (
    BadImage,
    BadRequest,
    CheckTimeout,
    FaceCheckError,
    ManyFacesOnId,
    ModelError,
    NoFaceOnId,
    PoolBusy,
    PoolClosed,
    PortraitError,
    WorkerCrashed,
)
from cloud_seat.face_check.gates import GateLimits, GateResult
from cloud_seat.face_check.liveness import (
    BASELINE,
    CHALLENGES,
    STEPS,
    ChallengeResult,
    LivenessLimits,
    LivenessResult,
    choose_challenges,
)
from cloud_seat.face_check.matcher import Band, Thresholds, band
from cloud_seat.face_check.model import Box, DlibModel, Face, FaceModel, default_model
from cloud_seat.face_check.pool import FaceCheckPool

__all__ = [
    "BASELINE",
    "CHALLENGES",
    "STEPS",
    "BadImage",
    "BadRequest",
    "Band",
    "Box",
    "ChallengeResult",
    "CheckRequest",
    "CheckResult",
    "CheckTimeout",
    "DlibModel",
    "ErrorInfo",
    "Face",
    "FaceCheckError",
    "FaceCheckPool",
    "FaceModel",
    "FrameSummary",
    "GateLimits",
    "GateResult",
    "LiveFrame",
    "LivenessLimits",
    "LivenessResult",
    "ManyFacesOnId",
    "ModelError",
    "NoFaceOnId",
    "PoolBusy",
    "PoolClosed",
    "PortraitError",
    "Thresholds",
    "WorkerCrashed",
    "band",
    "choose_challenges",
    "default_model",
    "run_check",
]
