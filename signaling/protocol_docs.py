"""Generate ``docs/protocol.md`` and ``docs/schema/`` from :mod:`signaling.protocol`.

::

    python -m signaling.protocol_docs            # (re)write the files
    python -m signaling.protocol_docs --check    # exit 1 and name the stale files

The models are the contract; this module adds what a model cannot say: one
realistic example per message and direction, one description per field, and
the prose around them. Generation fails (:class:`DocsError`) when a registered
type has no example, an example does not validate against its model, or a
field has no description, so a protocol change cannot ship undocumented.

The output is deterministic for a given pydantic version (schemas come from
``model_json_schema()``), so ``--check`` can run in CI and in the unit tests.

Exception tree::

    DocsError   -- the documentation does not match the models
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ValidationError

from signaling import protocol as p

__all__ = [
    "DocsError",
    "Example",
    "InboundDoc",
    "OutboundDoc",
    "INBOUND_DOCS",
    "OUTBOUND_DOCS",
    "FIELD_DOCS",
    "check_examples",
    "render",
    "stale",
    "write",
    "main",
]

Direction = Literal["inbound", "outbound"]
Json = dict[str, Any]

DOC_PATH: Final = "docs/protocol.md"
SCHEMA_DIR: Final = "docs/schema"
_ARROW: Final[dict[Direction, str]] = {"inbound": "client → hub", "outbound": "hub → client"}
_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"


class DocsError(Exception):
    """The documentation does not match the models (the message lists every problem)."""


@dataclass(frozen=True)
class Example:
    """One example frame: its ``data`` as a client or the hub would write it."""

    data: Mapping[str, Any]
    id: str | None = None
    re: str | None = None

    def envelope(self, mtype: str) -> Json:
        env: Json = {"v": p.VERSION, "type": mtype}
        if self.id is not None:
            env["id"] = self.id
        if self.re is not None:
            env["re"] = self.re
        env["data"] = dict(self.data)
        return env


@dataclass(frozen=True)
class InboundDoc:
    """A client -> hub message: the outbound type of its success reply, prose, example."""

    reply: str
    text: str
    example: Example


@dataclass(frozen=True)
class OutboundDoc:
    """A hub -> client message: who gets it, whether it is also pushed as an event."""

    to: str
    text: str
    example: Example
    event: bool = False
    sent_as: str | None = None  # overrides the generated "reply to ..." line


# ---------------------------------------------------------------------------
# Example values shared by several messages, so the examples tell one story.

_BOOTH = "bth_5e0c7a91d2f4b38c61aa"
_BOOTH_NAME = "石门镇新村村便民服务站"
_REGION = "330110 余杭区 · 石门镇 · 新村村"
_AGENT = "agt_81d3f0c27a9be4156d02"
_DEPT = "zjj"
_DEPT_NAME = "住房和城乡建设局"
_SERVICE = "zjj-gzf-apply"
_SERVICE_NAME = "公租房申请"
_TICKET = "tkt_3f9a1c27e4b05d6a8c21"
_NUMBER = "A012"
_OFFER = "ofr_b2c94e07d15a3f68e0c3"
_CALL = "call_7d21e9a4c3b8f0516e2d"
_SESSION = "s_Xq3vN8pL2cR7tYkA"
_REQ = "req_4b7e19c0a2d3f58e61b9"
_DOC = "doc_9c2e5f71b0a34d8e16f2"
_SHA = "5d41402abc4b2a76b9719d911017c592" + "7d6b1c2e8a9f03b4c5d6e7f8091a2b3c"
_CHECK = "fc_1e8d4a7c93b2f0e65d17"
_NOW = 1749621000.512
_FORM = "frm_3c81d07e5a92b4f16e0d"
_SIG_SHA = "9f2c4e8a1b7d3f605e4c2a91d8b7f6e3" + "0a5c7e9b1d3f4a6c8e0b2d4f6a8c0e2b"
_FORM_DEF: Json = {
    "title": {"zh": "公租房申请表", "en": "Public rental housing application"},
    "template": "zjj-gzf-apply-v3",
    "fields": [
        {"id": "name", "type": "text", "label": {"zh": "申请人姓名", "en": "Applicant"},
         "required": True, "readonly": True, "value": "李秀英", "max_length": 20},
        {"id": "id_number", "type": "id_number",
         "label": {"zh": "身份证号码", "en": "ID number"}, "required": True, "sensitive": True},
        {"id": "phone", "type": "phone", "label": {"zh": "手机号码", "en": "Mobile phone"},
         "required": True, "sensitive": True},
        {"id": "household", "type": "number", "label": {"zh": "家庭人口", "en": "Household size"},
         "required": True, "min_value": 1, "max_value": 20, "integer": True},
        {"id": "housing", "type": "choice", "label": {"zh": "现住房情况"}, "required": True,
         "options": [{"value": "none", "label": {"zh": "无自有住房"}},
                     {"value": "small", "label": {"zh": "人均住房面积不足15平方米"}}]},
        {"id": "agree", "type": "checkbox", "label": {"zh": "本人承诺所填信息真实有效"},
         "required": True},
    ],
    "signature": {"label": {"zh": "申请人签名", "en": "Applicant's signature"},
                  "statement": {"zh": "以上信息已经本人核对无误。"}},
}
_SHAPE: Json = {"id": "s7", "kind": "box", "color": "yellow", "width": 4,
                "points": [[0.112, 0.34], [0.455, 0.402]], "fill": True}
_TURN_USER = "1749624600:agent-" + _AGENT
# base64(HMAC-SHA1("example-secret", _TURN_USER)); any value is valid to the model.
_TURN_PASS = "arJN4DVZDkzByMf0hUe7J/ShsLc="
_SDP_OFFER = (
    "v=0\r\no=- 3958312640 3958312640 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\na=msid-semantic:WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
    "a=ice-ufrag:Ew3p\r\na=ice-pwd:h0VbT6bVmXjKq2sOa4l7Yc\r\na=setup:actpass\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97 99\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
    "a=rtpmap:97 VP8/90000\r\na=rtpmap:99 H264/90000\r\n"
    "m=application 9 DTLS/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"
    "a=sctpmap:5000 webrtc-datachannel 65535\r\n"
)
_SDP_ANSWER = (
    "v=0\r\no=- 6102338172946502187 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\na=msid-semantic: WMS 2f5d1c\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
    "a=ice-ufrag:Zk9d\r\na=ice-pwd:c7R2mQy1sD8wFv0nLp3tBx\r\na=setup:active\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n"
    "a=rtpmap:97 VP8/90000\r\n"
    "m=application 9 DTLS/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\n"
    "a=sctpmap:5000 webrtc-datachannel 65535\r\n"
)

# ---------------------------------------------------------------------------
# Client -> hub

INBOUND_DOCS: dict[str, InboundDoc] = {
    "hello": InboundDoc(
        reply="welcome",
        text=(
            "Must be the first message on every connection; see [Handshake and resume]"
            "(#handshake-and-resume). A bad or revoked token gets `error` "
            "`unauthenticated` and the connection stays open until the 10 s deadline, so "
            "the client may retry. A second `hello` on an authenticated connection is a "
            "`conflict`."
        ),
        example=Example(
            id="1",
            data={
                "token": "Zb3rT1k9w0N7cX2uQ5mH8pL4sV6yA1dE3gJ7nR0tY2o",
                "client": "xiaowu-booth/0.1.0",
                "resume": None,
            },
        ),
    ),
    "ping": InboundDoc(
        reply="pong",
        text=(
            "Application heartbeat. Send one every `heartbeat_s` seconds (from `welcome`); "
            "`pong.server_time` also lets the client estimate its clock offset."
        ),
        example=Example(id="9", data={}),
    ),
    "ticket.create": InboundDoc(
        reply="ticket",
        text=(
            "Take a queue ticket for a service of the catalog (`GET /api/catalog`). A booth "
            "holds at most one live ticket: a second one is a `conflict`; an unknown "
            "service is `not_found`. After the reply, every change of the ticket's state, "
            "position or ETA arrives as [`ticket.update`](#out-ticket.update)."
        ),
        example=Example(id="2", data={"service_id": _SERVICE, "priority": "normal"}),
    ),
    "ticket.cancel": InboundDoc(
        reply="ticket",
        text=(
            "Give up the booth's ticket while it is waiting or offered (the resident walked "
            "away or picked the wrong service). The reply carries `state: \"cancelled\"`; an "
            "agent holding an offer for it gets [`ticket.withdrawn`](#out-ticket.withdrawn). "
            "A ticket of another booth is `not_found`."
        ),
        example=Example(id="3", data={"ticket_id": _TICKET}),
    ),
    "booth.status": InboundDoc(
        reply="ok",
        text=(
            "The booth's device health, shown to admins (`GET /api/admin/booths`). Send it "
            "after `welcome`, whenever something changes, and with heartbeats. Usually sent "
            "without `id` (no reply)."
        ),
        example=Example(
            id="4",
            data={
                "camera": "ok",
                "scanner": "busy",
                "version": "xiaowu-booth 0.1.0",
                "details": {
                    "scanner_driver": "sane:genesys",
                    "camera_device": "uvc:0 1280x720",
                    "disk_free_mb": "18342",
                },
            },
        ),
    ),
    "agent.state": InboundDoc(
        reply="agent.state",
        text=(
            "The agent asks to become `available` (ready for offers), `away` or `offline`; "
            "an agent comes online `away` and gets no offers until it asks for `available`. "
            "The reply carries the agent's state after the request; the hub moves the agent "
            "through `offered`, `in_call` and `wrap_up` by itself and pushes each change as "
            "[`agent.state`](#out-agent.state). A change the current state does not allow "
            "is a `conflict`."
        ),
        example=Example(id="2", data={"state": "available"}),
    ),
    "ticket.accept": InboundDoc(
        reply="ticket",
        text=(
            "Take the offered ticket. The reply is the ticket with `state: \"serving\"`; "
            "then [`call.start`](#out-call.start) is pushed to both parties. An offer that "
            "timed out or was withdrawn is `not_found` or `conflict`."
        ),
        example=Example(id="3", data={"offer_id": _OFFER}),
    ),
    "ticket.decline": InboundDoc(
        reply="ok",
        text=(
            "Refuse the offered ticket; it goes back to the queue at its old place and is "
            "offered to another agent with the skill."
        ),
        example=Example(id="4", data={"offer_id": _OFFER, "reason": "正在整理上一位群众的材料"}),
    ),
    "ticket.transfer": InboundDoc(
        reply="ticket.transferred",
        text=(
            "During a call, hand the resident to another department: the call ends "
            "([`call.ended`](#out-call.ended) to both, `reason: \"transferred\"`, no rating "
            "is asked) and the ticket waits in the target department's queue, keeping its "
            "number. An unknown department is `not_found`; only the call's agent may send "
            "it (`forbidden` otherwise)."
        ),
        example=Example(
            id="5",
            data={"call_id": _CALL, "department_id": "rsj", "note": "需办理社保关系转移，转人社局"},
        ),
    ),
    "call.sdp": InboundDoc(
        reply="ok",
        text=(
            "A session description for the other party of the call, relayed unchanged as "
            "[`call.sdp`](#out-call.sdp). The booth is always the offerer; an `offer` from "
            "the agent is a `conflict`. `gen` starts at 0; the booth raises it each time it "
            "rebuilds its peer connection (aiortc has no ICE restart), and a booth offer "
            "with a higher `gen` makes that gen current. Anything with a gen other than the "
            "current one (an older offer, an answer or candidate for an old gen) is refused "
            "with `conflict` and not relayed."
        ),
        example=Example(
            id="6",
            data={"call_id": _CALL, "gen": 0, "description": {"type": "offer", "sdp": _SDP_OFFER}},
        ),
    ),
    "call.ice": InboundDoc(
        reply="ok",
        text=(
            "A trickled ICE candidate for the other party, relayed as "
            "[`call.ice`](#out-call.ice) under the same `gen` rule as `call.sdp`. "
            "`candidate: null` means the sender has gathered all its candidates. Usually "
            "sent without `id`."
        ),
        example=Example(
            id="7",
            data={
                "call_id": _CALL,
                "gen": 0,
                "candidate": {
                    "candidate": (
                        "candidate:3e9f1a02 1 udp 1694498815 203.0.113.47 50412 typ srflx "
                        "raddr 192.168.1.23 rport 50412"
                    ),
                    "sdpMid": "0",
                    "sdpMLineIndex": 0,
                },
            },
        ),
    ),
    "call.end": InboundDoc(
        reply="ok",
        text=(
            "Hang up. After the reply, [`call.ended`](#out-call.ended) is pushed to both "
            "parties (`by` names who ended it), the booth gets "
            "[`rating.request`](#out-rating.request), the ticket is done and the agent "
            "goes to `wrap_up`."
        ),
        example=Example(id="8", data={"call_id": _CALL, "reason": "hangup"}),
    ),
    "rating.submit": InboundDoc(
        reply="rating",
        text=(
            "The resident's 好差评 for an ended call of this booth: 5 非常满意, 4 满意, "
            "3 基本满意, 2 不满意, 1 非常不满意 (2 and 1 are bad reviews). Rating a call "
            "that has not ended is a `conflict`; a call of another booth is `not_found`."
        ),
        example=Example(
            id="5",
            data={
                "call_id": _CALL,
                "level": 5,
                "indicators": ["服务态度好", "办事效率高", "讲解清楚"],
                "reasons": [],
                "comment": "工作人员很耐心，材料一次就办好了，谢谢！",
            },
        ),
    ),
    "document.request": InboundDoc(
        reply="document.requested",
        text=(
            "The agent of a call asks the booth to capture a document. `kind` tells the "
            "booth which picture to show (where to put an ID card, a booklet, a page); "
            "`instruction` is shown large. The booth gets the same "
            "[`document.requested`](#out-document.requested), captures, checks quality and "
            "uploads over HTTP (`POST /api/calls/{call_id}/documents`); the agent then gets "
            "[`document.added`](#out-document.added). Not in this call: `forbidden`; the "
            "call has ended: `conflict`."
        ),
        example=Example(
            id="21",
            data={"call_id": _CALL, "kind": "id_front",
                  "instruction": "请把身份证人像面放在高拍仪上"},
        ),
    ),
    "document.status": InboundDoc(
        reply="ok",
        text=(
            "The booth tells the agent how a requested capture is going: `capturing`, "
            "`retrying` (a quality check failed; `code: quality` and `message` say which), "
            "`uploading`, or `failed` with the scanner's error code (`jammed`, "
            "`no_documents`, `cover_open`, `no_device`, `busy`, `timeout`) or `cancelled` "
            "when the resident gave up. Relayed to the agent as "
            "[`document.status`](#out-document.status)."
        ),
        example=Example(
            id="22",
            data={"call_id": _CALL, "request_id": _REQ, "state": "retrying",
                  "code": "quality", "message": "blurry"},
        ),
    ),
    "document.review": InboundDoc(
        reply="document.reviewed",
        text=(
            "The agent accepts a document or asks for a re-scan (`reason` is shown to the "
            "resident). The booth gets [`document.reviewed`](#out-document.reviewed) and, on "
            "`rescan`, captures the same request again. Only the agent of the document's "
            "call may review it (`forbidden` otherwise)."
        ),
        example=Example(
            id="23",
            data={"document_id": _DOC, "decision": "rescan", "reason": "有反光，请调整角度"},
        ),
    ),
    "face.check.start": InboundDoc(
        reply="face.check.started",
        text=(
            "The agent starts a face check (人脸核身) comparing the resident's live face with "
            "the portrait on an `id_front` document of this call. The hub picks a random "
            "liveness challenge of two actions; the booth gets the same "
            "[`face.check.started`](#out-face.check.started), shows the prompts over its self "
            "view, uploads frames and sends [`face.check.submit`](#in-face.check.submit). "
            "A document of another kind or call: `conflict` / `forbidden`."
        ),
        example=Example(id="24", data={"call_id": _CALL, "document_id": _DOC}),
    ),
    "face.check.submit": InboundDoc(
        reply="face.check.status",
        text=(
            "The booth has uploaded `frames` live frames of the check "
            "(`POST upload_url?seq=&t_ms=&step=`); the hub judges them on the server "
            "(quality gates, liveness, match) in a worker pool. Reply: "
            "[`face.check.status`](#out-face.check.status) `judging`; later `done` or "
            "`retry` with a hint. The agent gets [`face.check.result`](#out-face.check.result). "
            "Fewer frames stored than `frames`: `conflict`."
        ),
        example=Example(id="25", data={"call_id": _CALL, "check_id": _CHECK, "frames": 18}),
    ),
    "face.check.decide": InboundDoc(
        reply="face.check.decided",
        text=(
            "The agent confirms or rejects the identity after seeing both faces side by side. "
            "The score is advice; this decision, the result and who decided are stored and "
            "audited. Deciding before the result: `conflict`."
        ),
        example=Example(id="26", data={"check_id": _CHECK, "decision": "confirmed",
                                       "note": "人证一致"}),
    ),
    "assist.consent.request": InboundDoc(
        reply="assist.consent.requested",
        text=(
            "Remote assist (extension): the agent asks the resident for consent, `screen` to "
            "see the kiosk screen (the booth then sends it as a second video track) or "
            "`control` to tap on the resident's behalf. The booth gets the same "
            "[`assist.consent.requested`](#out-assist.consent.requested), asks the resident "
            "and answers with [`assist.consent`](#in-assist.consent). Asking for `control` "
            "while the screen is not shared: `conflict`. Audited."
        ),
        example=Example(id="31", data={"call_id": _CALL, "scope": "screen"}),
    ),
    "assist.consent": InboundDoc(
        reply="ok",
        text=(
            "The resident grants or revokes a scope, at any time, asked or not. Every "
            "decision is stored and audited, and the agent gets "
            "[`assist.consent`](#out-assist.consent). `control` can only be granted while "
            "`screen` is (`conflict` otherwise); revoking `screen` revokes `control` too. "
            "The booth shows an always-visible frame while the screen is shared, with a "
            "button that revokes at once. Consent lasts until revoked or the call ends."
        ),
        example=Example(id="32", data={"call_id": _CALL, "scope": "screen", "granted": True}),
    ),
    "assist.pointer": InboundDoc(
        reply="ok",
        text=(
            "The agent's laser pointer, relayed at once to the booth as "
            "[`assist.pointer`](#out-assist.pointer); not stored. Send it as an event "
            "(no `id`), at most about 15 a second: the connection's frame budget is "
            "shared with everything else. `visible: false` hides the pointer. A "
            "`document:` surface must be a document of this call."
        ),
        example=Example(data={"call_id": _CALL, "surface": "screen", "x": 0.4821,
                              "y": 0.3307, "visible": True}),
    ),
    "assist.annotate": InboundDoc(
        reply="ok",
        text=(
            "One drawing operation on a surface: `add` a shape, `undo` (removes the newest "
            "shape of the surface; nothing to undo is fine) or `clear`. Relayed to the booth "
            "as [`assist.annotate`](#out-assist.annotate); the hub keeps the call's drawings "
            "in memory so a reconnecting party gets them back "
            "([`assist.board`](#out-assist.board)). Coordinates are rounded to 4 decimals "
            "before relaying. Refused: a shape id already on the surface (`conflict`), more "
            "than 200 shapes or 48 KiB of shapes on a surface, or drawings on more than 16 "
            "surfaces (`too_large`: clear first)."
        ),
        example=Example(id="33", data={"call_id": _CALL, "surface": "screen", "op": "add",
                                       "shape": _SHAPE}),
    ),
    "assist.board.get": InboundDoc(
        reply="assist.board",
        text=(
            "Either party asks for the current drawings on one surface (for example after "
            "opening a document viewer)."
        ),
        example=Example(id="34", data={"call_id": _CALL, "surface": "document:" + _DOC}),
    ),
    "assist.form.push": InboundDoc(
        reply="assist.form.pushed",
        text=(
            "The agent pushes a form for the resident to fill and sign. The definition is "
            "checked (unique field ids; options for choice fields only; a readonly field "
            "needs its value, which must itself be valid; all values together at most "
            "10 000 characters so the signed values fit in one frame), stored and "
            "audited; the booth gets [`assist.form`](#out-assist.form). Value types: "
            "`text`, `textarea`, `date` (`YYYY-MM-DD`), `id_number` (18-digit resident ID "
            "with its check digit), `phone` (mainland mobile), `choice`: a string; "
            "`number`: a number; `checkbox`: a boolean (a required one must be ticked); "
            "`multi_choice`: a list of option values. More than 10 unsigned forms in the "
            "call: `conflict`."
        ),
        example=Example(id="35", data={"call_id": _CALL, "form": _FORM_DEF}),
    ),
    "assist.form.progress": InboundDoc(
        reply="ok",
        text=(
            "The booth tells the agent what the resident has entered so far: the fields "
            "that changed (or all). Checked for known fields, value types and upper limits "
            "only (a half-typed number is fine); a readonly field must keep the agent's "
            "value. Relayed to the agent as "
            "[`assist.form.progress`](#out-assist.form.progress) with `sensitive` values "
            "masked. A form already signed: `conflict`."
        ),
        example=Example(data={"call_id": _CALL, "form_id": _FORM,
                              "values": {"id_number": "11010519491231002X",
                                         "household": 3}}),
    ),
    "assist.guide": InboundDoc(
        reply="ok",
        text=(
            "The agent shows the resident what to do next, large on the booth: a `checklist` "
            "(`items`, e.g. the materials still needed, `done` ticks) or a short `text`, "
            "optionally with a document of this call as the picture. Relayed to the booth "
            "as [`assist.guide`](#out-assist.guide); a newer guide replaces the older."
        ),
        example=Example(id="36", data={
            "call_id": _CALL, "kind": "checklist", "title": "还需要准备的材料",
            "items": [{"text": "户口簿原件", "done": True},
                      {"text": "收入证明（加盖单位公章）", "done": False}]}),
    ),
    "assist.control": InboundDoc(
        reply="ok",
        text=(
            "The agent taps the kiosk screen for the resident at normalized `x`, `y`. Only "
            "while the resident's `control` consent is granted (`forbidden` otherwise, also "
            "right after a revocation). Every action is audited before it is relayed to "
            "the booth as [`assist.control`](#out-assist.control)."
        ),
        example=Example(id="37", data={"call_id": _CALL, "action": "tap", "x": 0.72,
                                       "y": 0.885}),
    ),
}

# ---------------------------------------------------------------------------
# Hub -> client

OUTBOUND_DOCS: dict[str, OutboundDoc] = {
    "welcome": OutboundDoc(
        to="the connecting client",
        text=(
            "Opens the session. Keep `session_id` for `hello.resume`. `resumed` tells "
            "whether an earlier session was taken over; `restored` names the ticket and call "
            "it still holds."
        ),
        example=Example(
            re="1",
            data={
                "session_id": _SESSION,
                "role": "booth",
                "subject": {"id": _BOOTH, "name": _BOOTH_NAME},
                "heartbeat_s": 20,
                "server_time": _NOW,
                "resumed": False,
                "restored": {"ticket_id": None, "call_id": None},
            },
        ),
    ),
    "pong": OutboundDoc(
        to="the sender of `ping`",
        text="Heartbeat reply.",
        example=Example(re="9", data={"server_time": _NOW + 20.004}),
    ),
    "ok": OutboundDoc(
        to="the sender of the request",
        text="Success for a request whose contract names no richer reply. `data` is `{}`.",
        example=Example(re="8", data={}),
    ),
    "error": OutboundDoc(
        to="the sender of the failing frame",
        sent_as=(
            "reply to any failing request (`re` = its `id`), or with `re: null` when the "
            "frame had no readable `id`"
        ),
        text=(
            "The request failed and had no effect; the connection stays open. `code` is one "
            "of the [error codes](#errors); `message` is for humans and logs, not for "
            "parsing."
        ),
        example=Example(
            re="3",
            data={
                "code": "conflict",
                "message": f"ticket {_TICKET} is being served and can no longer be cancelled",
            },
        ),
    ),
    "ticket": OutboundDoc(
        to="the booth (for `ticket.create`, `ticket.cancel`) or the agent (`ticket.accept`)",
        text="The ticket as it is right after the request.",
        example=Example(
            re="2",
            data={
                "ticket_id": _TICKET,
                "number": _NUMBER,
                "state": "waiting",
                "position": 3,
                "eta_s": 540,
                "service_id": _SERVICE,
                "department_id": _DEPT,
            },
        ),
    ),
    "ticket.update": OutboundDoc(
        to="the booth that holds the ticket",
        event=True,
        text=(
            "Pushed on every change of the ticket's state, position or ETA, except the "
            "change the booth's own `ticket.create` / `ticket.cancel` made (the reply "
            "carries that), and once after each `welcome` while the booth has a live "
            "ticket. A ticket ends `done`, `cancelled` or `abandoned`; after a transfer it "
            "is `waiting` again under its new `department_id`."
        ),
        example=Example(
            data={
                "ticket_id": _TICKET,
                "state": "waiting",
                "position": 1,
                "eta_s": 150,
                "department_id": _DEPT,
            }
        ),
    ),
    "agent.state": OutboundDoc(
        to="the agent",
        event=True,
        text=(
            "The agent's state. Besides replying to `agent.state`, the hub pushes it after "
            "each `welcome` and whenever it changes the state itself: `offered` with an "
            "offer, `in_call` on accept, `wrap_up` after a call and then `available`, and "
            "`away` (with a `reason`) after two offers in a row time out."
        ),
        example=Example(re="2", data={"state": "available", "reason": None}),
    ),
    "ticket.offer": OutboundDoc(
        to="one available agent with the ticket's department among their skills",
        event=True,
        text=(
            "Offers the next ticket. Answer with [`ticket.accept`](#in-ticket.accept) or "
            "[`ticket.decline`](#in-ticket.decline) within `timeout_s` seconds. An offer that "
            "times out is withdrawn ([`ticket.withdrawn`](#out-ticket.withdrawn)) and the "
            "ticket goes back to the queue at its old place; a second miss in a row puts the "
            "agent `away`. Also re-sent after `welcome` if an offer is pending."
        ),
        example=Example(
            data={
                "offer_id": _OFFER,
                "ticket": {
                    "ticket_id": _TICKET,
                    "number": _NUMBER,
                    "service": {"id": _SERVICE, "name": _SERVICE_NAME, "department": _DEPT_NAME},
                    "booth": {"id": _BOOTH, "name": _BOOTH_NAME, "region": _REGION},
                    "priority": "normal",
                    "waited_s": 412,
                },
                "timeout_s": 20,
            }
        ),
    ),
    "ticket.withdrawn": OutboundDoc(
        to="the agent holding the offer",
        event=True,
        text=(
            "The offer is void (it timed out, the booth cancelled or went away); drop it. "
            "Accepting it afterwards fails."
        ),
        example=Example(data={"offer_id": _OFFER, "reason": "timeout"}),
    ),
    "ticket.transferred": OutboundDoc(
        to="the agent who transferred the ticket",
        text="The ticket now waits in `department_id`'s queue.",
        example=Example(re="5", data={"ticket_id": _TICKET, "department_id": "rsj"}),
    ),
    "queue.snapshot": OutboundDoc(
        to="every connected agent",
        event=True,
        text=(
            "The load of every department's queue, pushed to agents whenever a queue "
            "changes and once after each `welcome`. Replace the previous snapshot whole."
        ),
        example=Example(
            data={
                "departments": [
                    {
                        "id": _DEPT,
                        "name": _DEPT_NAME,
                        "waiting": 3,
                        "oldest_wait_s": 412,
                        "agents_available": 1,
                    },
                    {
                        "id": "rsj",
                        "name": "人力资源和社会保障局",
                        "waiting": 1,
                        "oldest_wait_s": 95,
                        "agents_available": 2,
                    },
                    {
                        "id": "scjg",
                        "name": "市场监督管理局",
                        "waiting": 0,
                        "oldest_wait_s": 0,
                        "agents_available": 0,
                    },
                ]
            }
        ),
    ),
    "call.start": OutboundDoc(
        to="both parties (booth and agent), each with its own `role`, `peer` and credentials",
        event=True,
        text=(
            "A call begins after an agent accepts. The booth (`role: \"offerer\"`) creates "
            "the peer connection and sends the first `call.sdp` offer with `gen` 0; the agent "
            "(`answerer`) waits for it. Use exactly `ice_servers` (never a public default "
            "STUN server). TURN credentials are per call and time-limited, in coturn's "
            "`use-auth-secret` scheme: `username` is `expiry:subject` (expiry in Unix "
            "seconds) and `credential` is base64(HMAC-SHA1(secret, username)). An agent "
            "that reconnects while its call goes on gets `call.start` again for the same "
            "`call_id` (a reloaded console needs it to answer the booth's next offer): keep "
            "the call, take the fresh credentials."
        ),
        example=Example(
            data={
                "call_id": _CALL,
                "ticket_id": _TICKET,
                "role": "answerer",
                "peer": {
                    "kind": "booth",
                    "id": _BOOTH,
                    "name": _BOOTH_NAME,
                    "region": _REGION,
                    "service": {"id": _SERVICE, "name": _SERVICE_NAME, "department": _DEPT_NAME},
                    "ticket_number": _NUMBER,
                },
                "ice_servers": [
                    {"urls": ["stun:turn.yuhang.example.gov.cn:3478"]},
                    {
                        "urls": [
                            "turn:turn.yuhang.example.gov.cn:3478?transport=udp",
                            "turn:turn.yuhang.example.gov.cn:3478?transport=tcp",
                        ],
                        "username": _TURN_USER,
                        "credential": _TURN_PASS,
                    },
                ],
            }
        ),
    ),
    "call.sdp": OutboundDoc(
        to="the other party of the call, and only them",
        event=True,
        text=(
            "A session description relayed from the other party "
            "([`call.sdp`](#in-call.sdp)), unchanged. A higher `gen` means the booth rebuilt "
            "its peer connection: the agent drops the old one and answers the new offer."
        ),
        example=Example(
            data={
                "call_id": _CALL,
                "gen": 0,
                "description": {"type": "answer", "sdp": _SDP_ANSWER},
            }
        ),
    ),
    "call.ice": OutboundDoc(
        to="the other party of the call, and only them",
        event=True,
        text=(
            "An ICE candidate relayed from the other party ([`call.ice`](#in-call.ice)). "
            "Ignore candidates whose `gen` is not the peer connection's current one."
        ),
        example=Example(
            data={
                "call_id": _CALL,
                "gen": 0,
                "candidate": {
                    "candidate": (
                        "candidate:1 1 udp 41885439 198.51.100.20 51873 typ relay "
                        "raddr 0.0.0.0 rport 0"
                    ),
                    "sdpMid": "0",
                    "sdpMLineIndex": 0,
                    "usernameFragment": "Zk9d",
                },
            }
        ),
    ),
    "call.peer": OutboundDoc(
        to="the other party of the call",
        event=True,
        text=(
            "The peer's connection to the hub dropped (`away`) or came back (`back`). The "
            "call survives a drop for the 60 s grace period; if the peer does not return, "
            "`call.ended` follows with `by: \"hub\"`. Media may keep flowing peer to peer "
            "meanwhile."
        ),
        example=Example(data={"call_id": _CALL, "state": "away"}),
    ),
    "call.ended": OutboundDoc(
        to="both parties",
        event=True,
        text=(
            "The call is over: close the peer connection. `by` is who ended it; `hub` "
            "means a party was lost for good or revoked (e.g. `reason: \"booth_lost\"`). "
            "If the agent was lost the ticket goes back to its queue."
        ),
        example=Example(data={"call_id": _CALL, "reason": "hangup", "by": "agent"}),
    ),
    "rating.request": OutboundDoc(
        to="the booth",
        event=True,
        text=(
            "Ask the resident to rate the call that just ended; answer with "
            "[`rating.submit`](#in-rating.submit). Not sent after a transfer."
        ),
        example=Example(data={"call_id": _CALL}),
    ),
    "rating": OutboundDoc(
        to="the booth",
        text="The rating was stored.",
        example=Example(re="5", data={"call_id": _CALL, "level": 5}),
    ),
    "document.requested": OutboundDoc(
        to="the agent (reply) and the booth of the call (event)",
        event=True,
        text=(
            "A capture was requested. The booth shows the instruction with a picture of where "
            "to put the document, captures, checks quality (blur, darkness, glare, page found) "
            "and uploads, or reports [`document.status`](#in-document.status)."
        ),
        example=Example(
            re="21",
            data={"call_id": _CALL, "request_id": _REQ, "kind": "id_front",
                  "instruction": "请把身份证人像面放在高拍仪上"},
        ),
    ),
    "document.added": OutboundDoc(
        to="the agent of the call",
        event=True,
        sent_as="Pushed when the booth's upload is stored.",
        text=(
            "A document of this call was stored. Fetch it with the session token: `url` for "
            "the image (re-encoded; the same bytes for every reader), `thumb_url` for a "
            "small JPEG. Every read is audited."
        ),
        example=Example(
            data={"call_id": _CALL, "document_id": _DOC, "request_id": _REQ,
                  "kind": "id_front", "content_type": "image/jpeg", "width": 2592,
                  "height": 1944, "size": 812345, "sha256": _SHA,
                  "url": "/api/documents/" + _DOC, "thumb_url": "/api/documents/" + _DOC
                  + "/thumb", "created_at": _NOW},
        ),
    ),
    "document.status": OutboundDoc(
        to="the agent of the call",
        event=True,
        sent_as="Relayed from the booth's [`document.status`](#in-document.status).",
        text="How the booth's capture is going; see the request for the codes.",
        example=Example(
            data={"call_id": _CALL, "request_id": _REQ, "state": "failed", "code": "jammed",
                  "message": "纸张卡住"},
        ),
    ),
    "document.reviewed": OutboundDoc(
        to="the agent (reply) and the booth of the call (event)",
        event=True,
        text=(
            "The agent's review. On `rescan` the booth shows `reason` and captures "
            "`request_id` again."
        ),
        example=Example(
            re="23",
            data={"call_id": _CALL, "document_id": _DOC, "request_id": _REQ,
                  "kind": "id_front", "decision": "rescan", "reason": "有反光，请调整角度"},
        ),
    ),
    "face.check.started": OutboundDoc(
        to="the agent (reply) and the booth of the call (event)",
        event=True,
        text=(
            "A face check began. The booth shows a face outline over its self view and, in "
            "order: look straight at the camera for `baseline_s`, then each of `challenges` "
            "(`blink`, `turn_left` — the resident's own left, `turn_right`, `open_mouth`) for "
            "at most `step_s`, capturing about `fps` frames per second and at most "
            "`max_frames` in all. Each frame (JPEG) goes to "
            "`POST {upload_url}?seq=N&t_ms=T&step=S` with the booth's token, where `t_ms` "
            "counts from the first frame and `step` is `baseline` or the challenge shown."
        ),
        example=Example(
            re="24",
            data={"call_id": _CALL, "check_id": _CHECK, "document_id": _DOC,
                  "challenges": ["blink", "turn_left"], "baseline_s": 1.0, "step_s": 4.0,
                  "fps": 5.0, "max_frames": 40,
                  "upload_url": "/api/calls/" + _CALL + "/face-checks/" + _CHECK + "/frames"},
        ),
    ),
    "face.check.result": OutboundDoc(
        to="the agent of the call",
        event=True,
        sent_as="Pushed when the server has judged the frames.",
        text=(
            "Advice for the agent, who decides with "
            "[`face.check.decide`](#in-face.check.decide). `band` is `match`, `review` or "
            "`mismatch` by `distance` against `thresholds`; `passed` is true when every gate "
            "and every liveness challenge passed. Show both faces side by side: "
            "`portrait_url` (the ID portrait) and `live_url` (the best live frame). A check "
            "that could not be judged has `state: failed` and `error`."
        ),
        example=Example(
            data={"call_id": _CALL, "check_id": _CHECK, "state": "judged", "band": "match",
                  "distance": 0.36, "thresholds": {"match_max": 0.4, "mismatch_min": 0.55},
                  "model": {"name": "dlib_face_recognition_resnet_model_v1",
                            "version": "19.24"},
                  "passed": True,
                  "gates": [{"name": "one_face", "passed": True, "value": 1, "limit": 1,
                             "hint": None}],
                  "liveness": [{"action": "blink", "passed": True, "value": 0.52,
                                "limit": 0.7, "detail": None},
                               {"action": "turn_left", "passed": True, "value": 24.5,
                                "limit": 18.0, "detail": None}],
                  "id_box": [112, 40, 236, 164], "live_box": [220, 96, 420, 296],
                  "portrait_url": "/api/face-checks/" + _CHECK + "/portrait",
                  "live_url": "/api/face-checks/" + _CHECK + "/live", "error": None},
        ),
    ),
    "face.check.status": OutboundDoc(
        to="the booth (reply to submit, events) and the agent (events)",
        event=True,
        text=(
            "Where the check stands: `judging`, `retry` (`hint` says why: a quality gate "
            "failed — `no_face`, `many_faces`, `too_small`, `not_frontal`, `blurry` —, the "
            "liveness challenge was not seen — `liveness` —, or the check could not be judged "
            "— `error`; the booth tells the resident what to do and waits for the agent), "
            "`done`, `decided`, `cancelled` (the call ended or a newer check replaced it). A "
            "repeated `face.check.submit` (e.g. after a reconnect) is answered with the "
            "current state."
        ),
        example=Example(re="25", data={"call_id": _CALL, "check_id": _CHECK,
                                       "state": "judging", "hint": None}),
    ),
    "face.check.decided": OutboundDoc(
        to="the agent",
        text="The decision was stored and audited; the booth gets `face.check.status decided`.",
        example=Example(re="26", data={"call_id": _CALL, "check_id": _CHECK,
                                       "decision": "confirmed",
                                       "by": {"id": _AGENT, "name": "王丽"}}),
    ),
    "assist.consent.requested": OutboundDoc(
        to="the agent (reply) and the booth of the call (event)",
        event=True,
        text=(
            "The agent asks for consent. The booth asks the resident in large, plain words "
            "(`screen`: 工作人员将看到您的屏幕; `control`: 工作人员将代您点击屏幕) and answers "
            "with [`assist.consent`](#in-assist.consent)."
        ),
        example=Example(re="31", data={"call_id": _CALL, "scope": "screen"}),
    ),
    "assist.consent": OutboundDoc(
        to="the agent of the call; both parties on (re)connecting",
        event=True,
        sent_as="Pushed on every decision of the resident, and to a party of the call right "
                "after its `welcome`.",
        text=(
            "The current decision for a scope. `at` is when it was recorded (on a "
            "reconnect: the hub's clock). The console shows the screen and enables its "
            "remote-control tool only while granted."
        ),
        example=Example(data={"call_id": _CALL, "scope": "screen", "granted": True,
                              "at": _NOW}),
    ),
    "assist.pointer": OutboundDoc(
        to="the booth of the call",
        event=True,
        sent_as="Relayed from the agent's [`assist.pointer`](#in-assist.pointer).",
        text="Draw the pointer at (`x`, `y`) of the surface, or hide it.",
        example=Example(data={"call_id": _CALL, "surface": "screen", "x": 0.4821,
                              "y": 0.3307, "visible": True}),
    ),
    "assist.annotate": OutboundDoc(
        to="the booth of the call",
        event=True,
        sent_as="Relayed from the agent's [`assist.annotate`](#in-assist.annotate).",
        text=(
            "Apply the operation to the surface's drawings (`signaling.annotations` "
            "implements the same board for Python clients)."
        ),
        example=Example(data={"call_id": _CALL, "surface": "screen", "op": "add",
                              "shape": _SHAPE}),
    ),
    "assist.board": OutboundDoc(
        to="the party that asked; a party of the call right after its `welcome`",
        event=True,
        text=(
            "Every shape on one surface, oldest first: replace what is drawn there. Pushed "
            "for each surface with drawings to a party that (re)connects during the call."
        ),
        example=Example(re="34", data={"call_id": _CALL, "surface": "document:" + _DOC,
                                       "shapes": [_SHAPE]}),
    ),
    "assist.form.pushed": OutboundDoc(
        to="the agent",
        text="The form was stored and sent to the booth; `form_id` names it from now on.",
        example=Example(re="35", data={"call_id": _CALL, "form_id": _FORM}),
    ),
    "assist.form": OutboundDoc(
        to="the booth of the call",
        event=True,
        sent_as="Pushed when the agent pushes a form, and again for each unsigned form to a "
                "booth that (re)connects during the call.",
        text=(
            "Show the form with large inputs (and an on-screen keyboard); readonly fields "
            "show the agent's value. Send [`assist.form.progress`](#in-assist.form.progress) "
            "as the resident types. At the end the resident reviews every value, then signs; "
            "the booth submits over HTTP: `POST /api/calls/{call_id}/forms/{form_id}/"
            "submission` (see [HTTP API](#http-api))."
        ),
        example=Example(data={"call_id": _CALL, "form_id": _FORM, "form": _FORM_DEF}),
    ),
    "assist.form.progress": OutboundDoc(
        to="the agent of the call",
        event=True,
        sent_as="Relayed from the booth's [`assist.form.progress`](#in-assist.form.progress).",
        text=(
            "What the resident has entered so far. The value of a `sensitive` field is "
            "masked until the form is signed: `••••` followed by its last 4 characters when "
            "it has 8 or more, else `••••` alone (whatever the field's type); `masked` "
            "lists those fields."
        ),
        example=Example(data={"call_id": _CALL, "form_id": _FORM,
                              "values": {"id_number": "••••002X", "household": 3},
                              "masked": ["id_number"]}),
    ),
    "assist.form.submitted": OutboundDoc(
        to="the agent of the call",
        event=True,
        sent_as="Pushed when the booth's signed submission is stored.",
        text=(
            "The signed form: every field's value, unmasked and normalized (an empty "
            "optional field is `null`, an unticked checkbox `false`), the signature image "
            "at `signature_url` (session token; every read audited) and `sha256`, the "
            "hex SHA-256 of the canonical JSON of the whole submission (definition, "
            "values, strokes, signature hash, time), also in the audit log."
        ),
        example=Example(data={
            "call_id": _CALL, "form_id": _FORM,
            "values": {"name": "李秀英", "id_number": "11010519491231002X",
                       "phone": "13812345678", "household": 3, "housing": "none",
                       "agree": True},
            "sha256": _SHA, "signature_sha256": _SIG_SHA,
            "signature_url": "/api/forms/" + _FORM + "/signature", "submitted_at": _NOW}),
    ),
    "assist.guide": OutboundDoc(
        to="the booth of the call",
        event=True,
        sent_as="Relayed from the agent's [`assist.guide`](#in-assist.guide).",
        text="Show the guidance large until the resident dismisses it or a newer one comes.",
        example=Example(data={"call_id": _CALL, "kind": "text", "title": "下一步",
                              "text": "请把户口簿翻到本人页，放在高拍仪上。",
                              "document_id": _DOC}),
    ),
    "assist.control": OutboundDoc(
        to="the booth of the call",
        event=True,
        sent_as="Relayed from the agent's [`assist.control`](#in-assist.control).",
        text=(
            "Inject the tap into the kiosk UI at (`x`, `y`) of the screen, and show where it "
            "landed. The booth must ignore it unless its own `control` consent is on."
        ),
        example=Example(data={"call_id": _CALL, "action": "tap", "x": 0.72, "y": 0.885}),
    ),
}

# ---------------------------------------------------------------------------
# One description per field of every model, keyed by model name (the schema title).
# They also go into the JSON Schema files as "description".

_ID = "Hub-assigned id"
FIELD_DOCS: dict[str, dict[str, str]] = {
    "Hello": {
        "token": "Session token from `POST /api/login` (agents, admins) or the booth's "
        "device token from `POST /api/enroll`.",
        "client": "Client software as `name/version`, for logs and support.",
        "resume": "`session_id` of the previous session, to take it over within the 60 s "
        "grace period; `null` on a first connection.",
    },
    "TicketCreate": {
        "service_id": "Service from the catalog (`GET /api/catalog`).",
        "priority": "`priority` for residents with priority service (elderly, disabled, "
        "pregnant); it is queued ahead of `normal` tickets.",
    },
    "TicketCancel": {"ticket_id": "The booth's live ticket."},
    "BoothStatus": {
        "camera": "State of the camera.",
        "scanner": "State of the document scanner (高拍仪); `busy` while scanning.",
        "mic": "State of the microphone; `unknown` for a booth without one.",
        "speaker": "State of the speaker; `unknown` for a booth without one.",
        "version": "Booth software version.",
        "details": "Free-form diagnostics, string to string.",
    },
    "AgentStateRequest": {
        "state": "Requested state.",
        "reason": "Why (for `away`, e.g. 午休), shown to supervisors.",
    },
    "TicketAccept": {"offer_id": "`offer_id` of the pending `ticket.offer`."},
    "TicketDecline": {
        "offer_id": "`offer_id` of the pending `ticket.offer`.",
        "reason": "Why, for the statistics.",
    },
    "TicketTransfer": {
        "call_id": "The agent's current call.",
        "department_id": "Target department (its queue).",
        "note": "Note for the next agent.",
    },
    "CallSdp": {
        "call_id": "The call, from `call.start`.",
        "gen": "Peer-connection generation: 0 first, +1 on each rebuild by the booth.",
        "description": "The RTCSessionDescription.",
    },
    "SessionDescription": {
        "type": "RTCSessionDescription type.",
        "sdp": "The SDP text.",
    },
    "CallIce": {
        "call_id": "The call, from `call.start`.",
        "gen": "Generation of the peer connection the candidate belongs to.",
        "candidate": "The RTCIceCandidate, or `null` at the end of gathering.",
    },
    "IceCandidate": {
        "candidate": "The `candidate:` attribute line.",
        "sdpMid": "Media stream id the candidate belongs to.",
        "sdpMLineIndex": "Index of the m-line it belongs to.",
        "usernameFragment": "ICE ufrag, if the sender knows it.",
    },
    "CallEnd": {
        "call_id": "The call to end.",
        "reason": "Why, copied into `call.ended` (e.g. `hangup`, `booth_timeout`).",
    },
    "RatingSubmit": {
        "call_id": "The ended call, from `rating.request`.",
        "level": "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.",
        "indicators": "Aspects the resident picked (e.g. 服务态度好, 办事效率高).",
        "reasons": "For levels 1 and 2: what went wrong (e.g. 等候时间长).",
        "comment": "Free text from the resident.",
    },
    "Welcome": {
        "session_id": "This session; send it as `hello.resume` after a reconnect.",
        "role": "Role of the authenticated subject.",
        "subject": "Who authenticated.",
        "heartbeat_s": "Send `ping` this often (seconds).",
        "server_time": "Hub clock, Unix seconds.",
        "resumed": "`true` when `hello.resume` took over the previous session.",
        "restored": "What the session still holds after a resume.",
    },
    "Subject": {"id": "Booth id or user id.", "name": "Booth name or agent display name."},
    "Restored": {
        "ticket_id": "The booth's live ticket, if any.",
        "call_id": "The call in progress, if any.",
    },
    "Pong": {"server_time": "Hub clock, Unix seconds."},
    "Error": {
        "code": "Machine-readable [error code](#errors).",
        "message": "Human-readable detail (English).",
    },
    "Ticket": {
        "ticket_id": _ID + ".",
        "number": "Number called out and shown to the resident (department prefix + "
        "sequence).",
        "state": "`waiting` in the queue, `offered` to an agent, `serving` in a call, or "
        "finished: `done`, `cancelled` (by the booth), `abandoned` (the booth went away).",
        "position": "Place in its department's queue, 1 = next; 0 once it is no longer "
        "waiting or offered.",
        "eta_s": "Estimated seconds until an agent takes it; 0 once it is no longer waiting "
        "or offered.",
        "service_id": "The service asked for.",
        "department_id": "The department whose queue holds it.",
        "priority": "`priority` (优先办理: served before the department's normal queue) or "
        "`normal`, as asked in `ticket.create`.",
    },
    "TicketUpdate": {
        "ticket_id": "The ticket.",
        "state": "As in `ticket`.",
        "position": "As in `ticket`.",
        "eta_s": "As in `ticket`.",
        "department_id": "Its queue's department (changes on transfer).",
    },
    "AgentStateEvent": {
        "state": "The agent's current state.",
        "reason": "Why the state changed, when there is a reason to tell.",
        "wrap_up_s": "With `wrap_up`: seconds of after-call work before the hub makes the "
        "agent `available` again (send `agent.state available` to finish early).",
    },
    "TicketOffer": {
        "offer_id": "This offer; echo it in `ticket.accept` / `ticket.decline`.",
        "ticket": "The offered ticket.",
        "timeout_s": "Seconds to answer before the offer is withdrawn.",
    },
    "OfferTicket": {
        "ticket_id": "The ticket.",
        "number": "Ticket number.",
        "service": "The service asked for.",
        "booth": "Where the resident is.",
        "priority": "Queue priority.",
        "waited_s": "Seconds since the ticket was taken.",
    },
    "ServiceRef": {
        "id": "Service id.",
        "name": "Service name.",
        "department": "Department name.",
    },
    "BoothRef": {
        "id": "Booth id.",
        "name": "Booth name.",
        "region": "Region code and names.",
    },
    "TicketWithdrawn": {
        "offer_id": "The void offer.",
        "reason": "`timeout`, `cancelled`, ...",
    },
    "TicketTransferred": {
        "ticket_id": "The transferred ticket.",
        "department_id": "The department whose queue it is in now.",
    },
    "QueueSnapshot": {"departments": "One entry per department."},
    "DepartmentLoad": {
        "id": "Department id.",
        "name": "Department name.",
        "waiting": "Tickets waiting.",
        "oldest_wait_s": "Wait of the oldest waiting ticket, seconds.",
        "agents_available": "Available agents with this skill.",
    },
    "CallStart": {
        "call_id": _ID + " of the call.",
        "ticket_id": "The ticket being served.",
        "role": "`offerer` (always the booth) or `answerer` (the agent).",
        "peer": "The other party.",
        "ice_servers": "RTCIceServer list for the peer connection.",
    },
    "PeerInfo": {
        "kind": "What the other party is.",
        "id": "Its booth id or user id.",
        "name": "Its name.",
        "region": "Booth's region (for the agent).",
        "service": "The service asked for (for the agent).",
        "ticket_number": "Ticket number (for the agent).",
    },
    "IceServer": {
        "urls": "`stun:` / `turn:` / `turns:` URLs.",
        "username": "TURN username `expiry:subject`; `null` for STUN.",
        "credential": "TURN password base64(HMAC-SHA1(secret, username)); `null` for STUN.",
    },
    "CallPeer": {"call_id": "The call.", "state": "`away` or `back`."},
    "CallEnded": {
        "call_id": "The call.",
        "reason": "Why (`hangup`, `transferred`, ...).",
        "by": "Who ended it.",
    },
    "RatingRequest": {"call_id": "The call to rate."},
    "Rating": {"call_id": "The rated call.", "level": "The stored level."},
    "DocumentRequest": {
        "call_id": "The agent's call.",
        "kind": "`id_front` (ID card portrait side), `id_back` (emblem side), "
        "`household_register` (户口簿), `certificate`, `form`, `other`.",
        "instruction": "Short text shown large to the resident; a default per kind if absent.",
    },
    "DocumentStatus": {
        "call_id": "The booth's call.",
        "request_id": "From `document.requested`.",
        "state": "`capturing`, `retrying`, `uploading` or `failed`.",
        "code": "Why it is retrying or failed.",
        "message": "Details for the agent (e.g. which quality check failed).",
    },
    "DocumentReview": {
        "document_id": "From `document.added`.",
        "decision": "`accepted` or `rescan`.",
        "reason": "Shown to the resident on `rescan`.",
    },
    "FaceCheckStart": {
        "call_id": "The agent's call.",
        "document_id": "An `id_front` document of this call.",
    },
    "FaceCheckSubmit": {
        "call_id": "The booth's call.",
        "check_id": "From `face.check.started`.",
        "frames": "How many frames the booth uploaded.",
    },
    "FaceCheckDecide": {
        "check_id": "A judged check of the agent's call.",
        "decision": "`confirmed` (same person) or `rejected`.",
        "note": "The agent's note, stored with the decision.",
    },
    "DocumentRequested": {
        "call_id": "The call.",
        "request_id": _ID + " of this capture request.",
        "kind": "Which document.",
        "instruction": "Text to show the resident.",
    },
    "DocumentAdded": {
        "call_id": "The call.",
        "document_id": _ID + ".",
        "request_id": "The request it answers, if any.",
        "kind": "Which document.",
        "content_type": "Stored format (re-encoded by the hub).",
        "width": "Pixels.",
        "height": "Pixels.",
        "size": "Bytes of the stored image.",
        "sha256": "Hex SHA-256 of the stored bytes (the file's content address).",
        "url": "GET with the session token for the image.",
        "thumb_url": "GET with the session token for a thumbnail (JPEG, ≤ 320 px).",
        "created_at": "Unix seconds.",
    },
    "DocumentStatusEvent": {
        "call_id": "The call.",
        "request_id": "The capture request.",
        "state": "`capturing`, `retrying`, `uploading` or `failed`.",
        "code": "Why it is retrying or failed.",
        "message": "Details from the booth.",
    },
    "DocumentReviewed": {
        "call_id": "The call.",
        "document_id": "The reviewed document.",
        "request_id": "The request it answered, if any.",
        "kind": "Which document.",
        "decision": "`accepted` or `rescan`.",
        "reason": "The agent's reason.",
    },
    "FaceCheckStarted": {
        "call_id": "The call.",
        "check_id": _ID + " of the check.",
        "document_id": "The ID card scan to compare against.",
        "challenges": "Liveness actions, in order.",
        "baseline_s": "Seconds of looking straight at the camera first.",
        "step_s": "Time limit of each challenge, seconds.",
        "fps": "Frames per second to capture.",
        "max_frames": "Most frames the hub accepts for this check.",
        "upload_url": "Where to `POST` each frame (JPEG) with the booth's token.",
    },
    "FaceGate": {
        "name": "`one_face`, `face_size`, `frontal`, `sharpness`.",
        "passed": "Whether the gate passed.",
        "value": "Measured value.",
        "limit": "The configured limit.",
        "hint": "What the resident should do when it failed.",
    },
    "FaceChallengeResult": {
        "action": "The challenge.",
        "passed": "Whether it was seen within its time limit.",
        "value": "Measured value (eye ratio, degrees of yaw, mouth ratio).",
        "limit": "The configured limit.",
        "detail": "Why it failed.",
    },
    "FaceModelInfo": {"name": "Face model.", "version": "Its version."},
    "FaceThresholds": {
        "match_max": "Distance at or under which the band is `match`.",
        "mismatch_min": "Distance above which the band is `mismatch`.",
    },
    "FaceCheckResult": {
        "call_id": "The call.",
        "check_id": "The check.",
        "state": "`judged`, or `failed` when the frames could not be judged.",
        "band": "`match`, `review` or `mismatch` (advice).",
        "distance": "Median face distance of the best live frames to the ID portrait.",
        "thresholds": "The bands' limits.",
        "model": "Which model judged.",
        "passed": "Every gate and liveness challenge passed.",
        "gates": "Quality gates of the best frame.",
        "liveness": "One entry per challenge.",
        "id_box": "Face on the ID portrait: left, top, right, bottom (pixels).",
        "live_box": "Face on the best live frame: left, top, right, bottom (pixels).",
        "portrait_url": "GET (session token) for the ID portrait crop.",
        "live_url": "GET (session token) for the best live frame.",
        "error": "Why the check failed, when `state` is `failed`.",
    },
    "FaceCheckStatus": {
        "call_id": "The call.",
        "check_id": "The check.",
        "state": "`judging`, `retry`, `done`, `decided` or `cancelled`.",
        "hint": "On `retry`: what the resident should do.",
    },
    "FaceCheckDecided": {
        "call_id": "The call.",
        "check_id": "The check.",
        "decision": "`confirmed` or `rejected`.",
        "by": "The agent who decided.",
    },
    "AssistConsentRequest": {
        "call_id": "The agent's call.",
        "scope": "`screen` (see the kiosk screen) or `control` (tap on the resident's behalf).",
    },
    "AssistConsentRequested": {"call_id": "The call.", "scope": "The scope asked for."},
    "AssistConsent": {
        "call_id": "The booth's call.",
        "scope": "`screen` or `control`.",
        "granted": "`true` to grant, `false` to revoke.",
    },
    "AssistConsentEvent": {
        "call_id": "The call.",
        "scope": "`screen` or `control`.",
        "granted": "Whether the scope is granted now.",
        "at": "Unix seconds.",
    },
    "AssistPointer": {
        "call_id": "The agent's call.",
        "surface": "`screen` or `document:<document_id>`.",
        "x": "0 (left) .. 1 (right) of the surface.",
        "y": "0 (top) .. 1 (bottom) of the surface.",
        "visible": "`false` hides the pointer.",
    },
    "AssistAnnotate": {
        "call_id": "The agent's call.",
        "surface": "`screen` or `document:<document_id>` (a document of this call).",
        "op": "`add`, `undo` or `clear`.",
        "shape": "With `add` (and only then): the shape.",
    },
    "Shape": {
        "id": "Chosen by the console, unique on its surface (letters, digits, `_`, `-`).",
        "kind": "`pen` (1–500 points), `arrow` (from, to), `box` (two corners), `text` "
        "(one point: where the text starts).",
        "color": "One of the palette; the booth maps the names to its colours.",
        "width": "Stroke width in pixels of a 1920-pixel-wide surface; scale with the surface.",
        "points": "`[x, y]` pairs, each 0..1 of the surface.",
        "text": "With `text` (and only then): at most 200 characters.",
        "fill": "Box only: a translucent highlight instead of an outline.",
    },
    "AssistBoardGet": {"call_id": "The call.", "surface": "The surface."},
    "AssistBoard": {
        "call_id": "The call.",
        "surface": "The surface.",
        "shapes": "Its shapes, oldest first (empty: nothing drawn).",
    },
    "AssistFormPush": {"call_id": "The agent's call.", "form": "The form's definition."},
    "FormDefinition": {
        "title": "The form's title.",
        "description": "A short explanation shown above the fields.",
        "template": "The console's id of the form template, for the record.",
        "fields": "1–50 fields, in display order.",
        "signature": "The signature section every form ends with.",
    },
    "Label": {"zh": "Chinese text.", "en": "English text for the booth's English mode."},
    "FormField": {
        "id": "Field id (`[a-z][a-z0-9_]*`, ≤ 40 chars), unique in the form; the key of its "
        "value.",
        "type": "`text`, `textarea`, `number`, `date`, `choice`, `multi_choice`, `checkbox`, "
        "`id_number`, `phone`.",
        "label": "The field's label.",
        "help": "A hint shown with the input.",
        "required": "The resident must fill it (a required checkbox must be ticked).",
        "readonly": "Filled by the agent (`value`); the resident sees it but cannot change it.",
        "value": "The agent's value: fixed when `readonly`, else a pre-filled suggestion.",
        "sensitive": "Masked on the agent's side until the form is signed.",
        "options": "`choice` and `multi_choice`: the options (1–50, unique values).",
        "min_length": "`text`, `textarea`: fewest characters; `multi_choice`: fewest choices.",
        "max_length": "`text` (default 100, ≤ 500), `textarea` (default 1000, ≤ 2000): most "
        "characters; `multi_choice`: most choices.",
        "min_value": "`number`: the smallest value.",
        "max_value": "`number`: the largest value.",
        "integer": "`number`: whole numbers only.",
    },
    "FormOption": {"value": "The value sent for this option.", "label": "What is shown."},
    "SignatureSpec": {
        "label": "Title of the signature pad.",
        "statement": "Declaration shown above the pad (e.g. 以上信息已经本人核对无误).",
    },
    "AssistFormPushed": {"call_id": "The call.", "form_id": _ID + " of the form."},
    "AssistForm": {"call_id": "The call.", "form_id": "The form.",
                   "form": "Its definition."},
    "AssistFormProgress": {
        "call_id": "The booth's call.",
        "form_id": "From `assist.form`.",
        "values": "Field id → value so far (only the fields that changed is enough).",
    },
    "AssistFormProgressEvent": {
        "call_id": "The call.",
        "form_id": "The form.",
        "values": "Field id → value so far; sensitive ones masked.",
        "masked": "Ids of the fields whose values are masked.",
    },
    "AssistFormSubmitted": {
        "call_id": "The call.",
        "form_id": "The form.",
        "values": "Every field's value, normalized.",
        "sha256": "Hex SHA-256 of the canonical JSON of the whole submission.",
        "signature_sha256": "Hex SHA-256 of the stored signature PNG.",
        "signature_url": "GET with the session token for the signature PNG (audited).",
        "submitted_at": "Unix seconds.",
    },
    "AssistGuide": {
        "call_id": "The agent's call.",
        "kind": "`checklist` (needs `items`) or `text` (needs `text`).",
        "title": "Heading shown large.",
        "items": "Checklist entries, in order.",
        "text": "The text of a `text` guide.",
        "document_id": "A document of this call to show as the picture.",
    },
    "GuideItem": {"text": "The entry.", "done": "Shown ticked."},
    "AssistControl": {
        "call_id": "The agent's call.",
        "action": "`tap` (the only action in v1).",
        "x": "0 (left) .. 1 (right) of the kiosk screen.",
        "y": "0 (top) .. 1 (bottom) of the kiosk screen.",
    },
}

# ---------------------------------------------------------------------------
# Prose

_ERROR_MEANINGS: dict[p.ErrorCode, str] = {
    p.ErrorCode.BAD_JSON: "Not UTF-8 JSON text (RFC 8259). `NaN`, `Infinity` and escapes of "
    "lone surrogates (`\"\\ud800\"`) are not JSON either.",
    p.ErrorCode.BAD_MESSAGE: "JSON, but not a valid message: not an object, bad `id` or "
    "`re`, unknown envelope field, `data` not an object, `data` against its schema (the "
    "message names the first fields at fault), or a binary frame.",
    p.ErrorCode.UNKNOWN_TYPE: "`type` is not a client → hub message.",
    p.ErrorCode.UNSUPPORTED_VERSION: "`v` is missing or not the integer 1.",
    p.ErrorCode.UNAUTHENTICATED: "No successful `hello` yet, or its token is invalid, "
    "expired or revoked.",
    p.ErrorCode.FORBIDDEN: "The role may not send this type, or the object belongs to "
    "someone else (e.g. a call the sender is not a party of).",
    p.ErrorCode.NOT_FOUND: "The ticket, offer, call, service or department does not exist "
    "(or no longer does).",
    p.ErrorCode.CONFLICT: "Valid, but not in the current state (e.g. cancelling a ticket in "
    "service, a stale `gen`, a second `hello`).",
    p.ErrorCode.RATE_LIMITED: "Over the connection's frame budget; the frame was dropped "
    "unread. Slow down.",
    p.ErrorCode.TOO_LARGE: "The frame is over 64 KiB (the WebSocket layer usually closes "
    "with 1009 first); over HTTP, the body is too large.",
    p.ErrorCode.INTERNAL: "A fault in the hub; the request may or may not have taken effect. "
    "The connection and the hub's state are intact.",
}

_CLOSE_MEANINGS: dict[p.CloseCode, str] = {
    p.CloseCode.NORMAL: "Normal close: a newer connection of the same subject took over, "
    "or the hub is shutting down. Reconnect and resume as usual.",
    p.CloseCode.POLICY: "Sustained abuse: over the frame budget again and again, or not "
    "reading the hub's frames. Back off before reconnecting.",
    p.CloseCode.TOO_BIG: "A frame over 64 KiB, refused by the WebSocket layer.",
    p.CloseCode.NO_HELLO: "No successful `hello` within 10 s of connecting.",
    p.CloseCode.REVOKED: "The credential was revoked while connected (booth revoked or "
    "re-enrolled, agent disabled). Do not reconnect with the same token.",
}

_INTRO = """\
This is the contract between the hub (`xiaowu-server`) and its clients: booths,
agent consoles and test tools. It is enough to build another booth model or
console without reading the hub's code. The message sections, their field
tables and the JSON Schema files in [`schema/`](schema/) are generated from the
models in `signaling/protocol.py`, so they cannot drift from what the hub
accepts.

