"""run_check: the request contract, bad input, and the flow around a fake model."""

from __future__ import annotations

import io
import json
import pickle
import struct
import time
import zlib
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from cloud_seat.face_check import (
    BadImage,
    BadRequest,
    CheckRequest,
    CheckResult,
    LiveFrame,
    LivenessLimits,
    run_check,
)
from cloud_seat.face_check.decode import decode_image
from cloud_seat.face_check.fake import FakeModel
from cloud_seat.face_check.model import Box, Face, RGBImage
from tests.face.synth import Motion, blink, series, still, turn

SIZE = (640, 480)
_TEXTURE = np.asarray(cv2.GaussianBlur(
    (np.random.default_rng(0).random((480, 640, 3)) * 255).astype(np.uint8), (0, 0), 1.0),
    dtype=np.uint8)


def tagged(tag: int) -> bytes:
    """A textured 640 x 480 JPEG whose top-left 16 x 16 block says ``tag``."""
    image = _TEXTURE.copy()
    image[:16, :16] = 3 * tag
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()


def read_tag(image: RGBImage) -> int:
    return round(float(image[2, 2, 0]) / 3)


class Scene:
    """Faces by tag: tag 80 is the ID portrait; tags 0.. the live frames' landmarks."""

    def __init__(self, marks: Sequence[np.ndarray | None]) -> None:
        self.marks = list(marks)

    def __call__(self, image: RGBImage) -> list[Face]:
        tag = read_tag(image)
        scale = image.shape[1] / SIZE[0]
        if tag == 80:
            return [Face(Box(250, 150, 390, 330).scaled(scale), np.zeros((68, 2)))]
        if tag >= len(self.marks) or self.marks[tag] is None:
            return []
        m = self.marks[tag] * scale
        left, top = m.min(axis=0)
        right, bottom = m.max(axis=0)
        return [Face(Box(int(left), int(top), int(right) + 1, int(bottom) + 1), m)]


def scripted(plan: Sequence[tuple[str, float, Motion]], challenges: Sequence[str],
             **kw: Any) -> tuple[CheckRequest, FakeModel]:
    """A request whose frames show ``plan`` (synth.series) and the fake model that sees it."""
    marks = series(plan)
    frames = tuple(LiveFrame(tagged(i), t, step) for i, (t, step, _) in enumerate(marks))
    req = CheckRequest(tagged(80), frames, challenges=tuple(challenges), **kw)
    return req, FakeModel(Scene([m for _, _, m in marks]))


def test_liveness_and_match_through_the_whole_flow() -> None:
    req, model = scripted([("baseline", 1.0, still), ("blink", 4.0, blink),
                           ("turn_left", 4.0, turn(25))], ["blink", "turn_left"])
    result = run_check(req, model=model)
    assert result.error is None
    assert result.gates_passed and result.liveness is not None and result.liveness.passed
    assert result.passed and result.hint is None
    assert result.band == "match"
    # one encoded frame per step, at most best_frames: the encoder is the costly part
    assert sorted(step for _, step, _ in result.frames_used) == ["baseline", "blink",
                                                                  "turn_left"]
    assert model.calls["encode"] == 1 + 3
    assert result.best_frame_index is not None
    assert result.live_box is not None
    assert len(result.frames) == len(req.frames)
    assert all(f.usable or f.hint == "not_frontal" for f in result.frames)


def test_failed_liveness_is_reported_with_a_hint() -> None:
    req, model = scripted([("baseline", 1.0, still), ("blink", 4.0, still),
                           ("turn_right", 4.0, turn(-25))], ["blink", "turn_right"])
    result = run_check(req, model=model)
    assert result.gates_passed and result.band == "match"
    assert result.liveness is not None
    assert [c.passed for c in result.liveness.challenges] == [False, True]
    assert not result.passed and result.hint == "liveness"


def test_the_time_limit_comes_from_the_request() -> None:
    late = lambda t: blink(t, at=4.5)  # noqa: E731
    plan = [("baseline", 1.0, still), ("blink", 6.0, late)]
    req, model = scripted(plan, ["blink"])
    assert not run_check(req, model=model).passed
    req, model = scripted(plan, ["blink"], liveness_limits=LivenessLimits(step_s=6.0))
    assert run_check(req, model=model).passed


def test_no_face_anywhere() -> None:
    req, model = scripted([("baseline", 1.0, still)], [])
    model = FakeModel(Scene([]))
    result = run_check(req, model=model)
    assert result.error is None
    assert result.band is None and result.distance is None and not result.passed
    assert result.hint == "no_face"
    assert result.gates[0].name == "one_face" and result.gates[0].value == 0


