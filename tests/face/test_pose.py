"""pose.head_pose: angles and signs on projected synthetic faces and on a real photo."""

from __future__ import annotations

import numpy as np
import pytest

from cloud_seat.face_check.landmarks import eye_aspect_ratio, mouth_aspect_ratio
from cloud_seat.face_check.model import DlibModel
from cloud_seat.face_check.pose import head_pose
from tests.face import assets
from tests.face.synth import flat_tilt, project, template


@pytest.mark.parametrize(
    ("yaw", "pitch", "roll"),
    [(0, 0, 0), (20, 0, 0), (-20, 0, 0), (40, 0, 0), (0, 25, 0), (0, -25, 0), (0, 0, 15),
     (0, 0, -15)],
)
def test_recovers_the_angles_of_a_projected_face(yaw: float, pitch: float, roll: float) -> None:
    pose = head_pose(project(template(), yaw=yaw, pitch=pitch, roll=roll), (640, 480))
    assert pose.yaw == pytest.approx(yaw, abs=0.5)
    assert pose.pitch == pytest.approx(pitch, abs=0.5)
    assert pose.roll == pytest.approx(roll, abs=0.5)


def test_turning_to_the_residents_left_moves_the_nose_to_the_image_right() -> None:
    front = project(template())
    left = project(template(), yaw=20)
    assert left[30][0] > front[30][0] + 5  # the nose tip, in a camera image not mirrored
    assert head_pose(left, (640, 480)).yaw > 15


def test_looking_up_is_positive_pitch_and_moves_the_nose_up() -> None:
    up = project(template(), pitch=20)
    assert up[30][1] < project(template())[30][1]
    assert head_pose(up, (640, 480)).pitch > 15


def test_off_centre_face_still_reads_frontal() -> None:
    marks = project(template(), center=(120, 100))
    assert head_pose(marks, (640, 480)).off_frontal < 1.0


def test_a_tilted_flat_picture_reads_as_no_turn() -> None:
    marks = flat_tilt(project(template()), 40)
    assert abs(head_pose(marks, (640, 480)).yaw) < 3.0


def test_degenerate_landmarks_raise_value_error() -> None:
    with pytest.raises(ValueError):
        head_pose(np.zeros((68, 2)), (640, 480))
    with pytest.raises(ValueError):
        head_pose(np.zeros((5, 2)), (640, 480))


def test_template_measures() -> None:
    assert eye_aspect_ratio(project(template())) == pytest.approx(0.30, abs=0.01)
    assert eye_aspect_ratio(project(template(eye_open=0.2))) < 0.1
    assert mouth_aspect_ratio(project(template())) < 0.05
    assert mouth_aspect_ratio(project(template(mouth_open=1.5))) > 0.55


def test_real_photo_mirrored_flips_the_yaw(model: DlibModel) -> None:
    image = assets.photo("obama3.jpg")
    box = assets.face_box("obama3.jpg")
    size = (image.shape[1], image.shape[0])
    yaw = head_pose(model.landmarks(image, box), size).yaw
    mirrored = np.ascontiguousarray(image[:, ::-1])
    mbox = model.locate(mirrored)[0]
    myaw = head_pose(model.landmarks(mirrored, mbox), size).yaw
    assert abs(yaw) > 5  # obama3.jpg: the head is turned a little
    assert np.sign(myaw) == -np.sign(yaw)
    assert myaw == pytest.approx(-yaw, abs=4)
