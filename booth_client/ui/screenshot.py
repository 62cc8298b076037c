"""Render every kiosk screen with sample data and save PNGs.

    python -m booth_client.ui.screenshot OUTDIR [--size 1920x1080] [--lang zh]

Runs on any Qt platform: ``QT_QPA_PLATFORM=offscreen`` or a real / virtual
display (``xvfb-run -a -s "-screen 0 1920x1080x24" python -m ...``). The views
come from a real :class:`~booth_client.session.BoothSession` fed the frames the
hub would send, so the pictures show what the engine can really produce.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QApplication

from booth_client.session import (
    BoothSession,
    BoothView,
    CaptureResult,
    Effect,
    Send,
    UploadDone,
)
from booth_client.ui.i18n import Lang
from booth_client.ui.rating import RatingScreen
from booth_client.ui.refguard import protect
from booth_client.ui.screenshot_remote import render_remote
from booth_client.ui.theme import apply_theme
from booth_client.ui.window import KioskWindow
from signaling import protocol as p

__all__ = ["main", "SAMPLE_CATALOG", "render_all"]

BOOTH = "石门镇新村村便民服务站"
AGENT = "张敏"
T0 = time.mktime((2025, 6, 10, 10, 24, 0, 0, 0, -1))


def _m(zh: str, en: str) -> dict[str, str]:
    return {"name": zh, "name_en": en}


def _svc(sid: str, zh: str, en: str, *materials: dict[str, str]) -> dict[str, Any]:
    return {"id": sid, "name": zh, "name_en": en, "materials": list(materials)}


ID = _m("居民身份证原件", "Resident ID card (original)")
HUKOU = _m("户口簿", "Household register (hukou booklet)")
SAMPLE_CATALOG: dict[str, Any] = {"departments": [
    {"id": "housing", "name": "住房和城乡建设局",
     "name_en": "Housing and Urban-Rural Development Bureau", "services": [
         _svc("housing.public_rental", "公租房申请", "Public rental housing application",
              ID, HUKOU, _m("婚姻状况证明", "Proof of marital status"),
              _m("家庭成员收入证明（近12个月）", "Household income certificates (12 months)"),
              _m("公共租赁住房申请表", "Public rental housing application form")),
         _svc("housing.provident_fund", "住房公积金提取咨询",
              "Housing provident fund withdrawal", ID),
         _svc("housing.rental_subsidy", "住房租赁补贴申请", "Rental housing subsidy", ID),
         _svc("housing.property_service", "物业服务投诉与咨询",
              "Property management enquiries", ID)]},
    {"id": "emergency", "name": "应急管理局", "name_en": "Emergency Management Bureau",
     "services": [_svc("emergency.safety_permit", "安全生产许可咨询",
                       "Work safety licence", ID)] * 3},
    {"id": "market", "name": "市场监督管理局", "name_en": "Market Supervision Administration",
     "services": [_svc("market.individual_business", "个体工商户设立登记",
                       "Individual business registration", ID)] * 4},
    {"id": "planning", "name": "规划和自然资源分局",
     "name_en": "Planning and Natural Resources Sub-bureau",
     "services": [_svc("planning.real_estate", "不动产登记咨询", "Real estate registration",
                       ID)] * 3},
    {"id": "disabled", "name": "残疾人联合会", "name_en": "Disabled Persons' Federation",
     "services": [_svc("disabled.certificate", "残疾人证办理", "Disability certificate",
                       ID)] * 3},
    {"id": "identity", "name": "统一身份核验", "name_en": "Unified identity verification",
     "services": [_svc("identity.face_check", "人脸身份核验", "Face identity verification",
                       ID)] * 3},
    {"id": "policy", "name": "政策兑现指导", "name_en": "Policy fulfilment guidance",
     "services": [_svc("policy.enterprise_support", "惠企政策兑现",
                       "Enterprise support policy", ID)] * 3},
]}


class _Sample:
    """A booth engine walked through a resident's visit."""

    def __init__(self) -> None:
        self.engine = BoothSession(has_token=True, token="demo")
        self.now = T0
        self._ids: dict[str, str] = {}

    def _keep(self, effects: list[Effect]) -> None:
        for eff in effects:
            if isinstance(eff, Send) and eff.id is not None:
                self._ids[eff.mtype] = eff.id

    def feed(self, mtype: str, **data: Any) -> BoothView:
        model = p.OUTBOUND[mtype]
        re = self._ids.get({"welcome": "hello", "ticket": "ticket.create",
                            "rating": "rating.submit"}.get(mtype, ""))
        self._keep(self.engine.frame(p.Frame(type=mtype, re=re,
                                             data=model.model_validate(data)), self.now))
        return self.engine.view()

    def connecting(self) -> BoothView:
        self._keep(self.engine.start(self.now))
        return self.engine.view()

    def welcome(self) -> BoothView:
        self.connecting()
        self._keep(self.engine.connected(self.now))
        self.feed("welcome", session_id="s1", role="booth",
                  subject={"id": "bth_1", "name": BOOTH}, heartbeat_s=20, server_time=T0)
        self.engine.catalog_loaded(SAMPLE_CATALOG)
        return self.engine.view()

    def act(self, intent: str, *args: Any) -> BoothView:
        self._keep(getattr(self.engine, "user_" + intent)(*args, now=self.now))
        return self.engine.view()


