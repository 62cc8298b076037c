"""One face check, start to end: the function the hub's process pool runs.

:func:`run_check` takes a :class:`CheckRequest` (the ID image, the live frames
with their times and steps, the challenges and every limit) and returns a
:class:`CheckResult`; both are plain frozen dataclasses, picklable, so the call
crosses a process boundary as it is. It never raises for bad input: anything
wrong with the request, the images or the model comes back as
``CheckResult.error`` (``{code, message}``, codes from :mod:`.errors`), and an
unexpected exception as ``internal`` (logged with its traceback), so a worker
survives every request.

Flow: portrait (:mod:`.portrait`) → each frame decoded and analysed once
(:mod:`.frames`: faces, landmarks, pose, sharpness, gates) → liveness on the
landmark series (:mod:`.liveness`) → up to ``best_frames`` usable frames chosen
(:mod:`.selection`) and encoded → median distance and band (:mod:`.matcher`).
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cloud_seat.face_check.decode import decode_image, encode_jpeg
from cloud_seat.face_check.errors import BadRequest, CheckTimeout, FaceCheckError
from cloud_seat.face_check.frames import FrameAnalysis, analyse_frame
from cloud_seat.face_check.gates import GateLimits, GateResult, first_hint
from cloud_seat.face_check.liveness import (
    BASELINE,
    CHALLENGES,
    LivenessLimits,
    LivenessResult,
    MarkFrame,
    evaluate,
)
from cloud_seat.face_check.matcher import Band, Thresholds, band, face_distance
from cloud_seat.face_check.model import Box, DlibModel, Face, FaceModel, default_model
from cloud_seat.face_check.portrait import read_portrait
from cloud_seat.face_check.selection import choose_frames

__all__ = [
    "MAX_FRAMES",
    "CheckRequest",
    "CheckResult",
    "ErrorInfo",
    "FrameSummary",
    "LiveFrame",
    "run_check",
]

log = logging.getLogger(__name__)

MAX_FRAMES: Final = 120


@dataclass(frozen=True)
class LiveFrame:
    """One live frame: JPEG/PNG ``data``, ``t_ms`` since the first frame, the ``step``
    shown when it was captured (``baseline`` or a challenge)."""

    data: bytes
    t_ms: int
    step: str = BASELINE


def _frame(item: LiveFrame | tuple[bytes, int, str], index: int) -> LiveFrame:
    if isinstance(item, LiveFrame):
        frame = item
    elif isinstance(item, tuple) and len(item) == 3:
        frame = LiveFrame(*item)
    else:
        raise BadRequest(f"frame {index}: expected LiveFrame or (bytes, t_ms, step)")
    if not isinstance(frame.data, bytes):
        raise BadRequest(f"frame {index}: data must be bytes")
    if isinstance(frame.t_ms, bool) or not isinstance(frame.t_ms, int) or frame.t_ms < 0:
        raise BadRequest(f"frame {index}: t_ms must be an integer >= 0, got {frame.t_ms!r}")
    if not isinstance(frame.step, str):
        raise BadRequest(f"frame {index}: step must be a string")
    return frame


@dataclass(frozen=True)
class CheckRequest:
    """Everything one check needs; validated on construction (:class:`BadRequest`).

    ``frames`` accepts :class:`LiveFrame` or ``(bytes, t_ms, step)`` tuples (stored as
    a tuple of :class:`LiveFrame`). ``challenges`` may be empty: then liveness is not
    judged (``CheckResult.liveness`` is ``None``) and the check cannot pass, which
    is what the operators' CLI does with single images. ``id_is_chip``: ``id_image``
    is the card chip's photo rather than a scan of the card's front.
    """

    id_image: bytes
    frames: tuple[LiveFrame, ...]
    challenges: tuple[str, ...] = ()
    id_is_chip: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    liveness_limits: LivenessLimits = field(default_factory=LivenessLimits)
    gate_limits: GateLimits = field(default_factory=GateLimits)
    best_frames: int = 3
    id_jitters: int = 3
    live_jitters: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.id_image, bytes):
            raise BadRequest("id_image must be bytes")
        try:
            frames = tuple(self.frames)
        except TypeError as exc:
            raise BadRequest("frames must be a sequence") from exc
        if not frames:
            raise BadRequest("no live frames")
        if len(frames) > MAX_FRAMES:
            raise BadRequest(f"{len(frames)} live frames; at most {MAX_FRAMES}")
        object.__setattr__(self, "frames", tuple(_frame(f, i) for i, f in enumerate(frames)))
        challenges = tuple(self.challenges)
        object.__setattr__(self, "challenges", challenges)
        for c in challenges:
            if c not in CHALLENGES:
                raise BadRequest(f"unknown challenge {c!r}; one of {', '.join(CHALLENGES)}")
        if len(set(challenges)) != len(challenges):
            raise BadRequest("a challenge is repeated")
        allowed = {BASELINE, *challenges}
        for i, f in enumerate(self.frames):
            if f.step not in allowed:
                raise BadRequest(f"frame {i}: step {f.step!r} is not one of {sorted(allowed)}")
        for name, cls in (("thresholds", Thresholds), ("liveness_limits", LivenessLimits),
                          ("gate_limits", GateLimits)):
            if not isinstance(getattr(self, name), cls):
                raise BadRequest(f"{name} must be a {cls.__name__}")
        for name, low, high in (("best_frames", 1, 15), ("id_jitters", 1, 100),
                                ("live_jitters", 1, 100)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise BadRequest(f"{name} must be an integer in {low}..{high}")


@dataclass(frozen=True)
class ErrorInfo:
    """Why a check failed: ``code`` from :mod:`.errors` (or ``internal``), and
    ``wire_code``, the nearest protocol §4 error code for the hub to send."""

    code: str
    message: str
    wire_code: str = "internal"

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class FrameSummary:
    """One live frame in brief: faces found, whether every gate passed, else the hint."""

    index: int
    step: str
    faces: int
    usable: bool
    hint: str | None

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "step": self.step, "faces": self.faces,
                "usable": self.usable, "hint": self.hint}


@dataclass(frozen=True)
class CheckResult:
    """The outcome: advice (``band``, ``distance``) plus everything it rests on.

    ``distance`` is the median distance of the encoded frames (``frames_used``) to
    the portrait; ``None`` (with ``band``) when no frame passed the gates or the
    check failed (``error``). ``gates`` are those of the best frame (or, when no
    frame passed, of the frame that came closest). ``id_box`` is in the ID image's
    pixels, ``live_box`` in the best frame's, both ``[left, top, right, bottom]``.
    ``frames`` sums up every live frame (in request order). ``portrait_jpeg`` (the
    portrait crop to show the agent) is not in :meth:`to_json`.
    """

    thresholds: Thresholds
    model_name: str
    model_version: str
    band: Band | None = None
    distance: float | None = None
    id_box: Box | None = None
    live_box: Box | None = None
    best_frame_index: int | None = None
    gates: tuple[GateResult, ...] = ()
    liveness: LivenessResult | None = None
    frames_used: tuple[tuple[int, str, float], ...] = ()
    frames: tuple[FrameSummary, ...] = ()
    error: ErrorInfo | None = None
    elapsed_ms: float = 0.0
    portrait_jpeg: bytes | None = field(default=None, repr=False)

    @property
    def gates_passed(self) -> bool:
        return bool(self.gates) and all(g.passed for g in self.gates)

    @property
    def passed(self) -> bool:
        """Every gate and every liveness challenge passed (the band is separate advice)."""
        return (self.error is None and self.gates_passed and self.liveness is not None
                and self.liveness.passed)

    @property
    def hint(self) -> str | None:
        """For the booth: the first failed gate's hint, else ``liveness``, else ``None``."""
        if self.error is not None:
            return None
        if not self.gates_passed:
            return first_hint(self.gates) or "no_face"
        if self.liveness is not None and not self.liveness.passed:
            return "liveness"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "band": self.band,
            "distance": None if self.distance is None else round(self.distance, 4),
            "thresholds": self.thresholds.to_json(),
            "model": {"name": self.model_name, "version": self.model_version},
            "id_box": None if self.id_box is None else self.id_box.as_list(),
            "live_box": None if self.live_box is None else self.live_box.as_list(),
            "best_frame_index": self.best_frame_index,
            "gates": [g.to_json() for g in self.gates],
            "gates_passed": self.gates_passed,
            "liveness": None if self.liveness is None else self.liveness.to_json(),
            "passed": self.passed,
            "hint": self.hint,
            "frames_used": [{"index": i, "step": s, "distance": round(d, 4)}
                            for i, s, d in self.frames_used],
            "frames": [f.to_json() for f in self.frames],
            "elapsed_ms": round(self.elapsed_ms, 1),
            "error": None if self.error is None else self.error.to_json(),
        }


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise CheckTimeout("the check ran out of time")


