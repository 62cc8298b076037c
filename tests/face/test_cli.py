"""xiaowu-facecheck compare: the console script as operators run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.face import assets


def facecheck() -> list[str]:
    script = Path(sys.executable).with_name("xiaowu-facecheck")
    if script.exists():
        return [str(script)]
    found = shutil.which("xiaowu-facecheck")
    if found is None:
        pytest.fail("console script xiaowu-facecheck missing: pip install -e . --no-deps")
    return [found]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([*facecheck(), *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, face_images: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("facecheck")
    out = {
        "card": assets.id_card("obama2.jpg"),
        "obama": assets.live_frame("obama.jpg"),
        "obama3": assets.live_frame("obama3.jpg"),
        "biden": assets.live_frame("biden.jpg"),
        "broken": assets.live_frame("biden.jpg")[:5000],
        "blank": cv2.imencode(".png", np.full((400, 600, 3), 230, np.uint8))[1].tobytes(),
    }
    paths = {}
    for name, data in out.items():
        paths[name] = folder / f"{name}.jpg"
        paths[name].write_bytes(data)
    paths["text"] = folder / "notes.txt"
    paths["text"].write_text("not an image\n")
    return paths


def test_compare_json(files: dict[str, Path]) -> None:
    done = run("compare", files["card"], files["obama"], files["obama3"], "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # exactly one JSON object
    assert out["band"] == "match"
    assert 0.0 < out["distance"] <= 0.40
    assert out["thresholds"] == {"match_max": 0.4, "mismatch_min": 0.55}
    assert out["model"]["name"] == "dlib_face_recognition_resnet_model_v1"
    assert out["gates_passed"] is True and len(out["gates"]) == 4
    assert out["liveness"] is None and "liveness not checked" in out["note"]
    assert out["error"] is None
    # every usable image is encoded: an operator sees each distance
    assert sorted(f["index"] for f in out["frames_used"]) == [0, 1]
    assert out["images"]["live"] == [str(files["obama"]), str(files["obama3"])]


def test_options_before_the_subcommand_and_text_output(files: dict[str, Path]) -> None:
    done = run("--match-max", "0.2", "--mismatch-min", "0.3", "compare",
               files["card"], files["biden"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("band: mismatch (distance 0.")
    assert "match <= 0.2, mismatch > 0.3" in done.stdout
    assert "liveness not checked" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("text", "obama3"), "bad_image: ID image"),
        (("card", "broken"), "bad_image: frame 0"),
        (("blank", "obama3"), "id_no_face"),
        (("card", "missing"), "cannot read live image"),
        (("card",), "Missing argument"),
        (("--match-max", "0.6", "--mismatch-min", "0.5", "card", "obama3"), "must not exceed"),
    ],
)
def test_bad_input_exits_2(files: dict[str, Path], args: tuple[str, ...], message: str) -> None:
    paths = [a if a.startswith("-") or a[0].isdigit() else files.get(a, Path("/nonexistent", a))
             for a in args]
    done = run("compare", "--json", *paths)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    if done.stdout:  # the check ran: the JSON says why it failed
        assert json.loads(done.stdout)["error"]["code"] in message
