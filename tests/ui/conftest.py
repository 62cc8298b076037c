"""Kiosk UI tests: Qt without a display (``QT_QPA_PLATFORM=offscreen``)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from booth_client.ui.refguard import protect  # noqa: E402
from booth_client.ui.theme import apply_theme  # noqa: E402
from booth_client.ui.window import KioskWindow  # noqa: E402
from tests.ui.flows import FakeRunner  # noqa: E402


@pytest.fixture(scope="session")
def qapp() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    protect()  # as the kiosk does (booth_client.ui.refguard)
    apply_theme(app)
    return app


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def window(qapp: QApplication, runner: FakeRunner) -> Iterator[KioskWindow]:
    win = KioskWindow(runner.act, clock=runner.clock)
    win.resize(1920, 1080)
    win.show()
    qapp.processEvents()
    try:
        yield win
    finally:
        win.close()
        win.deleteLater()
        qapp.processEvents()
