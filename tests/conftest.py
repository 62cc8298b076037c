from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import HubEnv


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[HubEnv]:
    hub_env = await HubEnv(tmp_path / "var").start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()
