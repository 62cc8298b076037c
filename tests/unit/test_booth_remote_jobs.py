"""The adapter's half of remote assist (booth_client.remote_jobs): effects carried out,
signed forms posted over HTTP (to a small stand-in of the hub's endpoint on 127.0.0.1)
and every answer mapped back into the engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from booth_client import session as s
from booth_client.capture import EncodedImage
from booth_client.remote_forms import FormPhase, SignatureData
from booth_client.remote_jobs import MAX_KEPT_DOCUMENTS, RemoteJobs
from booth_client.screen_track import ScreenSource
from booth_client.uploads import Uploader
from tests.loopback import loopback_app
from tests.unit.test_booth_remote import FORM, GOOD, PNG, STROKES
from tests.unit.test_booth_session import frame, in_call, online

CALL = "c1"


class Hub:
    """``POST …/forms/{form_id}/submission``: answers as scripted, then 201."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self.bodies: list[dict[str, Any]] = []
        self.hold: asyncio.Event | None = None
        self.base = ""

    async def submit(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        if self.hold is not None:
            await self.hold.wait()
        if self.answers:
            status, body = self.answers.pop(0)
            return web.json_response(body, status=status)
        return web.json_response({"form_id": request.match_info["form_id"], "sha256": "a" * 64,
                                  "signature_sha256": "b" * 64, "submitted_at": 1.5},
                                 status=201)


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    fake = Hub()
    posts = [("/api/calls/{call_id}/forms/{form_id}/submission", fake.submit)]
    async with loopback_app(posts) as base:
        fake.base = base
        try:
            yield fake
        finally:
            if fake.hold is not None:
                fake.hold.set()


class Booth:
    def __init__(self, hub: Hub, http: aiohttp.ClientSession) -> None:
        self.engine = online()
        in_call(self.engine)
        self.events: list[dict[str, Any]] = []
        self.screen = ScreenSource(None, fps=10)
        uploader = Uploader(http, hub.base, lambda: "tok", attempts=2, backoff_s=0.01)
        self.jobs = RemoteJobs(self.engine, self.apply, uploader, self.screen,
                               on_event=self.events.append)

    def apply(self, effects: list[s.Effect]) -> None:
        for eff in effects:
            if isinstance(eff, s.ShareScreen | s.InjectTap | s.SubmitForm | s.StopRemote):
                self.jobs.handle(eff)

    def signed(self) -> None:
        """A pushed form, filled, reviewed and signed: its submission is on its way."""
        self.engine.frame(frame("assist.form", call_id=CALL, form_id="frm_1", form=FORM), 1.0)
        for key, value in GOOD.items():
            self.engine.user_remote("fill", "frm_1", key, value, now=1.0)
        for action in ("review", "confirm"):
            self.engine.user_remote(action, "frm_1", now=1.0)
        self.apply(self.engine.user_remote("sign", "frm_1", SignatureData(STROKES, PNG),
                                           now=1.0))

    def form(self) -> Any:
        remote = self.engine.view().remote
        assert remote is not None and remote.form is not None
        return remote.form

    async def settle(self, phase: FormPhase) -> None:
        for _ in range(200):
            if self.form().phase is phase:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"form is {self.form().phase}, not {phase}")


@pytest.fixture
async def booth(hub: Hub) -> AsyncIterator[Booth]:
    async with aiohttp.ClientSession() as http:
        b = Booth(hub, http)
        try:
            yield b
        finally:
            await b.jobs.close()
            assert b.jobs.running() == 0


def of(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == name]


async def test_a_signed_form_is_posted_and_the_receipt_kept(hub: Hub, booth: Booth) -> None:
    booth.signed()
    await booth.settle(FormPhase.SUBMITTED)
    assert booth.form().sha256 == "a" * 64
    body = hub.bodies[0]
    assert body["reviewed"] is True and body["values"]["household"] == 3
    assert body["signature"]["strokes"][0][0] == [0.1, 0.5, 0]
    [event] = of(booth.events, "assist.form.submit")
    assert event["ok"] and event["status"] == 201 and event["sha256"] == "a" * 64


async def test_field_errors_conflicts_and_outages(hub: Hub, booth: Booth) -> None:
    hub.answers = [(400, {"error": {"code": "bad_message", "message": "1 field(s) refused",
                                    "fields": {"phone": {"code": "phone", "message": "no"}}}})]
    booth.signed()
    await booth.settle(FormPhase.FILLING)
    assert {f.field.id: f.error for f in booth.form().fields if f.error} == {"phone": "phone"}
    assert of(booth.events, "assist.form.submit")[-1]["fields"] == {"phone": "phone"}

    hub.answers = [(503, {"error": {"code": "internal", "message": "x"}})] * 2
    for action in ("review", "confirm"):
        booth.engine.user_remote(action, "frm_1", now=2.0)
    booth.apply(booth.engine.user_remote("sign", "frm_1", SignatureData(STROKES, PNG), now=2.0))
    await booth.settle(FormPhase.FAILED)
    assert booth.form().retryable and booth.form().failure == "form.failed.network"
    assert len(hub.bodies) == 3, "a 5xx is tried again, within the uploader's budget"

    hub.answers = [(409, {"error": {"code": "conflict", "message": "signed already"}})]
    booth.apply(booth.engine.user_remote("retry", "frm_1", now=3.0))
    await asyncio.sleep(0.2)
    assert booth.form().phase is FormPhase.FAILED and not booth.form().retryable
    assert booth.form().failure == "form.failed.closed"


async def test_the_call_ending_cancels_a_submission_in_flight(hub: Hub, booth: Booth) -> None:
    hub.hold = asyncio.Event()
    booth.signed()
    for _ in range(100):
        if hub.bodies:
            break
        await asyncio.sleep(0.01)
    assert booth.jobs.running() == 1
    booth.apply(booth.engine.frame(frame("call.ended", call_id=CALL, reason="agent_hangup",
                                         by="agent"), 4.0))
    await asyncio.sleep(0.05)
    assert booth.jobs.running() == 0
    [stopped] = of(booth.events, "assist.remote.stopped")
    assert stopped["cancelled"] == 1
    assert not of(booth.events, "assist.form.submit")


async def test_screen_taps_and_the_documents_kept(booth: Booth) -> None:
    booth.jobs.handle(s.ShareScreen(CALL, True))
    assert booth.screen.sharing
    booth.jobs.handle(s.InjectTap(CALL, 0.5, 0.25, 1))
    pressed: list[tuple[float, float, int]] = []
    booth.jobs.on_tap = lambda x, y, seq: pressed.append((x, y, seq)) or "call.hang_up"
    booth.jobs.handle(s.InjectTap(CALL, 0.1, 0.2, 2))
    taps = of(booth.events, "assist.control.tap")
    assert [t["target"] for t in taps] == [None, "call.hang_up"] and pressed == [(0.1, 0.2, 2)]
    image = EncodedImage(b"png", "image/png", 4, 3)
    for i in range(MAX_KEPT_DOCUMENTS + 2):
        booth.jobs.keep_document(CALL if i else "c0", f"doc_{i}", image)
    assert booth.jobs.document_image("doc_0") is None and booth.jobs.document_image("doc_1") is None
    assert booth.jobs.document_image("doc_2") is image
    booth.jobs.handle(s.StopRemote(CALL))
    assert not booth.screen.sharing and booth.jobs.document_image("doc_5") is None
    assert [e["on"] for e in of(booth.events, "screen.share")] == [True, False]
