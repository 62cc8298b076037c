"""Documents and the face check in the agent console (real Chromium).

Two set-ups:

* the hub in the test process with a stand-in face judge, and a booth in the test
  process (:class:`DocBooth`) that answers document requests the way a booth does
  (``document.status``, then an upload over HTTP) with the synthetic ID card of
  ``scanner_drivers``; the console is driven through everything it shows:
  progress, failures, the strip, the viewer, re-scan and accept, the face check
  result side by side, the decision, a reload mid-call and the end of the call;
* the real processes: ``xiaowu-server``, ``xiaowu-booth --scanner synthetic`` and
  the console, media relay-only through coturn on 127.0.0.1.

Face pictures are drawn here (a cartoon face): no real person's image is used.
Screenshots for docs/ only with XIAOWU_SCREENSHOTS=1.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from PIL import Image, ImageDraw

from booth_client.ice import restore_host_addresses, restrict_host_addresses
from scanner_drivers.synthetic import render_id_card
from signaling.faces import FaceJob, FaceVerdict
from tests.e2e.console_helpers import (
    TestBooth,
    eventually,
    ignore_non_loopback_checks,
    open_page,
    screenshot,
)
from tests.e2e.procs import BIN, Hub, Proc
from tests.harness import HubEnv
from tests.turnserver import TurnServer

pytestmark = pytest.mark.e2e

PASSWORD = "agent-pass-1"
SERVICE = "housing.public_rental"
BLOB = re.compile(r"^blob:")
BOOTH_EVENTS = ("document.requested", "document.reviewed", "face.check.started",
                "face.check.status")


# ---------------------------------------------------------------- pictures


def cartoon_face(width: int, height: int, *, turn: float = 0.0, background: str = "#d9dee6"
                 ) -> Image.Image:
    """A drawn face (no real person): an oval, hair, eyes, brows, nose and mouth."""
    img = Image.new("RGB", (width, height), background)
    d = ImageDraw.Draw(img)
    cx, cy = width / 2 + turn * width * 0.08, height * 0.52
    fw, fh = width * 0.36, height * 0.36
    d.ellipse([cx - fw * 1.05, cy - fh * 1.15, cx + fw * 1.05, cy + fh * 0.2], fill="#2b2118")
    d.rectangle([cx - fw * 0.55, cy + fh * 0.7, cx + fw * 0.55, height], fill="#f2d3b8")
    d.ellipse([cx - fw * 1.6, cy + fh * 0.95, cx + fw * 1.6, height + fh * 1.2], fill="#28476e")
    d.ellipse([cx - fw, cy - fh, cx + fw, cy + fh], fill="#f2d3b8", outline="#d9b08c", width=2)
    for side in (-1, 1):
        ex = cx + side * fw * 0.42 + turn * fw * 0.15
        d.ellipse([ex - fw * 0.14, cy - fh * 0.22, ex + fw * 0.14, cy - fh * 0.02], fill="#ffffff")
        d.ellipse([ex - fw * 0.07, cy - fh * 0.18, ex + fw * 0.07, cy - fh * 0.05], fill="#2a1c12")
        d.line([ex - fw * 0.2, cy - fh * 0.36, ex + fw * 0.2, cy - fh * 0.4], fill="#2b2118",
               width=max(2, int(width / 80)))
    d.line([cx + turn * fw * 0.2, cy - fh * 0.02, cx - fw * 0.06 + turn * fw * 0.2, cy + fh * 0.3,
            cx + fw * 0.05, cy + fh * 0.32], fill="#c99472", width=max(2, int(width / 120)))
    d.arc([cx - fw * 0.35, cy + fh * 0.3, cx + fw * 0.35, cy + fh * 0.65], 20, 160,
          fill="#a5524a", width=max(2, int(width / 60)))
    return img


def jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def id_card_png(variant: int = 0) -> bytes:
    """The synthetic ID card front at 300 dpi; ``variant`` tilts the exposure a little."""
    card = render_id_card(300)
    if variant:
        card = cv2.convertScaleAbs(card, alpha=1.0, beta=-12 * variant)
    ok, buf = cv2.imencode(".png", card)
    assert ok
    return bytes(buf.tobytes())


class DrawnFaceJudge:
    """Stands in for the face engine: a `review` band, one liveness challenge missed and
    the sharpness gate failed, the ID portrait cropped from a drawn face."""

    def __init__(self) -> None:
        self.jobs: list[FaceJob] = []

    async def judge(self, job: FaceJob) -> FaceVerdict:
        self.jobs.append(job)
        first, second = job.challenges[:2]
        return FaceVerdict(result={
            "state": "judged", "band": "review", "distance": 0.47,
            "thresholds": {"match_max": job.match_max, "mismatch_min": job.mismatch_min},
            "model": {"name": "dlib_face_recognition_resnet_model_v1", "version": "19.24"},
            "passed": False,
            "gates": [
                {"name": "one_face", "passed": True, "value": 1, "limit": 1},
                {"name": "face_size", "passed": True, "value": 0.31, "limit": 0.12},
                {"name": "sharpness", "passed": False, "value": 41.0, "limit": 60.0,
                 "hint": "blurry"},
            ],
            "liveness": [
                {"action": first, "passed": True, "value": 0.52, "limit": 0.7},
                {"action": second, "passed": False, "value": 6.0, "limit": 18.0,
                 "detail": "not seen within 4 s"},
            ],
            "id_box": [20, 24, 82, 100], "live_box": [220, 120, 420, 360],
        }, portrait_jpeg=jpeg(cartoon_face(204, 252, background="#eef3fa")), best_frame=0)

    async def close(self) -> None:
        return None


# ---------------------------------------------------------------- a booth with a scanner


class DocBooth(TestBooth):
    """:class:`TestBooth` that also keeps what the hub tells a booth about documents and
    face checks, and uploads like a booth (its device token on ``/api/...``)."""

    __test__ = False

    def __init__(self, env: HubEnv) -> None:
        super().__init__(env)
        self.token = ""
        self.inbox: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    async def start(self, name: str = "石门镇新村村便民服务站") -> DocBooth:
        self.booth_id, self.token = await self.env.add_booth(name)
        self.ws = await self.env.connect(self.token)
        self._pump = asyncio.create_task(self._run(), name="doc-booth-pump")
        return self

    async def _handle(self, ev: dict[str, Any]) -> None:
        if ev["type"] in BOOTH_EVENTS:
            self.inbox.append(ev)
            self.arrived.set()
            return
        await super()._handle(ev)

    async def next(self, mtype: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            for i, ev in enumerate(self.inbox):
                if ev["type"] == mtype and all(ev["data"].get(k) == v for k, v in match.items()):
                    return dict(self.inbox.pop(i)["data"])
            return None

        return dict(await eventually(found, timeout, f"booth receiving {mtype} {match}", 0.05))

    async def status(self, request_id: str, state: str, code: str | None = None,
                     message: str | None = None) -> None:
        assert self.ws is not None and self.call_id is not None
        reply = await self.ws.request("document.status", {
            "call_id": self.call_id, "request_id": request_id, "state": state, "code": code,
            "message": message})
        assert reply["type"] == "ok", reply

    async def upload(self, body: bytes, kind: str, request_id: str | None) -> dict[str, Any]:
        assert self.env.http is not None and self.call_id is not None
        query = f"?kind={kind}" + (f"&request_id={request_id}" if request_id else "")
        async with self.env.http.post(
                f"{self.env.base}/api/calls/{self.call_id}/documents{query}", data=body,
                headers={"Authorization": f"Bearer {self.token}"}) as resp:
            assert resp.status == 201, await resp.text()
            return dict(await resp.json())

    async def face_frames(self, started: dict[str, Any]) -> None:
        """The frames of a face check (drawn faces, one per step), then submit."""
        assert self.env.http is not None and self.ws is not None
        steps = ["baseline", *started["challenges"]]
        for seq, step in enumerate(steps):
            frame = jpeg(cartoon_face(640, 480, turn=0.3 * seq))
            async with self.env.http.post(
                    f"{self.env.base}{started['upload_url']}?seq={seq}&t_ms={seq * 400}"
                    f"&step={step}", data=frame,
                    headers={"Authorization": f"Bearer {self.token}"}) as resp:
                assert resp.status == 201, await resp.text()
        reply = await self.ws.request("face.check.submit", {
            "call_id": self.call_id, "check_id": started["check_id"], "frames": len(steps)})
        assert reply["type"] == "face.check.status", reply


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[HubEnv]:
    hub_env = await HubEnv(tmp_path / "var", turn_urls=(), offer_timeout_s=30.0,
                           wrap_up_s=30.0, resume_grace_s=10.0).start()
    try:
        yield hub_env
    finally:
        await hub_env.stop()


@pytest.fixture
async def booth(env: HubEnv) -> AsyncIterator[DocBooth]:
    restrict_host_addresses(["127.0.0.1"])
    undo_checks = ignore_non_loopback_checks()
    made = await DocBooth(env).start()
    try:
        yield made
    finally:
        await made.close()
        undo_checks()
        restore_host_addresses()


async def open_console(browser: Any, base: str, query: str = "") -> tuple[Any, Any, list[str]]:
    return await open_page(browser, f"{base}/seat/{query}")


async def sign_in_available(page: Any, username: str) -> None:
    from playwright.async_api import expect

    await page.fill("#login-username", username)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "away")
    await page.click("#btn-available")
    await expect(page.locator("#agent-state")).to_have_attribute("data-state", "available")


async def image_srcs(page: Any) -> list[str]:
    """The blob: URLs the page shows right now (strip, viewer, faces)."""
    return list(await page.evaluate(
        "[...document.querySelectorAll('img')].map(i => i.getAttribute('src'))"
        ".filter(s => s && s.startsWith('blob:'))"))


async def blob_alive(page: Any, url: str) -> bool:
    return bool(await page.evaluate("u => fetch(u).then(() => true, () => false)", url))


def transform(style: str | None) -> str:
    return (style or "").split("transform:")[-1]


# ---------------------------------------------------------------- in-process hub and booth


@pytest.mark.timeout(120)
async def test_documents_viewer_rescan_and_face_check_in_the_console(
        env: HubEnv, booth: DocBooth, browser: Any) -> None:
    from playwright.async_api import expect

    judge = DrawnFaceJudge()
    env.hub.faces._judge_factory = lambda: judge
    await env.call("POST", "/api/admin/agents",
                   {"username": "zhang", "password": PASSWORD, "skills": ["housing"],
                    "display_name": "张晓明"}, token=env.admin_token, expect=201)
    catalog = await env.call("GET", "/api/catalog")
    service = next(d for d in catalog["departments"] if d["id"] == "housing")["services"][0]
    context, page, errors = await open_console(browser, env.base)
    await sign_in_available(page, "zhang")
    card, strip = page.locator("#docs-card"), page.locator("#doc-strip .doc-tile")
    await expect(card).to_be_hidden()  # documents belong to a call

    await booth.take_ticket(service["id"])
    await page.click("#btn-accept")
    await booth.call_started.wait()
    await booth.offer(0)
    await booth.wait_answer(0)
    await expect(card).to_be_visible()
    await expect(page.locator("#queue-card")).to_be_hidden()
    await expect(page.locator("#doc-empty")).to_be_visible()
    await expect(page.locator("#face-none")).to_be_visible()  # no ID card yet
    await expect(page.locator("#btn-face-start")).to_be_hidden()

    # -- ask for the ID card; the booth's progress shows as it comes
    await page.click("[data-testid=doc-request-id_front]")
    asked = await booth.next("document.requested")
    assert (asked["kind"], asked["instruction"]) == ("id_front", "请把身份证人像面朝上放在高拍仪上")
    request = page.locator(f"#doc-requests li[data-request-id='{asked['request_id']}']")
    await expect(request).to_contain_text("等待群众放置材料")
    await booth.status(asked["request_id"], "capturing")
    await expect(request).to_contain_text("正在拍摄")
    await booth.status(asked["request_id"], "retrying", "quality", "blurry,glare")
    await expect(request).to_have_attribute("data-state", "retrying")
    await expect(request).to_contain_text("图像不合格（模糊、反光），正在重拍")
    await booth.status(asked["request_id"], "uploading")
    await expect(request).to_contain_text("正在上传")
    first = await booth.upload(id_card_png(), "id_front", asked["request_id"])
    await expect(page.locator("#doc-requests")).to_be_hidden()
    await expect(strip).to_have_count(1)
    tile = page.locator(f"[data-document-id='{first['document_id']}']")
    await expect(tile.locator("img")).to_have_attribute("src", BLOB)
    await expect(tile).to_contain_text("身份证人像面")
    await expect(tile).to_contain_text("待审核")

    # -- the viewer: fit, zoom, rotate, drag, keys
    await tile.click()
    viewer, img = page.locator("#doc-viewer"), page.locator("#viewer-image")
    await expect(viewer).to_be_visible()
    await expect(page.locator("#viewer-title")).to_have_text("身份证人像面 · 第 1 份")
    await expect(img).to_have_attribute("data-loading", "false")
    assert (await img.get_attribute("src") or "").startswith("blob:")
    await expect(img).to_have_attribute("data-fit", "true")
    fit_scale = float(await img.get_attribute("data-scale") or 0)
    natural = await img.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert natural == [first["width"], first["height"]]
    box = await page.locator("#viewer-stage").bounding_box()
    shown = await img.bounding_box()
    assert shown["width"] <= box["width"] and shown["height"] <= box["height"]  # fits
    assert abs(shown["width"] - first["width"] * fit_scale) < 2
    await page.click("#viewer-zoom-in")
    await page.click("#viewer-zoom-in")
    await expect(img).to_have_attribute("data-fit", "false")
    zoomed = float(await img.get_attribute("data-scale") or 0)
    assert abs(zoomed - fit_scale * 1.25 ** 2) < 0.01
    await expect(page.locator("#viewer-zoom")).to_have_text(f"{round(zoomed * 100)}%")
    await page.click("#viewer-rotate")
    await expect(img).to_have_attribute("data-rotation", "90")
    turned = await img.bounding_box()
    assert turned["height"] > turned["width"]  # the landscape card now stands up
    before = transform(await img.get_attribute("style"))
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.move(cx, cy)
    await page.mouse.down()
    await page.mouse.move(cx + 120, cy + 40, steps=6)
    await page.mouse.up()
    after = transform(await img.get_attribute("style"))
    assert "translate(120px, 40px)" in after and after != before, after
    await page.keyboard.press("r")
    await expect(img).to_have_attribute("data-rotation", "180")
    await page.keyboard.press("-")
    assert float(await img.get_attribute("data-scale") or 0) < zoomed
    await page.keyboard.press("1")
    await expect(img).to_have_attribute("data-scale", "1.0000")
    await page.keyboard.press("0")
    await expect(img).to_have_attribute("data-fit", "true")
    assert "translate(0px, 0px)" in transform(await img.get_attribute("style"))
    await page.keyboard.press("Escape")
    await expect(viewer).to_be_hidden()

    # -- send it back with a reason: preset plus free text
    await tile.click()
    await page.click("#btn-doc-rescan")
    await expect(page.locator("#rescan-form")).to_be_visible()
    await expect(page.locator("#rescan-submit")).to_be_disabled()  # the resident must be told why
    await page.click("#rescan-presets button[data-reason=glare]")
    await expect(page.locator("#rescan-presets button[data-reason=glare]")).to_have_attribute(
        "aria-pressed", "true")
    await page.fill("#rescan-text", "请取下卡套")
    await page.keyboard.press("r")  # typed into the reason, not a shortcut
    await expect(img).to_have_attribute("data-rotation", "0")
    await page.keyboard.press("Backspace")
    await page.click("#rescan-submit")
    sent_back = await booth.next("document.reviewed")
    assert (sent_back["document_id"], sent_back["decision"], sent_back["reason"]) == (
        first["document_id"], "rescan", "有反光，请调整角度后重拍；请取下卡套")
    await expect(viewer).to_be_hidden()
    await expect(request).to_contain_text("已要求重拍")
    await expect(tile.locator(".review-badge")).to_have_text("已要求重拍")

    # -- the booth captures the same request again
    await booth.status(asked["request_id"], "capturing")
    second = await booth.upload(id_card_png(1), "id_front", asked["request_id"])
    await expect(strip).to_have_count(2)
    await expect(strip.first).to_have_attribute("data-document-id", second["document_id"])
    await strip.first.click()
    await expect(page.locator("#viewer-title")).to_have_text("身份证人像面 · 第 2 份")
    await expect(img).to_have_attribute("data-loading", "false")
    await expect(page.locator("#btn-doc-rescan")).to_be_enabled()

    # -- and a capture that fails shows why
    await page.click("[data-testid=doc-request-id_back]")
    back = await booth.next("document.requested", kind="id_back")
    await booth.status(back["request_id"], "failed", "jammed", "纸张卡住")
    failed = page.locator(f"#doc-requests li[data-request-id='{back['request_id']}']")
    await expect(failed).to_have_attribute("data-state", "failed")
    await expect(failed).to_contain_text("拍摄失败：纸张卡住")
    await screenshot(page, "documents")

    await page.click("#btn-doc-accept")
    kept = await booth.next("document.reviewed")
    assert (kept["document_id"], kept["decision"]) == (second["document_id"], "accepted")
    await expect(page.locator("#viewer-review")).to_have_text("已通过")
    await expect(page.locator("#btn-doc-accept")).to_be_disabled()
    await page.click("#viewer-close")

    # -- the failed request: ask again, then put the next failure away
    await failed.locator("button[data-action=again]").click()
    again = await booth.next("document.requested", kind="id_back")
    assert again["request_id"] != back["request_id"] and again["instruction"] == back["instruction"]
    await expect(failed).to_have_count(0)
    retry = page.locator(f"#doc-requests li[data-request-id='{again['request_id']}']")
    await expect(retry).to_contain_text("等待群众放置材料")
    await booth.status(again["request_id"], "failed", "cancelled")
    await expect(retry).to_contain_text("拍摄失败：群众取消了拍摄")
    await retry.locator("button[data-action=dismiss]").click()
    await expect(page.locator("#doc-requests")).to_be_hidden()

    # -- the face check, on the accepted ID card
    options = page.locator("#face-document option")
    await expect(options).to_have_count(2)
    await expect(page.locator("#face-document")).to_have_value(second["document_id"])
    await page.click("#btn-face-start")
    started = await booth.next("face.check.started")
    assert started["document_id"] == second["document_id"]
    words = {"blink": "眨眼", "turn_left": "左转头", "turn_right": "右转头", "open_mouth": "张嘴"}
    progress = page.locator("#face-progress")
    await expect(progress).to_contain_text(" → ".join(words[c] for c in started["challenges"]))
    await booth.face_frames(started)
    result = page.locator("#face-result")
    await expect(result).to_be_visible()
    await expect(progress).to_be_hidden()
    await expect(page.locator("#face-band")).to_have_text("需人工复核")
    await expect(page.locator("#face-band")).to_have_attribute("data-band", "review")
    for face_img in ("#face-portrait", "#face-live"):
        await expect(page.locator(face_img)).to_have_attribute("src", BLOB)
    portrait, live = await page.evaluate(  # one frame: the card may be scrolling into view
        "['face-portrait', 'face-live'].map(id => document.getElementById(id)"
        ".getBoundingClientRect()).map(r => [r.x, r.y, r.width])")
    assert abs(portrait[1] - live[1]) < 1 and live[0] >= portrait[0] + portrait[2]  # side by side
    await expect(page.locator("#face-distance-text")).to_have_text("特征距离 0.47")
    await expect(page.locator("#face-thresholds")).to_have_text("≤ 0.40 为一致 > 0.55 为不一致")
    first_c, second_c = started["challenges"][:2]
    await expect(page.locator(f"#face-liveness li[data-action={first_c}]")).to_have_attribute(
        "data-passed", "true")
    await expect(page.locator(f"#face-liveness li[data-action={second_c}]")).to_contain_text(
        f"✗{words[second_c]}")
    await expect(page.locator("#face-gates li")).to_have_count(1)
    await expect(page.locator("#face-gates li")).to_contain_text("清晰度")
    await expect(page.locator("#face-gates li")).to_contain_text("画面模糊")
    await expect(page.locator("#face-advice")).to_contain_text("比对结果仅供参考")
    await page.click("#lang-toggle")
    await expect(page.locator("#face-band")).to_have_text("Needs review")
    await expect(page.locator("#btn-face-confirm")).to_have_text("Same person")
    await expect(tile.locator(".tile-kind")).to_have_text("ID card (photo)")
    await page.click("#lang-toggle")
    await page.fill("#face-note", "与证件照一致，光线较暗")
    await screenshot(page, "facecheck")
    await page.click("#btn-face-confirm")
    await expect(page.locator("#face-decided")).to_have_text(
        "已确认本人（张晓明） · 与证件照一致，光线较暗")
    await expect(page.locator("#face-decide")).to_be_hidden()
    record = await env.hub.store.get_face_check(started["check_id"])
    assert (record.decision, record.decision_note) == ("confirmed", "与证件照一致，光线较暗")
    assert len(judge.jobs) == 1

    # -- a reload mid-call rebuilds the strip from the hub
    await page.reload()
    await expect(page.locator("#call-view")).to_be_visible(timeout=15000)
    await expect(strip).to_have_count(2)
    await expect(page.locator(f"[data-document-id='{first['document_id']}'] .review-badge")
                 ).to_have_text("已要求重拍")
    await expect(page.locator(f"[data-document-id='{second['document_id']}'] .review-badge")
                 ).to_have_text("已通过")
    await expect(strip.first.locator("img")).to_have_attribute("src", BLOB)
    await strip.first.click()
    await expect(img).to_have_attribute("data-loading", "false")

    # -- the end of the call takes every image with it
    blobs = await image_srcs(page)
    assert len(blobs) >= 3 and all([await blob_alive(page, b) for b in blobs])
    await page.click("#btn-end")
    await expect(page.locator("#wrapup-view")).to_be_visible()
    await expect(card).to_be_hidden()
    await expect(page.locator("#doc-viewer")).to_be_hidden()
    await expect(page.locator("#face-card")).to_be_hidden()
    assert await image_srcs(page) == []
    assert not [b for b in blobs if await blob_alive(page, b)], "blob: URLs still alive"
    await expect(strip).to_have_count(0)  # nothing of the resident's left in the page
    assert not errors, errors
    await context.close()


# ---------------------------------------------------------------- real processes


@pytest.fixture
async def relay_hub(tmp_path: Path, turn_server: TurnServer) -> AsyncIterator[Hub]:
    hub = Hub(tmp_path / "hub", env={"XIAOWU_RESUME_GRACE_S": "30", "XIAOWU_WRAP_UP_S": "30",
                                     "XIAOWU_OFFER_TIMEOUT_S": "30",
                                     # a shorter liveness step keeps the face check quick
                                     "XIAOWU_FACE_STEP_S": "2.0", "XIAOWU_FACE_FPS": "4"},
              extra_args=["--turn-url", turn_server.url, "--turn-secret", turn_server.secret])
    try:
        await hub.ready()
        yield hub
    finally:
        hub.stop()


@pytest.mark.timeout(180)  # the face engine's worker pool starts with the first check
async def test_console_requests_scans_from_a_real_booth_process(
        relay_hub: Hub, browser: Any, tmp_path: Path) -> None:
    """The hub and the booth as processes (``--scanner synthetic``), the console in
    Chromium; media only through coturn on 127.0.0.1."""
    from playwright.async_api import expect

    hub = relay_hub
    hub.add_agent("zhang", PASSWORD, ["housing"])
    _, code = hub.add_booth("石门镇新村村便民服务站")
    context, page, errors = await open_console(browser, hub.base, "?relay=1")
    await sign_in_available(page, "zhang")
    booth = Proc("booth", [str(BIN / "xiaowu-booth"), "--server", hub.base, "--config-dir",
                           str(tmp_path / "booth"), "--enroll", code, "--headless",
                           "--relay-only", "--camera", "synthetic", "--size", "640x360",
                           "--fps", "10", "--scanner", "synthetic", "--service", SERVICE,
                           "--log-level", "INFO"])
    try:
        await expect(page.locator("#offer-view")).to_be_visible(timeout=30000)
        await page.click("#btn-accept")
        await expect(page.locator("#docs-card")).to_be_visible()

        # ask for the ID card: the booth scans (synthetic), checks and uploads it
        await page.click("[data-testid=doc-request-id_front]")
        strip = page.locator("#doc-strip .doc-tile")
        await expect(strip).to_have_count(1, timeout=30000)
        await expect(strip.first.locator("img")).to_have_attribute(
            "src", BLOB, timeout=10000)
        await strip.first.click()
        img = page.locator("#viewer-image")
        await expect(img).to_have_attribute("data-loading", "false", timeout=10000)
        fit_scale = float(await img.get_attribute("data-scale") or 0)
        await page.click("#viewer-zoom-in")
        assert float(await img.get_attribute("data-scale") or 0) > fit_scale
        await page.click("#viewer-rotate")
        await expect(img).to_have_attribute("data-rotation", "90")

        # re-scan: a second document comes for the same request
        await page.click("#btn-doc-rescan")
        await page.click("#rescan-presets button[data-reason=blurry]")
        await page.click("#rescan-submit")
        await expect(page.locator("#doc-viewer")).to_be_hidden()
        await expect(strip).to_have_count(2, timeout=30000)
        await strip.first.click()
        await expect(img).to_have_attribute("data-loading", "false", timeout=10000)
        await page.click("#btn-doc-accept")
        await expect(page.locator("#viewer-review")).to_have_text("已通过")
        await page.click("#viewer-close")

        # a face check against a synthetic camera cannot find a face: it must say so
        await page.click("#btn-face-start")
        await expect(page.locator("#face-result")).to_be_visible(timeout=60000)
        band = page.locator("#face-band")
        assert await band.get_attribute("data-band") in ("none", "failed", "mismatch"), \
            await band.text_content()
        if await band.get_attribute("data-band") != "mismatch":
            await expect(page.locator("#face-why")).to_be_visible()
        await expect(page.locator("#face-advice")).to_be_visible()
        await page.click("#btn-face-reject")
        await expect(page.locator("#face-decided")).to_contain_text("不是本人")

        await page.click("#btn-end")
        await expect(page.locator("#wrapup-view")).to_be_visible()
        assert await image_srcs(page) == []
        assert not errors, errors
    finally:
        booth.stop()
        await context.close()
