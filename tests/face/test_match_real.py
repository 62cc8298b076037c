"""Real faces (face_recognition's test photos): same person vs different people,
ID card scans with a printed-and-scanned look, chip photos, upside-down cards."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cloud_seat.face_check.check import CheckRequest, CheckResult, LiveFrame, run_check
from cloud_seat.face_check.errors import ManyFacesOnId, NoFaceOnId
from cloud_seat.face_check.model import DlibModel
from cloud_seat.face_check.portrait import portrait_from_card, read_portrait
from scanner_drivers.synthetic import render_id_card
from tests.face import assets


def frames(name: str, n: int = 3) -> tuple[LiveFrame, ...]:
    return tuple(LiveFrame(assets.live_frame(name, seed=i, face_px=190 + 10 * i), 200 * i)
                 for i in range(n))


def check(card: bytes, live: str, *, chip: bool = False) -> CheckResult:
    result = run_check(CheckRequest(card, frames(live), id_is_chip=chip))
    assert result.error is None, result.error
    assert result.gates_passed, result.gates
    assert result.distance is not None
    return result


# obama2.jpg is turned ~30° (it fails the frontal gate as a live frame), so it serves
# as an ID portrait only.
SAME = [("obama.jpg", "obama3.jpg"), ("obama2.jpg", "obama.jpg"), ("obama2.jpg", "obama3.jpg"),
        ("biden.jpg", "biden.jpg")]
OTHER = [("obama.jpg", "biden.jpg"), ("biden.jpg", "obama3.jpg"), ("obama2.jpg", "biden.jpg")]


@pytest.mark.parametrize(("id_person", "live"), SAME)
def test_same_person_on_a_scanned_card_matches_or_is_reviewed(
    model: DlibModel, id_person: str, live: str
) -> None:
    result = check(assets.id_card(id_person), live)
    assert result.band in ("match", "review"), result.distance


@pytest.mark.parametrize(("id_person", "live"), OTHER)
def test_different_people_on_a_scanned_card_mismatch(
    model: DlibModel, id_person: str, live: str
) -> None:
    result = check(assets.id_card(id_person), live)
    assert result.band == "mismatch", result.distance


def test_a_card_matches_its_person_and_not_the_other(model: DlibModel) -> None:
    card = assets.id_card("obama.jpg", angle=-3.0, blur=1.0, noise=4.0, quality=60, seed=7)
    mine, other = check(card, "obama3.jpg"), check(card, "biden.jpg")
    assert mine.band == "match"
    assert other.band == "mismatch"
    assert other.distance is not None and mine.distance is not None
    assert other.distance > mine.distance + 0.3
    # the box is where the portrait is printed
    left, top, right, bottom = assets.id_card_face_region()
    box = mine.id_box
    assert box is not None
    assert left - 20 <= box.left and box.right <= right + 20
    assert top - 20 <= box.top and box.bottom <= bottom + 20
    assert mine.portrait_jpeg is not None and mine.portrait_jpeg.startswith(b"\xff\xd8")


def test_an_upside_down_card_is_turned(model: DlibModel) -> None:
    upright = read_portrait(model, assets.id_card("obama.jpg"))
    flipped = read_portrait(model, assets.id_card("obama.jpg", flip=True))
    assert flipped.rotation == 180 and upright.rotation == 0
    distance = float(np.linalg.norm(upright.encoding - flipped.encoding))
    assert distance < 0.15
    # the box is given in the flipped image's own pixels: mirrored through the centre
    scan = cv2.imdecode(np.frombuffer(assets.id_card("obama.jpg"), np.uint8), cv2.IMREAD_COLOR)
    assert scan is not None
    height, width = scan.shape[:2]
    assert abs(flipped.box.left - (width - upright.box.right)) < 15
    assert abs(flipped.box.top - (height - upright.box.bottom)) < 15


def test_chip_photo(model: DlibModel) -> None:
    mine = check(assets.chip_photo("obama.jpg"), "obama3.jpg", chip=True)
    other = check(assets.chip_photo("biden.jpg"), "obama3.jpg", chip=True)
    assert mine.band in ("match", "review")
    assert other.band == "mismatch"
    assert mine.id_box is not None and mine.id_box.right <= 102 and mine.id_box.bottom <= 126


def test_a_card_without_a_face(model: DlibModel) -> None:
    blank_card = render_id_card(200)
    blank_card[:, :] = (235, 240, 245)
    with pytest.raises(NoFaceOnId):
        portrait_from_card(model, np.ascontiguousarray(blank_card[:, :, ::-1]))


def test_a_card_with_two_portraits(model: DlibModel) -> None:
    image = cv2.imdecode(np.frombuffer(assets.side_by_side("obama3.jpg", "biden.jpg"),
                                       np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    with pytest.raises(ManyFacesOnId):
        portrait_from_card(model, np.ascontiguousarray(image[:, :, ::-1]))
    result = run_check(CheckRequest(cv2.imencode(".jpg", image)[1].tobytes(),
                                    frames("obama3.jpg", 1)))
    assert result.error is not None and result.error.code == "id_many_faces"


@pytest.mark.parametrize("dpi", [150, 100])
def test_a_low_resolution_card_still_gives_the_portrait(model: DlibModel, dpi: int) -> None:
    reference = read_portrait(model, assets.id_card("obama.jpg"))
    low = read_portrait(model, assets.id_card("obama.jpg", dpi=dpi))
    other = read_portrait(model, assets.id_card("biden.jpg", dpi=dpi))
    assert low.box.height < 100  # small enough to need the full-size or upsampled pass
    assert float(np.linalg.norm(low.encoding - reference.encoding)) < 0.45
    assert float(np.linalg.norm(other.encoding - reference.encoding)) > 0.6
