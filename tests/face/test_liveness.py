"""The pure liveness evaluator on synthetic landmark series (tests/face/synth.py)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_seat.face_check.liveness import (
    CHALLENGES,
    LivenessLimits,
    LivenessResult,
    MarkFrame,
    choose_challenges,
    evaluate,
)
from tests.face.synth import (
    Motion,
    blink,
    delayed,
    face_at,
    flat_tilt,
    nod,
    open_mouth,
    series,
    still,
    turn,
)

RIGHT = {"blink": blink, "turn_left": turn(25), "turn_right": turn(-25),
         "open_mouth": open_mouth(1.5)}


def judge(plan: Sequence[tuple[str, float, Motion]], challenges: Sequence[str], *,
          limits: LivenessLimits | None = None, jitter: float = 0.4) -> LivenessResult:
    return evaluate(series(plan, jitter=jitter), challenges, limits=limits)


@pytest.mark.parametrize("action", CHALLENGES)
def test_each_challenge_passes_with_its_motion(action: str) -> None:
    result = judge([("baseline", 1.0, still), (action, 4.0, RIGHT[action])], [action])
    (c,) = result.challenges
    assert c.passed, c
    assert result.passed
    assert c.value is not None
    if action == "blink":
        assert c.value <= c.limit
    else:
        assert c.value >= c.limit


def test_two_challenges_in_a_row_both_pass() -> None:
    result = judge([("baseline", 1.0, still), ("open_mouth", 4.0, RIGHT["open_mouth"]),
                    ("turn_right", 4.0, RIGHT["turn_right"])], ["open_mouth", "turn_right"])
    assert [c.passed for c in result.challenges] == [True, True]
    assert result.baseline is not None and result.baseline.source == "baseline"
    assert result.to_json()["passed"] is True


@pytest.mark.parametrize(
    ("action", "wrong"),
    [
        ("blink", open_mouth(1.5)),
        ("blink", turn(25)),
        ("turn_left", turn(-25)),
        ("turn_right", turn(25)),
        ("turn_left", nod(25)),
        ("turn_left", blink),
        ("open_mouth", blink),
        ("open_mouth", turn(25)),
        ("open_mouth", open_mouth(0.5)),  # a talking mouth, not an open one
        ("turn_left", turn(10)),  # not far enough
    ],
)
def test_the_wrong_motion_fails(action: str, wrong: Motion) -> None:
    result = judge([("baseline", 1.0, still), (action, 4.0, wrong)], [action])
    assert not result.passed
    assert result.challenges[0].detail


@pytest.mark.parametrize("action", CHALLENGES)
def test_frames_after_the_time_limit_do_not_count(action: str) -> None:
    late = delayed(RIGHT[action], 4.3)
    plan = [("baseline", 1.0, still), (action, 8.0, late)]
    assert not judge(plan, [action]).passed  # limit 4 s: the action came too late
    assert judge(plan, [action], limits=LivenessLimits(step_s=8.0)).passed


def test_a_still_photo_fails_every_challenge() -> None:
    plan = [("baseline", 1.0, still)] + [(c, 4.0, still) for c in CHALLENGES]
    for jitter in (0.0, 0.4):  # a printed photo: no noise at all, or camera noise
        result = judge(plan, list(CHALLENGES), jitter=jitter)
        assert not any(c.passed for c in result.challenges), result
    identical = judge(plan, list(CHALLENGES), jitter=0.0)
    assert all("still image" in (c.detail or "") for c in identical.challenges)


@pytest.mark.parametrize("action", CHALLENGES)
def test_a_replayed_single_frame_fails(action: str) -> None:
    """The booth (or an attacker) sends one frame of the action over and over."""
    peak = {"blink": {"eye_open": 0.1}, "turn_left": {"yaw": 30.0},
            "turn_right": {"yaw": -30.0}, "open_mouth": {"mouth_open": 1.5}}[action]
    frames = series([("baseline", 1.0, still)])
    marks = face_at(**peak)
    frames += [(1000 + 200 * k, action, marks) for k in range(20)]
    (c,) = evaluate(frames, [action]).challenges
    assert not c.passed
    # re-encoded each time (so the landmarks jitter), it still fails: nothing moves
    rng = np.random.default_rng(3)
    noisy = series([("baseline", 1.0, still)])
    noisy += [(1000 + 200 * k, action, marks + rng.normal(0, 0.4, marks.shape))
              for k in range(20)]
    (c,) = evaluate(noisy, [action]).challenges
    assert not c.passed, c


def test_one_frame_in_a_step_cannot_pass() -> None:
    frames = series([("baseline", 1.0, still)])
    frames.append((1000, "turn_left", face_at(yaw=30)))
    assert not evaluate(frames, ["turn_left"]).passed


@pytest.mark.parametrize("action", ["turn_left", "turn_right"])
def test_a_flat_photo_tilted_does_not_count_as_a_turn(action: str) -> None:
    base = series([("baseline", 1.0, still)], jitter=0.0)
    front = face_at()
    frames = list(base)
    for k in range(20):  # the photo swings from flat to 45° and back
        angle = 45 * np.sin(np.pi * k / 19)
        frames.append((1000 + 200 * k, action, flat_tilt(front, angle)))
    (c,) = evaluate(frames, [action]).challenges
    assert not c.passed
    assert c.value is not None and c.value < 5


def test_a_blink_must_reopen_within_the_step() -> None:
    closing = lambda t: {"eye_open": 0.1 if t >= 3.0 else 1.0}  # noqa: E731
    result = judge([("baseline", 1.0, still), ("blink", 4.0, closing)], ["blink"])
    assert not result.passed
    assert "did not open again" in (result.challenges[0].detail or "")


def test_missing_step_and_no_face() -> None:
    frames = series([("baseline", 1.0, still)])
    frames += [(1000 + 200 * k, "blink", None) for k in range(20)]  # type: ignore[misc]
    result = evaluate(frames, ["blink", "open_mouth"])
    assert [c.passed for c in result.challenges] == [False, False]
    assert "no face" in (result.challenges[0].detail or "")
    assert "no frames" in (result.challenges[1].detail or "")


def test_without_a_baseline_the_series_is_the_reference() -> None:
    frames = series([("blink", 4.0, blink)])
    result = evaluate(frames, ["blink"])
    assert result.baseline is not None and result.baseline.source == "series"
    assert result.passed


def test_steps_out_of_order_fail() -> None:
    frames = series([("baseline", 1.0, still), ("open_mouth", 4.0, RIGHT["open_mouth"]),
                     ("blink", 4.0, blink)])
    result = evaluate(frames, ["blink", "open_mouth"])
    assert result.challenges[0].passed
    assert not result.challenges[1].passed
    assert "before" in (result.challenges[1].detail or "")


def test_frames_may_come_in_any_order() -> None:
    frames = series([("baseline", 1.0, still), ("blink", 4.0, blink)])
    random.Random(5).shuffle(frames)
    assert evaluate(frames, ["blink"]).passed


def test_malformed_input_raises_value_error() -> None:
    frames = series([("baseline", 1.0, still)])
    with pytest.raises(ValueError, match="unknown challenge"):
        evaluate(frames, ["wink"])
    with pytest.raises(ValueError, match="repeated"):
        evaluate(frames, ["blink", "blink"])
    with pytest.raises(ValueError, match="step"):
        evaluate([*frames, (2000, "turn_left", face_at())], ["blink"])
    with pytest.raises(ValueError, match="68 x 2"):
        evaluate([MarkFrame(0, "baseline", np.zeros((5, 2)))], ["blink"])
    with pytest.raises(ValueError):
        LivenessLimits(blink_close_ratio=0.9, blink_open_ratio=0.8)


def test_no_challenges_never_passes() -> None:
    assert not evaluate(series([("baseline", 1.0, still)]), []).passed


def test_choose_challenges() -> None:
    seen: Counter[tuple[str, ...]] = Counter()
    rng = random.Random(7)
    for _ in range(2000):
        pick = choose_challenges(rng)
        assert len(pick) == 2 and len(set(pick)) == 2
        assert set(pick) <= set(CHALLENGES)
        assert not {"turn_left", "turn_right"} <= set(pick)
        seen[pick] += 1
    assert len(seen) == 10  # every allowed ordered pair comes up
    assert choose_challenges(random.Random(1), 1)[0] in ("blink", "open_mouth")
    three = choose_challenges(random.Random(2), 3)
    assert len(set(three)) == 3 and sum(c.startswith("turn") for c in three) <= 1
    assert choose_challenges(random.Random(9)) == choose_challenges(random.Random(9))
    for n in (0, 4):
        with pytest.raises(ValueError):
            choose_challenges(random.Random(), n)


@settings(max_examples=60, deadline=None)
@given(
    yaw=st.floats(-40, 40), pitch=st.floats(-25, 25), eye=st.floats(0.05, 1.2),
    mouth=st.floats(0, 2), steps=st.permutations(list(CHALLENGES)),
    gaps=st.lists(st.integers(50, 700), min_size=30, max_size=30),
)
def test_identical_frames_never_pass(yaw: float, pitch: float, eye: float, mouth: float,
                                     steps: list[str], gaps: list[int]) -> None:
    """Any one landmark set, shown for the baseline and every step, passes nothing."""
    marks = face_at(yaw=yaw, pitch=pitch, eye_open=eye, mouth_open=mouth)
    t, frames = 0, []
    order = ["baseline", *steps]
    for i, gap in enumerate(gaps):
        frames.append((t, order[min(i // 6, 4)], marks))
        t += gap
    result = evaluate(frames, steps)
    assert not any(c.passed for c in result.challenges)
