"""The hub's adapter from the face check engine's result to ``face.check.result``."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from cloud_seat.face_check import CheckRequest, run_check
from signaling import protocol as p
from signaling.face_judge import verdict_of


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((120, 160, 3), 128, np.uint8)).save(out, "JPEG")
    return out.getvalue()


def _event(result_json: dict[str, object]) -> p.FaceCheckResult:
    return p.FaceCheckResult.model_validate({**result_json, "call_id": "c", "check_id": "f"})


def test_bad_id_image_is_a_bad_message_failure() -> None:
    result = run_check(CheckRequest(id_image=b"not an image", frames=((_jpeg(), 0, "baseline"),)))
    verdict = verdict_of(result)
    event = _event(verdict.result)
    assert event.state == "failed" and event.error is not None
    assert event.error.code == p.ErrorCode.BAD_MESSAGE
    assert verdict.hint == "error" and not event.passed


def test_no_face_on_the_card_is_reported_not_internal() -> None:
    result = run_check(CheckRequest(id_image=_jpeg(), frames=((_jpeg(), 0, "baseline"),)))
    event = _event(verdict_of(result).result)
    assert event.state == "failed" and event.error is not None
    assert event.error.code != p.ErrorCode.INTERNAL, event.error
    assert "no_face" in event.error.message
