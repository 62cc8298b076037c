"""deploy/nginx/xiaowu.conf in a real nginx (Debian package ``nginx``) on 127.0.0.1
in front of a real hub: ``nginx -t`` on the production file, HTTPS and WSS
through it, the upload limits, the client address the hub records, security and
cache headers, the /metrics allow-list, and both consoles in real Chromium under
its Content-Security-Policy.

The production file itself is run, with only its listen ports, the hub's port
and the certificate paths substituted (each substitution must find its line).
nginx runs as one process (``master_process off``) with its pid, logs and
temporary files under the test's directory. Other clients come from 127.0.0.2
and 127.0.0.3 (loopback too) to tell them apart from nginx at 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import signal
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
import websockets
from PIL import Image

from tests.component.test_documents import _call
from tests.conftest import need
from tests.e2e.console_helpers import eventually
from tests.harness import ADMIN_PASSWORD, HubEnv, free_port
from tests.tlscert import CertFiles, make_certs, until_listening

pytestmark = pytest.mark.e2e

SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "xiaowu.conf"
MB = 1024 * 1024

# What Debian's /etc/nginx/nginx.conf sets at http level, so that a site file
# repeating one of them at that level fails here as it would there.
MAIN = """\
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log notice;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    gzip on;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {site};
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def render_site(certs: CertFiles, *, http_port: int | None = None,
                https_port: int | None = None, hub_port: int | None = None) -> str:
    """The production file with the certificate paths (and, for a run, the ports)
    substituted; every line it substitutes must be there."""
    subs = [("/etc/ssl/xiaowu/fullchain.pem", str(certs.cert)),
            ("/etc/ssl/xiaowu/privkey.pem", str(certs.key))]
    if http_port is not None and https_port is not None and hub_port is not None:
        subs += [("listen 80;", f"listen 127.0.0.1:{http_port};"),
                 ("listen [::]:80;", ""),
                 ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                 ("listen [::]:443 ssl http2;", ""),
                 ("server 127.0.0.1:8080;", f"server 127.0.0.1:{hub_port};")]
    text = SITE.read_text()
    for old, new in subs:
        assert text.count(old) == 1, f"{SITE} no longer has exactly one {old!r}"
        text = text.replace(old, new)
    return text


