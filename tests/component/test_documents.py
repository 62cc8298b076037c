"""Documents of a call over real WebSockets and HTTP: request, upload, added, read,
review, authorization, audit, bad uploads, retention."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.harness import HubEnv
from tests.wsclient import WsClient


@dataclass
class CallSetup:
    agent: WsClient
    agent_token: str
    booth: WsClient
    booth_id: str
    booth_token: str
    call_id: str


async def _call(env: HubEnv, username: str = "zhang") -> CallSetup:
    agent, agent_token = await env.agent(username, ["housing"])
    booth_id, booth_token = await env.add_booth()
    booth = await env.connect(booth_token)
    catalog = await env.call("GET", "/api/catalog")
    service = next(d for d in catalog["departments"] if d["id"] == "housing")["services"][0]
    await booth.request("ticket.create", {"service_id": service["id"]})
    offer = await agent.expect("ticket.offer")
    await agent.request("ticket.accept", {"offer_id": offer["data"]["offer_id"]})
    call_id = (await booth.expect("call.start"))["data"]["call_id"]
    await agent.expect("call.start")
    return CallSetup(agent, agent_token, booth, booth_id, booth_token, call_id)


def _page(width: int = 1200, height: int = 900, fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(7)
    arr = np.full((height, width, 3), 245, np.uint8)
    arr[100:800:40, 80:1100] = 30  # text-like lines
    arr += rng.integers(0, 8, arr.shape, dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


async def _upload(env: HubEnv, token: str, call_id: str, body: bytes, kind: str = "id_front",
                  request_id: str | None = None, ctype: str = "image/png"
                  ) -> tuple[int, Any]:
    assert env.http is not None
    q = f"?kind={kind}" + (f"&request_id={request_id}" if request_id else "")
    async with env.http.post(f"{env.base}/api/calls/{call_id}/documents{q}",
                             data=io.BytesIO(body),
                             headers={"Authorization": f"Bearer {token}",
                                      "Content-Type": ctype}) as resp:
        return resp.status, await resp.json()


async def _get(env: HubEnv, path: str, token: str) -> tuple[int, bytes, str]:
    assert env.http is not None
    async with env.http.get(env.base + path,
                            headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.read(), resp.content_type


def _files(env: HubEnv) -> list[Path]:
    root = env.settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def _audit(env: HubEnv) -> list[Any]:
    return [r for r in await env.hub.store.list_audit(limit=1000)]


async def test_request_upload_added_read_review(env: HubEnv) -> None:
    c = await _call(env)
    req = await c.agent.request("document.request", {"call_id": c.call_id, "kind": "id_front"})
    assert req["type"] == "document.requested", req
    request_id = req["data"]["request_id"]
    assert req["data"]["instruction"], "a default instruction per kind"
    pushed = await c.booth.expect("document.requested")
    assert pushed["data"]["request_id"] == request_id

    st = await c.booth.request("document.status", {"call_id": c.call_id,
                                                   "request_id": request_id,
                                                   "state": "retrying", "code": "quality",
                                                   "message": "blurry"})
    assert st["type"] == "ok"
    relayed = await c.agent.expect("document.status")
    assert relayed["data"]["code"] == "quality" and relayed["data"]["state"] == "retrying"

    body = _page()
    status, added = await _upload(env, c.booth_token, c.call_id, body, request_id=request_id)
    assert status == 201, added
    event = (await c.agent.expect("document.added"))["data"]
    assert event == added
    assert event["request_id"] == request_id and event["kind"] == "id_front"
    assert (event["width"], event["height"]) == (1200, 900)
    assert event["content_type"] == "image/png"

    # the agent downloads exactly the stored bytes, whose hash is the address
    code, data, ctype = await _get(env, event["url"], c.agent_token)
    assert code == 200 and ctype == "image/png"
    assert hashlib.sha256(data).hexdigest() == event["sha256"] and len(data) == event["size"]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")),
                          np.asarray(Image.open(io.BytesIO(body)).convert("RGB")))
    code, thumb, ctype = await _get(env, event["thumb_url"], c.agent_token)
    assert code == 200 and ctype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb)).size) <= 320

    # stored 0600 under dirs 0700, content addressed
    files = _files(env)
    assert event["sha256"] in {p.name for p in files}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    listing = await env.call("GET", f"/api/calls/{c.call_id}/documents", token=c.agent_token)
    assert [d["document_id"] for d in listing["documents"]] == [event["document_id"]]

    rev = await c.agent.request("document.review", {"document_id": event["document_id"],
                                                    "decision": "rescan",
                                                    "reason": "有反光"})
    assert rev["type"] == "document.reviewed" and rev["data"]["decision"] == "rescan"
    booth_rev = await c.booth.expect("document.reviewed")
    assert booth_rev["data"]["reason"] == "有反光"
    assert booth_rev["data"]["request_id"] == request_id

    actions = [(r.action, r.target) for r in await _audit(env)]
    assert ("document.upload", event["document_id"]) in actions
    assert ("document.read", event["document_id"]) in actions
    assert ("document.review", event["document_id"]) in actions
    assert (await env.hub.store.verify_audit()).ok


async def test_only_the_calls_agent_and_admins_read(env: HubEnv) -> None:
    c = await _call(env)
    _, added = await _upload(env, c.booth_token, c.call_id, _page(fmt="JPEG"),
                             ctype="image/jpeg")
    other_token = await env.add_agent("li", ["housing"])
    code, body, _ = await _get(env, added["url"], other_token)
    assert code == 403, body
    code, _, _ = await _get(env, added["thumb_url"], other_token)
    assert code == 403
    code, _, _ = await _get(env, added["url"], c.booth_token)
    assert code == 403, "a booth cannot read documents back"
    code, _, _ = await _get(env, added["url"], "not-a-token")
    assert code == 401
    code, data, _ = await _get(env, added["url"], env.admin_token)
    assert code == 200 and hashlib.sha256(data).hexdigest() == added["sha256"]
    await env.call("GET", f"/api/calls/{c.call_id}/documents", token=other_token, expect=403)
    denied = [r for r in await _audit(env) if r.action == "document.denied"]
    assert denied and denied[0].actor.startswith("agent:")
    # other agents cannot request or review in a call that is not theirs
    other = await env.connect(other_token)
    refused = await other.request("document.request", {"call_id": c.call_id, "kind": "other"})
    assert refused["data"]["code"] == "forbidden"
    refused = await other.request("document.review", {"document_id": added["document_id"],
                                                      "decision": "accepted"})
    assert refused["data"]["code"] == "forbidden"
    # a booth may not request, an agent may not report capture status
    refused = await c.booth.request("document.request", {"call_id": c.call_id,
                                                         "kind": "other"})
    assert refused["data"]["code"] == "forbidden"


def _png_bomb(side: int) -> bytes:
    """A valid PNG header for a side×side greyscale image with a tiny compressed body."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    row = b"\x00" + b"\x00" * side
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(64)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0,
                                                               0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


