"""The booth's own config file: which hub, and the device token from enrollment.

Stored as ``<config-dir>/booth.json`` with mode 0600 in a 0700 directory; it
holds a credential. Written atomically (temp file + rename) so a power cut
never leaves half a token behind.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["BoothConfig", "ConfigError", "EnrollError", "load_config", "save_config",
           "enroll", "ws_url", "device_info"]

FILENAME = "booth.json"


class ConfigError(Exception):
    """The config file exists but cannot be read."""


class EnrollError(Exception):
    """The hub refused the enrollment code (or could not be reached)."""


@dataclass(frozen=True)
class BoothConfig:
    server: str
    booth_id: str
    token: str
    name: str = ""
    region_name: str = ""


def load_config(config_dir: Path) -> BoothConfig | None:
    """The stored config, or None when the booth has not been enrolled."""
    path = config_dir / FILENAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        return BoothConfig(**{k: raw[k] for k in ("server", "booth_id", "token")},
                           name=raw.get("name", ""), region_name=raw.get("region_name", ""))
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is missing {exc}") from exc


def save_config(config_dir: Path, cfg: BoothConfig) -> Path:
    config_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config_dir, 0o700)
    path = config_dir / FILENAME
    tmp = config_dir / (FILENAME + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(cfg), fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    os.chmod(path, 0o600)
    return path


def ws_url(server: str) -> str:
    """``http://host:port`` -> ``ws://host:port/ws`` (``https`` -> ``wss``)."""
    base = server.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://"):] + "/ws"
    if base.startswith("http://"):
        return "ws://" + base[len("http://"):] + "/ws"
    raise ValueError(f"--server must start with http:// or https://, got {server!r}")


def device_info(version: str) -> dict[str, Any]:
    return {"hostname": socket.gethostname()[:64], "os": platform.platform()[:100],
            "python": platform.python_version(), "software": f"xiaowu-booth/{version}"}


async def enroll(server: str, code: str, device: dict[str, Any]) -> BoothConfig:
    """Trade a one-time enrollment code for the device token."""
    url = server.rstrip("/") + "/api/enroll"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http, \
                http.post(url, json={"code": code, "device": device}) as resp:
            body = await resp.json(content_type=None)
            if resp.status != 200:
                msg = (body or {}).get("error", {}).get("message", f"HTTP {resp.status}")
                raise EnrollError(f"enrollment refused: {msg}")
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise EnrollError(f"cannot reach the hub at {server}: {exc}") from exc
    return BoothConfig(server=server, booth_id=body["booth_id"], token=body["token"],
                       name=body.get("name", ""), region_name=body.get("region_name") or "")