def _report_frame(frames: Sequence[FrameAnalysis]) -> FrameAnalysis:
    """The frame that came closest to passing, for the gates shown when none passed."""
    return max(frames, key=lambda f: (sum(g.passed for g in f.gates), f.faces == 1,
                                      f.box.height if f.box else 0, f.sharpness or 0.0))


def _judge(req: CheckRequest, model: FaceModel, deadline: float | None,
           started: float) -> CheckResult:
    portrait = read_portrait(model, req.id_image, chip=req.id_is_chip, jitters=req.id_jitters)
    _check_deadline(deadline)
    frames: list[FrameAnalysis] = []
    for i, live in enumerate(req.frames):
        image = decode_image(live.data, what=f"frame {i}")
        frames.append(analyse_frame(model, image, req.gate_limits, index=i))
        _check_deadline(deadline)
    if all(f.faces == 0 for f in frames):
        # Nothing at the normal scale: look once, harder, for a face too small to pass,
        # so that the resident hears "come closer" rather than "no face".
        looked = [i for i, f in enumerate(req.frames) if f.step == BASELINE]
        looked = looked or list(range(len(frames)))
        middle = looked[len(looked) // 2]
        image = decode_image(req.frames[middle].data, what=f"frame {middle}")
        frames[middle] = analyse_frame(model, image, req.gate_limits, index=middle, upsample=1)
    liveness: LivenessResult | None = None
    if req.challenges:
        marks = [MarkFrame(f.t_ms, f.step, a.landmarks, a.size)
                 for f, a in zip(req.frames, frames, strict=True)]
        liveness = evaluate(marks, req.challenges, limits=req.liveness_limits)
    steps = [f.step for f in req.frames]
    chosen = choose_frames(frames, steps, req.best_frames)
    used: list[tuple[int, str, float]] = []
    for i in chosen:
        image = decode_image(req.frames[i].data, what=f"frame {i}")
        box, marks_i = frames[i].box, frames[i].landmarks
        assert box is not None and marks_i is not None  # usable frames have a face
        encoding = model.encode(image, Face(box, marks_i), jitters=req.live_jitters)
        used.append((i, steps[i], face_distance(portrait.encoding, encoding)))
        _check_deadline(deadline)
    distance = float(statistics.median(d for _, _, d in used)) if used else None
    best = frames[chosen[0]] if chosen else _report_frame(frames)
    return CheckResult(
        thresholds=req.thresholds,
        model_name=model.name,
        model_version=model.version,
        band=None if distance is None else band(distance, req.thresholds),
        distance=distance,
        id_box=portrait.box,
        live_box=best.box,
        best_frame_index=best.index if chosen else None,
        gates=best.gates,
        liveness=liveness,
        frames_used=tuple(used),
        frames=tuple(FrameSummary(f.index, step, f.faces, f.usable, first_hint(f.gates))
                     for f, step in zip(frames, steps, strict=True)),
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
        portrait_jpeg=encode_jpeg(portrait.crop),
    )


def run_check(req: CheckRequest, *, model: FaceModel | None = None,
              deadline: float | None = None) -> CheckResult:
    """Judge ``req``; never raises for bad input (see the module docstring).

    ``model`` defaults to this process's :func:`~.model.default_model` (loaded on
    first use, which the first check's ``elapsed_ms`` then includes); ``deadline``
    is a ``time.monotonic()`` instant after which the check stops between frames
    with the error ``timeout``.
    """
    started = time.perf_counter()
    name, version = DlibModel.name, "?"
    try:
        if model is None:
            model = default_model(load=False)  # loads on first use: bad input never waits
        name, version = model.name, model.version
        return _judge(req, model, deadline, started)
    except FaceCheckError as exc:
        error = ErrorInfo(exc.code, exc.message, exc.wire_code)
    except Exception as exc:  # a worker must survive every request; the log keeps the bug
        log.exception("face check failed unexpectedly")
        error = ErrorInfo("internal", f"{type(exc).__name__}: {exc}"[:500])
    return CheckResult(thresholds=req.thresholds, model_name=name, model_version=version,
                       error=error, elapsed_ms=(time.perf_counter() - started) * 1000.0)

