"""The one exception tree of :mod:`cloud_seat.face_check`.

::

    FaceCheckError            code, message; ``wire_code`` is the protocol §4 error code
    ├── BadRequest            bad_request: malformed request (no frames, unknown step, ...)
    ├── BadImage              bad_image: bytes that are not one whole supported image
    ├── PortraitError         the ID image holds no usable portrait
    │   ├── NoFaceOnId        id_no_face
    │   └── ManyFacesOnId     id_many_faces
    ├── ModelError            model_error: the face model failed to load or to run
    ├── CheckTimeout          timeout: the check did not finish in time
    ├── PoolBusy              busy: too many checks waiting for a worker
    ├── PoolClosed            closed: the pool was closed
    └── WorkerCrashed         worker_crashed: the worker process died (twice)

``code`` is specific to face checks (it is what :class:`CheckResult` carries in
``error.code`` and what the CLI prints); ``wire_code`` is the nearest code of the
hub's protocol (``bad_message``, ``rate_limited``, ``internal``) for a hub that
must report the failure in a protocol ``error``. Foreign exceptions (Pillow's
``OSError``, ``cv2.error``, dlib's ``RuntimeError``) are translated at the
boundary with ``raise Ours(...) from exc``.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadImage",
    "BadRequest",
    "CheckTimeout",
    "FaceCheckError",
    "ManyFacesOnId",
    "ModelError",
    "NoFaceOnId",
    "PoolBusy",
    "PoolClosed",
    "PortraitError",
    "WorkerCrashed",
]


class FaceCheckError(Exception):
    """Base of every face-check error: ``code`` (machine-readable) and ``message``."""

    code: ClassVar[str] = "internal"
    wire_code: ClassVar[str] = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[type[FaceCheckError], tuple[str]]:
        # Raised in a worker process and re-raised in the hub: pickle by message.
        return (type(self), (self.message,))

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class BadRequest(FaceCheckError):
    """The request itself is malformed: no frames, an unknown step, a bad limit."""

    code = "bad_request"
    wire_code = "bad_message"


class BadImage(FaceCheckError):
    """Bytes that are not one whole JPEG/PNG/BMP/WebP image of a sane size."""

    code = "bad_image"
    wire_code = "bad_message"


class PortraitError(FaceCheckError):
    """The ID image holds no single usable portrait."""

    code = "id_portrait"
    wire_code = "bad_message"


class NoFaceOnId(PortraitError):
    """No face was found on the ID card scan or chip photo (in any orientation)."""

    code = "id_no_face"


class ManyFacesOnId(PortraitError):
    """More than one face was found on the ID image: which one is the holder?"""

    code = "id_many_faces"


class ModelError(FaceCheckError):
    """The face model could not be loaded or failed while running."""

    code = "model_error"


class CheckTimeout(FaceCheckError):
    """The check did not finish within its time budget."""

    code = "timeout"


class PoolBusy(FaceCheckError):
    """More checks are waiting than the pool admits; try again later."""

    code = "busy"
    wire_code = "rate_limited"


class PoolClosed(FaceCheckError):
    """The pool was closed before or while the check ran."""

    code = "closed"


class WorkerCrashed(FaceCheckError):
    """The worker process died while running the check (and again on the one retry)."""

    code = "worker_crashed"
