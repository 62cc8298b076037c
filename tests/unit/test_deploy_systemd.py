"""deploy/systemd: the units pass ``systemd-analyze verify`` (which loads them
offline, no systemd as PID 1 needed), the hub's hardening scores as such in
``systemd-analyze security --offline``, the sysusers files parse, and the
settings the units and env files rely on are the ones the hub reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signaling.config import ENV_PREFIX, Settings
from tests.conftest import need

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
VENV_BIN = Path(sys.executable).parent


def _analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        need("systemd-analyze (Debian package systemd)")
    assert tool is not None
    return tool


def _installable(name: str, into: Path) -> Path:
    """The unit with its programs pointed at ones that exist here (verify checks
    that ExecStart is executable): this venv's console scripts, and any
    executable for cage, which a hub or CI machine does not have."""
    text = (DEPLOY / name).read_text()
    assert "/opt/xiaowu/venv/bin/" in text or name.endswith(".timer")
    text = text.replace("/opt/xiaowu/venv/bin/", f"{VENV_BIN}/")
    text = text.replace("/usr/bin/cage ", f"{shutil.which('cage') or '/usr/bin/env'} ")
    into.mkdir(parents=True, exist_ok=True)
    path = into / name
    path.write_text(text)
    return path


def _unit(name: str) -> dict[str, dict[str, str]]:
    """Sections of KEY=value; a key given twice (SystemCallFilter) is joined by "|"."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current[key] = f"{current[key]}|{value}" if key in current else value
    return sections


@pytest.mark.parametrize("name", ["xiaowu-hub.service", "xiaowu-booth.service",
                                  "xiaowu-backup.service", "xiaowu-backup.timer"])
def test_units_pass_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    tool = _analyze()
    if name.endswith(".timer"):  # verify loads the service it starts from beside it
        _installable("xiaowu-backup.service", tmp_path)
    unit = _installable(name, tmp_path)
    done = subprocess.run([tool, "verify", "--man=no", str(unit)],
                          capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # verify only warns about keys it does not know; none may be misspelt
    mine = [line for line in out.splitlines() if name in line]
    assert not mine, mine


def test_hub_hardening_exposure(tmp_path: Path) -> None:
    tool = _analyze()
    unit = _installable("xiaowu-hub.service", tmp_path)
    done = subprocess.run([tool, "security", "--offline=true", "--no-pager",
                           "--threshold=20", str(unit)],
                          capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out  # exposure at most 2.0 of 10
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d)", out)
    assert level is not None, out
    assert float(level.group(1)) <= 2.0


def test_hub_unit_settings() -> None:
    service = _unit("xiaowu-hub.service")["Service"]
    assert service["User"] == "xiaowu" and service["Group"] == "xiaowu"
    assert service["StateDirectory"] == "xiaowu"
    assert service["EnvironmentFile"] == "/etc/xiaowu/hub.env"
    assert service["ExecStart"].endswith("--data-dir /var/lib/xiaowu")
    assert service["Restart"] == "on-failure"
    assert service["UMask"] == "0077"  # personal data: files 0600
    assert service["CapabilityBoundingSet"] == ""
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
                       "SystemCallFilter": "@system-service|~@privileged @resources"
                       }.items():
        assert service[key] == value, key
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6",
                                                               "AF_UNIX"}


def test_backup_units() -> None:
    service = _unit("xiaowu-backup.service")["Service"]
    assert service["Type"] == "oneshot" and service["User"] == "xiaowu"
    assert service["UMask"] == "0077" and service["ReadWritePaths"] == "/var/backups/xiaowu"
    assert service["ExecStart"] == ("/opt/xiaowu/venv/bin/xiaowu-admin --data-dir "
                                    "/var/lib/xiaowu backup /var/backups/xiaowu")
    timer = _unit("xiaowu-backup.timer")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_booth_unit_settings() -> None:
    unit = _unit("xiaowu-booth.service")
    service = unit["Service"]
    assert service["Restart"] == "always"
    assert "network-online.target" in unit["Unit"]["After"]
    assert "network-online.target" in unit["Unit"]["Wants"]
    assert unit["Install"]["WantedBy"] == "graphical.target"
    assert service["User"] == "xiaowu-booth" and service["PAMName"] == "login"
    assert "--config-dir /var/lib/xiaowu-booth" in service["ExecStart"]
    assert service["StateDirectory"] == "xiaowu-booth"
    env = _env_file("booth.env.example")
    for var in re.findall(r"\$\{?(\w+)\}?", service["ExecStart"]):
        assert var in env, var


def _env_file(name: str) -> dict[str, str]:
    """KEY=value lines; systemd takes no comment after a value, so none may have one."""
    out: dict[str, str] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), line
        assert " #" not in value, f"a comment after a value is part of it: {line}"
        out[key] = value
    return out


def test_hub_env_example_names_real_settings() -> None:
    names = {f"{ENV_PREFIX}{f.upper()}" for f in Settings.__dataclass_fields__}
    text = (DEPLOY / "hub.env.example").read_text()
    env = _env_file("hub.env.example")
    mentioned = set(re.findall(r"^#?(XIAOWU_\w+)=", text, re.M))
    assert mentioned <= names, mentioned - names
    assert env["XIAOWU_HOST"] == "127.0.0.1" and env["XIAOWU_TRUSTED_PROXIES"] == "127.0.0.1"
    assert {"XIAOWU_TLS_CERT", "XIAOWU_TLS_KEY", "XIAOWU_DATABASE_URL"} <= mentioned


@pytest.mark.parametrize("name", ["xiaowu-hub.sysusers.conf", "xiaowu-booth.sysusers.conf"])
def test_sysusers_files_parse(name: str, tmp_path: Path) -> None:
    tool = shutil.which("systemd-sysusers")
    if tool is None:
        need("systemd-sysusers (Debian package systemd)")
    assert tool is not None
    (tmp_path / "etc").mkdir()
    done = subprocess.run([tool, "--dry-run", f"--root={tmp_path}", str(DEPLOY / name)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    user = "xiaowu-booth" if "booth" in name else "xiaowu"
    assert f"Creating user '{user}'" in done.stdout + done.stderr
    assert not list((tmp_path / "etc").iterdir())  # a dry run wrote nothing
