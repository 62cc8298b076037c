from __future__ import annotations

from pathlib import Path

import pytest

from cloud_seat.face_check.model import DlibModel, default_model
from tests.conftest import need
from tests.face import assets


@pytest.fixture(scope="session")
def face_images() -> Path:
    """face_recognition's test photos (fetched once from the package index)."""
    folder = assets.face_images()
    if folder is None:
        need(f"face_recognition 1.3.0 sdist test images ({assets.last_error})")
    assert folder is not None
    return folder


@pytest.fixture(scope="session")
def model(face_images: Path) -> DlibModel:
    return default_model()
