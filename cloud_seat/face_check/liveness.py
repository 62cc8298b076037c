"""Liveness: did the face in the frames do what the booth asked? A pure evaluator.

No images and no I/O: the input is a series of frames ``(t_ms, step, landmarks)``
(landmarks ``None`` when no face was found), the output says per challenge
whether it passed, what was measured and against which limit.

The booth shows its prompts in order (``face.check.started``): first
``baseline`` (about 1 s looking straight at the camera), then each challenge for
at most ``step_s``. Each frame carries the step shown when it was captured.

Challenges (:data:`CHALLENGES`) and how each is judged, always against the
resident's *own* baseline (median of the baseline frames), never against an
absolute "normal face":

``blink``
    The eye aspect ratio (:func:`.landmarks.eye_aspect_ratio`) falls to at most
    ``blink_close_ratio`` (0.70) of the baseline's, and later in the step comes
    back to at least ``blink_open_ratio`` (0.85) of it. value: the lowest ratio.
    At 5 frames a second a quick blink (100-150 ms with the lids shut) can fall
    between two frames; the booth should say "slowly close and open your eyes"
    (请慢慢闭眼再睁开), and the ratio counts half-closed frames too.
``turn_left`` / ``turn_right``
    The yaw (:mod:`.pose`) moves at least ``turn_deg`` (18°) from the baseline's
    towards the resident's own left / right. The camera image is not mirrored,
    so turning to one's left moves the nose towards the image's RIGHT (yaw > 0).
    value: the largest yaw change in the asked direction, degrees. The yaw comes
    from fitting a 3-D face, so a flat photo tilted in front of the camera (no
    parallax between nose and eyes) reads as no turn at all.
``open_mouth``
    The mouth aspect ratio (:func:`.landmarks.mouth_aspect_ratio`) reaches
    ``mouth_open`` (0.40) and is at least ``mouth_rise`` (0.20) above the
    baseline's (people talk: a talking mouth measures 0.2-0.35). value: the
    highest ratio.

Rules common to all challenges:

* Only frames of the challenge's step count, and only those at most ``step_s``
  after the step's first frame: frames after the time limit do not count.
* The action must *happen within the step*: besides reaching the limit, the
  measure must change within the step by at least half of what is asked (a turn
  of ≥ 9° between the step's own frames, a mouth change of ≥ 0.10; a blink
  closes and reopens). A step that is one picture shown again and again, even
  re-encoded so the landmarks jitter, never does that.
* A step whose frames all have identical landmarks is reported as a still image.
* A challenge whose first frame comes before the baseline's or the previous
  challenge's fails as out of order.

What is deliberately *not* required: natural movement during the baseline (a
very still resident would fail for nothing; a still baseline gains an attacker
nothing, since every challenge needs motion of its own), and a minimum number of
frames per step (one closed-eye frame between open ones is a blink). When the
baseline has fewer than ``min_baseline_frames`` frames with a face, the
reference comes from the whole series instead (upper quartile of the eye
ratios, lower quartile of the mouth ratios, median yaw) and ``baseline.source``
says ``series``.

What landmark liveness cannot stop: a replayed *video* of the resident doing the
actions, or a booth that lies about the steps. The random challenge order
(:func:`choose_challenges`) makes a prepared video harder to time; the agent
watching the live call remains the real check.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np

from cloud_seat.face_check.landmarks import eye_aspect_ratio, mouth_aspect_ratio
from cloud_seat.face_check.model import Landmarks
from cloud_seat.face_check.pose import head_pose

__all__ = [
    "BASELINE",
    "CHALLENGES",
    "STEPS",
    "Baseline",
    "Challenge",
    "ChallengeResult",
    "LivenessLimits",
    "LivenessResult",
    "MarkFrame",
    "choose_challenges",
    "evaluate",
]

Challenge = Literal["blink", "turn_left", "turn_right", "open_mouth"]
BASELINE: Final = "baseline"
CHALLENGES: Final[tuple[str, ...]] = ("blink", "turn_left", "turn_right", "open_mouth")
STEPS: Final[tuple[str, ...]] = (BASELINE, *CHALLENGES)
_TURNS: Final = frozenset({"turn_left", "turn_right"})
_NON_RIGID: Final = frozenset({"blink", "open_mouth"})


def choose_challenges(rng: random.Random, n: int = 2) -> tuple[str, ...]:
    """``n`` distinct challenges in random order (1 ≤ n ≤ 3).

    Every set holds at least one of ``blink`` / ``open_mouth`` and at most one turn:
    a turn is the one action a rigid picture can come closest to (by tilting it),
    while eyes and mouth need a face that moves by itself; two turns would also
    ask the same thing twice. So ``n`` = 2 gives one of 10 ordered pairs.
    """
    if not 1 <= n <= 3:
        raise ValueError(f"n must be 1, 2 or 3, got {n}")
    while True:  # rejection sampling: at least 5 of every 12 draws are accepted
        pick = tuple(rng.sample(CHALLENGES, n))
        if sum(c in _TURNS for c in pick) <= 1 and any(c in _NON_RIGID for c in pick):
            return pick


@dataclass(frozen=True)
class LivenessLimits:
    """Limits of the liveness evaluator; the module docstring says why these defaults."""

    step_s: float = 4.0
    blink_close_ratio: float = 0.70
    blink_open_ratio: float = 0.85
    turn_deg: float = 18.0
    mouth_open: float = 0.40
    mouth_rise: float = 0.20
    min_baseline_frames: int = 2

    def __post_init__(self) -> None:
        if not 0.0 < self.step_s <= 60.0:
            raise ValueError("step_s must be in (0, 60]")
        if not 0.0 < self.blink_close_ratio < self.blink_open_ratio <= 1.5:
            raise ValueError("need 0 < blink_close_ratio < blink_open_ratio <= 1.5")
        if not 5.0 <= self.turn_deg <= 60.0:
            raise ValueError("turn_deg must be in [5, 60]")
        if not 0.0 < self.mouth_open <= 2.0 or not 0.0 < self.mouth_rise <= 2.0:
            raise ValueError("mouth_open and mouth_rise must be in (0, 2]")
        if self.min_baseline_frames < 1:
            raise ValueError("min_baseline_frames must be >= 1")


@dataclass(frozen=True, eq=False)
class MarkFrame:
    """One frame for the evaluator. ``image_size`` (width, height) is needed for the
    pose; ``None`` uses the evaluator's ``image_size``."""

    t_ms: int
    step: str
    landmarks: Landmarks | None
    image_size: tuple[int, int] | None = None