## Transport

- WebSocket at `/ws` on the hub's base URL: `http://host:8080` → `ws://host:8080/ws`,
  `https://…` → `wss://…/ws`.
- Text frames only, each holding exactly one JSON object ([RFC 8259]), UTF-8,
  at most 64 KiB (65 536 bytes) per frame. Binary frames are not used.
- Unknown fields are refused at every level, in the envelope and in `data`
  (`bad_message`). Clients must not add fields of their own.
- All times are seconds: durations are integers (`eta_s`, `timeout_s`),
  clock values are Unix seconds (`server_time`).

[RFC 8259]: https://www.rfc-editor.org/rfc/rfc8259

## Envelope

Every frame, in both directions:

```json
{"v": 1, "type": "<name>", "id": "<optional>", "re": "<optional>", "data": {}}
```
"""

_ENVELOPE_ROWS: Final = (
    ("`v`", "integer", "yes", "Protocol version, always `1`."),
    ("`type`", "string", "yes", "Message type. `agent.state`, `call.sdp` and `call.ice` exist "
     "in both directions."),
    ("`id`", "string, 1–64 chars", "no", "Set by the client on a request; the reply carries "
     "it in `re`."),
    ("`re`", "string or null", "no", "On a reply: the `id` of the request it answers."),
    ("`data`", "object", "no", "The message's fields. May be omitted when the message has no "
     "required fields (it then reads as `{}`)."),
)

_REQUESTS = """\
Schema: [`schema/envelope.json`](schema/envelope.json).

