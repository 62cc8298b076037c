"""Fixtures for end-to-end tests in a real browser (Debian's Chromium via Playwright)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import need
from tests.e2e.console_helpers import CHROMIUM, LAUNCH_ARGS


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Chromium from the Debian package, never a browser Playwright downloads."""
    if not os.access(CHROMIUM, os.X_OK):
        need(f"Chromium ({CHROMIUM}, Debian package 'chromium')")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        need("Playwright (pip package 'playwright')")
    pw = await async_playwright().start()
    try:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
    finally:
        await pw.stop()
