"""A hub on a real loopback port, with helpers to provision and connect clients."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from signaling.app import make_app
from signaling.config import Settings
from signaling.hub import Hub
from signaling.ws import HUB_KEY
from tests.wsclient import WsClient

ADMIN_PASSWORD = "admin-pass-123"

FAST = dict(
    offer_timeout_s=1.0, wrap_up_s=0.5, resume_grace_s=1.0, hello_timeout_s=1.0,
    revision_poll_s=0.1, heartbeat_s=5, turn_urls=("turn:127.0.0.1:3478?transport=udp",),
    turn_secret="test-secret", rate_per_s=200.0, rate_burst=400, abuse_limit=50,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubEnv:
    """Start with :meth:`start`; :meth:`stop` asserts it stopped cleanly."""

    def __init__(self, data_dir: Path, **overrides: Any) -> None:
        self.port = free_port()
        self.settings = dataclasses.replace(
            Settings(), data_dir=data_dir, port=self.port, **{**FAST, **overrides})
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.runner: web.AppRunner | None = None
        self.http: aiohttp.ClientSession | None = None
        self.clients: list[WsClient] = []
        self.admin_token = ""

    @property
    def hub(self) -> Hub:
        assert self.runner is not None
        return self.runner.app[HUB_KEY]

    async def start(self) -> HubEnv:
        app = make_app(self.settings)
        self.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        if self.http is None:
            self.http = aiohttp.ClientSession()
        users = {u.username for u in await self.hub.store.list_users()}
        if "admin" not in users:
            await self.hub.store.create_user("admin", ADMIN_PASSWORD, "admin", [], "管理员")
        self.admin_token = (await self.login("admin", ADMIN_PASSWORD))["token"]
        return self

    async def stop_server(self) -> None:
        for c in self.clients:
            await c.close()
        self.clients = []
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def stop(self) -> None:
        await self.stop_server()
        if self.http is not None:
            await self.http.close()
            self.http = None

    # -- HTTP

    async def call(self, method: str, path: str, body: Any = None, token: str | None = None,
                   expect: int | None = 200) -> Any:
        assert self.http is not None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.base + path, json=body,
                                     headers=headers) as resp:
            data = await resp.json() if resp.content_type == "application/json" else \
                await resp.text()
            if expect is not None:
                assert resp.status == expect, (resp.status, data)
            return data

    async def login(self, username: str, password: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST", "/api/login", {"username": username, "password": password})
        return result

    async def add_agent(self, username: str, skills: list[str]) -> str:
        """Provision an agent through the admin API; returns a session token."""
        await self.call("POST", "/api/admin/agents",
                        {"username": username, "password": "agent-pass-1", "skills": skills},
                        token=self.admin_token, expect=201)
        return str((await self.login(username, "agent-pass-1"))["token"])

    async def add_booth(self, name: str = "石门镇新村村便民服务站") -> tuple[str, str]:
        """Provision and enroll a booth; returns (booth_id, device token)."""
        made = await self.call("POST", "/api/admin/booths",
                               {"name": name, "region_code": "330110101001",
                                "region_name": "余杭区 · 石门镇 · 新村村"},
                               token=self.admin_token, expect=201)
        enrolled = await self.call("POST", "/api/enroll",
                                   {"code": made["enrollment_code"],
                                    "device": {"model": "test"}})
        return str(enrolled["booth_id"]), str(enrolled["token"])

    # -- WebSocket

    async def connect(self, token: str | None = None, resume: str | None = None) -> WsClient:
        client = await WsClient.connect(self.ws_url)
        self.clients.append(client)
        if token is not None:
            reply = await client.hello(token, resume)
            assert reply["type"] == "welcome", reply
        return client

    async def agent(self, username: str, skills: list[str],
                    available: bool = True) -> tuple[WsClient, str]:
        token = await self.add_agent(username, skills)
        client = await self.connect(token)
        if available:
            reply = await client.request("agent.state", {"state": "available"})
            assert reply["data"]["state"] == "available", reply
        return client, token
