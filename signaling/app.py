"""The aiohttp application: routes plus the store and hub opened through ``cleanup_ctx``."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from signaling.api import THROTTLE_KEY, error_middleware, routes
from signaling.api_admin import admin_routes
from signaling.api_assist import assist_routes
from signaling.api_calls import call_routes
from signaling.api_documents import document_routes
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

    async def close_connections(app: web.Application) -> None:
        if HUB_KEY in app:
            app[HUB_KEY].close_all()

    app.cleanup_ctx.append(hub_ctx)
    app.on_shutdown.append(close_connections)
    app.router.add_get("/ws", ws_handler)
    app.router.add_routes(routes)
    app.router.add_routes(admin_routes)
    app.router.add_routes(document_routes)
    app.router.add_routes(assist_routes)
    app.router.add_routes(call_routes)
    _add_console(app)
    _add_static_site(app, "/admin", Path(__file__).parent / "admin_console")
    return app


def _console_dir() -> Path | None:
    """The agent console's static files (``cloud_seat/console``), if installed."""
    spec = importlib.util.find_spec("cloud_seat")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "console"
    return path if (path / "index.html").is_file() else None


def _add_console(app: web.Application) -> None:
    """Serve the agent console at ``/seat/`` (plain files: no CDN, works on an intranet)."""
    root = _console_dir()
    if root is None:
        log.warning("agent console files not found; /seat/ is not served")
        return
    _add_static_site(app, "/seat", root)


def _add_static_site(app: web.Application, prefix: str, root: Path) -> None:
    """A plain-files web app at ``prefix/``: its index never cached (a new release is
    picked up on reload), no directory listings, no symlinks out of ``root``."""
    index = root / "index.html"

    async def site_index(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

    async def site_redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{prefix}/")

    app.router.add_get(prefix, site_redirect)
    app.router.add_get(f"{prefix}/", site_index)
    app.router.add_static(f"{prefix}/", root, show_index=False, follow_symlinks=False)
