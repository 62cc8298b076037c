"""Synthetic documents: sizes at the requested dpi, drawn content, the fake feeder."""

from __future__ import annotations

import numpy as np
import pytest

from scanner_drivers import CaptureOptions, NoDocuments
from scanner_drivers.synthetic import SyntheticDriver, render_form, render_id_card


@pytest.mark.parametrize("dpi", [150, 300])
def test_id_card_size_and_content(dpi: int) -> None:
    card = render_id_card(dpi)
    assert card.shape == (round(54 / 25.4 * dpi), round(85.6 / 25.4 * dpi), 3)
    assert card.dtype == np.uint8
    dark = (card.max(axis=2) < 100).mean()
    assert 0.01 < dark < 0.3  # text was drawn, not a blank or black card
    back = render_id_card(dpi, back=True)
    assert back.shape == card.shape and not np.array_equal(back, card)


def test_form_is_a4() -> None:
    form = render_form(100)
    assert form.shape == (round(297 / 25.4 * 100), round(210 / 25.4 * 100), 3)
    assert 0.005 < (form.max(axis=2) < 128).mean() < 0.2


def test_cjk_text_is_drawn() -> None:
    # OpenCV 5's built-in font covers CJK: a Chinese title must leave ink behind
    plain = render_form(100, title="")
    chinese = render_form(100, title="申请表")
    assert (chinese < 128).sum() > (plain < 128).sum() + 200


async def test_driver_modes_and_feeder() -> None:
    driver = SyntheticDriver("id_card_front", sheets=2)
    gray = await driver.capture(CaptureOptions(dpi=100, mode="gray"))
    assert gray.image.ndim == 2 and gray.meta.device == "id_card_front"
    line = await driver.capture(CaptureOptions(dpi=100, mode="lineart"))
    assert set(np.unique(line.image).tolist()) <= {0, 255}
    pages = await driver.capture_pages(CaptureOptions(dpi=50, source="feeder"))
    assert [p.meta.page_index for p in pages] == [0, 1]
    with pytest.raises(NoDocuments):
        await driver.capture(CaptureOptions(source="feeder"))
    assert len(await driver.list_devices()) == 3
