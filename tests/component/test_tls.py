"""The hub's own TLS (``--tls-cert``/``--tls-key``): the real ``xiaowu-server`` on
127.0.0.1 serving HTTPS and WSS with a certificate made for the test, clean
refusals of unusable certificates, and the warning for a hub exposed without TLS."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from aiohttp import web
from cryptography.hazmat.primitives import serialization

from signaling import server
from signaling.config import ConfigError, load_settings
from tests.harness import free_port
from tests.tlscert import CertFiles, make_certs, new_key, until_listening

ADMIN_PASSWORD = "tls-admin-pass-1"
BIN = Path(sys.executable).parent


@pytest.fixture
def certs(tmp_path: Path) -> CertFiles:
    return make_certs(tmp_path / "tls")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOWU_")}
    env.update(extra)
    return env


@pytest.fixture
def tls_hub(tmp_path: Path, certs: CertFiles) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """``xiaowu-server`` with its certificate from the environment (XIAOWU_TLS_*)."""
    data = tmp_path / "var"
    subprocess.run([str(BIN / "xiaowu-admin"), "--data-dir", str(data), "init",
                    "--admin-password", ADMIN_PASSWORD], check=True, capture_output=True,
                   env=_env(), timeout=60)
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "xiaowu-server"), "--data-dir", str(data), "--host", "127.0.0.1",
         "--port", str(port)],
        env=_env(XIAOWU_TLS_CERT=str(certs.cert), XIAOWU_TLS_KEY=str(certs.key)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == f"xiaowu-server listening on https://127.0.0.1:{port}", line
        yield port, proc
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
        assert "without TLS" not in err  # loopback: no warning


async def test_https_and_wss_with_the_hubs_own_certificate(
        tls_hub: tuple[int, subprocess.Popen[str]], certs: CertFiles) -> None:
    port, proc = tls_hub
    await until_listening(port, proc, "xiaowu-server")
    trust = ssl.create_default_context(cafile=str(certs.ca))
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=trust)
    assert writer.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
    writer.close()
    await writer.wait_closed()
    old = ssl.create_default_context(cafile=str(certs.ca))
    old.minimum_version = ssl.TLSVersion.TLSv1_2
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=old)
    writer.close()  # TLS 1.2 clients (older kiosks, browsers) are still served
    await writer.wait_closed()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"https://127.0.0.1:{port}/api/login", ssl=trust,
                             json={"username": "admin", "password": ADMIN_PASSWORD}) as resp:
            assert resp.status == 200, await resp.text()
            token = (await resp.json())["token"]
        async with http.get(f"https://127.0.0.1:{port}/healthz", ssl=trust) as resp:
            assert (await resp.json())["status"] == "ok"
        # a client that does not trust the test CA is refused: it really is TLS
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await http.get(f"https://127.0.0.1:{port}/healthz")
        # and the port speaks nothing but TLS
        with pytest.raises(aiohttp.ClientError):
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                await resp.read()

    async with websockets.connect(f"wss://127.0.0.1:{port}/ws", ssl=trust,
                                  open_timeout=5) as ws:
        await ws.send(json.dumps({"v": 1, "type": "hello", "id": "h1",
                                  "data": {"token": token, "client": "test/1",
                                           "resume": None}}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert welcome["type"] == "welcome" and welcome["re"] == "h1", welcome
    assert welcome["data"]["role"] == "admin"


def _server_fails(certs: CertFiles, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "xiaowu-server"), "--host", "127.0.0.1",
                           "--port", str(free_port()), *args],
                          capture_output=True, text=True, env=_env(), timeout=30)


def test_cli_refuses_a_key_that_is_not_the_certificates(tmp_path: Path,
                                                        certs: CertFiles) -> None:
    other = tmp_path / "other.key"
    new_key(other)
    done = _server_fails(certs, "--data-dir", str(tmp_path / "var"),
                         "--tls-cert", str(certs.cert), "--tls-key", str(other))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"xiaowu-server: the TLS key {other} does not match the certificate {certs.cert}")
    assert done.stdout == ""  # it never said it was listening
    assert not (tmp_path / "var").exists()  # and touched no store


@pytest.mark.parametrize("case", ["missing", "unreadable", "not_pem", "swapped", "encrypted",
                                  "cert_only"])
def test_unusable_certificates_stop_the_hub_before_it_binds(
        case: str, tmp_path: Path, certs: CertFiles, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ran: list[Any] = []
    monkeypatch.setattr(web, "run_app", lambda *a, **k: ran.append(k))
    cert, key = certs.cert, certs.key
    if case == "missing":
        key = tmp_path / "nowhere.key"
        expect = f"cannot read the TLS key {key}: No such file or directory"
    elif case == "unreadable":
        key = tmp_path / "dir.key"
        key.mkdir()
        expect = f"cannot read the TLS key {key}: Is a directory"
    elif case == "not_pem":
        cert = tmp_path / "cert.der"
        cert.write_bytes(b"\x30\x82\x01\x00 not pem")
        expect = f"the TLS certificate {cert} is not a PEM certificate"
    elif case == "swapped":
        cert, key = certs.key, certs.cert
        expect = f"the TLS certificate {cert} is not a PEM certificate"
    elif case == "encrypted":
        pem = serialization.load_pem_private_key(certs.key.read_bytes(), None).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"))
        key = tmp_path / "encrypted.key"
        key.write_bytes(pem)
        expect = f"the TLS key {key} is encrypted; give an unencrypted key (mode 0600)"
    else:
        rc = server.main(["--data-dir", str(tmp_path / "var"), "--tls-cert", str(cert)])
        assert rc == 2 and not ran
        assert "tls_cert and tls_key go together" in capsys.readouterr().err
        return
    rc = server.main(["--data-dir", str(tmp_path / "var"), "--tls-cert", str(cert),
                      "--tls-key", str(key)])
    assert rc == 2 and not ran
    assert capsys.readouterr().err.strip() == f"xiaowu-server: {expect}"


def test_tls_context_is_tls12_or_newer_and_passed_to_the_server(
        tmp_path: Path, certs: CertFiles, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ran: list[dict[str, Any]] = []
    monkeypatch.setattr(web, "run_app", lambda *a, **k: ran.append(k))
    toml = tmp_path / "hub.toml"
    toml.write_text(f'[hub]\ntls_cert = "{certs.cert}"\ntls_key = "{certs.key}"\n')
    assert server.main(["--config", str(toml), "--data-dir", str(tmp_path / "var"),
                        "--port", "8443"]) == 0
    ctx = ran[0]["ssl_context"]
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert ran[0]["host"] == "127.0.0.1"
    assert "listening on https://127.0.0.1:8443" in capsys.readouterr().out


def test_warning_for_a_public_address_without_tls(
        tmp_path: Path, certs: CertFiles, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    ran: list[dict[str, Any]] = []
    monkeypatch.setattr(web, "run_app", lambda *a, **k: ran.append(k))
    caplog.set_level(logging.WARNING, logger="signaling.server")
    # run_app is replaced: nothing binds or resolves this name here
    assert server.main(["--data-dir", str(tmp_path / "var"), "--host", "hub.example.gov.cn"]
                       ) == 0
    assert ran[0]["ssl_context"] is None
    warned = [r.getMessage() for r in caplog.records if r.name == "signaling.server"]
    assert len(warned) == 1 and "binding hub.example.gov.cn without TLS" in warned[0]

    caplog.clear()
    for host in ("127.0.0.1", "::1", "localhost"):
        assert server.main(["--data-dir", str(tmp_path / "var"), "--host", host]) == 0
    assert server.main(["--data-dir", str(tmp_path / "var"), "--host", "hub.example.gov.cn",
                        "--tls-cert", str(certs.cert), "--tls-key", str(certs.key)]) == 0
    assert not [r for r in caplog.records if r.name == "signaling.server"]


def test_settings_sources_for_tls_and_trusted_proxies(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('tls_cert = "/etc/ssl/a.pem"\ntls_key = "/etc/ssl/a.key"\n'
                    'trusted_proxies = ["127.0.0.1", "127.0.1.0/24"]\n')
    s = load_settings({}, toml, env={})
    assert (s.tls_cert, s.tls_key) == (Path("/etc/ssl/a.pem"), Path("/etc/ssl/a.key"))
    assert s.trusted_proxies == ("127.0.0.1", "127.0.1.0/24")
    s = load_settings({"trusted_proxies": ("::1",)}, toml,
                      env={"XIAOWU_TRUSTED_PROXIES": "127.0.0.2, 127.0.0.3",
                           "XIAOWU_TLS_CERT": "/x.pem"})
    assert s.trusted_proxies == ("::1",) and s.tls_cert == Path("/x.pem")
    s = load_settings({}, None, env={"XIAOWU_TRUSTED_PROXIES": "127.0.0.2, 127.0.0.3"})
    assert s.trusted_proxies == ("127.0.0.2", "127.0.0.3")
    assert load_settings({}, None, env={}).trusted_proxies == ()  # none by default
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings({}, None, env={"XIAOWU_TRUSTED_PROXIES": "nginx.local"})
    with pytest.raises(ConfigError, match="go together"):
        load_settings({}, None, env={"XIAOWU_TLS_KEY": "/x.key"})


def test_handshake_failures_are_one_line_other_errors_go_to_asyncio(
        caplog: pytest.LogCaptureFixture) -> None:
    from signaling.server import quiet_handshake_failures

    loop = asyncio.new_event_loop()
    passed: list[dict[str, object]] = []
    loop.default_exception_handler = passed.append  # type: ignore[method-assign]
    try:
        with caplog.at_level("INFO", logger="signaling.server"):
            quiet_handshake_failures(loop, {
                "message": "Error on transport creation for incoming connection",
                "exception": ssl.SSLError(1, "[SSL: HTTP_REQUEST] http request")})
        assert passed == []
        assert "connection dropped during the TLS handshake" in caplog.text
        other = {"message": "Task exception was never retrieved", "exception": OSError()}
        quiet_handshake_failures(loop, other)
        bug = {"message": "Error on transport creation for incoming connection",
               "exception": KeyError("not a network error")}
        quiet_handshake_failures(loop, bug)
        assert passed == [other, bug]
    finally:
        loop.close()