@dataclass(frozen=True)
class ChallengeResult:
    """One challenge: ``value`` measured against ``limit``; ``detail`` says why it failed."""

    action: str
    passed: bool
    value: float | None
    limit: float
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        value = None if self.value is None else round(self.value, 3)
        return {"action": self.action, "passed": self.passed, "value": value,
                "limit": self.limit, "detail": self.detail}


@dataclass(frozen=True)
class Baseline:
    """The resident's own reference: eye ratio, mouth ratio and yaw (degrees)."""

    ear: float
    mar: float
    yaw: float
    frames: int
    source: Literal["baseline", "series"]

    def to_json(self) -> dict[str, Any]:
        return {"ear": round(self.ear, 3), "mar": round(self.mar, 3),
                "yaw": round(self.yaw, 1), "frames": self.frames, "source": self.source}


@dataclass(frozen=True)
class LivenessResult:
    """All challenges; ``passed`` only when there is at least one and every one passed."""

    challenges: tuple[ChallengeResult, ...]
    baseline: Baseline | None = None
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        ok = bool(self.challenges) and all(c.passed for c in self.challenges)
        object.__setattr__(self, "passed", ok)

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "challenges": [c.to_json() for c in self.challenges],
                "baseline": None if self.baseline is None else self.baseline.to_json()}


@dataclass(frozen=True)
class _Measure:
    t_ms: int
    step: str
    marks: Landmarks
    ear: float
    mar: float
    yaw: float | None


def _measure(frame: MarkFrame, image_size: tuple[int, int]) -> _Measure | None:
    marks = frame.landmarks
    if marks is None:
        return None
    marks = np.asarray(marks, dtype=np.float64)
    if marks.shape != (68, 2) or not np.all(np.isfinite(marks)):
        raise ValueError(f"frame at {frame.t_ms} ms: landmarks must be 68 x 2 finite numbers")
    try:
        yaw: float | None = head_pose(marks, frame.image_size or image_size).yaw
    except ValueError:
        yaw = None  # degenerate landmarks: no pose, but the eyes and mouth still count
    return _Measure(frame.t_ms, frame.step, marks, eye_aspect_ratio(marks),
                    mouth_aspect_ratio(marks), yaw)


def _baseline(measures: Sequence[_Measure], limits: LivenessLimits) -> Baseline | None:
    base = [m for m in measures if m.step == BASELINE]
    if len(base) >= limits.min_baseline_frames:
        yaws = [m.yaw for m in base if m.yaw is not None]
        return Baseline(
            ear=statistics.median(m.ear for m in base),
            mar=statistics.median(m.mar for m in base),
            yaw=statistics.median(yaws) if yaws else 0.0,
            frames=len(base),
            source="baseline",
        )
    if not measures:
        return None
    ears = [m.ear for m in measures]
    mars = [m.mar for m in measures]
    yaws = [m.yaw for m in measures if m.yaw is not None]
    return Baseline(
        ear=float(np.percentile(ears, 75)),
        mar=float(np.percentile(mars, 25)),
        yaw=statistics.median(yaws) if yaws else 0.0,
        frames=len(measures),
        source="series",
    )


def _still(measures: Sequence[_Measure]) -> bool:
    first = measures[0].marks
    return all(np.array_equal(first, m.marks) for m in measures[1:])


