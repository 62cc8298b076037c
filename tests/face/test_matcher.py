"""Thresholds, bands and the median distance (pure)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cloud_seat.face_check.matcher import Thresholds, band, face_distance, median_distance


def test_defaults_are_conservative() -> None:
    t = Thresholds()
    assert t.match_max == 0.40 and t.mismatch_min == 0.55
    assert t.to_json() == {"match_max": 0.40, "mismatch_min": 0.55}


@pytest.mark.parametrize(
    ("distance", "expected"),
    [(0.0, "match"), (0.39, "match"), (0.40, "match"), (0.4001, "review"), (0.55, "review"),
     (0.5501, "mismatch"), (1.2, "mismatch")],
)
def test_band_edges(distance: float, expected: str) -> None:
    assert band(distance, Thresholds()) == expected
    assert Thresholds().band(distance) == expected


def test_equal_limits_leave_no_review_band() -> None:
    t = Thresholds(0.5, 0.5)
    assert t.band(0.5) == "match" and t.band(0.5001) == "mismatch"


@pytest.mark.parametrize(
    "args",
    [(0.6, 0.5), (0.0, 0.5), (-0.1, 0.5), (0.4, 2.5), (math.nan, 0.5), (0.4, math.inf),
     ("0.4", 0.5), (True, 0.5)],
)
def test_bad_thresholds_raise(args: tuple[object, object]) -> None:
    with pytest.raises(ValueError):
        Thresholds(*args)  # type: ignore[arg-type]


def test_bad_distance_raises() -> None:
    for d in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError):
            band(d, Thresholds())


def test_median_distance() -> None:
    portrait = np.zeros(128)
    live = [np.eye(128)[0] * d for d in (0.3, 0.9, 0.35)]
    median, each = median_distance(portrait, live)
    assert median == pytest.approx(0.35)
    assert each == pytest.approx([0.3, 0.9, 0.35])
    with pytest.raises(ValueError):
        median_distance(portrait, [])
    with pytest.raises(ValueError):
        face_distance(np.zeros(128), np.zeros(64))
