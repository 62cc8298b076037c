"""The booth's documents and face check end to end on its side: the real engine, the
real jobs (scanner, quality, encoding, aiohttp uploads, face frames) against a small
fake of the hub's HTTP contract on 127.0.0.1 (docs/protocol.md, "Call documents and
face checks"). The hub's real endpoints are tested with the hub."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest
from aiohttp import web

from booth_client import session as s
from booth_client.assist import AssistConfig, DocPhase, FacePhase
from booth_client.assist_jobs import AssistJobs
from booth_client.capture import DocumentScanner
from booth_client.effects import AssistEffect
from booth_client.media import BoothMedia
from booth_client.uploads import Uploader, UploadError
from scanner_drivers import CaptureOptions, ScanPage
from scanner_drivers.driver import make_page
from signaling import protocol as p
from tests.loopback import loopback_app
from tests.unit.test_booth_capture import FakeDriver
from tests.unit.test_booth_session import frame, in_call, online

CALL = "c1"
TOKEN = "tok"
ACFG = AssistConfig(document_ready_s=60, document_retry_s=0.05, document_result_s=60,
                    document_failed_s=60, face_result_s=60)


@dataclass
class FakeHub:
    """POST documents and frames; answers as scripted."""

    doc_statuses: list[int] = field(default_factory=list)  # answered in order, then 201
    frame_statuses: list[int] = field(default_factory=list)
    hold: asyncio.Event | None = None  # uploads wait for this
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    docs: list[dict[str, Any]] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)
    base: str = ""

    async def _hold(self) -> None:
        self.entered.set()
        if self.hold is not None:
            await self.hold.wait()

    async def document(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.docs.append({"call_id": request.match_info["call_id"], "query": dict(request.query),
                          "auth": request.headers.get("Authorization"),
                          "content_type": request.headers.get("Content-Type"), "body": body})
        await self._hold()
        status = self.doc_statuses.pop(0) if self.doc_statuses else 201
        if status != 201:
            code = {413: "too_large", 403: "forbidden", 400: "bad_message"}.get(status,
                                                                                "internal")
            return web.json_response({"error": {"code": code, "message": f"no ({status})"}},
                                     status=status)
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        return web.json_response({
            "call_id": request.match_info["call_id"], "document_id": f"doc_{len(self.docs)}",
            "request_id": request.query.get("request_id"), "kind": request.query["kind"],
            "content_type": "image/jpeg", "width": int(image.shape[1]),
            "height": int(image.shape[0]), "size": len(body), "sha256": "ab" * 32,
            "url": "/api/documents/x", "thumb_url": "/api/documents/x/thumb",
            "created_at": time.time()}, status=201)

    async def frame(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.frames.append({"check_id": request.match_info["check_id"],
                            "query": dict(request.query),
                            "auth": request.headers.get("Authorization"), "body": body})
        await self._hold()
        status = self.frame_statuses.pop(0) if self.frame_statuses else 201
        if status != 201:
            return web.json_response({"error": {"code": "conflict", "message": "too many"}},
                                     status=status)
        return web.json_response({"seq": int(request.query["seq"])}, status=201)


@pytest.fixture
async def hub() -> AsyncIterator[FakeHub]:
    fake = FakeHub()
    posts = [("/api/calls/{call_id}/documents", fake.document),
             ("/api/calls/{call_id}/face-checks/{check_id}/frames", fake.frame)]
    async with loopback_app(posts) as base:
        fake.base = base
        try:
            yield fake
        finally:
            if fake.hold is not None:
                fake.hold.set()


class Booth:
    """The engine in a call plus the real jobs, carried out the way BoothRunner does."""

    def __init__(self, hub: FakeHub, http: aiohttp.ClientSession, scanner: DocumentScanner,
                 grabber: Callable[[], Any] | None = None) -> None:
        self.engine = online()
        self.engine.config = s.SessionConfig(assist=ACFG)
        self.engine.assist.config = ACFG
        in_call(self.engine)
        self.sent: list[s.Send] = []
        self.events: list[dict[str, Any]] = []
        self.scanner_states: list[str] = []
        uploader = Uploader(http, hub.base, lambda: TOKEN, backoff_s=0.01)
        self.jobs = AssistJobs(self.engine, self.apply, uploader, scanner=scanner,
                               grabber=grabber, on_event=self.events.append,
                               on_scanner=self.scanner_states.append)
        self._ticker = asyncio.create_task(self._tick())

    def apply(self, effects: list[s.Effect]) -> None:
        for eff in effects:
            if isinstance(eff, AssistEffect):
                self.jobs.handle(eff)
            elif isinstance(eff, s.Send):
                self.sent.append(eff)

    async def _tick(self) -> None:
        while True:
            self.apply(self.engine.tick(time.time()))
            await asyncio.sleep(0.01)

    def feed(self, mtype: str, **data: Any) -> None:
        self.apply(self.engine.frame(frame(mtype, **data), time.time()))

    def act(self, intent: str) -> None:
        self.apply(getattr(self.engine, "user_" + intent)(now=time.time()))

    def statuses(self) -> list[tuple[str, str | None]]:
        out = []
        for e in self.sent:
            if isinstance(e.data, p.DocumentStatus):
                out.append((e.data.state, e.data.code))
        return out

    def events_of(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]

    async def until(self, pred: Callable[[], bool], what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            assert time.monotonic() < deadline, f"no {what}: {self.events}"
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._ticker.cancel()
        await asyncio.wait({self._ticker})
        await self.jobs.close()
        assert self.jobs.running() == 0


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def request(booth: Booth, rid: str = "r1", kind: str = "id_front") -> None:
    booth.feed("document.requested", call_id=CALL, request_id=rid, kind=kind,
               instruction=None)


def doc_phase(booth: Booth) -> DocPhase | None:
    view = booth.engine.view().document
    return None if view is None else view.phase


async def test_document_is_scanned_checked_encoded_and_uploaded(
        hub: FakeHub, http: aiohttp.ClientSession) -> None:
    booth = Booth(hub, http, DocumentScanner("synthetic"))
    try:
        request(booth)
        booth.act("document_ready")
        await booth.until(lambda: doc_phase(booth) is DocPhase.SUBMITTED, "submitted")
        assert booth.statuses() == [("capturing", None), ("uploading", None)]
        [up] = hub.docs
        assert up["call_id"] == CALL and up["auth"] == f"Bearer {TOKEN}"
        assert up["query"] == {"kind": "id_front", "request_id": "r1"}
        assert up["content_type"] == "image/png"
        image = cv2.imdecode(np.frombuffer(up["body"], np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (638, 1011, 3)  # an ID card at 300 dpi
        [cap] = booth.events_of("document.capture")
        assert cap["ok"] and cap["quality"]["failed"] == [] and cap["quality"]["sharpness"] > 100
        assert cap["driver"] == "synthetic" and cap["bytes"] == len(up["body"])
        assert {"scan_ms", "quality_ms", "encode_ms"} <= set(cap)
        [done] = booth.events_of("document.upload")
        assert done["ok"] and done["document_id"] == "doc_1" and done["sha256"] == "ab" * 32
        assert done["tries"] == 1 and done["upload_ms"] >= 0 and done["since_capture_ms"] >= 0
        assert booth.scanner_states == ["busy", "ok"]
    finally:
        await booth.close()


async def test_transient_failures_are_retried_and_4xx_is_not(
        hub: FakeHub, http: aiohttp.ClientSession) -> None:
    hub.doc_statuses = [503, 500]
    booth = Booth(hub, http, DocumentScanner("synthetic"))
    try:
        request(booth)
        booth.act("document_ready")
        await booth.until(lambda: doc_phase(booth) is DocPhase.SUBMITTED, "submitted")
        assert len(hub.docs) == 3 and booth.events_of("document.upload")[0]["tries"] == 3
        hub.doc_statuses = [413]
        request(booth, "r2", "form")
        booth.act("document_ready")
        await booth.until(lambda: doc_phase(booth) is DocPhase.FAILED, "failed")
        assert len(hub.docs) == 4  # one try: the hub said no
        failed = booth.sent[-1].data
        assert isinstance(failed, p.DocumentStatus)
        assert (failed.state, failed.code) == ("failed", "upload")
        assert failed.message is not None and "413" in failed.message
        assert "too_large" in failed.message
        event = booth.events_of("document.upload")[-1]
        assert (event["ok"], event["status"], event["code"]) == (False, 413, "too_large")
    finally:
        await booth.close()


async def test_unreachable_hub_fails_with_code_upload(http: aiohttp.ClientSession) -> None:
    dead = FakeHub(base="http://127.0.0.1:9")  # discard port: nothing listens
    booth = Booth(dead, http, DocumentScanner("synthetic"))
    try:
        request(booth)
        booth.act("document_ready")
        await booth.until(lambda: doc_phase(booth) is DocPhase.FAILED, "failed")
        event = booth.events_of("document.upload")[-1]
        assert event["ok"] is False and event["status"] is None
        assert "cannot reach the hub" in event["message"]
    finally:
        await booth.close()


async def test_quality_retries_then_a_scanner_error(hub: FakeHub,
                                                    http: aiohttp.ClientSession) -> None:
    driver = FakeDriver(np.full((400, 300, 3), 15, np.uint8))
    booth = Booth(hub, http, DocumentScanner("fake:0", opener=lambda spec: driver))
    try:
        request(booth, kind="form")
        booth.act("document_ready")
        await booth.until(lambda: doc_phase(booth) is DocPhase.FAILED, "failed")
        assert booth.statuses() == [("capturing", None), ("retrying", "quality"),
                                    ("capturing", None), ("retrying", "quality"),
                                    ("capturing", None), ("failed", "quality")]
        assert [e["attempt"] for e in booth.events_of("document.capture")] == [1, 2, 3]
        assert hub.docs == []
        from scanner_drivers import Jammed

        driver.error = Jammed("Document feeder jammed")
        request(booth, "r2", "form")
        booth.act("document_ready")
        await booth.until(lambda: booth.statuses()[-1] == ("failed", "jammed"), "jammed")
        assert booth.scanner_states[-1] == "error"
    finally:
        await booth.close()


class SlowDriver(FakeDriver):
    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()

    async def capture(self, options: CaptureOptions | None = None) -> ScanPage:
        self.started.set()
        await asyncio.sleep(30)
        return make_page(np.zeros((10, 10, 3), np.uint8), driver="fake", device="0", dpi=200,
                         mode="color", source="flatbed")


async def test_call_end_mid_capture_cancels_the_scan(hub: FakeHub,
                                                     http: aiohttp.ClientSession) -> None:
    driver = SlowDriver()
    booth = Booth(hub, http, DocumentScanner("fake:0", opener=lambda spec: driver))
    try:
        request(booth)
        booth.act("document_ready")
        await asyncio.wait_for(driver.started.wait(), 5)
        booth.feed("call.ended", call_id=CALL, reason="agent_hangup", by="agent")
        await booth.until(lambda: booth.jobs.running() == 0, "no task left")
        assert booth.events_of("assist.stopped") == [
            {"event": "assist.stopped", "call_id": CALL, "cancelled": 1}]
        assert hub.docs == [] and booth.events_of("document.capture") == []
        assert booth.scanner_states == ["busy", "ok"]
    finally:
        await booth.close()


async def test_call_end_mid_upload_aborts_it_and_uploads_nothing_more(
        hub: FakeHub, http: aiohttp.ClientSession) -> None:
    hub.hold = asyncio.Event()
    hub.doc_statuses = [503]  # would be retried if the call went on
    booth = Booth(hub, http, DocumentScanner("synthetic"))
    try:
        request(booth)
        booth.act("document_ready")
        await asyncio.wait_for(hub.entered.wait(), 5)
        booth.feed("call.ended", call_id=CALL, reason="agent_hangup", by="agent")
        await booth.until(lambda: booth.jobs.running() == 0, "no task left")
        hub.hold.set()
        await asyncio.sleep(0.2)
        assert len(hub.docs) == 1  # the one in flight was aborted, no retry followed
        assert booth.events_of("document.upload") == []
        assert booth.statuses() == [("capturing", None), ("uploading", None)]
    finally:
        await booth.close()


class ArrayGrabber:
    def __init__(self) -> None:
        self.closed = False
        self.n = 0

    async def grab(self) -> Any:
        await asyncio.sleep(0.01)  # a 100 fps camera
        self.n += 1
        img = np.zeros((720, 1280, 3), np.uint8)
        cv2.circle(img, (640, 360), 150 + self.n % 20, (200, 180, 160), -1)
        return img

    def close(self) -> None:
        self.closed = True


FACE = {"call_id": CALL, "check_id": "fc1", "document_id": "doc_1",
        "challenges": ["blink", "turn_left"], "baseline_s": 0.3, "step_s": 0.3, "fps": 10.0,
        "max_frames": 6, "upload_url": "/api/calls/c1/face-checks/fc1/frames"}


async def test_face_check_frames_are_uploaded_tagged_and_submitted(
        hub: FakeHub, http: aiohttp.ClientSession) -> None:
    grabbers: list[ArrayGrabber] = []

    def make() -> ArrayGrabber:
        grabbers.append(ArrayGrabber())
        return grabbers[-1]

    booth = Booth(hub, http, DocumentScanner("synthetic"), grabber=make)
    try:
        booth.feed("face.check.started", **FACE)
        view = booth.engine.view().face
        assert view is not None and view.step == "baseline"
        await booth.until(lambda: any(isinstance(e.data, p.FaceCheckSubmit)
                                      for e in booth.sent), "face.check.submit")
        submit = [e for e in booth.sent if isinstance(e.data, p.FaceCheckSubmit)][0]
        assert isinstance(submit.data, p.FaceCheckSubmit)
        n = submit.data.frames
        assert 4 <= n <= 6 and len(hub.frames) == n  # 0.9 s at 1 frame / 0.15 s, at most 6
        seqs = sorted(int(f["query"]["seq"]) for f in hub.frames)
        assert seqs == list(range(n))
        ordered = sorted(hub.frames, key=lambda f: int(f["query"]["seq"]))
        t_ms = [int(f["query"]["t_ms"]) for f in ordered]
        assert t_ms[0] == 0 and t_ms == sorted(t_ms) and t_ms[-1] < 1000
        steps = [f["query"]["step"] for f in ordered]
        assert steps[0] == "baseline" and set(steps) <= {"baseline", "blink", "turn_left"}
        assert steps == sorted(steps, key=["baseline", "blink", "turn_left"].index)
        for f in ordered:
            assert f["auth"] == f"Bearer {TOKEN}" and f["check_id"] == "fc1"
            img = cv2.imdecode(np.frombuffer(f["body"], np.uint8), cv2.IMREAD_COLOR)
            assert img.shape == (360, 640, 3)
        assert grabbers[0].closed
        face = booth.engine.view().face
        assert face is not None and face.phase is FacePhase.JUDGING
        assert [e["step"] for e in booth.events_of("face.step")] == ["baseline", "blink",
                                                                      "turn_left"]
        [summary] = booth.events_of("face.capture")
        assert summary["frames"] == n and summary["failed"] == 0
    finally:
        await booth.close()


async def test_call_end_mid_face_check_stops_frames(hub: FakeHub,
                                                    http: aiohttp.ClientSession) -> None:
    hub.hold = asyncio.Event()
    booth = Booth(hub, http, DocumentScanner("synthetic"), grabber=ArrayGrabber)
    try:
        booth.feed("face.check.started", **{**FACE, "baseline_s": 5.0})
        await asyncio.wait_for(hub.entered.wait(), 5)
        booth.feed("call.ended", call_id=CALL, reason="agent_hangup", by="agent")
        await booth.until(lambda: booth.jobs.running() == 0, "no task left")
        seen = len(hub.frames)
        hub.hold.set()
        await asyncio.sleep(0.3)
        assert len(hub.frames) == seen  # no frame after the end
        assert not any(isinstance(e.data, p.FaceCheckSubmit) for e in booth.sent)
    finally:
        await booth.close()


async def test_the_token_never_leaves_the_hub_origin(hub: FakeHub,
                                                     http: aiohttp.ClientSession) -> None:
    up = Uploader(http, hub.base, lambda: TOKEN, attempts=1)
    for url in ("http://example.invalid/frames", "//example.invalid/x",
                "https://127.0.0.1/frames"):
        with pytest.raises(UploadError, match="refusing"):
            await up.frame(url, 0, 0, "baseline", b"x")
    assert await up.frame(hub.base + "/api/calls/c1/face-checks/f/frames", 0, 0,
                          "baseline", b"jpeg") == 1
    hub.frame_statuses = [409]
    with pytest.raises(UploadError) as info:
        await up.frame("/api/calls/c1/face-checks/f/frames", 1, 10, "blink", b"jpeg")
    assert (info.value.status, info.value.code, info.value.transient) == (409, "conflict",
                                                                          False)


async def test_face_frames_come_from_the_calls_camera_without_disturbing_it() -> None:
    """BoothMedia.video_tap is a second relay consumer: the call's own consumer keeps
    getting every frame while the face check takes the newest ones."""
    from booth_client.camera import SyntheticCamera
    from booth_client.facecapture import TrackGrabber
    from booth_client.video_track import CameraTrack

    track = CameraTrack(SyntheticCamera(320, 240, 30.0))
    media = BoothMedia(track, None, on_state=lambda c, g, st: None)
    call_side = media._relay.subscribe(track, buffered=False)  # what the peer connection gets
    got_call: list[int] = []

    async def call_reader() -> None:
        while True:
            f = await call_side.recv()
            got_call.append(f.pts)

    reader = asyncio.create_task(call_reader())
    try:
        await asyncio.sleep(0.3)
        before = len(got_call)
        grabber = TrackGrabber(media.video_tap())
        frames = [await grabber.grab() for _ in range(5)]
        assert all(f is not None and (f.width, f.height) == (320, 240) for f in frames)
        grabber.close()
        await asyncio.sleep(0.3)
        assert len(got_call) - before >= 10  # the call kept its pace meanwhile
        assert got_call == sorted(got_call)
    finally:
        reader.cancel()
        await asyncio.wait({reader})
        call_side.stop()
        await media.close()
        track.stop()
        await track.wait_closed()
