"""``xiaowu-server``: run the hub (DESIGN.md §4 command-line contract)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from aiohttp import web

from signaling.app import make_app
from signaling.config import ConfigError, load_settings

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="xiaowu-server", description="Run the Xiaowu hub.")
    ap.add_argument("--config", type=Path, help="TOML settings file")
    ap.add_argument("--data-dir", type=Path, help="embedded store and files (default ./var)")
    ap.add_argument("--host", help="bind address (default 127.0.0.1)")
    ap.add_argument("--port", type=int, help="port (default 8080)")
    ap.add_argument("--database-url", help="e.g. postgresql+asyncpg://user@host/db")
    ap.add_argument("--turn-url", dest="turn_urls", action="append", default=[],
                    help="TURN URL given to clients (repeat)")
    ap.add_argument("--turn-secret", help="coturn static-auth-secret")
    ap.add_argument("--log-level", help="DEBUG, INFO, WARNING")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k != "config"}
    flags["turn_urls"] = tuple(args.turn_urls)
    try:
        settings = load_settings(flags, args.config)
    except ConfigError as exc:
        print(f"xiaowu-server: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = make_app(settings)
    print(f"xiaowu-server listening on http://{settings.host}:{settings.port}", flush=True)
    # a district's booths reconnect together after a restart: a deep accept queue
    web.run_app(app, host=settings.host, port=settings.port, print=None, backlog=4096,
                handle_signals=True, shutdown_timeout=5.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
