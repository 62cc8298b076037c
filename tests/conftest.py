from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from booth_client.ice import restore_host_addresses, restrict_host_addresses
from tests.harness import HubEnv
from tests.pgcluster import PgCluster

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(what: str) -> None:
    """Skip for a missing real component locally; in CI that is a failure."""
    if IN_CI:
        pytest.fail(f"{what} is missing in CI: install it (make test does)")
    pytest.skip(f"{what} is missing")


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[HubEnv]:
    hub_env = await HubEnv(tmp_path / "var").start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = PgCluster()
    except FileNotFoundError as exc:
        need(str(exc))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


_db_names = itertools.count(1)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return pg_cluster.create_db(f"t{os.getpid()}_{next(_db_names)}")


@pytest.fixture
async def pg_env(tmp_path: Path, pg_url: str) -> AsyncIterator[HubEnv]:
    """The hub on PostgreSQL instead of the embedded SQLite store."""
    hub_env = await HubEnv(tmp_path / "var", database_url=pg_url).start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


# -- coturn on 127.0.0.1 (tests/turnserver.py); appended here to leave the imports above alone

from tests.turnserver import TurnServer, turnserver_binary  # noqa: E402


@pytest.fixture(scope="session")
def turn_server() -> Iterator[TurnServer]:
    """One real coturn for the session: ``.url`` (turn:127.0.0.1:PORT), ``.secret``."""
    if turnserver_binary() is None:
        need("coturn (Debian package coturn)")
    server = TurnServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def loopback_ice() -> Iterator[None]:
    """aiortc host candidates on 127.0.0.1 only (aioice leaves it out by default)."""
    restrict_host_addresses(["127.0.0.1"])
    try:
        yield
    finally:
        restore_host_addresses()