def test_to_json_and_pickle() -> None:
    req, model = scripted([("baseline", 1.0, still), ("open_mouth", 4.0, still)],
                          ["open_mouth"])
    result = run_check(req, model=model)
    out = result.to_json()
    assert set(out) >= {"band", "distance", "thresholds", "model", "id_box", "live_box",
                        "best_frame_index", "gates", "liveness", "passed", "error"}
    assert out["thresholds"] == {"match_max": 0.4, "mismatch_min": 0.55}
    assert out["model"] == {"name": "fake", "version": "1"}
    assert set(out["liveness"]) == {"passed", "challenges", "baseline"}
    assert set(out["liveness"]["challenges"][0]) == {"action", "passed", "value", "limit",
                                                     "detail"}
    assert {g["name"] for g in out["gates"]} == {"one_face", "face_size", "frontal",
                                                 "sharpness"}
    assert isinstance(out["id_box"], list) and len(out["id_box"]) == 4
    json.dumps(out)
    again = pickle.loads(pickle.dumps(result))
    assert isinstance(again, CheckResult) and again.to_json() == out
    assert pickle.loads(pickle.dumps(req)) == req


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"frames": ()}, "no live frames"),
        ({"frames": [(b"x", -1, "baseline")]}, "t_ms"),
        ({"frames": [(b"x", 0, "wink")]}, "step"),
        ({"frames": [(b"x", 0, "turn_left")]}, "step"),
        ({"frames": ["nope"]}, "frame 0"),
        ({"challenges": ("wink",)}, "unknown challenge"),
        ({"challenges": ("blink", "blink")}, "repeated"),
        ({"best_frames": 0}, "best_frames"),
        ({"id_image": "not bytes"}, "id_image"),
        ({"thresholds": (0.4, 0.5)}, "thresholds"),
    ],
)
def test_malformed_requests_raise_bad_request(kw: dict[str, Any], match: str) -> None:
    args = {"id_image": b"id", "frames": [(b"x", 0, "baseline")], **kw}
    with pytest.raises(BadRequest, match=match) as info:
        CheckRequest(**args)
    assert info.value.code == "bad_request" and info.value.wire_code == "bad_message"


def _error(id_image: bytes, frame: bytes) -> tuple[str, str]:
    result = run_check(CheckRequest(id_image, (LiveFrame(frame, 0),)),
                       model=FakeModel(Scene([])))
    assert result.error is not None and result.band is None and not result.passed
    return result.error.code, result.error.message


def test_bad_image_bytes_come_back_as_typed_errors() -> None:
    good = tagged(80)
    assert _error(good, b"hello, not an image") == (
        "bad_image", "frame 0: not a JPEG, PNG, BMP or WebP image")
    code, message = _error(good, good[: len(good) // 2])  # a truncated JPEG
    assert code == "bad_image" and "frame 0" in message
    code, message = _error(b"\x89PNG\r\n\x1a\n" + b"\0" * 40, good)
    assert code == "bad_image" and "ID image" in message
    assert _error(b"", good)[0] == "bad_image"


def test_id_image_without_a_face() -> None:
    code, _ = _error(tagged(1), tagged(0))
    assert code == "id_no_face"


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\0\0\0\0IEND\xaeB`\x82")


def test_decode_refuses_bombs_strips_and_non_images() -> None:
    with pytest.raises(BadImage, match="pixels"):
        decode_image(_png_header(100_000, 100_000))
    with pytest.raises(BadImage, match="narrow"):
        decode_image(cv2.imencode(".png", np.zeros((40, 2000, 3), np.uint8))[1].tobytes())
    with pytest.raises(BadImage):
        decode_image(b"RIFF\0\0\0\0WAVEfmt ")


def test_decode_converts_modes_and_applies_exif_orientation() -> None:
    rgba = Image.new("RGBA", (64, 48), (10, 20, 30, 128))
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    assert decode_image(buf.getvalue()).shape == (48, 64, 3)
    gray = Image.new("L", (64, 48), 77)
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    gray.save(buf, "JPEG", exif=exif)
    image = decode_image(buf.getvalue())
    assert image.shape == (64, 48, 3) and image.dtype == np.uint8
    assert image.flags["C_CONTIGUOUS"]


def test_an_unexpected_exception_becomes_internal() -> None:
    def boom(image: RGBImage) -> list[Face]:
        raise RuntimeError("model bug")

    result = run_check(CheckRequest(tagged(80), (LiveFrame(tagged(0), 0),)),
                       model=FakeModel(boom))
    assert result.error is not None
    assert result.error.code == "internal" and "model bug" in result.error.message


def test_a_passed_deadline_stops_the_check() -> None:
    req, model = scripted([("baseline", 1.0, still)], [])
    result = run_check(req, model=model, deadline=time.monotonic() - 1)
    assert result.error is not None and result.error.code == "timeout"
