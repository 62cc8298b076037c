"""A small aiohttp app on 127.0.0.1 standing in for the hub's HTTP side in tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def loopback_app(posts: Sequence[tuple[str, Handler]]) -> AsyncIterator[str]:
    """Serve ``posts`` (path, handler) on a free loopback port; yields the base URL."""
    app = web.Application()
    for path, handler in posts:
        app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
