"""The aiohttp application: routes plus the store and hub opened through ``cleanup_ctx``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from signaling.api import THROTTLE_KEY, error_middleware, routes
from signaling.config import Settings
from signaling.hub import Hub
from signaling.store import Store, sqlite_url_for_dir
from signaling.throttle import LoginThrottle
from signaling.ws import HUB_KEY, ws_handler

__all__ = ["make_app", "SETTINGS_KEY", "open_store"]

log = logging.getLogger(__name__)

SETTINGS_KEY: web.AppKey[Settings] = web.AppKey("settings", Settings)


async def open_store(settings: Settings) -> Store:
    """Open (and migrate) the store the settings name; creates the data dir for SQLite."""
    url = settings.database_url
    if not url:
        url = sqlite_url_for_dir(settings.data_dir)
    store = await Store.open(url)
    await store.migrate()
    return store


def make_app(settings: Settings, *, seed: bool = True) -> web.Application:
    """Build the hub application. The store is opened on startup and closed on cleanup."""
    app = web.Application(middlewares=[error_middleware], client_max_size=1024 * 1024)
    app[SETTINGS_KEY] = settings
    app[THROTTLE_KEY] = LoginThrottle(settings.login_max_failures, settings.login_window_s,
                                      settings.login_lockout_s)

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        store = await open_store(settings)
        if seed:
            await store.seed_catalog()
        hub = Hub(settings, store)
        await hub.start()
        app[HUB_KEY] = hub
        log.info("hub ready on %s", settings.effective_database_url.split("@")[-1])
        try:
            yield
        finally:
            await hub.stop()
            await store.close()

    app.cleanup_ctx.append(hub_ctx)
    app.router.add_get("/ws", ws_handler)
    app.router.add_routes(routes)
    return app
