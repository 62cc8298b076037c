"""open_driver specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner_drivers import ScannerDriver, open_driver
from scanner_drivers.folder import FolderDriver
from scanner_drivers.sane import SaneDriver
from scanner_drivers.synthetic import SyntheticDriver
from scanner_drivers.uvc import UvcDriver


def test_specs(tmp_path: Path) -> None:
    assert isinstance(open_driver("sane:test"), SaneDriver)
    assert isinstance(open_driver("sane"), SaneDriver)
    assert isinstance(open_driver("uvc:0"), UvcDriver)
    assert isinstance(open_driver("uvc:/dev/video2"), UvcDriver)
    folder = open_driver(f"folder:{tmp_path}")
    assert isinstance(folder, FolderDriver) and folder.path == tmp_path
    assert isinstance(open_driver("synthetic"), SyntheticDriver)
    card = open_driver("synthetic:id_card_front")
    assert isinstance(card, SyntheticDriver) and isinstance(card, ScannerDriver)


@pytest.mark.parametrize(
    "spec", ["", "twain:0", "sane:", "uvc:", "uvc:front", "folder:", "synthetic:passport"]
)
def test_bad_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        open_driver(spec)


async def test_synthetic_through_the_registry() -> None:
    driver = open_driver("synthetic:id_card_front")
    page = await driver.capture()
    assert page.meta.driver == "synthetic" and page.image.shape[1] > page.image.shape[0]
    await driver.close()
