"""The client address the hub records (login throttle, audit): ``X-Forwarded-For``
counts only from a peer in ``trusted_proxies`` (none by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from signaling.forwarded import client_address, networks
from tests.harness import ADMIN_PASSWORD, HubEnv

PROXY = networks(("127.0.0.1", "127.0.1.0/24"))


@pytest.mark.parametrize(("peer", "xff", "client"), [
    ("127.0.2.7", ["127.0.3.1"], "127.0.2.7"),  # not a proxy: ignored
    ("127.0.0.1", [], "127.0.0.1"),  # proxy, no header
    ("127.0.0.1", ["127.0.3.1"], "127.0.3.1"),
    ("::ffff:127.0.0.1", ["127.0.3.1"], "127.0.3.1"),  # dual-stack socket
    ("127.0.0.1", ["127.0.4.9, 127.0.3.1"], "127.0.3.1"),  # spoofed left part
    ("127.0.0.1", ["127.0.3.1, 127.0.1.4"], "127.0.3.1"),  # two proxies
    ("127.0.0.1", ["127.0.3.1", "127.0.1.4"], "127.0.3.1"),  # two header lines
    ("127.0.0.1", ["127.0.1.9, 127.0.1.4"], "127.0.1.9"),  # only proxies
    ("127.0.0.1", ["127.0.3.1, junk"], "127.0.0.1"),  # garbage: the proxy
    ("127.0.0.1", ["::1"], "::1"),
])
def test_client_address(peer: str, xff: list[str], client: str) -> None:
    assert client_address(peer, xff, PROXY) == client


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_address("127.0.0.1", ["127.0.3.1"], networks(())) == "127.0.0.1"


async def _login(env: HubEnv, username: str, password: str, xff: str) -> int:
    assert env.http is not None
    async with env.http.post(f"{env.base}/api/login",
                             json={"username": username, "password": password},
                             headers={"X-Forwarded-For": xff}) as resp:
        return resp.status


async def _login_ips(env: HubEnv) -> list[Any]:
    rows = await env.hub.store.list_audit(limit=1000)
    return [r.detail.get("ip") for r in rows if r.action == "login"]


async def test_hub_ignores_forwarded_for_by_default(env: HubEnv) -> None:
    assert await _login(env, "admin", ADMIN_PASSWORD, "127.0.3.1") == 200
    assert (await _login_ips(env))[-1] == "127.0.0.1"


async def test_behind_a_trusted_proxy_audit_and_throttle_use_the_client(tmp_path: Path) -> None:
    env = await HubEnv(tmp_path / "var", trusted_proxies=("127.0.0.1",),
                       login_max_failures=3).start()
    try:
        assert await _login(env, "admin", ADMIN_PASSWORD, "127.0.3.1") == 200
        assert (await _login_ips(env))[-1] == "127.0.3.1"
        failed = [r for r in await env.hub.store.list_audit(limit=1000)
                  if r.action == "login.failed"]
        assert not failed
        # three failures from one resident's address (different names each time)
        for name in ("a1", "a2", "a3"):
            assert await _login(env, name, "wrong-password", "127.0.3.66") == 401
        actors = [r.actor for r in await env.hub.store.list_audit(limit=1000)
                  if r.action == "login.failed"]
        assert actors == ["ip:127.0.3.66"] * 3
        # that address is locked out, everyone else behind the same proxy is not
        assert await _login(env, "admin", ADMIN_PASSWORD, "127.0.3.66") == 429
        assert await _login(env, "admin", ADMIN_PASSWORD, "127.0.3.1") == 200
    finally:
        await env.stop()
