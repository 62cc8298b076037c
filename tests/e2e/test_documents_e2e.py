"""Documents and the face check end to end with real processes on 127.0.0.1: the hub
(``xiaowu-server``), a headless booth (``xiaowu-booth``, synthetic or folder scanner,
file camera) and the headless agent (``xiaowu-seat``) scripting the agent's side."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest

from tests.e2e.procs import BIN, Hub, Line, Proc, run_json
from tests.e2e.test_booth_e2e import SERVICE, enroll_args
from tests.face import assets
from tests.face.conftest import face_images  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    h = Hub(tmp_path / "hub", env={"XIAOWU_FACE_STEP_S": "2.0", "XIAOWU_FACE_FPS": "4"})
    try:
        await h.ready()
        yield h
    finally:
        h.stop()


def _booth(hub: Hub, cfg: Path, *extra: str) -> Proc:
    return Proc("booth", [str(BIN / "xiaowu-booth"), "--server", hub.base, "--config-dir",
                          str(cfg), "--headless", "--size", "640x480", "--fps", "10",
                          "--ice-address", "127.0.0.1", "--service", SERVICE,
                          "--log-level", "INFO", *enroll_args(hub), *extra])


def _agent(hub: Hub, *extra: str) -> Proc:
    return Proc("agent", [str(BIN / "xiaowu-seat"), "--server", hub.base, "--username",
                          "zhangmin", "--password", "agent-pass-1", "--headless",
                          "--auto-accept", "--ice-address", "127.0.0.1", *extra])


def _event(name: str, **match: object) -> object:
    return lambda ln: ln.get("event") == name and all(ln.get(k) == v for k, v in match.items())


async def _get(hub: Hub, path: str, token: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http, http.get(
            hub.base + path, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.read()


async def _login(hub: Hub, username: str, password: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(
            hub.base + "/api/login", json={"username": username, "password": password}) as r:
        return str((await r.json())["token"])


def _audit(hub: Hub) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = run_json([*hub.admin, "audit", "list", "--limit", "500"])[
        "rows"]
    return rows


async def test_agent_requests_booth_scans_and_uploads_agent_downloads(hub: Hub,
                                                                      tmp_path: Path) -> None:
    hub.add_agent("zhangmin", "agent-pass-1", ["housing"])
    hub.add_agent("lisi", "agent-pass-2", ["housing"])
    saved = tmp_path / "saved"
    agent = _agent(hub, "--request-document", "id_front", "--review", "rescan",
                   "--save-dir", str(saved))
    booth = _booth(hub, tmp_path / "booth", "--camera", "synthetic",
                   "--scanner", "synthetic:id_card_front")
    try:
        first: Line = await agent.wait_for(_event("document.downloaded"), 60,  # type: ignore[arg-type]
                                           "the first scan downloaded")
        # --review rescan: the booth scans the same request again, then it is accepted
        second: Line = await agent.wait_for(
            lambda ln: ln.get("event") == "document.downloaded"
            and ln.get("document_id") != first["document_id"], 40, "the re-scan")
        assert second["request_id"] == first["request_id"]
        await agent.wait_for(_event("document.reviewed", decision="accepted"), 20,  # type: ignore[arg-type]
                             "accepted")
        added = next(ln for ln in agent.lines if ln.get("event") == "document.added"
                     and ln.get("document_id") == second["document_id"])
        uploaded = [ln for ln in booth.lines if ln.get("event") == "document.upload"
                    and ln.get("ok")]
        assert any(ln["sha256"] == added["sha256"] for ln in uploaded), uploaded
        # the agent saved exactly the bytes the hub stored, with the announced hash
        path = Path(str(second["path"]))
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == added["sha256"] == second["sha256"]
        assert (path.stat().st_mode & 0o777) == 0o600
        stored = hub.data_dir / "files" / added["sha256"][:2] / added["sha256"][2:4] / str(
            added["sha256"])
        assert stored.read_bytes() == data and (stored.stat().st_mode & 0o777) == 0o600
        assert added["width"] >= 800 and added["kind"] == "id_front"

        # another agent's token is refused; the call's agent may read it again
        other = await _login(hub, "lisi", "agent-pass-2")
        status, _ = await _get(hub, f"/api/documents/{added['document_id']}", other)
        assert status == 403
        mine = await _login(hub, "zhangmin", "agent-pass-1")
        status, body = await _get(hub, f"/api/documents/{added['document_id']}", mine)
        assert status == 200 and body == data

        rows = _audit(hub)
        by_action = [(r["action"], r["target"]) for r in rows]
        assert ("document.upload", added["document_id"]) in by_action
        reads = [r for r in rows if r["action"] == "document.read"
                 and r["target"] == added["document_id"]]
        assert len(reads) >= 2  # the scripted download and the read above
        assert ("document.denied", added["document_id"]) in by_action
        assert ("document.review", first["document_id"]) in by_action
        assert run_json([*hub.admin, "audit", "verify"])["ok"] is True
    finally:
        booth.stop()
        agent.stop()


def _face_video(path: Path, name: str) -> Path:
    """A short MJPEG video of a real face (the booth's file camera loops it)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    assert writer.isOpened()
    frame = cv2.imdecode(np.frombuffer(assets.live_frame(name, face_px=220), np.uint8),
                         cv2.IMREAD_COLOR)
    for i in range(20):
        shifted = np.roll(frame, i % 3, axis=1)  # a little movement, still one person
        writer.write(shifted)
    writer.release()
    return path


async def test_face_check_through_the_hub(hub: Hub, tmp_path: Path,
                                          face_images: Path) -> None:  # noqa: F811
    hub.add_agent("zhangmin", "agent-pass-1", ["housing"])
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "card.jpg").write_bytes(assets.id_card("obama2.jpg"))
    video = _face_video(tmp_path / "face.avi", "obama.jpg")
    agent = _agent(hub, "--request-document", "id_front", "--review", "accepted",
                   "--face-check", "--face-decision", "confirmed")
    booth = _booth(hub, tmp_path / "booth", "--camera", f"file:{video}",
                   "--scanner", f"folder:{scans}")
    try:
        started: Line = await agent.wait_for(_event("face.check.started"), 60,  # type: ignore[arg-type]
                                             "the face check started")
        result: Line = await agent.wait_for(_event("face.check.result"), 90,  # type: ignore[arg-type]
                                            "the face check result")
        assert result["check_id"] == started["check_id"]
        assert result["state"] == "judged", result
        # a real face of the same person as the card: the distance says so
        assert result["band"] in ("match", "review"), result
        assert result["model"]["name"]
        # a looping video of a still face cannot pass the liveness challenge
        assert result["passed"] is False
        await agent.wait_for(_event("face.check.decided"), 20,  # type: ignore[arg-type]
                             "decided")
        await booth.wait_for(lambda ln: ln.get("event") == "state" and
                             (ln.get("face") or {}).get("phase") == "decided", 20,
                             "the booth shows decided")
        rows = _audit(hub)
        actions = {r["action"]: r for r in rows if r["target"] == started["check_id"]}
        assert {"face.check.start", "face.check.submit", "face.check.result",
                "face.check.decide"} <= actions.keys()
        assert actions["face.check.result"]["detail"]["band"] == result["band"]  # type: ignore[index]
        assert actions["face.check.decide"]["detail"]["decision"] == "confirmed"  # type: ignore[index]
        assert run_json([*hub.admin, "audit", "verify"])["ok"] is True
    finally:
        booth.stop()
        agent.stop()
