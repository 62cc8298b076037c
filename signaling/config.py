"""Hub settings: defaults < TOML file (``--config``) < ``XIAOWU_*`` environment < flags.

Every setting has one name used in all three sources: ``turn_secret`` is the
TOML key ``turn_secret``, the variable ``XIAOWU_TURN_SECRET`` and the flag
``--turn-secret``. List settings (``turn_urls``) take a comma-separated string
in the environment and a repeated flag (``--turn-url``).

TLS: ``tls_cert`` and ``tls_key`` (PEM files) make the hub serve HTTPS and WSS
itself; without them put a TLS proxy in front (``deploy/nginx``). Behind a
proxy, ``trusted_proxies`` (addresses or networks, none by default) are the
peers whose ``X-Forwarded-For`` the hub believes for the client address that
login throttling and the audit log record.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["Settings", "ConfigError", "load_settings", "ENV_PREFIX"]

ENV_PREFIX = "XIAOWU_"


class ConfigError(Exception):
    """A setting that cannot be read or has an invalid value."""


@dataclass(frozen=True)
class Settings:
    """Everything the hub needs to run; all times in seconds."""

    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str | None = None
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_s: int = 3600
    stun_urls: tuple[str, ...] = ()
    session_ttl_s: int = 12 * 3600
    enrollment_ttl_s: int = 24 * 3600
    hello_timeout_s: float = 10.0
    heartbeat_s: int = 20
    presence_flush_s: float = 30.0  # booths' last-seen times are written in batches
    resume_grace_s: float = 60.0
    offer_timeout_s: float = 20.0
    wrap_up_s: float = 30.0
    login_max_failures: int = 5
    login_window_s: float = 300.0
    login_lockout_s: float = 300.0
    rate_per_s: float = 30.0
    rate_burst: int = 60
    abuse_limit: int = 200
    revision_poll_s: float = 1.0
    log_level: str = "INFO"
    # TLS of the hub itself (PEM files); both or neither
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # peers whose X-Forwarded-For is believed (the TLS proxy); none by default
    trusted_proxies: tuple[str, ...] = ()
    # documents and face images (personal data): size limits and retention
    upload_max_bytes: int = 20 * 1024 * 1024
    image_max_pixels: int = 50_000_000
    document_retention_days: float = 30.0
    retention_interval_s: float = 3600.0
    # face check (人脸核身): thresholds are advice bands; the agent decides
    face_workers: int = 1
    face_max_pending: int = 8
    face_timeout_s: float = 30.0
    face_match_max: float = 0.40
    face_mismatch_min: float = 0.55
    face_baseline_s: float = 1.0
    face_step_s: float = 4.0
    face_fps: float = 5.0
    face_max_frames: int = 45  # 1 s baseline + 2 × 4 s at 5 fps
    face_frame_max_bytes: int = 2 * 1024 * 1024
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'xiaowu.db').resolve()}"


_FIELDS = {f.name: f for f in fields(Settings) if f.name != "extra"}


def _coerce(name: str, value: Any) -> Any:
    default = _FIELDS[name].default
    try:
        if name == "data_dir":
            return Path(str(value))
        if name in ("tls_cert", "tls_key"):
            return None if value in (None, "") else Path(str(value))
        if name == "trusted_proxies":
            nets = _list(value)
            for net in nets:
                ipaddress.ip_network(net, strict=False)  # ValueError: reported below
            return nets
        if name in ("turn_urls", "stun_urls"):
            return _list(value)
        if name == "database_url" or name == "turn_secret":
            return None if value in (None, "") else str(value)
        if isinstance(default, bool):
            return str(value).lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: invalid value {value!r}") from exc


def _list(value: Any) -> tuple[str, ...]:
    """A comma-separated string (environment) or a list (TOML, repeated flag)."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def _from_file(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    table = raw.get("hub", raw)
    unknown = sorted(k for k in table if k not in _FIELDS and not isinstance(table[k], dict))
    if unknown:
        raise ConfigError(f"config file {path}: unknown settings {unknown}")
    return {k: v for k, v in table.items() if k in _FIELDS}


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _FIELDS:
        key = ENV_PREFIX + name.upper()
        if key in env:
            out[name] = env[key]
    return out


def load_settings(
    flags: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Merge the sources; flags whose value is ``None`` are treated as not given."""
    environ = os.environ if env is None else env
    merged: dict[str, Any] = {}
    file_path = config_file
    if file_path is None and environ.get(ENV_PREFIX + "CONFIG"):
        file_path = Path(environ[ENV_PREFIX + "CONFIG"])
    if file_path is not None:
        merged.update(_from_file(file_path))
    merged.update(_from_env(environ))
    for name, value in (flags or {}).items():
        if value is not None and name in _FIELDS and value != ():
            merged[name] = value
    values = {name: _coerce(name, value) for name, value in merged.items()}
    settings = dataclasses.replace(Settings(), **values)
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise ConfigError("tls_cert and tls_key go together: give both or neither")
    if settings.turn_urls and not settings.turn_secret:
        raise ConfigError("turn_urls are set but turn_secret is missing")
    if not settings.face_match_max <= settings.face_mismatch_min:
        raise ConfigError("face_match_max must not be above face_mismatch_min")
    if settings.document_retention_days <= 0 or settings.upload_max_bytes <= 0:
        raise ConfigError("document_retention_days and upload_max_bytes must be positive")
    if not 0 < settings.port < 65536:
        raise ConfigError(f"port {settings.port} out of range")
    return settings
