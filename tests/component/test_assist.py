"""Remote assist over real WebSockets and HTTP: consent, pointer, annotations, forms with
signed submissions, guidance, remote control, authorization, audit and bad input."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from signaling import forms
from signaling.store.audit import canonical_json
from tests.component.test_documents import CallSetup, _call, _get, _page, _upload
from tests.harness import HubEnv
from tests.wsclient import WsClient

ID = "11010519491231002X"

FORM: dict[str, Any] = {
    "title": {"zh": "公租房申请表", "en": "Public rental housing application"},
    "template": "zjj-gzf-apply-v3",
    "fields": [
        {"id": "name", "type": "text", "label": {"zh": "申请人姓名"}, "required": True,
         "readonly": True, "value": "李秀英"},
        {"id": "id_number", "type": "id_number", "label": {"zh": "身份证号码"},
         "required": True, "sensitive": True},
        {"id": "phone", "type": "phone", "label": {"zh": "手机号码"}, "required": True,
         "sensitive": True},
        {"id": "household", "type": "number", "label": {"zh": "家庭人口"}, "required": True,
         "min_value": 1, "max_value": 20, "integer": True},
        {"id": "housing", "type": "choice", "label": {"zh": "现住房情况"}, "required": True,
         "options": [{"value": "none", "label": {"zh": "无自有住房"}},
                     {"value": "small", "label": {"zh": "人均不足15平方米"}}]},
        {"id": "agree", "type": "checkbox", "label": {"zh": "本人承诺所填信息真实有效"},
         "required": True},
    ],
    "signature": {"label": {"zh": "申请人签名"}},
}
VALUES: dict[str, Any] = {"id_number": ID, "phone": "13812345678", "household": 3,
                          "housing": "none", "agree": True}
STROKES = [[[round(0.1 + i * 0.01, 4), round(0.5 + (i % 5) * 0.02, 4), i * 16] for i in range(40)],
           [[0.6, 0.3, 900], [0.62, 0.7, 960], [0.7, 0.5, 1010]]]


def _signature_png(strokes: list[list[list[float]]] = STROKES) -> bytes:
    img = Image.new("RGBA", (600, 240), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    for stroke in strokes:
        draw.line([(x * 600, y * 240) for x, y, _ in stroke], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _body(values: dict[str, Any] | None = None, *, png: bytes | None = None,
          strokes: Any = None, reviewed: bool = True) -> dict[str, Any]:
    return {"values": VALUES if values is None else values,
            "signature": {"strokes": STROKES if strokes is None else strokes,
                          "png": base64.b64encode(png or _signature_png()).decode()},
            "reviewed": reviewed}


async def _submit(env: HubEnv, token: str, call_id: str, form_id: str, body: Any
                  ) -> tuple[int, Any]:
    assert env.http is not None
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with env.http.post(f"{env.base}/api/calls/{call_id}/forms/{form_id}/submission",
                             data=io.BytesIO(data), headers={"Authorization": f"Bearer {token}",
                                                 "Content-Type": "application/json"}) as resp:
        return resp.status, await resp.json()


async def _actions(env: HubEnv, prefix: str = "assist.") -> list[tuple[str, str | None,
                                                                      dict[str, Any]]]:
    return [(r.action, r.target, r.detail) for r in await env.hub.store.list_audit(limit=1000)
            if r.action.startswith(prefix)]


async def _consent(c: CallSetup, scope: str, granted: bool) -> None:
    reply = await c.booth.request("assist.consent", {"call_id": c.call_id, "scope": scope,
                                                     "granted": granted})
    assert reply["type"] == "ok", reply
    event = await c.agent.expect("assist.consent", scope=scope)
    assert event["data"]["granted"] is granted


async def _code(client: WsClient, mtype: str, data: dict[str, Any]) -> str:
    reply = await client.request(mtype, data)
    assert reply["type"] == "error", reply
    return str(reply["data"]["code"])


async def _push(c: CallSetup, form: dict[str, Any] = FORM) -> str:
    reply = await c.agent.request("assist.form.push", {"call_id": c.call_id, "form": form})
    assert reply["type"] == "assist.form.pushed", reply
    return str(reply["data"]["form_id"])


# ---------------------------------------------------------------------------
# Consent and remote control


async def test_consent_gates_remote_control_and_is_recorded(env: HubEnv) -> None:
    c = await _call(env)
    tap = {"call_id": c.call_id, "action": "tap", "x": 0.5, "y": 0.8}
    assert await _code(c.agent, "assist.control", tap) == "forbidden"
    assert await _code(c.agent, "assist.consent.request",
                       {"call_id": c.call_id, "scope": "control"}) == "conflict"

    reply = await c.agent.request("assist.consent.request",
                                  {"call_id": c.call_id, "scope": "screen"})
    assert reply["type"] == "assist.consent.requested"
    asked = await c.booth.expect("assist.consent.requested")
    assert asked["data"] == {"call_id": c.call_id, "scope": "screen"}
    await _consent(c, "screen", True)
    assert await _code(c.agent, "assist.control", tap) == "forbidden", "screen is not control"

    reply = await c.agent.request("assist.consent.request",
                                  {"call_id": c.call_id, "scope": "control"})
    assert reply["type"] == "assist.consent.requested"
    await c.booth.expect("assist.consent.requested", scope="control")
    await _consent(c, "control", True)

    for x in (0.25, 0.75):
        reply = await c.agent.request("assist.control", {**tap, "x": x})
        assert reply["type"] == "ok", reply
        relayed = await c.booth.expect("assist.control")
        assert relayed["data"] == {**tap, "x": x}

    # stopping the screen share ends remote control too
    reply = await c.booth.request("assist.consent", {"call_id": c.call_id, "scope": "screen",
                                                     "granted": False})
    assert reply["type"] == "ok"
    assert (await c.agent.expect("assist.consent", scope="screen"))["data"]["granted"] is False
    assert (await c.agent.expect("assist.consent", scope="control"))["data"]["granted"] is False
    assert await _code(c.agent, "assist.control", tap) == "forbidden"
    assert await _code(c.booth, "assist.consent", {"call_id": c.call_id, "scope": "control",
                                                   "granted": True}) == "conflict"

    rows = await env.hub.store.call_consents(c.call_id)
    assert [(r.scope, r.granted, r.reason) for r in rows] == [
        ("screen", True, "resident"), ("control", True, "resident"),
        ("screen", False, "resident"), ("control", False, "screen_revoked")]
    audit = await _actions(env)
    assert [a for a, _, _ in audit] == [
        "assist.consent.request", "assist.consent", "assist.consent.request",
        "assist.consent", "assist.control", "assist.control", "assist.consent",
        "assist.consent"]
    controls = [d for a, t, d in audit if a == "assist.control"]
    assert [d["x"] for d in controls] == [0.25, 0.75]
    assert all(t == c.call_id for _, t, _ in audit)


async def test_revoking_control_alone_and_granting_again(env: HubEnv) -> None:
    c = await _call(env)
    tap = {"call_id": c.call_id, "action": "tap", "x": 0.1, "y": 0.1}
    await _consent(c, "screen", True)  # a resident may grant without being asked
    await _consent(c, "control", True)
    assert (await c.agent.request("assist.control", tap))["type"] == "ok"
    await _consent(c, "control", False)
    assert await _code(c.agent, "assist.control", tap) == "forbidden"
    await _consent(c, "control", True)
    assert (await c.agent.request("assist.control", tap))["type"] == "ok"
    assert len([a for a, _, _ in await _actions(env) if a == "assist.control"]) == 2


# ---------------------------------------------------------------------------
# Pointer and annotations


async def test_pointer_and_drawings_relay_and_come_back_after_a_reconnect(env: HubEnv) -> None:
    c = await _call(env)
    # the pointer goes as an event (no id, no reply) and is relayed at once
    await c.agent.send("assist.pointer", {"call_id": c.call_id, "x": 0.123456, "y": 0.5})
    moved = await c.booth.expect("assist.pointer")
    assert moved["data"] == {"call_id": c.call_id, "surface": "screen", "x": 0.1235, "y": 0.5,
                             "visible": True}
    reply = await c.agent.request("assist.pointer", {"call_id": c.call_id, "x": 0, "y": 1,
                                                     "visible": False})
    assert reply["type"] == "ok"
    assert (await c.booth.expect("assist.pointer"))["data"]["visible"] is False

    pen = {"id": "p1", "kind": "pen", "color": "red", "width": 6,
           "points": [[0.1, 0.1], [0.2, 0.2], [0.3, 0.25]]}
    box = {"id": "b1", "kind": "box", "color": "yellow", "points": [[0.4, 0.4], [0.6, 0.5]],
           "fill": True}
    for shape in (pen, box):
        reply = await c.agent.request("assist.annotate", {"call_id": c.call_id,
                                                          "surface": "screen", "op": "add",
                                                          "shape": shape})
        assert reply["type"] == "ok", reply
        relayed = await c.booth.expect("assist.annotate")
        assert relayed["data"]["shape"]["id"] == shape["id"]
    assert await _code(c.agent, "assist.annotate", {"call_id": c.call_id, "surface": "screen",
                                                    "op": "add", "shape": pen}) == "conflict"
    await c.agent.request("assist.annotate", {"call_id": c.call_id, "surface": "screen",
                                              "op": "undo"})
    assert (await c.booth.expect("assist.annotate"))["data"]["op"] == "undo"

    board = await c.booth.request("assist.board.get", {"call_id": c.call_id,
                                                       "surface": "screen"})
    assert board["type"] == "assist.board"
    assert [s["id"] for s in board["data"]["shapes"]] == ["p1"]
    assert board["data"]["shapes"][0]["width"] == 6

    # the booth's connection drops; on resume it gets the drawings back
    session_id = c.booth.welcome["session_id"]
    await c.booth.abort()
    await c.agent.expect("call.peer", state="away")
    back = await env.connect()
    welcome = await back.hello(c.booth_token, resume=session_id)
    assert welcome["data"]["resumed"] is True
    pushed = await back.expect("assist.board")
    assert pushed["data"]["surface"] == "screen"
    assert [s["id"] for s in pushed["data"]["shapes"]] == ["p1"]
    await c.agent.request("assist.annotate", {"call_id": c.call_id, "surface": "screen",
                                              "op": "clear"})
    assert (await back.expect("assist.annotate"))["data"]["op"] == "clear"
    board = await c.agent.request("assist.board.get", {"call_id": c.call_id,
                                                       "surface": "screen"})
    assert board["data"]["shapes"] == []


async def test_drawing_on_a_document_of_the_call(env: HubEnv) -> None:
    c = await _call(env)
    status, added = await _upload(env, c.booth_token, c.call_id, _page(400, 300))
    assert status == 201
    surface = "document:" + added["document_id"]
    arrow = {"id": "a1", "kind": "arrow", "points": [[0.2, 0.2], [0.5, 0.6]]}
    reply = await c.agent.request("assist.annotate", {"call_id": c.call_id, "surface": surface,
                                                      "op": "add", "shape": arrow})
    assert reply["type"] == "ok", reply
    assert (await c.booth.expect("assist.annotate"))["data"]["surface"] == surface
    await c.agent.send("assist.pointer", {"call_id": c.call_id, "surface": surface,
                                          "x": 0.3, "y": 0.3})
    assert (await c.booth.expect("assist.pointer"))["data"]["surface"] == surface
    board = await c.booth.request("assist.board.get", {"call_id": c.call_id,
                                                       "surface": surface})
    assert [s["kind"] for s in board["data"]["shapes"]] == ["arrow"]
    # the screen's board is separate
    screen = await c.booth.request("assist.board.get", {"call_id": c.call_id,
                                                        "surface": "screen"})
    assert screen["data"]["shapes"] == []

    # a document of another call is not a surface of this one
    other = await _call(env, "wang")
    assert await _code(other.agent, "assist.annotate", {
        "call_id": other.call_id, "surface": surface, "op": "add",
        "shape": arrow}) == "forbidden"
    assert await _code(other.agent, "assist.pointer", {
        "call_id": other.call_id, "surface": "document:doc_nope", "x": 0.1,
        "y": 0.1}) == "not_found"


# ---------------------------------------------------------------------------
# Forms


async def test_form_push_progress_masked_submit_stored_and_read(env: HubEnv) -> None:
    c = await _call(env)
    form_id = await _push(c)
    shown = await c.booth.expect("assist.form")
    assert shown["data"]["form_id"] == form_id
    assert shown["data"]["form"] == forms.parse_definition(FORM).model_dump(mode="json")

    # live progress: sensitive values masked for the agent
    reply = await c.booth.request("assist.form.progress", {
        "call_id": c.call_id, "form_id": form_id,
        "values": {"id_number": ID, "phone": "138", "household": 3}})
    assert reply["type"] == "ok", reply
    progress = (await c.agent.expect("assist.form.progress"))["data"]
    assert progress["values"] == {"id_number": "••••002X", "phone": "••••", "household": 3}
    assert progress["masked"] == ["id_number", "phone"]
    assert ID not in json.dumps(progress, ensure_ascii=False)

    # the signed submission over HTTP
    png = _signature_png()
    status, result = await _submit(env, c.booth_token, c.call_id, form_id, _body(png=png))
    assert status == 201, result
    assert result["form_id"] == form_id and len(result["sha256"]) == 64
    submitted = (await c.agent.expect("assist.form.submitted"))["data"]
    assert submitted["values"] == {**VALUES, "name": "李秀英"}  # unmasked, readonly filled in
    assert submitted["sha256"] == result["sha256"]
    assert submitted["signature_url"] == f"/api/forms/{form_id}/signature"

    # stored: values, strokes, the signature blob (0600) and a hash anyone can recompute
    rec = await env.hub.store.get_form(form_id)
    assert rec.state == "submitted" and rec.values == submitted["values"]
    assert rec.strokes == STROKES
    assert rec.signature_sha256 == submitted["signature_sha256"]
    blob = env.settings.data_dir / "files" / rec.signature_sha256[:2] / \
        rec.signature_sha256[2:4] / rec.signature_sha256
    assert stat.S_IMODE(blob.stat().st_mode) == 0o600
    assert rec.submitted_at is not None
    doc = forms.submission_document(
        form_id=form_id, call_id=c.call_id, booth_id=c.booth_id,
        form=forms.parse_definition(rec.definition), values=rec.values, strokes=rec.strokes,
        signature_sha256=rec.signature_sha256,
        submitted_at=rec.submitted_at.isoformat(timespec="microseconds"))
    assert hashlib.sha256(canonical_json(doc).encode()).hexdigest() == result["sha256"]

    audit = await _actions(env)
    assert ("assist.form.push", form_id) in [(a, t) for a, t, _ in audit]
    submit = [d for a, t, d in audit if a == "assist.form.submit" and t == form_id]
    assert submit and submit[0]["sha256"] == result["sha256"]
    assert submit[0]["signature_sha256"] == rec.signature_sha256
    assert ID not in json.dumps([d for _, _, d in audit], ensure_ascii=False), \
        "personal values stay out of the audit log"

    # a retry of the same signed submission (its first reply lost) gets the stored receipt
    status, again = await _submit(env, c.booth_token, c.call_id, form_id, _body())
    assert status == 201 and again["sha256"] == result["sha256"], again
    assert len([1 for a, t, _ in await _actions(env)
                if a == "assist.form.submit" and t == form_id]) == 1, "stored and audited once"
    # once signed: no different second submission, no more progress
    changed = dict(VALUES)
    changed["household"] = 5
    status, again = await _submit(env, c.booth_token, c.call_id, form_id, _body(changed))
    assert status == 409, again
    assert await _code(c.booth, "assist.form.progress", {
        "call_id": c.call_id, "form_id": form_id, "values": {"household": 4}}) == "conflict"

    # reads: the call's agent and admins, audited; not another agent, not the booth
    code, data, ctype = await _get(env, submitted["signature_url"], c.agent_token)
    assert code == 200 and ctype == "image/png"
    assert hashlib.sha256(data).hexdigest() == rec.signature_sha256
    assert Image.open(io.BytesIO(data)).size == (600, 240)
    other_token = await env.add_agent("li", ["housing"])
    code, _, _ = await _get(env, submitted["signature_url"], other_token)
    assert code == 403
    code, _, _ = await _get(env, submitted["signature_url"], c.booth_token)
    assert code == 403
    code, _, _ = await _get(env, submitted["signature_url"], env.admin_token)
    assert code == 200
    full = await env.call("GET", f"/api/forms/{form_id}", token=c.agent_token)
    assert full["values"] == submitted["values"] and full["sha256"] == result["sha256"]
    assert full["strokes"] == STROKES
    await env.call("GET", f"/api/forms/{form_id}", token=other_token, expect=403)
    listing = await env.call("GET", f"/api/calls/{c.call_id}/forms", token=c.agent_token)
    assert [(f["form_id"], f["state"]) for f in listing["forms"]] == [(form_id, "submitted")]
    await env.call("GET", f"/api/calls/{c.call_id}/forms", token=other_token, expect=403)
    reads = [(a, d.get("what")) for a, t, d in await _actions(env) if t == form_id]
    assert ("assist.signature.read", None) in reads and ("assist.form.read", None) in reads
    assert ("assist.form.denied", "signature") in reads and ("assist.form.denied", "form") in reads


async def test_submissions_are_validated_against_the_pushed_form(env: HubEnv) -> None:
    c = await _call(env)
    form_id = await _push(c)
    status, reply = await _submit(env, c.booth_token, c.call_id, form_id,
                                  _body({**VALUES, "name": "王小明", "phone": "12345",
                                         "id_number": ID[:17] + "1", "salary": 1,
                                         "agree": False}))
    assert status == 400, reply
    assert reply["error"]["code"] == "bad_message"
    assert {k: v["code"] for k, v in reply["error"]["fields"].items()} == {
        "name": "readonly", "phone": "phone", "id_number": "id_number", "salary": "unknown",
        "agree": "required"}
    status, reply = await _submit(env, c.booth_token, c.call_id, form_id,
                                  _body({"household": 3}))
    assert status == 400
    assert set(reply["error"]["fields"]) == {"id_number", "phone", "housing", "agree"}
    status, reply = await _submit(env, c.booth_token, c.call_id, form_id,
                                  _body(reviewed=False))
    assert status == 400 and "review" in reply["error"]["message"]
    assert (await env.hub.store.get_form(form_id)).state == "pushed"
    assert not [a for a, _, _ in await _actions(env) if a == "assist.form.submit"]
    status, _ = await _submit(env, c.booth_token, c.call_id, form_id, _body())
    assert status == 201


def _bad_png() -> bytes:
    png = _signature_png()
    return png[: len(png) // 2]


def _blank_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("body", "status", "code"), [
    (b"{not json", 400, "bad_json"),
    (b'{"values": {}, "signature": {"strokes": [], "png": "x"}}', 400, "bad_message"),
    (b"[]", 400, "bad_message"),
    (_body() | {"extra": 1}, 400, "bad_message"),
    ({**_body(), "values": {**VALUES, "household": float("nan")}}, 400, "bad_message"),
    ({**_body(), "signature": {"strokes": STROKES, "png": "not base64!"}}, 400, "bad_message"),
    ({**_body(), "signature": {"strokes": STROKES,
                               "png": base64.b64encode(b"GIF89a" + b"\0" * 64).decode()}},
     400, "bad_message"),
    (_body(png=_bad_png()), 400, "bad_message"),
    (_body(png=_blank_png(3000, 2000)), 400, "bad_message"),  # over 4 megapixels
    (_body(strokes=[[[0.1, 0.1, 5], [0.2, 0.2, 1]]]), 400, "bad_message"),
    (_body(strokes=[[[0.1, 1.5, 0], [0.2, 0.2, 1]]]), 400, "bad_message"),
    (b"x" * (3 * 1024 * 1024), 413, "too_large"),
])
async def test_bad_submissions_are_refused(env: HubEnv, body: Any, status: int,
                                           code: str) -> None:
    c = await _call(env)
    form_id = await _push(c)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    got, reply = await _submit(env, c.booth_token, c.call_id, form_id, raw)
    assert (got, reply["error"]["code"]) == (status, code), reply
    assert (await env.hub.store.get_form(form_id)).state == "pushed"
    files = env.settings.data_dir / "files"
    assert not files.exists() or not [p for p in files.rglob("*") if p.is_file()]
    got, _ = await _submit(env, c.booth_token, c.call_id, form_id, _body())
    assert got == 201, "the hub is intact after a bad submission"


async def test_submission_needs_the_booths_live_call_and_form(env: HubEnv) -> None:
    c = await _call(env)
    form_id = await _push(c)
    status, _ = await _submit(env, c.booth_token, c.call_id, "frm_nope", _body())
    assert status == 404
    status, _ = await _submit(env, c.booth_token, "call_nope", form_id, _body())
    assert status == 404
    status, _ = await _submit(env, c.agent_token, c.call_id, form_id, _body())
    assert status == 403
    _, other_booth_token = await env.add_booth("另一个服务站")
    status, _ = await _submit(env, other_booth_token, c.call_id, form_id, _body())
    assert status == 403
    other = await _call(env, "wang")
    status, _ = await _submit(env, other.booth_token, other.call_id, form_id, _body())
    assert status == 404, "a form of another call"
    # another agent cannot push into the call; the booth cannot push at all
    other_agent = await env.connect(other.agent_token)
    assert await _code(other_agent, "assist.form.push", {"call_id": c.call_id,
                                                         "form": FORM}) == "forbidden"
    assert await _code(c.booth, "assist.form.push", {"call_id": c.call_id,
                                                     "form": FORM}) == "forbidden"
    assert await _code(other.booth, "assist.form.progress", {
        "call_id": other.call_id, "form_id": form_id, "values": {}}) == "not_found"


async def test_a_booth_that_reconnects_gets_its_open_forms_and_consent(env: HubEnv) -> None:
    c = await _call(env)
    form_id = await _push(c)
    await c.booth.expect("assist.form")
    await _consent(c, "screen", True)
    session_id = c.booth.welcome["session_id"]
    await c.booth.abort()
    back = await env.connect()
    await back.hello(c.booth_token, resume=session_id)
    assert (await back.expect("assist.form"))["data"]["form_id"] == form_id
    consent = await back.expect("assist.consent")
    assert consent["data"]["scope"] == "screen" and consent["data"]["granted"] is True
    # and an agent console that reloads learns the consent state
    agent_session = c.agent.welcome["session_id"]
    await c.agent.abort()
    agent = await env.connect()
    await agent.hello(c.agent_token, resume=agent_session)
    assert (await agent.expect("assist.consent"))["data"]["granted"] is True


async def test_call_end_clears_the_assist_state(env: HubEnv) -> None:
    c = await _call(env)
    form_id = await _push(c)
    await _consent(c, "screen", True)
    await _consent(c, "control", True)
    await c.agent.request("assist.annotate", {"call_id": c.call_id, "surface": "screen",
                                              "op": "add", "shape": {
                                                  "id": "t", "kind": "text", "text": "这里",
                                                  "points": [[0.5, 0.5]]}})
    assert c.call_id in env.hub.assist.calls
    await c.agent.request("call.end", {"call_id": c.call_id})
    await c.booth.expect("call.ended")
    # these wait for the hub lock, so they run after the call's ending is complete
    for mtype, data in [
        ("assist.control", {"call_id": c.call_id, "action": "tap", "x": 0.1, "y": 0.1}),
        ("assist.pointer", {"call_id": c.call_id, "x": 0.1, "y": 0.1}),
        ("assist.board.get", {"call_id": c.call_id, "surface": "screen"}),
    ]:
        assert await _code(c.agent, mtype, data) == "not_found"
    assert c.call_id not in env.hub.assist.calls
    assert (await env.hub.store.get_form(form_id)).state == "cancelled"
    assert ("assist.form.cancel", c.call_id) in [(a, t) for a, t, _ in await _actions(env)]
    status, _ = await _submit(env, c.booth_token, c.call_id, form_id, _body())
    assert status == 404
    # the agent still reads what was signed... nothing here: the form was never signed
    full = await env.call("GET", f"/api/forms/{form_id}", token=c.agent_token)
    assert full["state"] == "cancelled" and full["values"] is None


# ---------------------------------------------------------------------------
# Guidance


async def test_guidance_is_relayed_to_the_booth(env: HubEnv) -> None:
    c = await _call(env)
    checklist = {"call_id": c.call_id, "kind": "checklist", "title": "还需要准备的材料",
                 "items": [{"text": "户口簿原件", "done": True}, {"text": "收入证明"}]}
    assert (await c.agent.request("assist.guide", checklist))["type"] == "ok"
    shown = (await c.booth.expect("assist.guide"))["data"]
    assert shown["items"] == [{"text": "户口簿原件", "done": True},
                              {"text": "收入证明", "done": False}]
    status, added = await _upload(env, c.booth_token, c.call_id, _page(400, 300))
    assert status == 201
    text = {"call_id": c.call_id, "kind": "text", "title": "下一步",
            "text": "请把户口簿放在高拍仪上", "document_id": added["document_id"]}
    assert (await c.agent.request("assist.guide", text))["type"] == "ok"
    assert (await c.booth.expect("assist.guide"))["data"]["document_id"] == \
        added["document_id"]
    assert await _code(c.agent, "assist.guide", {**text, "document_id": "doc_nope"}) == \
        "not_found"


# ---------------------------------------------------------------------------
# Bad input over the WebSocket: refused cleanly, the connection and the hub intact


@pytest.mark.parametrize(("who", "mtype", "data", "code"), [
    ("agent", "assist.pointer", {"x": 1.5, "y": 0.5}, "bad_message"),
    ("agent", "assist.pointer", {"x": "0.5", "y": 0.5}, "bad_message"),
    ("agent", "assist.pointer", {"x": 0.5, "y": 0.5, "surface": "window"}, "bad_message"),
    ("agent", "assist.pointer", {"x": 0.5}, "bad_message"),
    ("agent", "assist.annotate", {"surface": "screen", "op": "add"}, "bad_message"),
    ("agent", "assist.annotate", {"surface": "screen", "op": "clear",
                                  "shape": {"id": "x", "kind": "pen",
                                            "points": [[0.1, 0.1]]}}, "bad_message"),
    ("agent", "assist.annotate", {"surface": "screen", "op": "add",
                                  "shape": {"id": "x", "kind": "arrow",
                                            "points": [[0.1, 0.1]]}}, "bad_message"),
    ("agent", "assist.annotate", {"surface": "screen", "op": "add",
                                  "shape": {"id": "x", "kind": "pen",
                                            "points": [[0.1, 0.1]] * 501}}, "bad_message"),
    ("agent", "assist.consent.request", {"scope": "everything"}, "bad_message"),
    ("agent", "assist.form.push", {"form": {"title": {"zh": "x"}, "fields": [],
                                            "signature": {}}}, "bad_message"),
    ("agent", "assist.form.push", {"form": {**FORM, "fields": FORM["fields"] * 2}},
     "bad_message"),
    ("agent", "assist.guide", {"kind": "checklist", "title": "x"}, "bad_message"),
    ("agent", "assist.guide", {"kind": "text", "title": "x", "text": "y" * 1001},
     "bad_message"),
    ("agent", "assist.control", {"action": "swipe", "x": 0.1, "y": 0.1}, "bad_message"),
    ("booth", "assist.consent", {"scope": "screen", "granted": "yes"}, "bad_message"),
    ("booth", "assist.form.progress", {"form_id": "frm_x", "values": {"a": {"b": 1}}},
     "bad_message"),
    ("booth", "assist.pointer", {"x": 0.5, "y": 0.5}, "forbidden"),
    ("booth", "assist.annotate", {"surface": "screen", "op": "clear"}, "forbidden"),
    ("booth", "assist.control", {"action": "tap", "x": 0.1, "y": 0.1}, "forbidden"),
    ("booth", "assist.guide", {"kind": "text", "title": "x", "text": "y"}, "forbidden"),
    ("agent", "assist.consent", {"scope": "screen", "granted": True}, "forbidden"),
    ("agent", "assist.form.progress", {"form_id": "frm_x", "values": {}}, "forbidden"),
])
async def test_bad_messages_are_refused_cleanly(env: HubEnv, who: str, mtype: str,
                                                data: dict[str, Any], code: str) -> None:
    c = await _call(env)
    client = c.agent if who == "agent" else c.booth
    assert await _code(client, mtype, {"call_id": c.call_id, **data}) == code
    assert (await client.request("ping"))["type"] == "pong"
    assert (await c.agent.request("assist.board.get", {"call_id": c.call_id,
                                                       "surface": "screen"}))["type"] == \
        "assist.board"


async def test_wrong_calls_are_not_found_or_forbidden(env: HubEnv) -> None:
    c = await _call(env)
    other = await _call(env, "wang")
    pointer = {"x": 0.1, "y": 0.1}
    assert await _code(c.agent, "assist.pointer", {"call_id": "call_nope", **pointer}) == \
        "not_found"
    assert await _code(c.agent, "assist.pointer", {"call_id": other.call_id, **pointer}) == \
        "forbidden"
    assert await _code(c.booth, "assist.consent", {"call_id": other.call_id,
                                                   "scope": "screen",
                                                   "granted": True}) == "forbidden"
    assert await _code(c.agent, "assist.consent.request", {"call_id": other.call_id,
                                                           "scope": "screen"}) == "forbidden"
    assert await _code(c.agent, "assist.board.get", {"call_id": other.call_id,
                                                     "surface": "screen"}) == "forbidden"
    assert await _code(c.agent, "assist.control", {"call_id": other.call_id, "action": "tap",
                                                   **pointer}) == "forbidden"
    await other.agent.send("assist.pointer", {"call_id": other.call_id, **pointer})
    assert (await other.booth.expect("assist.pointer"))["data"]["call_id"] == other.call_id
    assert not [e for e in c.booth.events if e["type"].startswith("assist.")]


async def test_consent_and_open_forms_survive_a_hub_restart(tmp_path: Path) -> None:
    env = await HubEnv(tmp_path / "var", resume_grace_s=10.0).start()
    try:
        c = await _call(env)
        form_id = await _push(c)
        await _consent(c, "screen", True)
        await _consent(c, "control", True)
        sessions = c.booth.welcome["session_id"], c.agent.welcome["session_id"]
        await env.stop_server()  # the hub process goes away

        await env.start()
        booth = await env.connect()
        assert (await booth.hello(c.booth_token, resume=sessions[0]))["data"]["restored"][
            "call_id"] == c.call_id
        agent = await env.connect()
        await agent.hello(c.agent_token, resume=sessions[1])
        assert (await booth.expect("assist.form"))["data"]["form_id"] == form_id
        granted = {(await agent.expect("assist.consent", scope=s))["data"]["granted"]
                   for s in ("screen", "control")}
        assert granted == {True}
        tap = {"call_id": c.call_id, "action": "tap", "x": 0.5, "y": 0.5}
        assert (await agent.request("assist.control", tap))["type"] == "ok"
        assert (await booth.expect("assist.control"))["data"] == tap
        status, _ = await _submit(env, c.booth_token, c.call_id, form_id, _body())
        assert status == 201
        assert (await agent.expect("assist.form.submitted"))["data"]["form_id"] == form_id
        verdict = await env.call("GET", "/api/admin/audit/verify", token=env.admin_token)
        assert verdict["ok"] is True
    finally:
        await env.stop()
