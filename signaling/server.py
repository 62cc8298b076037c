"""``xiaowu-server``: run the hub (DESIGN.md §4 command-line contract).

TLS (DESIGN.md §5): either a proxy in front (``deploy/nginx``) or the hub's own
certificate, ``--tls-cert PEM --tls-key PEM`` (or ``tls_cert``/``tls_key`` in
the TOML file, ``XIAOWU_TLS_CERT``/``XIAOWU_TLS_KEY``): the same port then
serves HTTPS and WSS only, TLS 1.2 or newer. A certificate that cannot be
loaded stops the hub before it binds, with exit code 2 like any other
configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import ssl
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from signaling.app import make_app
from signaling.config import ConfigError, Settings, load_settings

__all__ = ["main", "build_parser", "tls_context", "TlsError", "exposure_warning"]

log = logging.getLogger(__name__)


class TlsError(ConfigError):
    """The certificate or key cannot be used; the message names the file and why."""


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
    ap.add_argument("--tls-cert", type=Path,
                    help="serve HTTPS/WSS with this PEM certificate (chain)")
    ap.add_argument("--tls-key", type=Path, help="the certificate's PEM private key")
    ap.add_argument("--trusted-proxy", dest="trusted_proxies", action="append", default=[],
                    help="address or network of a proxy whose X-Forwarded-For is "
                         "believed (repeat)")
    ap.add_argument("--log-level", help="DEBUG, INFO, WARNING")
    return ap


def _no_passphrase(key: Path) -> bytes:
    # Without a callback OpenSSL would prompt on the terminal (under systemd: hang).
    raise TlsError(f"the TLS key {key} is encrypted; give an unencrypted key (mode 0600)")


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context for ``cert`` and ``key``: TLS 1.2+, Python's default ciphers.

    Raises :class:`TlsError` when a file is missing or unreadable, is not PEM,
    or the key does not belong to the certificate.
    """
    for what, path, marker in (("certificate", cert, b"-----BEGIN CERTIFICATE-----"),
                               ("key", key, b"PRIVATE KEY-----")):
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise TlsError(f"cannot read the TLS {what} {path}: {exc.strerror or exc}") from exc
        if marker not in text:
            raise TlsError(f"the TLS {what} {path} is not a PEM {what}")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION
    try:
        ctx.load_cert_chain(cert, key, password=lambda: _no_passphrase(key))
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        if reason == "KEY_VALUES_MISMATCH":
            raise TlsError(f"the TLS key {key} does not match the certificate {cert}") from exc
        raise TlsError(f"cannot load the TLS certificate {cert} with key {key}: "
                       f"{reason}") from exc
    return ctx


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def exposure_warning(settings: Settings) -> str | None:
    """The warning for a hub reachable from other hosts without TLS, or None."""
    if settings.tls_cert is not None or _is_loopback(settings.host):
        return None
    return (f"binding {settings.host} without TLS: passwords, tokens and personal data "
            "cross the network in clear; put nginx in front (deploy/nginx) and bind "
            "127.0.0.1, or give --tls-cert/--tls-key")


def quiet_handshake_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A client that drops or botches the TLS handshake (plain HTTP on the HTTPS port,
    a scanner, a client that does not trust the certificate) is routine on an open
    port: one info line, not a traceback. Everything else goes to asyncio's handler."""
    exc = context.get("exception")
    if (str(context.get("message", "")).startswith("Error on transport creation")
            and isinstance(exc, OSError)):  # ssl.SSLError and ConnectionResetError included
        log.info("connection dropped during the TLS handshake: %r", exc)
        return
    loop.default_exception_handler(context)


async def _install_loop_handler(app: web.Application) -> None:
    asyncio.get_running_loop().set_exception_handler(quiet_handshake_failures)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k != "config"}
    flags["turn_urls"] = tuple(args.turn_urls)
    flags["trusted_proxies"] = tuple(args.trusted_proxies)
    try:
        settings = load_settings(flags, args.config)
        ssl_context = None
        if settings.tls_cert is not None and settings.tls_key is not None:
            ssl_context = tls_context(settings.tls_cert, settings.tls_key)
    except ConfigError as exc:
        print(f"xiaowu-server: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    warning = exposure_warning(settings)
    if warning:
        log.warning("%s", warning)
    app = make_app(settings)
    app.on_startup.append(_install_loop_handler)
    scheme = "https" if ssl_context else "http"
    print(f"xiaowu-server listening on {scheme}://{settings.host}:{settings.port}", flush=True)
    # a district's booths reconnect together after a restart: a deep accept queue
    web.run_app(app, host=settings.host, port=settings.port, print=None, backlog=4096,
                handle_signals=True, shutdown_timeout=5.0, ssl_context=ssl_context)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