@pytest.mark.parametrize("case", ["not_image", "truncated_jpeg", "corrupt_png", "bomb",
                                  "too_big", "html_as_png", "empty"])
async def test_bad_uploads_are_refused_and_leave_nothing(env: HubEnv, case: str) -> None:
    c = await _call(env)
    jpeg = _page(fmt="JPEG")
    png = _page()
    bodies = {
        "not_image": (b"%PDF-1.7\n" + os.urandom(2000), 400),
        "truncated_jpeg": (jpeg[: len(jpeg) // 2], 400),
        "corrupt_png": (png[:200] + os.urandom(len(png) - 400) + png[-200:], 400),
        "bomb": (_png_bomb(30000), 400),
        "too_big": (os.urandom(30 * 1024 * 1024), 413),
        "html_as_png": (b"<html><script>alert(1)</script></html>", 400),
        "empty": (b"", 400),
    }
    body, expected = bodies[case]
    status, reply = await _upload(env, c.booth_token, c.call_id, body)
    assert status == expected, reply
    assert reply["error"]["code"] in ("bad_message", "too_large")
    assert reply["error"]["message"]
    if case == "bomb":
        assert "MP" in reply["error"]["message"]
    assert _files(env) == []
    assert await env.hub.store.call_documents(c.call_id) == []
    c.agent.drop("document.added")
    # the hub is intact: a good upload right after still works
    status, _ = await _upload(env, c.booth_token, c.call_id, png)
    assert status == 201


async def test_upload_needs_the_booths_live_call(env: HubEnv) -> None:
    c = await _call(env)
    png = _page(400, 300)
    status, reply = await _upload(env, c.booth_token, "call_nope", png)
    assert status == 404 and reply["error"]["code"] == "not_found"
    status, reply = await _upload(env, "expired-or-wrong-token", c.call_id, png)
    assert status == 401 and reply["error"]["code"] == "unauthenticated"
    status, reply = await _upload(env, c.agent_token, c.call_id, png)
    assert status == 403, "agents do not upload"
    _, other_booth_token = await env.add_booth("另一个服务站")
    status, reply = await _upload(env, other_booth_token, c.call_id, png)
    assert status == 403 and reply["error"]["code"] == "forbidden"
    status, reply = await _upload(env, c.booth_token, c.call_id, png, request_id="req_nope")
    assert status == 404
    status, reply = await _upload(env, c.booth_token, c.call_id, png, kind="selfie")
    assert status == 400
    # after the call ends the booth can no longer upload, but the agent can still read
    status, added = await _upload(env, c.booth_token, c.call_id, png)
    assert status == 201
    await c.agent.request("call.end", {"call_id": c.call_id})
    await c.booth.expect("call.ended")
    status, reply = await _upload(env, c.booth_token, c.call_id, png)
    assert status == 404
    code, _, _ = await _get(env, added["url"], c.agent_token)
    assert code == 200
    review = await c.agent.request("document.review", {"document_id": added["document_id"],
                                                       "decision": "accepted"})
    assert review["data"]["code"] == "conflict"
    assert _files(env) and all(p.name != "" for p in _files(env))


async def test_same_image_twice_is_stored_once(env: HubEnv) -> None:
    c = await _call(env)
    png = _page(500, 400)
    s1, a1 = await _upload(env, c.booth_token, c.call_id, png)
    s2, a2 = await _upload(env, c.booth_token, c.call_id, png)
    assert s1 == s2 == 201 and a1["sha256"] == a2["sha256"]
    assert a1["document_id"] != a2["document_id"]
    assert len(_files(env)) == 2  # the image and its thumbnail


async def test_retention_deletes_files_keeps_rows_and_audit(env: HubEnv) -> None:
    c = await _call(env)
    _, added = await _upload(env, c.booth_token, c.call_id, _page(600, 400))
    assert _files(env)
    now = env.hub.clock()
    # not yet due
    assert await env.hub.purge_personal_data(now=now + 29 * 86400) == (0, 0, 0)
    assert _files(env)
    docs, checks, files = await env.hub.purge_personal_data(now=now + 31 * 86400)
    assert (docs, checks, files) == (1, 0, 2)
    assert _files(env) == []
    rec = await env.hub.store.get_document(added["document_id"])
    assert rec.deleted_at is not None and rec.sha256 == added["sha256"]
    code, body, _ = await _get(env, added["url"], c.agent_token)
    assert code == 410, body
    actions = [r.action for r in await _audit(env)]
    assert "retention.purge" in actions and "document.upload" in actions
    assert (await env.hub.store.verify_audit()).ok
