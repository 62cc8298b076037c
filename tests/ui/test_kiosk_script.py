"""The kiosk's scripted resident (``XIAOWU_KIOSK_SCRIPT``, a test and demo hook): it
answers the consent question, fills a pushed form key by key on the on-screen
keyboard, reviews, signs with touch events and submits, all through the widgets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from booth_client import session as s
from booth_client.remote import Consent
from booth_client.remote_forms import FormPhase, FormResult
from booth_client.ui.kiosk_script import KioskScript, load_script
from booth_client.ui.window import KioskWindow
from tests.ui.flows import Booth, LoopbackRunner
from tests.unit.test_booth_remote import FORM, ID

SCRIPT = {"steps": [
    {"on": "consent", "scope": "screen", "answer": True},
    {"on": "form", "fill": {"id_number": ID, "phone": "13812345678", "household": "3",
                            "housing": "none", "needs": ["lift"], "agree": True,
                            "address": "新村3组"},  # Chinese through pinyin, digits as keys
     "review": True, "sign": True, "submit": True, "done": True},
    {"on": "share", "stop": True},
]}


async def test_the_scripted_resident_uses_the_real_widgets(qapp: QApplication,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(SCRIPT), encoding="utf-8")
    script = load_script(path)
    booth = Booth()
    booth.in_call()
    submitted: list[s.SubmitForm] = []
    keep = booth._keep

    def hub(effects: list[s.Effect]) -> list[s.Effect]:
        keep(effects)
        for eff in effects:  # the hub stores the submission and says so
            if isinstance(eff, s.SubmitForm):
                submitted.append(eff)
                booth.engine.form_result(FormResult(eff.form_id, True, sha256="c" * 64),
                                         booth.now)
        return effects

    booth._keep = hub  # type: ignore[method-assign]
    holder: dict[str, LoopbackRunner] = {}
    window = KioskWindow(lambda intent, *a: holder["r"].act(intent, *a),
                         clock=lambda: booth.now)
    holder["r"] = LoopbackRunner(booth, window.render)
    window.resize(1920, 1080)
    window.show()
    events: list[dict[str, Any]] = []
    player = KioskScript(window, booth.view, script, events.append)
    try:
        window.render(booth.feed("assist.consent.requested", call_id="c1", scope="screen"))
        player.start()
        for _ in range(100):
            await asyncio.sleep(0.02)
            if any(e.get("action") == "answer" for e in events):
                break
        window.render(booth.feed("ok", re=booth.last_request("assist.consent")))
        window.render(booth.feed("assist.form", call_id="c1", form_id="frm_1", form=FORM))
        for _ in range(1000):
            await asyncio.sleep(0.02)
            if any(e["event"] != "kiosk.script" for e in events):
                break
        assert events[-1] == {"event": "kiosk.script.done", "steps": 3}, events[-3:]
    finally:
        await player.stop()
        window.close()
        window.deleteLater()
    actions = [(e["on"], e["action"]) for e in events if e["event"] == "kiosk.script"]
    assert actions[:2] == [("consent", "answer"), ("form", "fill")]
    assert actions[-5:] == [("form", "review"), ("form", "sign"), ("form", "submit"),
                            ("form", "done"), ("share", "stop")]
    assert len(submitted) == 1
    body = submitted[0].body
    assert body["values"]["id_number"] == ID and body["values"]["needs"] == ["lift"]
    assert body["values"]["address"] == "新村3组"
    strokes = body["signature"]["strokes"]
    assert body["reviewed"] is True and len(strokes) == 2
    assert all(len(st) >= 20 for st in strokes), "drawn point by point, as a finger moves"
    assert strokes[0][0][0] != strokes[0][-1][0] and strokes[0][-1][2] > 0
    remote = booth.view().remote
    assert remote is not None and remote.screen is Consent.OFF and remote.form is None
    form = booth.engine.remote.forms["frm_1"]  # type: ignore[union-attr]
    assert form.phase is FormPhase.SUBMITTED