def _picture(w: int, h: int, wall: tuple[int, int, int], coat: tuple[int, int, int],
             seed: int) -> np.ndarray:
    """A stand-in camera picture (BGR): a wall, a person's silhouette, a desk."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    shade = 0.85 + 0.15 * (1 - y / h)
    for c in range(3):
        img[..., c] = wall[c] * shade
    cx, head_y, r = w * (0.5 + 0.04 * seed), h * 0.36, h * 0.13
    head = (x - cx) ** 2 + (y - head_y) ** 2 <= r ** 2
    body = ((x - cx) / (w * 0.22)) ** 2 + ((y - h * 0.95) / (h * 0.42)) ** 2 <= 1
    img[body] = coat
    img[head] = (150, 180, 220)
    img[y > h * 0.86] = (70, 95, 120)
    return np.clip(img, 0, 255).astype(np.uint8)


def render_all(outdir: Path, size: tuple[int, int], lang: Lang = "zh",
               suffix: str = "") -> list[Path]:
    """Save ``booth-<screen>.png`` for every screen; returns the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    clock: list[float] = [T0]
    window = KioskWindow(lambda intent, *a: None, lang=lang, clock=lambda: clock[0])
    window.resize(*size)
    window.show()
    saved: list[Path] = []

    def shot(name: str, view: BoothView, before: Callable[[], None] | None = None) -> None:
        window.render(view)
        if before is not None:
            before()
        for _ in range(3):
            app.processEvents()
        path = outdir / f"booth-{name}{suffix}.png"
        if window.size().toTuple() != size:
            print(f"warning: {name} does not fit {size[0]}x{size[1]}: the window grew to "
                  f"{window.width()}x{window.height()}", file=sys.stderr)
            window.resize(*size)
        if not window.grab().save(str(path)):
            raise OSError(f"cannot write {path}")
        saved.append(path)

    shot("connecting", _Sample().connecting())
    shot("welcome", _Sample().welcome())
    s = _Sample()
    s.welcome()
    shot("choose-departments", s.act("start"))
    shot("choose-services", s.act("department", "housing"))
    shot("choose", s.act("service", "housing.public_rental"))
    s.act("take_ticket")
    shot("waiting", s.feed("ticket", ticket_id="t1", number="A012", state="waiting",
                           position=3, eta_s=540, service_id="housing.public_rental",
                           department_id="housing"))
    view = s.feed("call.start", call_id="c1", ticket_id="t1", role="offerer",
                  peer={"kind": "agent", "id": "u1", "name": AGENT}, ice_servers=[])
    s._keep(s.engine.peer_state("c1", 0, "connected", s.now))
    clock[0] = T0 + 323

    def frames() -> None:
        window.remote_video.push(_picture(1280, 720, (205, 188, 170), (90, 50, 30), 0)[
            ..., ::-1].copy())  # the agent's video arrives as RGB
        window.self_video.push(_picture(640, 360, (190, 200, 205), (60, 80, 110), 1))

    shot("call", s.engine.view(), frames)

    def in_call() -> BoothSession:
        c = _Sample()
        c.welcome()
        c.act("start")
        c.act("service", "housing.public_rental")
        c.act("take_ticket")
        c.feed("ticket", ticket_id="t1", number="A012", state="waiting", position=3,
               eta_s=540, service_id="housing.public_rental", department_id="housing")
        c.feed("call.start", call_id="c1", ticket_id="t1", role="offerer",
               peer={"kind": "agent", "id": "u1", "name": AGENT}, ice_servers=[])
        c._keep(c.engine.peer_state("c1", 0, "connected", c.now))
        return c.engine

    render_remote(window, shot, in_call, T0 + 320, lang, frames)
    s._keep(s.engine.peer_state("c1", 0, "disconnected", s.now))
    shot("call-reconnecting", s.engine.view(), frames)
    s._keep(s.engine.peer_state("c1", 0, "connected", s.now))

    # The agent asks for the ID card: the instruction over the call, counting down.
    s.now = T0 + 323
    s.feed("document.requested", call_id="c1", request_id="req_1", kind="id_front",
           instruction="请把身份证人像面朝上放在高拍仪上")
    clock[0] = T0 + 326  # 3 s of the 20 s countdown gone
    shot("document", s.engine.view(), frames)
    s._keep(s.engine.user_document_ready(s.now))
    s._keep(s.engine.capture_result(CaptureResult("req_1", 1, True), s.now))
    s._keep(s.engine.upload_done(UploadDone("req_1", "doc_1"), s.now))
    s._keep(s.engine.user_dismiss_document(s.now))

    # The face check, second step: "turn your head to the left", 3 s left.
    s.now = T0 + 400
    s.feed("face.check.started", call_id="c1", check_id="fc_1", document_id="doc_1",
           challenges=["turn_left", "blink"], baseline_s=2.0, step_s=4.0, fps=5.0,
           max_frames=40, upload_url="/api/calls/c1/face-checks/fc_1/frames")
    s._keep(s.engine.tick(T0 + 402))
    clock[0] = T0 + 402.6

    def face_frames() -> None:
        window.remote_video.push(_picture(1280, 720, (205, 188, 170), (90, 50, 30), 0)[
            ..., ::-1].copy())
        window.self_video.push(_picture(1280, 720, (190, 200, 205), (60, 80, 110), 0))

    shot("facecheck", s.engine.view(), face_frames)
    s.now = T0 + 420
    s.feed("face.check.status", call_id="c1", check_id="fc_1", state="done")
    s.feed("face.check.status", call_id="c1", check_id="fc_1", state="decided")
    s.now = T0 + 430
    s._keep(s.engine.tick(s.now))
    clock[0] = T0 + 323  # the screens after the call keep the time they always showed
    s.feed("call.ended", call_id="c1", reason="agent_hangup", by="agent")
    view = s.feed("rating.request", call_id="c1")

    def pick_bad() -> None:
        screen = window.current_screen()
        assert isinstance(screen, RatingScreen)
        screen.level_buttons[2].click()
        screen.reason_buttons["reason.waiting"].click()
        screen.reason_buttons["reason.unclear"].click()

    shot("rating", view)
    shot("rating-reasons", view, pick_bad)
    s.act("rate", 2, ("reason.waiting", "reason.unclear"))
    shot("thanks", s.feed("rating", call_id="c1", level=2))

    d = _Sample()
    d.welcome()
    d._keep(d.engine.disconnected(d.now, p.CloseCode.REVOKED))
    shot("disabled", d.engine.view())
    u = BoothSession(has_token=False)
    u.start(T0)
    shot("unenrolled", u.view())
    window.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m booth_client.ui.screenshot",
                                 description="save PNGs of every kiosk screen")
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--size", default="1920x1080", help="window size WxH")
    ap.add_argument("--lang", choices=("zh", "en"), default="zh")
    ap.add_argument("--suffix", default="", help="added to each file name, e.g. -en")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    protect()  # booth_client.ui.refguard: the binding drops refs of None on CPython 3.11
    family = apply_theme(app)
    lang: Lang = "en" if args.lang == "en" else "zh"
    for path in render_all(args.outdir, (w, h), lang, args.suffix):
        print(path)
    if family is None:
        print("warning: no CJK font installed (apt-get install fonts-noto-cjk)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