def write_conf(tmp: Path, site: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(MAIN.format(tmp=tmp, site=tmp / "site.conf"))
    return main


def _nginx_or_skip() -> str:
    binary = nginx_binary()
    if binary is None:
        need("nginx (Debian package nginx)")
    assert binary is not None
    return binary


def test_production_config_passes_nginx_t(tmp_path: Path) -> None:
    binary = _nginx_or_skip()
    certs = make_certs(tmp_path / "tls")
    conf = write_conf(tmp_path / "nginx", render_site(certs))
    done = subprocess.run([binary, "-t", "-p", str(tmp_path / "nginx"), "-c", str(conf),
                           "-e", str(tmp_path / "nginx" / "error.log")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr
    assert "[warn]" not in done.stderr, done.stderr


@dataclass
class Proxied:
    env: HubEnv
    base: str          # https://127.0.0.1:PORT
    http_port: int
    trust: ssl.SSLContext
    log: Path

    def session(self, source: str = "127.0.0.1") -> aiohttp.ClientSession:
        """A client whose connections come from ``source`` (a loopback address)."""
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(
            ssl=self.trust, local_addr=(source, 0)))


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[Proxied]:
    """A hub trusting nginx at 127.0.0.1, and nginx with the production file."""
    binary = _nginx_or_skip()
    env = await HubEnv(tmp_path / "var", trusted_proxies=("127.0.0.1",),
                       login_max_failures=3, turn_urls=()).start()
    certs = make_certs(tmp_path / "tls")
    http_port, https_port = free_port(), free_port()
    tmp = tmp_path / "nginx"
    conf = write_conf(tmp, render_site(certs, http_port=http_port, https_port=https_port,
                                       hub_port=env.port))
    proc = subprocess.Popen([binary, "-p", str(tmp), "-c", str(conf), "-e",
                             str(tmp / "error.log")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        await until_listening(https_port, proc, "nginx")
        yield Proxied(env, f"https://127.0.0.1:{https_port}", http_port,
                      ssl.create_default_context(cafile=str(certs.ca)), tmp / "error.log")
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful: lets open WebSockets finish
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        await env.stop()
    assert proc.returncode == 0
    errors = [line for line in (tmp / "error.log").read_text().splitlines()
              if any(f"[{lvl}]" in line for lvl in ("emerg", "alert", "crit"))]
    assert not errors, errors


SECURITY_HEADERS = ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                    "Referrer-Policy", "Content-Security-Policy", "Permissions-Policy")


async def test_https_login_and_wss_through_nginx(proxied: Proxied) -> None:
    async with proxied.session() as http:
        async with http.post(f"{proxied.base}/api/login",
                             json={"username": "admin", "password": ADMIN_PASSWORD}) as resp:
            assert resp.status == 200
            token = (await resp.json())["token"]
            for name in SECURITY_HEADERS:
                assert name in resp.headers, name
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
            assert resp.headers["Server"] == "nginx"  # no version, no aiohttp banner
        # errors carry the headers too (the hub's own JSON error through nginx)
        async with http.get(f"{proxied.base}/api/nowhere") as resp:
            assert resp.status == 404
            assert (await resp.json())["error"]["code"] == "not_found"
            assert resp.headers.getall("X-Content-Type-Options") == ["nosniff"]
            assert "Content-Security-Policy" in resp.headers
        # plain HTTP is sent to HTTPS, path and query kept
        async with aiohttp.ClientSession() as plain, plain.get(
                f"http://127.0.0.1:{proxied.http_port}/seat/?relay=1",
                allow_redirects=False) as resp:
            assert resp.status == 301
            assert resp.headers["Location"] == "https://127.0.0.1/seat/?relay=1"

    async with websockets.connect(f"wss://{proxied.base.split('//')[1]}/ws",
                                  ssl=proxied.trust, open_timeout=5) as ws:
        await ws.send(json.dumps({"v": 1, "type": "hello", "id": "h1", "data": {
            "token": token, "client": "test/1", "resume": None}}))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert welcome["type"] == "welcome" and welcome["data"]["role"] == "admin", welcome
        # and the connection stays a WebSocket: a request after the handshake
        await ws.send(json.dumps({"v": 1, "type": "no.such", "id": "x1", "data": {}}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["data"]["code"] == "unknown_type"


def _scan_page(megabytes: float) -> bytes:
    """An uncompressed TIFF page of about ``megabytes`` (what a 600 dpi scan weighs)."""
    side = int((megabytes * MB / 3) ** 0.5)
    arr = np.full((side, side, 3), 245, np.uint8)
    arr[100:side - 100:40, 80:side - 80] = 30
    out = io.BytesIO()
    Image.fromarray(arr).save(out, "TIFF")
    return out.getvalue()


async def test_upload_limits(proxied: Proxied) -> None:
    c = await _call(proxied.env)
    url = f"{proxied.base}/api/calls/{c.call_id}/documents?kind=id_front"
    auth = {"Authorization": f"Bearer {c.booth_token}", "Content-Type": "image/tiff"}
    page = _scan_page(15)
    assert 14 * MB < len(page) < 16 * MB
    async with proxied.session() as http:
        async with http.post(url, data=io.BytesIO(page), headers=auth) as resp:
            assert resp.status == 201, await resp.text()
            added = await resp.json()
        assert added["width"] == added["height"] == int((15 * MB / 3) ** 0.5)
        assert (await c.agent.expect("document.added"))["data"]["document_id"] == \
            added["document_id"]

        # 25 MB: nginx refuses it (its HTML page, not the hub's JSON)
        async with http.post(url, data=io.BytesIO(b"\0" * (25 * MB)), headers=auth) as resp:
            assert resp.status == 413
            assert resp.content_type == "text/html"
            assert "Content-Security-Policy" in resp.headers
        # everywhere else the limit is the hub's JSON limit (1 MiB)
        async with http.post(f"{proxied.base}/api/login", data=io.BytesIO(b"{" + b" " * (2 * MB)),
                             headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 413 and resp.content_type == "text/html"
    docs = await proxied.env.hub.store.call_documents(c.call_id)
    assert [d.id for d in docs] == [added["document_id"]]


async def _login(http: aiohttp.ClientSession, base: str, username: str, password: str,
                 spoof: str | None = None) -> int:
    headers = {"X-Forwarded-For": spoof} if spoof else {}
    async with http.post(f"{base}/api/login", json={"username": username,
                                                    "password": password},
                         headers=headers) as resp:
        return resp.status


async def test_the_hub_records_the_clients_address(proxied: Proxied) -> None:
    store = proxied.env.hub.store
    async with proxied.session("127.0.0.2") as resident, \
            proxied.session("127.0.0.3") as neighbour:
        # what a client writes into X-Forwarded-For is replaced by nginx
        assert await _login(resident, proxied.base, "admin", ADMIN_PASSWORD,
                            spoof="127.0.3.1") == 200
        logins = [r for r in await store.list_audit(limit=1000) if r.action == "login"]
        assert logins[-1].detail["ip"] == "127.0.0.2"
        for name in ("a1", "a2", "a3"):  # login_max_failures=3
            assert await _login(resident, proxied.base, name, "wrong") == 401
        failed = [r.actor for r in await store.list_audit(limit=1000)
                  if r.action == "login.failed"]
        assert failed == ["ip:127.0.0.2"] * 3
        # the throttle holds that client back, not everyone behind nginx
        assert await _login(resident, proxied.base, "admin", ADMIN_PASSWORD) == 429
        assert await _login(neighbour, proxied.base, "admin", ADMIN_PASSWORD) == 200


async def test_metrics_only_for_the_allow_list(proxied: Proxied) -> None:
    async with proxied.session("127.0.0.1") as local, proxied.session("127.0.0.2") as other:
        async with local.get(f"{proxied.base}/metrics") as resp:
            assert resp.status == 200 and "xiaowu_" in await resp.text()
        async with other.get(f"{proxied.base}/metrics") as resp:
            assert resp.status == 403
        async with other.get(f"{proxied.base}/healthz") as resp:
            assert resp.status == 200


async def test_consoles_headers_cache_and_gzip(proxied: Proxied) -> None:
    async with proxied.session() as http:
        for site in ("seat", "admin"):
            async with http.get(f"{proxied.base}/{site}/") as resp:
                assert resp.status == 200 and resp.content_type == "text/html"
                assert '<script type="module"' in await resp.text()
                assert resp.headers.getall("Cache-Control") == ["no-store"]
                csp = resp.headers["Content-Security-Policy"]
                assert "script-src 'self'" in csp and "'unsafe-eval'" not in csp
            async with http.get(f"{proxied.base}/{site}", allow_redirects=False) as resp:
                assert resp.status == 302 and resp.headers["Location"] == f"/{site}/"
            async with http.get(f"{proxied.base}/{site}/js/main.js",
                                headers={"Accept-Encoding": "gzip"}) as resp:
                assert resp.status == 200
                assert resp.headers["Content-Encoding"] == "gzip"
                assert resp.headers.getall("Cache-Control") == ["no-cache"]
                modified = resp.headers["Last-Modified"]
            async with http.get(f"{proxied.base}/{site}/js/main.js",
                                headers={"If-Modified-Since": modified}) as resp:
                assert resp.status == 304  # stored, revalidated, nothing sent again
        # an ID image keeps the hub's private, no-store
        c = await _call(proxied.env)
        async with http.post(f"{proxied.base}/api/calls/{c.call_id}/documents?kind=id_front",
                             data=io.BytesIO(_scan_page(0.5)),
                             headers={"Authorization": f"Bearer {c.booth_token}"}) as resp:
            doc = await resp.json()
        async with http.get(proxied.base + doc["url"],
                            headers={"Authorization": f"Bearer {c.agent_token}"}) as resp:
            assert resp.status == 200
            assert resp.headers.getall("Cache-Control") == ["private, no-store"]
            assert resp.headers.getall("X-Content-Type-Options") == ["nosniff"]


# -- the consoles in real Chromium under the CSP

CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


async def _page(browser: Any, url: str) -> tuple[Any, Any, list[str]]:
    context = await browser.new_context(viewport={"width": 1440, "height": 900},
                                        locale="zh-CN", ignore_https_errors=True)
    await context.add_init_script(CSP_PROBE)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"console.{msg.type}: {msg.text}")
            if msg.type == "error" and "Failed to load resource" not in msg.text else None)
    # failed loads by URL instead: the console's "Failed to load resource" also
    # counts the browser's own /favicon.ico probe of the admin console (no icon)
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 else None)
    await page.goto(url)
    return context, page, problems


async def test_consoles_run_under_the_csp_in_chromium(proxied: Proxied, browser: Any) -> None:
    env = proxied.env
    await env.call("POST", "/api/admin/agents",
                   {"username": "zhang", "password": "agent-pass-1", "skills": ["housing"],
                    "display_name": "张晓明"}, token=env.admin_token, expect=201)
    booth_id, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    await booth.request("booth.status", {"camera": "ok", "scanner": "ok", "version": "1"})

    context, page, problems = await _page(browser, f"{proxied.base}/admin/")
    try:
        await page.fill("#login-username", "admin")
        await page.fill("#login-password", ADMIN_PASSWORD)
        await page.click("#login-submit")
        await page.wait_for_selector("#app-view:not([hidden])")
        # the rating bars' widths are style attributes (style-src-attr)
        await page.wait_for_selector("#ov-ratings .rating-row")
        await page.click("[data-tab=booths]")
        await page.wait_for_selector(f"tr[data-booth='{booth_id}']")
        assert await page.evaluate("window.__csp") == []
    finally:
        await context.close()

    context, page, seat_problems = await _page(browser, f"{proxied.base}/seat/")
    try:
        await page.fill("#login-username", "zhang")
        await page.fill("#login-password", "agent-pass-1")
        await page.click("#login-submit")
        await page.wait_for_selector("#agent-name:has-text('张晓明')")
        # the WebSocket (wss:// through nginx, connect-src 'self') carries state
        await page.click("#btn-available")
        await page.wait_for_selector("#agent-state[data-state=available]")
        await page.wait_for_selector("#queue-body tr[data-dept-id=housing]")
        # a call: the camera (getUserMedia under Permissions-Policy camera=(self))
        # and a document shown through a blob: URL (img-src blob:)
        catalog = await env.call("GET", "/api/catalog")
        service = next(d for d in catalog["departments"] if d["id"] == "housing")["services"][0]
        await booth.request("ticket.create", {"service_id": service["id"]})
        await page.click("#btn-accept")
        call_id = (await booth.expect("call.start"))["data"]["call_id"]
        # (polled with evaluate: Playwright's wait_for_function needs eval, which the
        # CSP forbids)
        await eventually(lambda: page.evaluate(
            "document.getElementById('local-video').srcObject?.getVideoTracks().length > 0"),
            10, "the agent's camera")
        async with proxied.session() as http, http.post(
                f"{proxied.base}/api/calls/{call_id}/documents?kind=id_front",
                data=io.BytesIO(_scan_page(0.5)),
                headers={"Authorization": f"Bearer {booth_token}"}) as resp:
            assert resp.status == 201, await resp.text()
            doc = await resp.json()
        img = page.locator(f"[data-document-id='{doc['document_id']}'] img")
        await img.wait_for()
        await eventually(lambda: img.evaluate(
            "i => i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0"),
            10, "the document's thumbnail from a blob: URL")
        assert await page.evaluate("window.__csp") == []
        assert await page.evaluate("location.protocol") == "https:"
    finally:
        await context.close()
    assert problems == [] and seat_problems == [], problems + seat_problems
