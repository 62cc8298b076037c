"""Remote assist in the agent console (issue 7), in real Chromium.

Two set-ups:

* the hub in the test process and a booth in the test process (:class:`AssistBooth`)
  that answers the way a booth does: consent, the kiosk screen as a SECOND video
  track (a rebuilt peer connection with camera, audio and screen), form progress
  and a signed submission over HTTP; the console is driven through everything it
  shows: consent and revocation, the screen view, the pointer, drawings on the
  screen and on a document, remote taps, forms and guidance;
* the real processes (acceptance of issue 7): ``xiaowu-server``, the kiosk
  (``xiaowu-booth`` with its Qt UI on the offscreen platform, resident actions
  scripted through its test hook) and the console; the pointer's latency from
  the console to the kiosk's overlay is measured and printed.

The console's annotation model (js/annotations.js) is also checked against
signaling/annotations.py on the same operations. Screenshots for docs/ only with
XIAOWU_SCREENSHOTS=1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import VideoFrame
from PIL import Image, ImageDraw

from booth_client.ice import restore_host_addresses, restrict_host_addresses
from cloud_seat.seat_assist import submission_digest
from signaling.annotations import AnnotationBoard, AnnotationError, AnnotationOp, Shape
from tests.e2e.console_helpers import (
    TestCard,
    eventually,
    ignore_non_loopback_checks,
    screenshot,
)
from tests.e2e.procs import BIN, Proc, run_json
from tests.e2e.test_console_documents import (
    DocBooth,
    DrawnFaceJudge,
    env,
    open_console,
    relay_hub,
    sign_in_available,
)
from tests.harness import HubEnv

# the fixtures: the hub in the test process with no ICE servers (env), the hub as a
# process with coturn on 127.0.0.1 (relay_hub)
__all__ = ["env", "relay_hub"]
pytestmark = pytest.mark.e2e

PASSWORD = "agent-pass-1"  # sign_in_available's
SERVICE = "housing.public_rental"
BLOB = re.compile(r"^blob:")
ID = "11010519491231002X"
ASSIST_EVENTS = ("assist.consent.requested", "assist.pointer", "assist.annotate",
                 "assist.board", "assist.form", "assist.guide", "assist.control",
                 "assist.consent")
SCREEN_SIZE = (1280, 800)


# ---------------------------------------------------------------- a booth that shares its screen


class KioskScreen(VideoStreamTrack):
    """A stand-in for the kiosk's screen (a title bar, a form with boxes, two buttons),
    quiet until ``shared`` is set, as the booth's screen m-line is."""

    def __init__(self, shared: asyncio.Event) -> None:
        super().__init__()
        self.shared = shared
        w, h = SCREEN_SIZE
        img = np.full((h, w, 3), (246, 242, 238), dtype=np.uint8)  # BGR, light
        img[0:90] = (160, 78, 11)  # the kiosk's blue title bar
        for i in range(5):
            y = 150 + i * 100
            img[y:y + 60, 120:1160] = (255, 255, 255)
            img[y:y + 2, 120:1160] = (200, 190, 180)
        img[680:760, 760:1160] = (160, 78, 11)  # 下一步
        img[680:760, 120:520] = (220, 220, 220)  # 返回
        self._base = img
        self._n = 0

    async def recv(self) -> VideoFrame:
        await self.shared.wait()
        pts, time_base = await self.next_timestamp()
        img = self._base.copy()
        x = 130 + (self._n * 6) % 900
        img[170:190, x:x + 12] = (40, 40, 40)  # a blinking caret moving along
        self._n += 1
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def signature_png(strokes: list[list[list[float]]]) -> bytes:
    img = Image.new("RGBA", (600, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    for stroke in strokes:
        draw.line([(x * 600, y * 240) for x, y, _ in stroke], fill=(20, 20, 20, 255), width=5)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


STROKES = [[[round(0.08 + i * 0.012, 4), round(0.55 - 0.25 * np.sin(i / 5), 4), i * 18]
            for i in range(45)],
           [[0.7, 0.3, 1200], [0.74, 0.72, 1290], [0.82, 0.45, 1360], [0.9, 0.6, 1420]]]


class AssistBooth(DocBooth):
    """:class:`DocBooth` that also keeps the hub's ``assist.*`` events, offers its kiosk
    screen as a third m-line (sent once shared) and submits forms."""

    __test__ = False

    def __init__(self, env: HubEnv) -> None:
        super().__init__(env)
        self.shared = asyncio.Event()

    async def _handle(self, ev: dict[str, Any]) -> None:
        if ev["type"] in ASSIST_EVENTS:
            self.inbox.append(ev)
            return
        await super()._handle(ev)

    def drop(self, mtype: str) -> None:
        self.inbox = [ev for ev in self.inbox if ev["type"] != mtype]

    async def consent(self, scope: str, granted: bool) -> None:
        assert self.ws is not None
        reply = await self.ws.request("assist.consent", {"call_id": self.call_id, "scope": scope,
                                                         "granted": granted})
        assert reply["type"] == "ok", reply

    async def offer(self, gen: int, answer_delay_s: float = 0.0) -> None:
        """Offer ``gen`` as the booth does: camera, audio, and the kiosk screen as a
        third m-line (``sendonly``) that carries nothing until :meth:`share`."""
        assert self.ws is not None and self.call_id is not None
        old, self.pc = self.pc, None
        if old is not None:
            await old.close()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pcs.append(pc)
        self.pc, self.gen, self._remote_set, self._early = pc, gen, False, []
        self.answered[gen] = asyncio.Event()
        for track, direction in ((TestCard(), "sendrecv"), (AudioStreamTrack(), "sendrecv"),
                                 (KioskScreen(self.shared), "sendonly")):
            pc.addTransceiver(track, direction=direction)
        await pc.setLocalDescription(await pc.createOffer())
        reply = await self.ws.request("call.sdp", {"call_id": self.call_id, "gen": gen,
                                                   "description": {"type": "offer",
                                                                   "sdp": pc.localDescription.sdp}})
        assert reply["type"] == "ok", reply

    def share(self) -> None:
        self.shared.set()

    async def progress(self, form_id: str, values: dict[str, Any]) -> None:
        assert self.ws is not None
        reply = await self.ws.request("assist.form.progress", {
            "call_id": self.call_id, "form_id": form_id, "values": values})
        assert reply["type"] == "ok", reply

    async def submit(self, form_id: str, values: dict[str, Any]) -> dict[str, Any]:
        assert self.env.http is not None
        body = {"values": values, "reviewed": True, "signature": {
            "strokes": STROKES, "png": base64.b64encode(signature_png(STROKES)).decode()}}
        async with self.env.http.post(
                f"{self.env.base}/api/calls/{self.call_id}/forms/{form_id}/submission",
                data=json.dumps(body), headers={"Authorization": f"Bearer {self.token}",
                                                "Content-Type": "application/json"}) as resp:
            assert resp.status == 201, await resp.text()
            return dict(await resp.json())


@pytest.fixture
async def booth(env: HubEnv) -> AsyncIterator[AssistBooth]:
    restrict_host_addresses(["127.0.0.1"])
    undo_checks = ignore_non_loopback_checks()
    made = AssistBooth(env)
    await made.start()
    try:
        yield made
    finally:
        await made.close()
        undo_checks()
        restore_host_addresses()


async def frame_point(page: Any, selector: str, x: float, y: float) -> tuple[float, float]:
    """Client coordinates of (x, y), normalized, of an element."""
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] * x, box["y"] + box["height"] * y


async def drag(page: Any, points: list[tuple[float, float]]) -> None:
    await page.mouse.move(*points[0])
    await page.mouse.down()
    for pt in points[1:]:
        await page.mouse.move(*pt, steps=4)
    await page.mouse.up()


async def screen_frames(page: Any) -> int:
    return int(await page.locator("#screen-frame").get_attribute("data-frames") or 0)


def id_card_png() -> bytes:
    img = Image.new("RGB", (1012, 638), "#eef3fa")
    d = ImageDraw.Draw(img)
    d.rectangle([40, 40, 300, 360], outline="#28476e", width=6)
    for i in range(6):
        d.rectangle([360, 70 + i * 80, 960, 100 + i * 80], fill="#b9c6d8")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


# ---------------------------------------------------------------- in-process hub and booth


@pytest.mark.timeout(150)
async def test_screen_pointer_drawings_control_forms_and_guidance_in_the_console(
        env: HubEnv, booth: AssistBooth, browser: Any) -> None:
    from playwright.async_api import expect

    await env.call("POST", "/api/admin/agents",
                   {"username": "zhang", "password": PASSWORD, "skills": ["housing"],
                    "display_name": "张晓明"}, token=env.admin_token, expect=201)
    context, page, errors = await open_console(browser, env.base)
    await sign_in_available(page, "zhang")
    await booth.take_ticket(SERVICE)
    await page.click("#btn-accept")
    await booth.call_started.wait()
    await booth.offer(0)
    await booth.wait_answer(0)
    call_id = booth.call_id
    assert call_id is not None
    screen_chip, control_chip = page.locator("#consent-screen"), page.locator("#consent-control")
    await expect(screen_chip).to_have_text("未请求")
    await expect(page.locator("#btn-ask-control")).to_be_disabled()  # the screen comes first
    await expect(page.locator("#view-screen")).to_be_disabled()  # its m-line is there, unshared

    # -- consent: asked, refused, asked again, granted; the screen arrives as a 2nd track
    await page.click("#btn-ask-screen")
    assert (await booth.next("assist.consent.requested"))["scope"] == "screen"
    await expect(screen_chip).to_have_text("等待群众同意…")
    await booth.consent("screen", False)
    await expect(screen_chip).to_have_text("群众未同意")
    await expect(screen_chip).to_have_attribute("data-state", "denied")
    await page.click("#btn-ask-screen")
    await booth.next("assist.consent.requested", scope="screen")
    await booth.consent("screen", True)
    await expect(screen_chip).to_contain_text("已同意")
    booth.share()
    view = page.locator("#screen-view")
    await expect(view).to_be_visible(timeout=15000)  # opened by itself on the first grant
    await expect(page.locator("#view-screen")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#video-wrap")).to_have_attribute("data-view", "screen")
    first = await eventually(lambda: screen_frames(page), 20, "screen frames decoded")
    await eventually(lambda: _above(screen_frames(page), first + 5), 15, "screen frames rising")
    await eventually(lambda: page.evaluate(
        "document.getElementById('screen-video').videoWidth"), 10, "screen picture")
    aspect = await page.locator("#screen-frame").evaluate(
        "f => f.clientWidth / f.clientHeight")
    assert abs(aspect - SCREEN_SIZE[0] / SCREEN_SIZE[1]) < 0.02  # laid out as the picture
    camera = await page.locator("#remote-video").bounding_box()
    stage = await page.locator("#video-wrap").bounding_box()
    assert camera["width"] < stage["width"] / 3  # the camera is small now
    await expect(page.locator("#stat-frames")).not_to_have_text("0")  # the camera still counts

    # -- the pointer: normalized to the picture, hidden on leaving
    booth.drop("assist.pointer")
    await page.mouse.move(*await frame_point(page, "#screen-frame", 0.25, 0.5))
    await page.mouse.move(*await frame_point(page, "#screen-frame", 0.5, 0.25), steps=3)
    moved = await booth.next("assist.pointer", x=0.5)
    assert moved["surface"] == "screen" and abs(moved["y"] - 0.25) < 0.01 and moved["visible"]
    await page.mouse.move(5, 5)
    hidden = await booth.next("assist.pointer", visible=False)
    assert hidden["surface"] == "screen"
    # moves are folded: a fast sweep of 40 steps sends far fewer pointers
    booth.drop("assist.pointer")
    await page.mouse.move(*await frame_point(page, "#screen-frame", 0.1, 0.9))
    await page.mouse.move(*await frame_point(page, "#screen-frame", 0.9, 0.1), steps=40)
    last = await booth.next("assist.pointer", x=0.9)
    assert abs(last["y"] - 0.1) < 0.01
    await asyncio.sleep(0.2)
    assert len([e for e in booth.inbox if e["type"] == "assist.pointer"]) < 30

    # -- drawings on the screen: pen, arrow, highlight box, text, undo
    tools = page.locator("#ink-tools")
    await expect(tools).to_be_visible()
    await page.click("[data-testid=tool-pen]")
    await page.click("[data-testid=color-blue]")
    await drag(page, [await frame_point(page, "#screen-frame", x, 0.2 + x / 4)
                      for x in (0.2, 0.3, 0.4, 0.5)])
    pen = await booth.next("assist.annotate", op="add")
    assert pen["shape"]["kind"] == "pen" and pen["shape"]["color"] == "blue"
    assert len(pen["shape"]["points"]) >= 4 and pen["surface"] == "screen"
    await page.click("[data-testid=tool-arrow]")
    await page.click("[data-testid=color-red]")
    await drag(page, [await frame_point(page, "#screen-frame", 0.8, 0.6),
                      await frame_point(page, "#screen-frame", 0.7, 0.86)])
    arrow = (await booth.next("assist.annotate", op="add"))["shape"]
    assert arrow["kind"] == "arrow" and abs(arrow["points"][1][1] - 0.86) < 0.01
    await page.click("[data-testid=tool-box]")
    await page.click("[data-testid=color-yellow]")
    await drag(page, [await frame_point(page, "#screen-frame", 0.09, 0.185),
                      await frame_point(page, "#screen-frame", 0.91, 0.275)])
    box = (await booth.next("assist.annotate", op="add"))["shape"]
    assert (box["kind"], box["fill"], box["color"]) == ("box", True, "yellow")
    await page.click("[data-testid=tool-text]")
    await page.click("[data-testid=color-red]")
    await page.mouse.click(*await frame_point(page, "#screen-frame", 0.6, 0.72))
    await expect(page.locator("#ink-text")).to_be_focused()
    await page.keyboard.type("点这里")
    await page.keyboard.press("Enter")
    text = (await booth.next("assist.annotate", op="add"))["shape"]
    assert (text["kind"], text["text"]) == ("text", "点这里")
    assert abs(text["points"][0][0] - 0.6) < 0.01
    ink = page.locator("#screen-ink g[data-shape-id]")
    await expect(ink).to_have_count(4)
    await page.click("[data-testid=tool-pen]")
    await drag(page, [await frame_point(page, "#screen-frame", 0.3, 0.9),
                      await frame_point(page, "#screen-frame", 0.4, 0.95)])
    await booth.next("assist.annotate", op="add")
    await page.click("[data-testid=ink-undo]")
    assert (await booth.next("assist.annotate", op="undo"))["surface"] == "screen"
    await expect(ink).to_have_count(4)
    hub_board = env.hub.assist.calls[call_id].board.shapes("screen")
    assert [s.kind for s in hub_board] == ["pen", "arrow", "box", "text"]

    # -- remote control: only once granted, every tap audited; revoked at once
    await expect(page.locator("#btn-control")).to_be_disabled()
    await page.click("#btn-ask-control")
    await booth.next("assist.consent.requested", scope="control")
    await booth.consent("control", True)
    await expect(control_chip).to_contain_text("已同意")
    await page.click("#btn-control")
    await expect(page.locator("#control-banner")).to_contain_text("记入审计日志")
    await page.mouse.click(*await frame_point(page, "#screen-frame", 0.75, 0.9))
    tap = await booth.next("assist.control")
    assert tap["action"] == "tap" and abs(tap["x"] - 0.75) < 0.01 and abs(tap["y"] - 0.9) < 0.01
    audited = [r for r in await env.hub.store.list_audit(limit=500) if r.action == "assist.control"]
    assert len(audited) == 1 and abs(audited[0].detail["x"] - 0.75) < 0.01
    await booth.consent("control", False)
    await expect(control_chip).to_have_text(re.compile("群众已停止"))
    await expect(page.locator("#btn-control")).to_have_attribute("aria-pressed", "false")
    await expect(page.locator("#control-banner")).to_be_hidden()
    await page.click("[data-testid=tool-pointer]")
    await page.mouse.click(*await frame_point(page, "#screen-frame", 0.5, 0.5))  # a plain click
    await asyncio.sleep(0.3)
    assert not [e for e in booth.inbox if e["type"] in ("assist.control", "assist.annotate")]

    # -- drawing on a document both sides see
    doc = await booth.upload(id_card_png(), "id_front", None)
    await page.click("#view-camera")
    await page.locator(f"[data-document-id='{doc['document_id']}']").click()
    await expect(page.locator("#viewer-image")).to_have_attribute("data-loading", "false")
    await page.click("#viewer-rotate")  # drawn in the picture's own coordinates all the same
    await page.click("#viewer-ink")
    await expect(tools).to_have_attribute("data-surface", "document")
    await page.click("[data-testid=tool-box]")
    # rotated a quarter turn clockwise: the picture's top left is now at the top right
    await drag(page, [await frame_point(page, "#viewer-image", 0.9, 0.1),
                      await frame_point(page, "#viewer-image", 0.6, 0.3)])
    on_doc = await booth.next("assist.annotate", op="add")
    assert on_doc["surface"] == f"document:{doc['document_id']}"
    (x1, y1), (x2, y2) = on_doc["shape"]["points"]
    assert abs(x1 - 0.1) < 0.02 and abs(y1 - 0.1) < 0.02, on_doc
    assert abs(x2 - 0.3) < 0.02 and abs(y2 - 0.4) < 0.02, on_doc
    await expect(page.locator("#doc-ink g[data-shape-id]")).to_have_count(1)
    booth.drop("assist.pointer")
    await page.mouse.move(*await frame_point(page, "#viewer-image", 0.5, 0.5))
    await page.mouse.move(*await frame_point(page, "#viewer-image", 0.55, 0.5), steps=2)
    pointed = await booth.next("assist.pointer", surface=on_doc["surface"])
    assert pointed["visible"] is True
    await page.click("[data-testid=ink-undo]")  # the tools work on the document now
    assert (await booth.next("assist.annotate", op="undo"))["surface"] == on_doc["surface"]
    await expect(page.locator("#doc-ink g[data-shape-id]")).to_have_count(0)
    await drag(page, [await frame_point(page, "#viewer-image", 0.9, 0.1),
                      await frame_point(page, "#viewer-image", 0.6, 0.3)])
    await booth.next("assist.annotate", op="add", surface=on_doc["surface"])
    await page.click("#viewer-close")

    # -- a form: agent fields, live values (sensitive masked), signed submission
    await page.click("[data-testid=tab-forms]")
    await page.select_option("#form-template", "housing-public-rental.json")
    service_field = page.locator("[data-testid=agent-field-service]")
    await expect(service_field).to_have_value("公租房申请")
    await service_field.fill("公租房申请（新申请）")
    await page.click("#btn-form-push")
    pushed = await booth.next("assist.form")
    form_id = pushed["form_id"]
    fields = {f["id"]: f for f in pushed["form"]["fields"]}
    assert fields["service"]["value"] == "公租房申请（新申请）" and fields["service"]["readonly"]
    assert fields["id_number"]["sensitive"] is True
    item = page.locator(f"#form-list li[data-form-id='{form_id}']")
    await expect(item).to_contain_text("填写中")
    await expect(page.locator("#tab-forms-badge")).to_have_text("1")
    await booth.progress(form_id, {"name": "李秀英", "id_number": ID, "household": 3})
    await expect(item.locator("tr[data-field=id_number] .form-value")).to_have_text("••••002X")
    await expect(item.locator("tr[data-field=id_number]")).to_have_attribute("data-masked", "true")
    await expect(item.locator("tr[data-field=name] .form-value")).to_have_text("李秀英")
    await expect(item).to_contain_text("已填 3/8")
    values = {"name": "李秀英", "id_number": ID, "phone": "13812345678", "household": 3,
              "address": "余杭区石门镇新村村12号", "income": 3200, "housing": "none", "agree": True}
    await booth.progress(form_id, {"phone": "13812345678", "housing": "none"})
    await expect(item.locator("tr[data-field=phone] .form-value")).to_have_text("••••5678")
    await expect(item.locator("tr[data-field=housing] .form-value")).to_have_text("无自有住房")
    stored = await booth.submit(form_id, values)
    await expect(item).to_contain_text("已签名提交")
    await expect(item.locator("tr[data-field=id_number] .form-value")).to_have_text(ID)
    await expect(item.locator("[data-testid=form-sha256]")).to_have_text(stored["sha256"])
    signature = item.locator("[data-testid=form-signature]")
    await expect(signature).to_have_attribute("src", BLOB)
    sig_bytes = await page.evaluate(
        "u => fetch(u).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)))",
        await signature.get_attribute("src"))
    assert hashlib.sha256(bytes(sig_bytes)).hexdigest() == stored["signature_sha256"]
    await expect(page.locator("#tab-forms-badge")).to_be_hidden()

    # -- guidance: the service's materials as a checklist, one ticked
    await page.click("[data-testid=tab-guide]")
    items = page.locator("#guide-items li")
    await expect(items).to_have_count(5)
    await expect(items.first).to_contain_text("居民身份证原件")
    await items.first.locator("input").check()
    await page.click("#btn-guide-send")
    guide = await booth.next("assist.guide")
    assert guide["kind"] == "checklist" and guide["title"] == "需要准备的材料"
    assert guide["items"][0] == {"text": "居民身份证原件", "done": True}
    assert guide["items"][4]["text"] == "公共租赁住房申请表（1份）"
    await expect(page.locator("#guide-sent")).to_contain_text("已于")
    await page.click("[data-testid=guide-kind-text]")
    await page.fill("#guide-text", "请把户口簿翻到本人页，放在高拍仪上。")
    await page.select_option("#guide-document", doc["document_id"])
    await page.click("#btn-guide-send")
    guide = await booth.next("assist.guide", kind="text")
    assert (guide["title"], guide["document_id"]) == ("下一步", doc["document_id"])

    # -- English
    await page.click("#lang-toggle")
    await expect(page.locator("#view-screen")).to_contain_text("Booth screen")
    await expect(item).to_contain_text("Signed")
    await page.click("#lang-toggle")

    # -- a face check, decided (for the reload below)
    judge = DrawnFaceJudge()
    env.hub.faces._judge_factory = lambda: judge
    await page.click("[data-testid=tab-docs]")
    await page.click("#btn-face-start")
    started = await booth.next("face.check.started")
    await booth.face_frames(started)
    await expect(page.locator("#face-band")).to_have_attribute("data-band", "review")
    await page.click("#btn-face-confirm")
    await expect(page.locator("#face-decided")).to_contain_text("已确认本人（张晓明）")

    # -- a reload mid-call: consent, drawings, forms and the face check come back
    await page.reload()
    await expect(page.locator("#call-view")).to_be_visible(timeout=15000)
    await booth.offer(2)  # the booth rebuilds its media for the reloaded console
    await booth.wait_answer(2)
    await expect(screen_chip).to_contain_text("已同意")
    await expect(control_chip).to_have_text("未授权")
    await expect(view).to_be_visible(timeout=15000)  # the screen is shared still
    await expect(page.locator("#screen-ink g[data-shape-id]")).to_have_count(4)
    await expect(page.locator("#face-band")).to_have_attribute("data-band", "review")
    await expect(page.locator("#face-decided")).to_contain_text("已确认本人（张晓明）")
    await expect(page.locator("#face-portrait")).to_have_attribute("src", BLOB)
    await page.click("[data-testid=tab-forms]")
    item = page.locator(f"#form-list li[data-form-id='{form_id}']")
    await expect(item).to_contain_text("已签名提交")
    await expect(item.locator("[data-testid=form-sha256]")).to_have_text(stored["sha256"])
    await expect(item.locator("tr[data-field=id_number] .form-value")).to_have_text(ID)
    signature = item.locator("[data-testid=form-signature]")
    await expect(signature).to_have_attribute("src", BLOB)

    # -- the resident stops sharing: the view goes back to the camera at once
    await page.click("#view-screen")
    await expect(view).to_be_visible()
    await booth.consent("screen", False)
    await expect(screen_chip).to_have_text(re.compile("群众已停止"))
    await expect(view).to_be_hidden()
    await expect(page.locator("#view-screen")).to_be_disabled()
    await expect(tools).to_be_hidden()

    # -- the end of the call takes the signature with it
    blob = await signature.get_attribute("src")
    await page.click("#btn-end")
    await expect(page.locator("#wrapup-view")).to_be_visible()
    assert not await page.evaluate("u => fetch(u).then(() => true, () => false)", blob)
    await expect(page.locator("#form-list li")).to_have_count(0)
    assert not errors, errors
    await context.close()


async def _above(value: Any, than: int) -> bool:
    return int(await value) > than


# ---------------------------------------------------------------- the model mirrors the hub's


OPS: list[dict[str, Any]] = [
    {"surface": "screen", "op": "add", "shape": {"id": "a", "kind": "pen", "points": [[0, 1]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "a", "kind": "box",
                                                 "points": [[0.1, 0.1], [0.2, 0.2]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "b", "kind": "box", "fill": True,
                                                 "color": "yellow",
                                                 "points": [[0.123456, 0.1], [0.2, 0.2]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "c", "kind": "text", "text": "请在这里签名",
                                                 "points": [[0.5, 0.5]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "d", "kind": "arrow",
                                                 "points": [[0.5, 0.5]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "e", "kind": "pen", "fill": True,
                                                 "points": [[0.5, 0.5]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "f", "kind": "pen", "width": 25,
                                                 "points": [[0.5, 0.5]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "g", "kind": "pen",
                                                 "points": [[0.5, 1.5]]}},
    {"surface": "screen", "op": "add", "shape": {"id": "h h", "kind": "pen",
                                                 "points": [[0.5, 0.5]]}},
    {"surface": "document:doc_1", "op": "add", "shape": {"id": "a", "kind": "pen",
                                                         "points": [[0.3, 0.3]] * 500}},
    {"surface": "document:doc_1", "op": "undo"},
    {"surface": "document:doc_1", "op": "undo"},
    {"surface": "screen", "op": "undo"},
    {"surface": "screen", "op": "clear"},
    {"surface": "elsewhere", "op": "clear"},
    *[{"surface": "document:doc_2", "op": "add",
       "shape": {"id": f"p{i}", "kind": "pen", "points": [[i / 1000, 0.123456]] * 40}}
      for i in range(80)],
    *[{"surface": f"document:d{i}", "op": "add",
       "shape": {"id": "x", "kind": "pen", "points": [[0.5, 0.5]]}} for i in range(17)],
]


def _python_run(ops: list[dict[str, Any]]) -> list[Any]:
    board, out = AnnotationBoard(), list[Any]()
    for raw in ops:
        try:
            op = AnnotationOp.model_validate(raw)
            board = board.apply(op)
        except AnnotationError as exc:
            out.append(["error", exc.code])
            continue
        except ValueError:
            out.append(["error", "bad_message"])
            continue
        out.append({s: [b.size, [sh.model_dump() for sh in b.shapes]]
                    for s, b in sorted(board.surfaces.items())})
    return out


async def test_console_annotation_model_mirrors_the_hub(env: HubEnv, browser: Any) -> None:
    """js/annotations.js and signaling/annotations.py agree, operation by operation:
    the same refusals (with the same codes), the same shapes, the same sizes."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{env.base}/seat/")
    js = await page.evaluate("""async (ops) => {
      const m = await import('/seat/js/annotations.js');
      let board = m.emptyBoard();
      const out = [];
      for (const op of ops) {
        try { board = m.applyOp(board, op); }
        catch (err) { out.push(['error', err.code]); continue; }
        const snap = {};
        for (const s of Object.keys(board).sort()) snap[s] = [board[s].size, board[s].shapes];
        out.push(snap);
      }
      return out;
    }""", OPS)
    assert js == _python_run(OPS)
    assert Shape.model_validate(OPS[2]["shape"]).points[0][0] == 0.1235  # rounded alike
    await context.close()


# ---------------------------------------------------------------- real processes: the kiosk


KIOSK_FILL = {"name": "LI XIUYING", "id_number": ID, "phone": "13812345678", "household": "3",
              "address": "NO. 12 XINCUN VILLAGE", "income": "3200", "housing": "none",
              "agree": True}


def _kiosk_script(path: Path) -> Path:
    """The scripted resident (booth_client.ui.kiosk_script): takes a ticket, lets the agent
    see the screen, reads the agent's guidance, then stops sharing; fills the pushed form
    on the on-screen keyboard, reviews, signs with touch events and submits."""
    path.write_text(json.dumps({"service": SERVICE, "steps": [
        {"on": "consent", "scope": "screen", "answer": True, "delay_s": 0.5},
        {"on": "guide", "dismiss": True, "delay_s": 1.0},
        {"on": "share", "stop": True},
        {"on": "form", "fill": KIOSK_FILL, "review": True, "sign": True, "submit": True,
         "delay_s": 0.5},
    ]}, ensure_ascii=False), encoding="utf-8")
    return path


async def _http_json(base: str, path: str, token: str) -> Any:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(
            base + path, headers={"Authorization": f"Bearer {token}"}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def _login(base: str, username: str) -> str:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(
            base + "/api/login", json={"username": username, "password": PASSWORD}) as resp:
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["token"])


@pytest.mark.timeout(240)
async def test_acceptance_console_and_the_kiosk_process(
        relay_hub: Any, browser: Any, tmp_path: Path) -> None:
    """Issue 7's acceptance: the console in Chromium, the hub and the kiosk as processes
    (Qt offscreen, a scripted resident), media relay-only through coturn on 127.0.0.1:
    consent, the kiosk's screen arriving as the second track, the pointer reaching the
    kiosk's overlay (latency printed), a pushed form filled, signed by touch and stored
    with its hash in the store and the audit log."""
    from playwright.async_api import expect

    hub = relay_hub
    hub.add_agent("zhang", PASSWORD, ["housing"])
    _, code = hub.add_booth("石门镇新村村便民服务站")
    context, page, errors = await open_console(browser, hub.base, "?relay=1")
    await sign_in_available(page, "zhang")
    kiosk = Proc("kiosk", [str(BIN / "xiaowu-booth"), "--server", hub.base, "--config-dir",
                           str(tmp_path / "kiosk"), "--enroll", code, "--relay-only",
                           "--camera", "synthetic", "--size", "640x360", "--fps", "10",
                           "--windowed", "--log-level", "INFO"],
                 env={"QT_QPA_PLATFORM": "offscreen",
                      "XIAOWU_KIOSK_SCRIPT": str(_kiosk_script(tmp_path / "resident.json"))})
    try:
        await expect(page.locator("#offer-view")).to_be_visible(timeout=40000)
        await page.click("#btn-accept")
        await expect(page.locator("#call-view")).to_be_visible()
        await eventually(lambda: _camera_frames(page), 30, "the kiosk's camera in the console")

        # -- consent on the kiosk; its screen arrives as the second video track
        await page.click("#btn-ask-screen")
        await expect(page.locator("#consent-screen")).to_contain_text("已同意", timeout=30000)
        await kiosk.wait_for(lambda ln: ln.get("event") == "kiosk.script"
                             and ln.get("on") == "consent", 5, "the resident's answer")
        await expect(page.locator("#screen-view")).to_be_visible(timeout=15000)
        first = await eventually(lambda: screen_frames(page), 30, "screen frames decoded")
        await eventually(lambda: _above(screen_frames(page), first + 4), 20,
                         "screen frames rising (the kiosk sends a few a second)")

        # -- the pointer: console -> hub -> kiosk overlay, measured on loopback
        latencies = []
        for i, (x, y) in enumerate(((0.3, 0.3), (0.5, 0.45), (0.7, 0.6), (0.4, 0.7),
                                    (0.6, 0.2), (0.2, 0.5), (0.8, 0.8), (0.5, 0.5))):
            await page.mouse.move(*await frame_point(page, "#screen-frame", x, y))
            frame = page.locator("#screen-frame")
            await expect(frame).to_have_attribute("data-pointer", re.compile(r".+,1$"))
            sx, sy, _ = (await frame.get_attribute("data-pointer") or "").split(",")
            sent_ms = int(await frame.get_attribute("data-pointer-at") or 0)
            drawn = await kiosk.wait_for(_drawn_at(float(sx), float(sy)), 10,
                                         f"pointer {i} drawn on the kiosk")
            latencies.append(drawn["t"] * 1000 - sent_ms)
            await asyncio.sleep(0.3)
        latencies.sort()
        print(f"\npointer console->kiosk overlay on loopback: n={len(latencies)} "
              f"median={latencies[len(latencies) // 2]:.0f} ms max={latencies[-1]:.0f} ms "
              f"(goal < 100 ms) all={[round(v) for v in latencies]}")
        assert all(v > -5 for v in latencies)  # drawn after it was sent (1 ms clock steps)

        # -- a drawing over the kiosk's screen, for the record
        await page.click("[data-testid=tool-box]")
        await page.click("[data-testid=color-yellow]")
        await drag(page, [await frame_point(page, "#screen-frame", 0.1, 0.12),
                          await frame_point(page, "#screen-frame", 0.9, 0.22)])
        await page.click("[data-testid=tool-arrow]")
        await page.click("[data-testid=color-red]")
        await drag(page, [await frame_point(page, "#screen-frame", 0.62, 0.62),
                          await frame_point(page, "#screen-frame", 0.5, 0.42)])
        await expect(page.locator("#screen-ink g[data-shape-id]")).to_have_count(2)
        await page.click("[data-testid=tool-pointer]")
        await asyncio.sleep(1.0)  # a few screen frames with the kiosk's copy of the drawings
        await screenshot(page, "assist")
        await page.click("[data-testid=ink-clear]")

        # -- guidance; the resident reads it and stops sharing: the console follows at once
        await page.click("[data-testid=tab-guide]")
        await page.click("[data-testid=guide-kind-text]")
        await page.fill("#guide-text", "请按屏幕提示填写申请表，填好后签名。")
        await page.click("#btn-guide-send")
        await kiosk.wait_for(lambda ln: ln.get("event") == "kiosk.script"
                             and ln.get("on") == "guide", 15, "the guide read on the kiosk")
        await expect(page.locator("#consent-screen")).to_contain_text("群众已停止",
                                                                       timeout=15000)
        await expect(page.locator("#screen-view")).to_be_hidden()
        await expect(page.locator("#view-screen")).to_be_disabled()

        # -- a form: pushed, filled on the kiosk's keyboard, signed by touch, submitted
        await page.click("[data-testid=tab-forms]")
        await page.select_option("#form-template", "housing-public-rental.json")
        await expect(page.locator("[data-testid=agent-field-service]")).to_have_value("公租房申请")
        await page.click("#btn-form-push")
        item = page.locator("#form-list li.form-item").first
        await expect(item).to_contain_text("填写中")
        await expect(item.locator("tr[data-field=id_number] .form-value")).to_have_text(
            "••••002X", timeout=60000)  # live, and masked
        await expect(item).to_contain_text("已签名提交", timeout=60000)
        form_id = await item.get_attribute("data-form-id")
        assert form_id
        sha = await item.locator("[data-testid=form-sha256]").text_content()
        await expect(item.locator("tr[data-field=id_number] .form-value")).to_have_text(ID)
        await expect(item.locator("tr[data-field=name] .form-value")).to_have_text("LI XIUYING")
        await expect(item.locator("[data-testid=form-signature]")).to_have_attribute("src", BLOB)
        await asyncio.sleep(0.5)
        await screenshot(page, "form")

        # -- in the store and the audit log, with its hash
        token = await _login(hub.base, "zhang")
        stored = await _http_json(hub.base, f"/api/forms/{form_id}", token)
        assert stored["state"] == "submitted" and stored["sha256"] == sha
        assert submission_digest(stored) == sha  # recomputed as docs/protocol.md says
        assert stored["values"]["id_number"] == ID and stored["values"]["household"] == 3
        png = await _http_bytes(hub.base, stored["signature_url"], token)
        assert hashlib.sha256(png).hexdigest() == stored["signature_sha256"]
        # drawn by touch: strokes of many points that move, timed
        assert any(len({(x, y) for x, y, _ in stroke}) > 10 for stroke in stored["strokes"])
        rows = run_json([*hub.admin, "audit", "list", "--limit", "500"])["rows"]
        submits = [r for r in rows if r["action"] == "assist.form.submit"]
        assert [(r["target"], r["detail"]["sha256"]) for r in submits] == [(form_id, sha)]
        consents = [(r["detail"]["scope"], r["detail"]["granted"]) for r in rows
                    if r["action"] == "assist.consent"]
        assert consents == [("screen", True), ("screen", False)]
        assert run_json([*hub.admin, "audit", "verify"])["ok"] is True

        await page.click("#btn-end")
        await expect(page.locator("#wrapup-view")).to_be_visible()
        assert not errors, errors
    except BaseException:
        print("kiosk:", kiosk.tail(60), "\nhub:", hub.proc.tail(30))
        raise
    finally:
        kiosk.stop()
        await context.close()


def _drawn_at(x: float, y: float) -> Callable[[dict[str, Any]], bool]:
    """The kiosk's line for the pointer painted at (x, y) of its screen."""
    return lambda ln: (ln.get("event") == "assist.pointer.drawn" and ln.get("surface") == "screen"
                       and abs(ln["x"] - x) < 1e-4 and abs(ln["y"] - y) < 1e-4)


async def _camera_frames(page: Any) -> int:
    return int((await page.locator("#stat-frames").text_content() or "0").strip() or 0)


async def _http_bytes(base: str, path: str, token: str) -> bytes:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(
            base + path, headers={"Authorization": f"Bearer {token}"}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.read()