def _blink(ms: Sequence[_Measure], base: Baseline, lim: LivenessLimits) -> ChallengeResult:
    limit = lim.blink_close_ratio
    if base.ear < 0.05:
        return ChallengeResult("blink", False, None, limit, "eyes not open in the baseline")
    ratios = [m.ear / base.ear for m in ms]
    low = min(ratios)
    closed = next((i for i, r in enumerate(ratios) if r <= limit), None)
    if closed is None:
        return ChallengeResult("blink", False, low, limit,
                               f"eyes did not close (lowest {low:.2f} of the open-eye ratio)")
    if not any(r >= lim.blink_open_ratio for r in ratios[closed + 1 :]):
        return ChallengeResult("blink", False, low, limit,
                               "eyes closed but did not open again within the time limit")
    return ChallengeResult("blink", True, low, limit)


def _turn(action: str, ms: Sequence[_Measure], base: Baseline,
          lim: LivenessLimits) -> ChallengeResult:
    sign = 1.0 if action == "turn_left" else -1.0
    moves = [sign * (m.yaw - base.yaw) for m in ms if m.yaw is not None]
    if not moves:
        return ChallengeResult(action, False, None, lim.turn_deg, "no head pose in this step")
    best = max(moves)
    side = "left" if action == "turn_left" else "right"
    if best < lim.turn_deg:
        return ChallengeResult(action, False, best, lim.turn_deg,
                               f"head did not turn {lim.turn_deg:g}° to the resident's {side}")
    if best - min(moves) < lim.turn_deg / 2:
        return ChallengeResult(action, False, best, lim.turn_deg,
                               "the head did not move during the step (a turned still picture?)")
    return ChallengeResult(action, True, best, lim.turn_deg)


def _mouth(ms: Sequence[_Measure], base: Baseline, lim: LivenessLimits) -> ChallengeResult:
    mars = [m.mar for m in ms]
    best = max(mars)
    if best < lim.mouth_open:
        return ChallengeResult("open_mouth", False, best, lim.mouth_open,
                               "mouth did not open wide enough")
    if best - base.mar < lim.mouth_rise:
        return ChallengeResult("open_mouth", False, best, lim.mouth_open,
                               f"mouth opened less than {lim.mouth_rise:g} beyond the baseline")
    if best - min(mars) < lim.mouth_rise / 2:
        return ChallengeResult("open_mouth", False, best, lim.mouth_open,
                               "the mouth did not move during the step (a still picture?)")
    return ChallengeResult("open_mouth", True, best, lim.mouth_open)


def _limit_of(action: str, lim: LivenessLimits) -> float:
    return {"blink": lim.blink_close_ratio, "turn_left": lim.turn_deg,
            "turn_right": lim.turn_deg, "open_mouth": lim.mouth_open}[action]


def evaluate(
    frames: Iterable[MarkFrame | tuple[int, str, Landmarks | None]],
    challenges: Sequence[str],
    *,
    limits: LivenessLimits | None = None,
    image_size: tuple[int, int] = (640, 480),
) -> LivenessResult:
    """Judge ``challenges`` on ``frames`` (any order; sorted by ``t_ms``).

    Raises ``ValueError`` for malformed input: an unknown or repeated challenge, a
    frame whose step is neither ``baseline`` nor one of ``challenges``, landmarks
    that are not 68 × 2 finite numbers. Anything the resident did or did not do is
    a failed :class:`ChallengeResult`, never an exception.
    """
    lim = limits or LivenessLimits()
    if len(set(challenges)) != len(challenges):
        raise ValueError(f"repeated challenge in {list(challenges)}")
    for c in challenges:
        if c not in CHALLENGES:
            raise ValueError(f"unknown challenge {c!r}; one of {CHALLENGES}")
    allowed = {BASELINE, *challenges}
    series = [f if isinstance(f, MarkFrame) else MarkFrame(*f) for f in frames]
    for f in series:
        if f.step not in allowed:
            raise ValueError(f"frame at {f.t_ms} ms has step {f.step!r}, not one of {allowed}")
    series.sort(key=lambda f: f.t_ms)
    measures = [m for f in series if (m := _measure(f, image_size)) is not None]
    base = _baseline(measures, lim)
    starts: dict[str, int] = {}
    for f in series:
        starts.setdefault(f.step, f.t_ms)
    window_ms = lim.step_s * 1000.0
    results = []
    previous = starts.get(BASELINE, -math.inf)
    for action in challenges:
        limit = _limit_of(action, lim)
        start = starts.get(action)
        if start is None:
            results.append(ChallengeResult(action, False, None, limit, "no frames for this step"))
            continue
        if start < previous:
            results.append(ChallengeResult(action, False, None, limit,
                                           "step came before the step it should follow"))
            continue
        previous = start
        counted = [m for m in measures if m.step == action and m.t_ms - start <= window_ms]
        if not counted or base is None:
            results.append(ChallengeResult(action, False, None, limit,
                                           "no face seen in this step within the time limit"))
        elif len(counted) > 1 and _still(counted):
            results.append(ChallengeResult(action, False, None, limit,
                                           "identical landmarks in every frame: a still image"))
        elif action == "blink":
            results.append(_blink(counted, base, lim))
        elif action == "open_mouth":
            results.append(_mouth(counted, base, lim))
        else:
            results.append(_turn(action, counted, base, lim))
    return LivenessResult(tuple(results), base)
