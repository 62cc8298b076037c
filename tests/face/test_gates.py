"""Quality gates: the pure evaluator, and on real frames through run_check."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from cloud_seat.face_check.check import CheckRequest, CheckResult, LiveFrame, run_check
from cloud_seat.face_check.gates import (
    GATE_NAMES,
    GateLimits,
    GateResult,
    evaluate_gates,
    first_hint,
    sharpness,
)
from cloud_seat.face_check.model import Box, DlibModel
from cloud_seat.face_check.pose import Pose
from tests.face import assets


def gates(**kw: Any) -> tuple[GateResult, ...]:
    args: dict[str, Any] = {"faces": 1, "frame_height": 480, "box": Box(200, 100, 400, 300),
            "pose": Pose(0.0, 0.0, 0.0), "sharpness": 150.0, "limits": GateLimits()}
    args.update(kw)
    return evaluate_gates(**args)


def test_a_good_frame_passes_every_gate() -> None:
    result = gates()
    assert [g.name for g in result] == list(GATE_NAMES)
    assert all(g.passed and g.hint is None for g in result)
    assert first_hint(result) is None


@pytest.mark.parametrize(
    ("kw", "name", "hint"),
    [
        ({"faces": 0, "box": None, "pose": None, "sharpness": None}, "one_face", "no_face"),
        ({"faces": 2}, "one_face", "many_faces"),
        ({"box": Box(200, 100, 290, 190)}, "face_size", "too_small"),  # 90 px < 96
        ({"pose": Pose(35.0, 0.0, 0.0)}, "frontal", "not_frontal"),
        ({"pose": Pose(-31.0, 0.0, 0.0)}, "frontal", "not_frontal"),
        ({"pose": Pose(0.0, -32.0, 0.0)}, "frontal", "not_frontal"),
        ({"sharpness": 12.0}, "sharpness", "blurry"),
    ],
)
def test_each_gate_fails_with_its_hint(kw: dict[str, Any], name: str, hint: str) -> None:
    result = {g.name: g for g in gates(**kw)}
    assert not result[name].passed
    assert result[name].hint == hint
    assert first_hint(tuple(result.values())) == hint


def test_a_rolled_head_is_still_frontal() -> None:
    assert all(g.passed for g in gates(pose=Pose(5.0, 5.0, 25.0)))


def test_face_size_limit_follows_the_frame() -> None:
    limits = GateLimits()
    assert limits.min_face_height(480) == 96
    assert limits.min_face_height(720) == 144
    assert limits.min_face_height(240) == 80  # the absolute floor
    with pytest.raises(ValueError):
        GateLimits(min_face_fraction=1.5)


def test_sharpness_falls_with_blur() -> None:
    rng = np.random.default_rng(0)
    texture = (rng.random((300, 300, 3)) * 255).astype(np.uint8)
    texture = np.asarray(cv2.GaussianBlur(texture, (0, 0), 1.0), dtype=np.uint8)
    box = Box(50, 50, 250, 250)
    sharp = sharpness(texture, box)
    blurred = sharpness(np.asarray(cv2.GaussianBlur(texture, (0, 0), 6.0), np.uint8), box)
    assert sharp > 5 * blurred
    # measured at a fixed 128 px: a face above that size measures about the same
    smaller = np.asarray(cv2.resize(texture, (240, 240), interpolation=cv2.INTER_AREA), np.uint8)
    assert sharpness(smaller, Box(40, 40, 200, 200)) == pytest.approx(sharp, rel=0.35)


# ----------------------------------------------------------------------------- real frames


@pytest.fixture(scope="module")
def card(model: DlibModel) -> bytes:
    return assets.id_card("obama.jpg")


def check_one(card: bytes, frame: bytes) -> CheckResult:
    result = run_check(CheckRequest(card, (LiveFrame(frame, 0),)))
    assert result.error is None, result.error
    return result


def by_name(result: CheckResult) -> dict[str, tuple[bool, float | None, str | None]]:
    return {g.name: (g.passed, g.value, g.hint) for g in result.gates}


def test_real_frame_passes(card: bytes) -> None:
    result = check_one(card, assets.live_frame("obama3.jpg"))
    assert result.gates_passed
    assert result.band == "match"
    assert result.live_box is not None and result.live_box.height > 150


def test_blank_frame_is_no_face(card: bytes) -> None:
    blank = cv2.imencode(".png", np.full((480, 640, 3), 200, np.uint8))[1].tobytes()
    result = check_one(card, blank)
    assert by_name(result)["one_face"] == (False, 0.0, "no_face")
    assert result.hint == "no_face"
    assert result.band is None and result.distance is None


def test_two_people_are_many_faces(card: bytes) -> None:
    result = check_one(card, assets.side_by_side("obama3.jpg", "biden.jpg"))
    assert by_name(result)["one_face"] == (False, 2.0, "many_faces")
    assert result.hint == "many_faces"
    assert result.band is None


def test_a_distant_face_is_too_small(card: bytes) -> None:
    result = check_one(card, assets.live_frame("obama3.jpg", face_px=60))
    passed, value, hint = by_name(result)["face_size"]
    assert not passed and hint == "too_small"
    assert value is not None and value < 96
    assert result.hint == "too_small"


def test_a_heavily_blurred_face_is_blurry(card: bytes) -> None:
    result = check_one(card, assets.live_frame("obama3.jpg", blur=5.0))
    passed, value, hint = by_name(result)["sharpness"]
    assert not passed and hint == "blurry"
    assert value is not None and value < 20
    assert result.hint == "blurry"
