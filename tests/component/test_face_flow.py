"""The face check flow through the hub (messages, frame uploads, authorization, audit,
cancellation), with a stand-in judge; the real engine is exercised in tests/face
and end to end in tests/e2e."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from signaling.faces import CHALLENGES, FaceJob, FaceVerdict, JudgeUnavailable, pick_challenges
from tests.component.test_documents import CallSetup, _call, _get, _page, _upload
from tests.harness import HubEnv


def _jpeg(w: int = 320, h: int = 240, shade: int = 120) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((h, w, 3), shade, np.uint8)).save(out, "JPEG")
    return out.getvalue()


class StandInJudge:
    def __init__(self, *, fail: bool = False, gate: str | None = None,
                 delay: float = 0.0) -> None:
        self.jobs: list[FaceJob] = []
        self.fail, self.gate, self.delay = fail, gate, delay
        self.closed = False

    async def judge(self, job: FaceJob) -> FaceVerdict:
        self.jobs.append(job)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise JudgeUnavailable("queue full")
        passed = self.gate is None
        return FaceVerdict(result={
            "state": "judged", "band": "match", "distance": 0.31,
            "thresholds": {"match_max": job.match_max, "mismatch_min": job.mismatch_min},
            "model": {"name": "stand-in", "version": "1"}, "passed": passed,
            "gates": [{"name": "face_size", "passed": passed, "value": 0.1, "limit": 0.2,
                       "hint": self.gate}],
            "liveness": [{"action": c, "passed": True} for c in job.challenges],
            "id_box": [1, 2, 30, 40], "live_box": [10, 20, 100, 200],
        }, portrait_jpeg=_jpeg(102, 126), best_frame=1, hint=self.gate)

    async def close(self) -> None:
        self.closed = True


async def _with_id_doc(env: HubEnv, judge: StandInJudge) -> tuple[CallSetup, str]:
    env.hub.faces._judge_factory = lambda: judge
    c = await _call(env)
    status, doc = await _upload(env, c.booth_token, c.call_id, _page(800, 500, "JPEG"),
                                ctype="image/jpeg")
    assert status == 201
    await c.agent.expect("document.added")
    return c, doc["document_id"]


async def _frame(env: HubEnv, token: str, url: str, seq: int, step: str, body: bytes,
                 t_ms: int | None = None) -> tuple[int, Any]:
    assert env.http is not None
    t = seq * 200 if t_ms is None else t_ms
    async with env.http.post(f"{env.base}{url}?seq={seq}&t_ms={t}&step={step}",
                             data=io.BytesIO(body),
                             headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


def test_pick_challenges_two_distinct_never_both_turns() -> None:
    import random
    rng = random.Random(3)
    seen = set()
    for _ in range(300):
        a, b = pick_challenges(rng)
        assert a != b and {a, b} != {"turn_left", "turn_right"}
        assert a in CHALLENGES and b in CHALLENGES
        seen.add((a, b))
    assert len(seen) == 10  # 12 ordered pairs minus the two of both turns


async def test_face_check_flow(env: HubEnv) -> None:
    judge = StandInJudge()
    c, doc_id = await _with_id_doc(env, judge)
    started = await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                         "document_id": doc_id})
    assert started["type"] == "face.check.started", started
    d = started["data"]
    assert len(d["challenges"]) == 2 and d["max_frames"] == env.settings.face_max_frames
    booth_started = (await c.booth.expect("face.check.started"))["data"]
    assert booth_started == d
    url = d["upload_url"]
    steps = ["baseline", "baseline", d["challenges"][0], d["challenges"][1]]
    for seq, step in enumerate(steps):
        status, reply = await _frame(env, c.booth_token, url, seq, step, _jpeg(shade=seq * 40))
        assert status == 201 and reply["frames"] == seq + 1, reply
    # replacing a frame keeps the count
    status, reply = await _frame(env, c.booth_token, url, 3, steps[3], _jpeg(shade=7))
    assert status == 201 and reply["frames"] == 4

    wrong = await c.booth.request("face.check.submit", {"call_id": c.call_id,
                                                        "check_id": d["check_id"], "frames": 9})
    assert wrong["data"]["code"] == "conflict"
    submitted = await c.booth.request("face.check.submit", {"call_id": c.call_id,
                                                            "check_id": d["check_id"],
                                                            "frames": 4})
    assert submitted["type"] == "face.check.status" and submitted["data"]["state"] == "judging"
    assert (await c.agent.expect("face.check.status"))["data"]["state"] == "judging"
    result = (await c.agent.expect("face.check.result"))["data"]
    assert result["band"] == "match" and result["passed"] and result["state"] == "judged"
    # a booth that lost the reply submits again on resume: it is told where things stand
    again = await c.booth.request("face.check.submit", {"call_id": c.call_id,
                                                        "check_id": d["check_id"], "frames": 4})
    assert again["type"] == "face.check.status" and again["data"]["state"] == "done"
    assert len(judge.jobs) == 1, "judged once"
    assert result["portrait_url"] and result["live_url"]
    assert (await c.booth.expect("face.check.status"))["data"]["state"] == "done"
    job = judge.jobs[0]
    assert [f[2] for f in job.frames] == steps and job.challenges == tuple(d["challenges"])
    # frames are closed once submitted
    status, reply = await _frame(env, c.booth_token, url, 5, "baseline", _jpeg())
    assert status == 404, reply

    code, portrait, _ = await _get(env, result["portrait_url"], c.agent_token)
    assert code == 200 and Image.open(io.BytesIO(portrait)).size == (102, 126)
    code, live, _ = await _get(env, result["live_url"], c.agent_token)
    assert code == 200 and Image.open(io.BytesIO(live)).size == (320, 240)
    other = await env.add_agent("li", ["housing"])
    code, _, _ = await _get(env, result["live_url"], other)
    assert code == 403

    decided = await c.agent.request("face.check.decide", {"check_id": d["check_id"],
                                                          "decision": "confirmed",
                                                          "note": "人证一致"})
    assert decided["type"] == "face.check.decided" and decided["data"]["by"]["name"]
    assert (await c.booth.expect("face.check.status"))["data"]["state"] == "decided"
    again = await c.agent.request("face.check.decide", {"check_id": d["check_id"],
                                                        "decision": "rejected"})
    assert again["data"]["code"] == "conflict"

    listed = await env.call("GET", f"/api/calls/{c.call_id}/face-checks",
                            token=c.agent_token)
    assert [x["check_id"] for x in listed["face_checks"]] == [d["check_id"]]
    assert listed["face_checks"][0]["result"]["band"] == "match"
    assert listed["face_checks"][0]["decision"] == "confirmed"
    await env.call("GET", f"/api/calls/{c.call_id}/face-checks", token=other, expect=403)
    rec = await env.hub.store.get_face_check(d["check_id"])
    assert rec.decision == "confirmed" and rec.decided_by and rec.band == "match"
    assert rec.result is not None and rec.result["distance"] == 0.31
    actions = [r.action for r in await env.hub.store.list_audit(limit=1000)]
    for action in ("face.check.start", "face.check.submit", "face.check.result",
                   "face.read", "face.denied", "face.check.decide"):
        assert action in actions, action
    assert (await env.hub.store.verify_audit()).ok


async def test_failed_gate_tells_the_booth_what_to_do(env: HubEnv) -> None:
    c, doc_id = await _with_id_doc(env, StandInJudge(gate="too_small"))
    d = (await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                    "document_id": doc_id}))["data"]
    await c.booth.expect("face.check.started")
    await _frame(env, c.booth_token, d["upload_url"], 0, "baseline", _jpeg())
    await c.booth.request("face.check.submit", {"call_id": c.call_id, "check_id": d["check_id"],
                                                "frames": 1})
    result = (await c.agent.expect("face.check.result"))["data"]
    assert not result["passed"]
    status = (await c.booth.expect("face.check.status", state="retry"))["data"]
    assert status["hint"] == "too_small"


async def test_busy_judge_gives_a_failed_result(env: HubEnv) -> None:
    c, doc_id = await _with_id_doc(env, StandInJudge(fail=True))
    d = (await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                    "document_id": doc_id}))["data"]
    await _frame(env, c.booth_token, d["upload_url"], 0, "baseline", _jpeg())
    await c.booth.request("face.check.submit", {"call_id": c.call_id, "check_id": d["check_id"],
                                                "frames": 1})
    result = (await c.agent.expect("face.check.result"))["data"]
    assert result["state"] == "failed" and "queue full" in result["error"]["message"]
    # the agent can still record a decision (e.g. by checking the card by eye)
    decided = await c.agent.request("face.check.decide", {"check_id": d["check_id"],
                                                          "decision": "rejected"})
    assert decided["type"] == "face.check.decided"


async def test_call_end_cancels_a_check_being_judged(env: HubEnv) -> None:
    judge = StandInJudge(delay=1.0)
    c, doc_id = await _with_id_doc(env, judge)
    d = (await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                    "document_id": doc_id}))["data"]
    await _frame(env, c.booth_token, d["upload_url"], 0, "baseline", _jpeg())
    await c.booth.request("face.check.submit", {"call_id": c.call_id, "check_id": d["check_id"],
                                                "frames": 1})
    await c.agent.request("call.end", {"call_id": c.call_id})
    assert (await c.booth.expect("face.check.status", state="cancelled"))["data"]
    await asyncio.sleep(1.2)
    c.agent.drop("face.check.status")
    with pytest.raises(AssertionError, match="no face.check.result"):
        await c.agent.expect("face.check.result", timeout=0.5)
    assert (await env.hub.store.get_face_check(d["check_id"])).state == "cancelled"


async def test_bad_starts_and_frames(env: HubEnv) -> None:
    c, doc_id = await _with_id_doc(env, StandInJudge())
    status, other_doc = await _upload(env, c.booth_token, c.call_id, _page(300, 200),
                                      kind="household_register")
    refused = await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                         "document_id": other_doc["document_id"]})
    assert refused["data"]["code"] == "conflict", "only an ID card front"
    refused = await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                         "document_id": "doc_nope"})
    assert refused["data"]["code"] == "not_found"
    refused = await c.booth.request("face.check.start", {"call_id": c.call_id,
                                                         "document_id": doc_id})
    assert refused["data"]["code"] == "forbidden"
    d = (await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                    "document_id": doc_id}))["data"]
    url = d["upload_url"]
    good = _jpeg()
    for seq, step, body, code in (
        (0, "jump", good, 400),                     # not a step of this check
        (999, "baseline", good, 400),               # seq out of range
        (0, "baseline", b"not an image", 400),
        (0, "baseline", good[: len(good) // 2], 400),  # truncated
        (0, "baseline", b"\xff" * (3 * 1024 * 1024), 413),
    ):
        status, reply = await _frame(env, c.booth_token, url, seq, step, body)
        assert status == code, (seq, step, reply)
        assert reply["error"]["message"]
    _, other_booth = await env.add_booth("另一个服务站")
    status, _ = await _frame(env, other_booth, url, 0, "baseline", good)
    assert status == 403
    status, _ = await _frame(env, "bad-token", url, 0, "baseline", good)
    assert status == 401
    assert await env.hub.store.face_frames(d["check_id"]) == []
    # a second start supersedes the first: its frames are closed
    d2 = (await c.agent.request("face.check.start", {"call_id": c.call_id,
                                                     "document_id": doc_id}))["data"]
    assert d2["check_id"] != d["check_id"]
    status, _ = await _frame(env, c.booth_token, url, 0, "baseline", good)
    assert status == 404
    assert (await env.hub.store.get_face_check(d["check_id"])).state == "cancelled"