## Requests, replies and events

- A frame with `id` is a request and gets **exactly one** reply whose `re` is
  that `id`: the success type listed for the message, or `error`. Choose ids
  unique among your outstanding requests (a counter will do) and match replies
  by `re`, not by order: events may arrive between a request and its reply.
- A client frame without `id` gets no success reply; if it fails, the `error`
  comes back with `re: null`.
- Events are pushed by the hub and have no `re` (and no `id`); the client
  never replies to them.
- The hub sends every field of `data`, with `null` or the default where a
  field does not apply. "Required: no" in the tables below means a sender may
  omit the field.
"""

_HANDSHAKE = """\
## Handshake and resume

1. Connect to `/ws` and send [`hello`](#in-hello) as the first message, with a
   token: agents and admins get one from `POST /api/login`, booths use the
   device token from `POST /api/enroll`. Any other message before a successful
   `hello` gets `error` `unauthenticated`. With no successful `hello` within
   10 s the hub closes the connection with 4401.
2. The hub answers [`welcome`](#out-welcome) with the `session_id`, the role
   (`booth`, `agent` or `admin`), the subject and `heartbeat_s`. Send `ping`
   every `heartbeat_s` seconds from then on.
3. Right after `welcome` the hub pushes what the client needs to draw its
   current state: a booth with a live ticket gets `ticket.update`; an agent
   gets `agent.state`, a pending `ticket.offer` if any, and `queue.snapshot`.

When the connection drops, the hub holds the session for a grace period of
60 s: a booth's waiting ticket keeps its place, and a call in progress stays
up (the other party gets [`call.peer`](#out-call.peer) `away`). Reconnect and
send `hello` with `resume` set to the last `session_id`: within the grace
period `welcome` comes back with `resumed: true`, the same `session_id`, and
`restored` naming the ticket and call the session still holds; the other party
of the call gets `call.peer` `back`. After a hub restart a resume with an
earlier session id also restores the subject's ticket and call.

A `hello` without `resume`, with an unknown session id or after the grace
period starts a fresh session (`resumed: false`): whatever the subject still
held is released (a waiting ticket is abandoned, a call is ended by the hub)
and an older connection of the same subject is closed with 1000. So a client
that reconnects should always send `resume`.

## A service, end to end

```text
booth                               hub                                agent
  hello ─────────────────────────────▶ ◀───────────────────────────── hello
  ◀──────────────────────── welcome     welcome ──────────────────────▶
                                        queue.snapshot, agent.state ──▶
  ticket.create {service_id} ────────▶ ◀──────── agent.state {available}
  ◀─────── ticket {A012, waiting, 3}
  ◀─────────────── ticket.update ...    ticket.offer {offer_id} ──────▶
                                       ◀──────── ticket.accept {offer_id}
                                        ticket {serving} ─────────────▶
  ◀──────── call.start {offerer}        call.start {answerer} ────────▶
  call.sdp {offer, gen 0} ───────────▶  call.sdp {offer} ─────────────▶
  ◀────────────── call.sdp {answer}    ◀──────────── call.sdp {answer}
  call.ice ⇄ (both ways, trickled) ⇄ call.ice
                  ... video call, documents, face check, forms ...
                                       ◀──────────── call.end {call_id}
  ◀─────────────────── call.ended       call.ended ───────────────────▶
  ◀─────────────── rating.request       agent.state {wrap_up} ────────▶
  rating.submit {level 5} ───────────▶
  ◀────────────────────────── rating
```
"""

_HTTP_INTRO = """\
## HTTP API

Plain JSON over HTTP(S) on the same base URL. Authenticated calls send
`Authorization: Bearer <token>`: a session token from `POST /api/login`
(agents, admins) or a booth's device token. Request bodies are JSON objects;
unknown fields are refused.

Errors are `{"error": {"code": "...", "message": "..."}}` with the protocol's
[error codes](#errors) and these statuses:
"""

_HTTP_STATUS: Final = (
    ("400", "`bad_json`, `bad_message`"),
    ("401", "`unauthenticated`"),
    ("403", "`forbidden`"),
    ("404", "`not_found`"),
    ("409", "`conflict`"),
    ("413", "`too_large`"),
    ("429", "`rate_limited` (with `Retry-After` on login)"),
    ("500", "`internal`"),
)

_HTTP_PUBLIC: Final = (
    ("`POST /api/login`", "`{username, password}`",
     "`{token, role, expires_at, user_id, name}`; `expires_at` is ISO 8601. After repeated "
     "failures for a user or an address, 429 for a while."),
    ("`POST /api/logout`", "— (agent or admin bearer)", "`{}`; the token stops working."),
    ("`GET /api/me`", "— (any bearer)", "`{id, role, name, skills}`"),
    ("`POST /api/enroll`", "`{code, device}`: the one-time enrollment code and a free-form "
     "object describing the device (≤ 4 KiB)",
     "`{booth_id, token, name, region_code, region_name}`. `token` is the booth's credential "
     "for `hello` and HTTP; keep it safe. Repeated failures get 429."),
    ("`POST /api/device/rotate`", "— (booth bearer)",
     "`{token}`: a new device token; the old one stops working."),
    ("`GET /api/catalog`", "—",
     "`{departments: [{id, name, name_en, services: [{id, name, name_en, materials: [...]}]}]}`"
     ": what a booth offers; `services[].id` is `ticket.create.service_id`."),
    ("`GET /healthz`", "—",
     "`{\"status\": \"ok\", ...}`; 503 with `\"status\": \"degraded\"` when the store is "
     "unreachable."),
    ("`GET /metrics`", "—", "Prometheus text exposition."),
)

_HTTP_ADMIN: Final = (
    ("`POST /api/admin/booths`", "`{name, region_code, region_name?}`",
     "201 `{booth_id, enrollment_code, expires_at}`"),
    ("`GET /api/admin/booths`", "—", "The fleet: `{booths: [...], summary}`. Each booth: "
     "`link` (`online` / `reconnecting` / `offline`), `health` (`ok` / `attention` / "
     "`offline` / `not_enrolled` / `revoked`), `problems` (`camera_missing`, "
     "`scanner_error`, `status_stale`, `no_status`, …), `last_seen_at`, the last "
     "`booth.status`, and `activity` (`idle` / `waiting` / `offered` / `in_call` with the "
     "ticket number, department, call and agent). `summary`: counts by health and "
     "activity, and per region."),
    ("`POST /api/admin/booths/{id}/revoke`", "—",
     "The booth's token stops working; a live connection is closed with 4403."),
    ("`POST /api/admin/booths/{id}/enrollment`", "—",
     "`{booth_id, enrollment_code, expires_at}`: a new one-time code for re-enrollment; the "
     "old device token is revoked."),
    ("`POST /api/admin/agents`", "`{username, password, skills, display_name?}`; `skills` "
     "are department ids", "201 `{user_id}`"),
    ("`GET /api/admin/agents`", "—", "`{agents: [...]}` with skills, disabled flag, live state"),
    ("`PUT /api/admin/agents/{id}/skills`", "`{skills}`", "`{user_id, skills}`"),
    ("`POST /api/admin/agents/{id}/disable`", "—",
     "The agent can no longer log in; a live connection is closed with 4403."),
    ("`POST /api/admin/agents/{id}/enable`", "—", "`{user_id, disabled: false}`"),
    ("`POST /api/admin/agents/{id}/password`", "`{password}` (8+ characters)",
     "`{user_id}`; the agent's sessions end. Agent accounts only (403 for an admin's)."),
    ("`GET /api/admin/departments`", "—", "The catalog, as `GET /api/catalog`"),
    ("`PUT /api/admin/departments/{id}`", "the department", "`{id}` (created or replaced)"),
    ("`PUT /api/admin/services/{id}`", "the service, with its `department_id` and "
     "`materials`", "`{id}` (created or replaced)"),
    ("`DELETE /api/admin/services/{id}`", "—", "The service is withdrawn from the catalog."),
    ("`GET /api/admin/calls?day=&agent=&before=&limit=`", "—",
     "`{day, calls: [...]}` (calls as in `GET /api/agent/calls`) for the service day `day` "
     "(YYYY-MM-DD, default today; `day` in the reply says which), newest first, one "
     "agent's with `agent`, paged with `before` (a `started_at`), at most `limit` (≤ 500). "
     "Each read is audited (`calls.read`): the notes may name residents."),
    ("`GET /api/admin/poor-ratings?open=`", "—",
     "`{ratings: [{call_id, level, reasons, comment, rated_at, ticket_number, service, "
     "booth, agent, outcome, notes, followup}]}`: ratings of 1 and 2 (差评), newest first; "
     "`open=1` (default) only those not followed up, `open=0` all with their `followup` "
     "`{note, by, at}`. Each read is audited (`ratings.read`)."),
    ("`POST /api/admin/poor-ratings/{call_id}/followup`", "`{note}` (1–1000 characters)",
     "`{call_id, followed_up: true}`: what was done (回访、整改); again to correct it. 404 "
     "without a rating, 409 for a rating above 2. Audited as `rating.followup`."),
    ("`GET /api/admin/report?from=&to=&by=`", "—",
     "Service figures over the service days `from` .. `to` (YYYY-MM-DD, inclusive, ≤ 366 "
     "days; default the last 7) grouped `by` `day` / `department` / `service` / `agent`: "
     "`{from, to, by, rows: [{key, label, tickets, handled, abandoned, cancelled, "
     "avg_wait_s, calls, avg_call_s, ratings, rated, satisfaction, dissatisfied, "
     "outcomes}], total}`"),
    ("`GET /api/admin/audit?after=&before=&limit=&order=&action=`", "—",
     "`{rows: [...]}`: audit rows with `after < seq < before`, at most `limit` (≤ 500), "
     "`order` `asc` (default) or `desc` (newest first), `action` a prefix filter "
     "(`booth.`)"),
    ("`GET /api/admin/audit/verify`", "—",
     "`{ok, rows, first_broken_seq, reason}`: checks the audit log's hash chain"),
    ("`GET /api/admin/stats`", "—", "`{today, queue, calls_active, agents}`: today's "
     "counts with ratings by level and `satisfaction` (levels 4–5 over all, null before the "
     "first), queue load per department, calls in progress, connected agents by state"),
)

_HTTP_CALLS: Final = (
    ("`POST /api/calls/{call_id}/documents?kind=&request_id=`",
     "the image bytes (JPEG, PNG or TIFF; ≤ 20 MB; booth bearer of the call's booth, call "
     "in progress)",
     "201 with the `document.added` data. The content is sniffed and fully decoded: not an "
     "image, truncated or corrupt (400 `bad_message`), too large (413), more than 50 "
     "megapixels (400, decompression bomb). Stored re-encoded, content-addressed, 0600."),
    ("`GET /api/calls/{call_id}/documents`", "— (the call's agent or an admin)",
     "`{documents: [...]}` (metadata as in `document.added`)"),
    ("`GET /api/documents/{id}`", "— (the call's agent or an admin)",
     "The stored image; the read is audited. 410 after the retention period."),
    ("`GET /api/documents/{id}/thumb`", "— (the call's agent or an admin)",
     "A JPEG thumbnail (≤ 320 px); audited like a read."),
    ("`POST /api/calls/{call_id}/face-checks/{check_id}/frames?seq=&t_ms=&step=`",
     "one JPEG live frame (≤ 2 MB; booth bearer)",
     "201 `{seq}`; the same `seq` again replaces the frame. More than `max_frames`: 409."),
    ("`GET /api/calls/{call_id}/face-checks`", "— (the call's agent or an admin)",
     "`{face_checks: [{check_id, document_id, state, challenges, created_at, result, "
     "decision, decided_by}]}`; `result` is the `face.check.result` data once judged (to "
     "rebuild the console after a reload)."),
    ("`GET /api/face-checks/{id}/portrait`", "— (the call's agent or an admin)",
     "The ID portrait crop (JPEG); audited."),
    ("`GET /api/face-checks/{id}/live`", "— (the call's agent or an admin)",
     "The best live frame (JPEG); audited."),
    ("`PUT /api/calls/{call_id}/notes`", "`{outcome, notes}` (the call's agent; `outcome` "
     "one of `resolved`, `materials_missing`, `referred`, `consultation`, `unresolved`; "
     "`notes` ≤ 2000 characters)",
     "The call summary (as in `GET /api/agent/calls`). Replaces the previous note; allowed "
     "during the call and up to 24 h after it ended (then 409). Another agent's call: 404. "
     "Audited as `call.notes` with the outcome and the note's length, not its text."),
    ("`GET /api/agent/calls`", "— (agent bearer)",
     "`{calls: [{call_id, ticket_number, department_id, service, booth, agent, started_at, "
     "ended_at, duration_s, end_reason, ended_by, rating, outcome, notes, notes_updated_at}]}`: "
     "the caller's calls of today's service day, oldest first"),
)

_HTTP_ASSIST: Final = (
    ("`POST /api/calls/{call_id}/forms/{form_id}/submission`",
     "`{values, signature: {strokes: [[[x, y, t_ms], ...], ...], png}, reviewed: true}` "
     "(≤ 2 MB; booth bearer of the call's booth, call in progress). `strokes`: ≤ 100 "
     "strokes, ≤ 2 000 points each, ≤ 20 000 in all, x and y 0..1 of the pad, `t_ms` whole "
     "milliseconds from the first touch, never going back; `png`: base64 of a PNG "
     "(≤ 4 megapixels)",
     "201 `{form_id, sha256, signature_sha256, submitted_at}`; the agent gets "
     "`assist.form.submitted`. `reviewed` must be `true` (the resident reviewed the values "
     "before signing). Values that do not fit the definition: 400 with `error.fields`: "
     "`{field_id: {code, message}}`, codes `required`, `type`, `too_short`, `too_long`, "
     "`choice`, `id_number`, `phone`, `date`, `range`, `integer`, `control_char`, "
     "`readonly`, `unknown`. The same signed submission again (a retry) gets the stored "
     "receipt; a different one once signed, or the call ended: 409."),
    ("`GET /api/calls/{call_id}/forms`", "— (the call's agent or an admin)",
     "`{forms: [{form_id, title, state, created_at, submitted_at, sha256, ...}]}`; `state` "
     "is `pushed`, `submitted` or `cancelled` (the call ended unsigned)"),
    ("`GET /api/forms/{id}`", "— (the call's agent or an admin)",
     "The definition and, once signed, `values`, `strokes`, `sha256`, "
     "`signature_sha256`, `submitted_at_iso`; audited. `sha256` is the SHA-256 of the "
     "canonical JSON (sorted keys, no spaces, UTF-8) of `{v: 1, form_id, call_id, booth_id, "
     "form, values, signature: {png_sha256, strokes}, reviewed: true, submitted_at}` with "
     "`submitted_at` the ISO 8601 time in UTC with microseconds."),
    ("`GET /api/forms/{id}/signature`", "— (the call's agent or an admin)",
     "The signature PNG (re-encoded, stored 0600); audited."),
)

_HTTP_END = """\
Documents and face images are personal data: readable only by the call's
agent and admins, every read audited, deleted after the retention period
(`document_retention_days`, default 30); their metadata and audit rows remain.
"""


# ---------------------------------------------------------------------------
# Validation


def check_examples(
    inbound: Mapping[str, InboundDoc] | None = None,
    outbound: Mapping[str, OutboundDoc] | None = None,
) -> None:
    """Raise :class:`DocsError` unless every registered type has a valid example.

    An example must parse as a whole frame (:func:`signaling.protocol.parse_frame`)
    and its ``data`` must also pass the model in strict mode, so no example
    leans on lax coercion (``"5"`` for ``5``).
    """
    in_docs = INBOUND_DOCS if inbound is None else inbound
    out_docs = OUTBOUND_DOCS if outbound is None else outbound
    problems: list[str] = []
    for direction, docs, registry in (
        ("inbound", in_docs, p.INBOUND),
        ("outbound", out_docs, p.OUTBOUND),
    ):
        for mtype in sorted(registry.keys() - docs.keys()):
            problems.append(f"{direction} {mtype}: no example")
        for mtype in sorted(docs.keys() - registry.keys()):
            problems.append(f"{direction} {mtype}: documented but not in the registry")
        for mtype, model in registry.items():
            doc = docs.get(mtype)
            if doc is None:
                continue
            raw = json.dumps(doc.example.envelope(mtype), ensure_ascii=False)
            try:
                p.parse_frame(raw, registry)
                model.model_validate_json(json.dumps(dict(doc.example.data)), strict=True)
            except p.ProtocolError as exc:
                problems.append(f"{direction} {mtype}: example is invalid: {exc}")
            except ValidationError as exc:
                problems.append(f"{direction} {mtype}: example is not strictly valid: {exc}")
    for mtype, in_doc in in_docs.items():
        if in_doc.reply not in p.OUTBOUND:
            problems.append(f"inbound {mtype}: reply {in_doc.reply!r} is not an outbound type")
        if mtype not in p.ROLES:
            problems.append(f"inbound {mtype}: no entry in protocol.ROLES")
    if problems:
        raise DocsError("\n".join(problems))


# ---------------------------------------------------------------------------
# JSON Schema


def _annotate(obj: Json, problems: list[str]) -> None:
    """Put FIELD_DOCS descriptions on an object schema's properties."""
    props = obj.get("properties")
    if not isinstance(props, dict):
        return
    title = str(obj.get("title", "?"))
    docs = FIELD_DOCS.get(title, {})
    for name, prop in props.items():
        if name in docs:
            prop["description"] = docs[name]
        else:
            problems.append(f"{title}.{name}: no description in FIELD_DOCS")
    for name in sorted(docs.keys() - props.keys()):
        problems.append(f"{title}.{name}: described in FIELD_DOCS but not a field")


def _data_schema(model: type[BaseModel], problems: list[str]) -> tuple[Json, Json]:
    """The model's schema with descriptions, and its ``$defs`` (split off)."""
    schema = model.model_json_schema()
    defs: Json = schema.pop("$defs", {})
    for obj in (schema, *defs.values()):
        _annotate(obj, problems)
    return schema, defs


_ID_SCHEMA: Final[Json] = {
    "anyOf": [{"type": "string", "minLength": 1, "maxLength": p._ID_MAX}, {"type": "null"}],
    "description": "Request id, echoed as `re` in the one reply.",
}
_RE_SCHEMA: Final[Json] = {
    "anyOf": [{"type": "string"}, {"type": "null"}],
    "description": "On a reply: the id of the request it answers.",
}


def envelope_schema() -> Json:
    """Schema of any frame, whatever its type."""
    return {
        "$schema": _DRAFT,
        "title": "Xiaowu protocol v1 frame",
        "description": "One UTF-8 JSON object per WebSocket text frame, at most 64 KiB.",
        "type": "object",
        "properties": {
            "v": {"const": p.VERSION, "description": "Protocol version."},
            "type": {"type": "string", "description": "Message type."},
            "id": copy.deepcopy(_ID_SCHEMA),
            "re": copy.deepcopy(_RE_SCHEMA),
            "data": {"type": "object", "description": "The message's fields."},
        },
        "required": ["v", "type"],
        "additionalProperties": False,
    }


def message_schema(direction: Direction, mtype: str, problems: list[str]) -> Json:
    """Schema of a whole frame of one type and direction (envelope and ``data``)."""
    registry = p.INBOUND if direction == "inbound" else p.OUTBOUND
    data, defs = _data_schema(registry[mtype], problems)
    required = ["v", "type"] + (["data"] if data.get("required") else [])
    schema: Json = {
        "$schema": _DRAFT,
        "title": f"{mtype} ({_ARROW[direction]})",
        "type": "object",
        "properties": {
            "v": {"const": p.VERSION},
            "type": {"const": mtype},
            "id": copy.deepcopy(_ID_SCHEMA),
            "re": copy.deepcopy(_RE_SCHEMA),
            "data": data,
        },
        "required": required,
        "additionalProperties": False,
    }
    if defs:
        schema["$defs"] = defs
    return schema


# ---------------------------------------------------------------------------
# Markdown


@dataclass(frozen=True)
class _Shape:
    label: str
    constraints: tuple[str, ...] = ()
    nested: Json | None = None
    sep: str = "."


def _num(value: Any) -> str:
    return f"{value:,}".replace(",", " ") if isinstance(value, int) else str(value)


def _shape(prop: Json, defs: Json) -> _Shape:
    variants = prop["anyOf"] if "anyOf" in prop else [prop]
    nullable = any(v.get("type") == "null" for v in variants)
    rest = [v for v in variants if v.get("type") != "null"]
    if len(rest) > 1:  # a union of several types (assist form values)
        parts = [_shape(v, defs) for v in rest]
        label = " or ".join(x.label for x in parts) + (" or null" if nullable else "")
        return _Shape(label, tuple(c for x in parts for c in x.constraints))
    if len(rest) != 1:
        raise DocsError(f"cannot describe schema {prop!r}")
    s = rest[0]
    if "$ref" in s:
        s = defs[s["$ref"].rsplit("/", 1)[-1]]
    kind = s.get("type")
    cons: list[str] = []
    nested: Json | None = None
    sep = "."
    if "enum" in s:
        label = "string"
        cons.append("one of " + ", ".join(f"`{v}`" for v in s["enum"]))
    elif "const" in s:
        label = "constant"
        cons.append(f"`{json.dumps(s['const'], ensure_ascii=False)}`")
    elif kind == "string":
        label = "string"
        lo, hi = s.get("minLength"), s.get("maxLength")
        if lo and hi:
            cons.append(f"{_num(lo)}–{_num(hi)} chars")
        elif hi is not None:
            cons.append(f"≤ {_num(hi)} chars")
        elif lo:
            cons.append(f"≥ {_num(lo)} chars")
    elif kind in ("integer", "number"):
        label = str(kind)
        lo, hi = s.get("minimum"), s.get("maximum")
        if lo is not None and hi is not None:
            cons.append(f"{_num(lo)}–{_num(hi)}")
        elif lo is not None:
            cons.append(f"≥ {_num(lo)}")
        elif hi is not None:
            cons.append(f"≤ {_num(hi)}")
    elif kind == "boolean":
        label = "boolean"
    elif kind == "array":
        item = _shape(s["items"], defs)
        label = f"array of {item.label}"
        if "maxItems" in s:
            cons.append(f"≤ {_num(s['maxItems'])} items")
        if item.constraints:
            cons.append("each " + ", ".join(item.constraints))
        nested, sep = item.nested, "[]."
    elif kind == "object" and "properties" in s:
        label, nested = "object", s
    elif kind == "object":
        value = _shape(s.get("additionalProperties", {"type": "string"}), defs)
        label = f"object (string → {value.label})"
        if "maxProperties" in s:
            cons.append(f"≤ {_num(s['maxProperties'])} entries")
        if value.constraints:
            cons.append("values " + ", ".join(value.constraints))
    else:
        raise DocsError(f"cannot describe schema {prop!r}")
    if nullable:
        label += " or null"
    if "default" in prop:
        cons.append(f"default `{json.dumps(prop['default'], ensure_ascii=False)}`")
    return _Shape(label, tuple(cons), nested, sep)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(schema: Json, defs: Json, prefix: str = "") -> list[str]:
    rows: list[str] = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        shape = _shape(prop, defs)
        cells = [
            f"`{prefix}{name}`",
            shape.label,
            "yes" if name in required else "no",
            "; ".join(shape.constraints),
            str(prop.get("description", "")),
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        if shape.nested is not None:
            rows += _rows(shape.nested, defs, f"{prefix}{name}{shape.sep}")
    return rows


def _fields_table(schema: Json) -> list[str]:
    data = schema["properties"]["data"]
    if not data.get("properties"):
        return ["No fields: `data` is `{}` and may be omitted.", ""]
    head = ["| Field | Type | Required | Constraints | Description |", "|---|---|---|---|---|"]
    return head + _rows(data, schema.get("$defs", {})) + [""]


def _link(direction: Direction, mtype: str) -> str:
    return f"[`{mtype}`](#{'in' if direction == 'inbound' else 'out'}-{mtype})"


def _example_json(direction: Direction, mtype: str, example: Example) -> str:
    if direction == "inbound":
        env = example.envelope(mtype)
    else:  # what the hub really sends: every field, defaults filled in
        frame = p.parse_frame(json.dumps(example.envelope(mtype)), p.OUTBOUND)
        env = json.loads(p.encode(mtype, frame.data, re=frame.re, id=frame.id))
    return json.dumps(env, ensure_ascii=False, indent=2)


def _section(
    direction: Direction, mtype: str, head: str, text: str, example: Example, schema: Json
) -> list[str]:
    anchor = f"{'in' if direction == 'inbound' else 'out'}-{mtype}"
    path = f"schema/{direction}/{mtype}.json"
    return [
        f'<a id="{anchor}"></a>',
        "",
        f"### `{mtype}` ({_ARROW[direction]})",
        "",
        f"{head} · Schema: [`{path}`]({path})",
        "",
        text,
        "",
        *_fields_table(schema),
        "```json",
        _example_json(direction, mtype, example),
        "```",
        "",
    ]


def _inbound_head(mtype: str, doc: InboundDoc) -> str:
    roles = ", ".join(sorted(p.ROLES.get(mtype, frozenset())))
    return f"**Sent by:** {roles} · **Reply:** {_link('outbound', doc.reply)} or `error`"


def _kind(mtype: str, doc: OutboundDoc) -> str:
    reply = doc.sent_as is not None or any(d.reply == mtype for d in INBOUND_DOCS.values())
    return "reply, event" if reply and doc.event else "reply" if reply else "event"


def _outbound_head(mtype: str, doc: OutboundDoc) -> str:
    asked = [t for t, d in INBOUND_DOCS.items() if d.reply == mtype]
    if doc.sent_as is not None:
        how = doc.sent_as
    elif asked:
        how = "reply to " + ", ".join(_link("inbound", t) for t in asked)
        if doc.event:
            how += "; also pushed as an event"
    else:
        how = "event (no `re`)"
    return f"**To:** {doc.to} · **Sent as:** {how}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


def _markdown(schemas: Mapping[tuple[Direction, str], Json]) -> str:
    missing_err = [c for c in p.ErrorCode if c not in _ERROR_MEANINGS]
    missing_close = [c for c in p.CloseCode if c not in _CLOSE_MEANINGS]
    if missing_err or missing_close:
        raise DocsError(f"undocumented codes: {missing_err + missing_close}")
    out = [
        "# Xiaowu hub protocol v1",
        "",
        "<!-- Generated by `python -m signaling.protocol_docs` from signaling/protocol.py;"
        " edit the generator, not this file. -->",
        "",
        _INTRO,
        *_table(["Field", "Type", "Required", "Meaning"], _ENVELOPE_ROWS),
        _REQUESTS,
        "## Errors",
        "",
        "A failed request gets an `error` frame and, unless the code is `internal`, had no "
        "effect. **A bad message never closes the connection by itself**, and the hub never "
        "loses state over one.",
        "",
        "```json",
        _example_json("outbound", "error", OUTBOUND_DOCS["error"].example),
        "```",
        "",
        *_table(["Code", "Meaning"], [(f"`{c}`", _ERROR_MEANINGS[c]) for c in p.ErrorCode]),
        "## Close codes",
        "",
        "The hub closes a connection by itself only for these reasons:",
        "",
        *_table(["Code", "Meaning"], [(str(int(c)), _CLOSE_MEANINGS[c]) for c in p.CloseCode]),
        "After any other loss of the connection, reconnect (with backoff) and resume "
        "within 60 s.",
        "",
        _HANDSHAKE,
        "## Client → hub messages",
        "",
        *_table(
            ["Type", "Sent by", "Reply"],
            [
                (_link("inbound", t), ", ".join(sorted(p.ROLES.get(t, ()))), f"`{d.reply}`")
                for t, d in INBOUND_DOCS.items()
            ],
        ),
    ]
    for mtype, in_doc in INBOUND_DOCS.items():
        out += _section("inbound", mtype, _inbound_head(mtype, in_doc), in_doc.text,
                        in_doc.example, schemas["inbound", mtype])
    out += [
        "## Hub → client messages",
        "",
        *_table(
            ["Type", "To", "Kind"],
            [
                (_link("outbound", t), d.to, _kind(t, d))
                for t, d in OUTBOUND_DOCS.items()
            ],
        ),
    ]
    for mtype, out_doc in OUTBOUND_DOCS.items():
        out += _section("outbound", mtype, _outbound_head(mtype, out_doc), out_doc.text,
                        out_doc.example, schemas["outbound", mtype])
    out += [
        _HTTP_INTRO,
        *_table(["Status", "Codes"], _HTTP_STATUS),
        "### Public and session",
        "",
        *_table(["Request", "Body", "Response"], _HTTP_PUBLIC),
        "### Admin (`/api/admin/`, admin bearer)",
        "",
        *_table(["Request", "Body", "Response"], _HTTP_ADMIN),
        "",
        "### Call documents and face checks",
        "",
        *_table(["Request", "Body", "Response"], _HTTP_CALLS),
        _HTTP_END,
        "### Remote assist forms",
        "",
        *_table(["Request", "Body", "Response"], _HTTP_ASSIST),
        "## JSON Schema",
        "",
        "[`schema/envelope.json`](schema/envelope.json) describes any frame; "
        "`schema/inbound/<type>.json` and `schema/outbound/<type>.json` describe a whole "
        "frame of one type and direction, `data` included (JSON Schema 2020-12). They are "
        "generated from the same models as this page.",
        "",
    ]
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------
# Files


def _dump(obj: Json) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def render() -> dict[str, str]:
    """Every generated file: path relative to the repository root -> text."""
    check_examples()
    problems: list[str] = []
    schemas: dict[tuple[Direction, str], Json] = {}
    directions: tuple[tuple[Direction, Mapping[str, object]], ...] = (
        ("inbound", p.INBOUND),
        ("outbound", p.OUTBOUND),
    )
    for direction, registry in directions:
        for mtype in registry:
            schemas[direction, mtype] = message_schema(direction, mtype, problems)
    if problems:
        raise DocsError("\n".join(sorted(set(problems))))
    files = {f"{SCHEMA_DIR}/envelope.json": _dump(envelope_schema())}
    for (direction, mtype), schema in schemas.items():
        files[f"{SCHEMA_DIR}/{direction}/{mtype}.json"] = _dump(schema)
    files[DOC_PATH] = _markdown(schemas)
    return files


def _orphans(root: Path, files: Mapping[str, str]) -> list[str]:
    """Schema files on disk that the models no longer produce."""
    base = root / SCHEMA_DIR
    found = (f.relative_to(root).as_posix() for f in base.rglob("*.json")) if base.is_dir() else ()
    return sorted(f for f in found if f not in files)


def stale(root: Path, files: Mapping[str, str] | None = None) -> list[str]:
    """Paths under ``root`` that differ from what :func:`render` produces, or should go."""
    wanted = render() if files is None else files
    out = []
    for rel, text in wanted.items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(rel)
    return sorted(out) + _orphans(root, wanted)


def write(root: Path) -> list[str]:
    """Bring the generated files under ``root`` up to date; return the paths changed."""
    files = render()
    changed = stale(root, files)
    for rel in changed:
        path = root / rel
        if rel in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], encoding="utf-8", newline="\n")
        else:
            path.unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m signaling.protocol_docs",
        description="Generate docs/protocol.md and docs/schema/ from signaling.protocol.",
    )
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if any generated file is stale")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="repository root (default: the one holding this package)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            outdated = stale(args.root)
            for rel in outdated:
                print(f"stale: {rel}", file=sys.stderr)
            if outdated:
                print("run: python -m signaling.protocol_docs", file=sys.stderr)
                return 1
            return 0
        for rel in write(args.root):
            print(f"{'wrote' if (args.root / rel).exists() else 'removed'}: {rel}")
    except DocsError as exc:
        print(f"protocol docs do not match the models:\n{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
