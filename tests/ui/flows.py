"""Views for the kiosk tests, made by driving a real :class:`BoothSession`.

:class:`Booth` feeds the engine the frames the hub would send (built with the
protocol models, as ``tests/unit/test_booth_session.py`` does), so every view a
test draws is one the engine can really produce.
"""

from __future__ import annotations

from typing import Any

from booth_client import session as s
from signaling import protocol as p

__all__ = ["CATALOG", "Booth", "FakeRunner", "LoopbackRunner", "frame"]

CFG = s.SessionConfig(choose_idle_s=10, rating_idle_s=5, thanks_s=2, media_grace_s=3,
                      media_connect_s=8, backoff_base_s=1, backoff_max_s=8)

BOOTH_NAME = "石门镇新村村便民服务站"
AGENT = "张敏"
RENTAL_MATERIALS = ("居民身份证原件", "户口簿", "婚姻状况证明", "家庭成员收入证明",
                    "公共租赁住房申请表")
RENTAL_MATERIALS_EN = ("Resident ID card (original)", "Household register (hukou booklet)",
                       "Proof of marital status", "Household income certificates",
                       "Public rental housing application form")


def _materials(zh: tuple[str, ...], en: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"name": a, "name_en": b} for a, b in zip(zh, en, strict=True)]


CATALOG: dict[str, Any] = {"departments": [
    {"id": "housing", "name": "住房和城乡建设局",
     "name_en": "Housing and Urban-Rural Development Bureau",
     "services": [
         {"id": "housing.public_rental", "name": "公租房申请",
          "name_en": "Public rental housing application",
          "materials": _materials(RENTAL_MATERIALS, RENTAL_MATERIALS_EN)},
         {"id": "housing.provident_fund", "name": "住房公积金提取咨询",
          "name_en": "Housing provident fund withdrawal",
          "materials": [{"name": "居民身份证原件", "name_en": "Resident ID card (original)"},
                        {"name": "住房公积金联名卡",
                         "name_en": "Provident fund co-branded bank card"}]},
     ]},
    {"id": "market", "name": "市场监督管理局", "name_en": "Market Supervision Administration",
     "services": [
         {"id": "market.individual_business", "name": "个体工商户设立登记",
          "name_en": "Individual business registration",
          "materials": [{"name": "经营者居民身份证原件",
                         "name_en": "Operator's resident ID card (original)"}]},
     ]},
    {"id": "disabled", "name": "残疾人联合会", "name_en": "Disabled Persons' Federation",
     "services": []},
]}


def frame(mtype: str, re: str | None = None, **data: Any) -> p.Frame:
    model = p.OUTBOUND[mtype]
    return p.Frame(type=mtype, re=re, data=model.model_validate(data))


class FakeRunner:
    """Stands in for :class:`BoothRunner`: records every ``act``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.now = now

    def act(self, intent: str, *args: Any) -> None:
        self.calls.append((intent, *args))

    def clock(self) -> float:
        return self.now

    def intents(self) -> list[tuple[Any, ...]]:
        """The calls other than ``touch``."""
        return [c for c in self.calls if c[0] != "touch"]


class Booth:
    """A real engine, walked to the screen a test needs."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.engine = s.BoothSession(has_token=True, token="tok", config=CFG)
        self.sent: list[s.Send] = []

    def view(self) -> s.BoothView:
        return self.engine.view()

    def _keep(self, effects: list[s.Effect]) -> list[s.Effect]:
        self.sent += [e for e in effects if isinstance(e, s.Send)]
        return effects

    def last_request(self, mtype: str) -> str:
        return next(e.id for e in reversed(self.sent) if e.mtype == mtype and e.id)

    def feed(self, mtype: str, re: str | None = None, **data: Any) -> s.BoothView:
        self._keep(self.engine.frame(frame(mtype, re=re, **data), self.now))
        return self.view()

    def connecting(self) -> s.BoothView:
        self._keep(self.engine.start(self.now))
        return self.view()

    def online(self) -> s.BoothView:
        self.connecting()
        self._keep(self.engine.connected(self.now))
        self.feed("welcome", re=self.last_request("hello"), session_id="s1", role="booth",
                  subject={"id": "bth_1", "name": BOOTH_NAME}, heartbeat_s=20,
                  server_time=self.now)
        self.engine.catalog_loaded(CATALOG)
        assert self.engine.screen is s.Screen.WELCOME
        return self.view()

    def choosing(self, department: str | None = None, service: str | None = None
                 ) -> s.BoothView:
        if self.engine.screen is s.Screen.UNENROLLED:
            self.online()
        if self.engine.screen is s.Screen.WELCOME:
            self.engine.user_start(self.now)
        if department is not None:
            self.engine.user_department(department, self.now)
        if service is not None:
            self.engine.user_service(service, self.now)
        return self.view()

    def take_ticket(self) -> s.BoothView:
        """Choosing, the ticket request sent and not yet answered (``busy``)."""
        self.choosing("housing", "housing.public_rental")
        self._keep(self.engine.user_take_ticket(self.now))
        return self.view()

    def waiting(self, position: int = 3, eta_s: int = 600,
                priority: bool = False) -> s.BoothView:
        self.take_ticket()
        view = self.feed("ticket", re=self.last_request("ticket.create"), ticket_id="t1",
                         number="A012", state="waiting", position=position, eta_s=eta_s,
                         service_id="housing.public_rental", department_id="housing",
                         priority="priority" if priority else "normal")
        assert view.screen is s.Screen.WAITING
        return view

    def in_call(self) -> s.BoothView:
        self.waiting()
        view = self.feed("call.start", call_id="c1", ticket_id="t1", role="offerer",
                         peer={"kind": "agent", "id": "u1", "name": AGENT}, ice_servers=[])
        assert view.screen is s.Screen.IN_CALL
        return view

    def document(self, kind: str = "id_front", instruction: str | None = None,
                 request_id: str = "req_1") -> s.BoothView:
        """In a call, the agent has asked for a document (the instruction is up)."""
        if self.engine.screen is not s.Screen.IN_CALL:
            self.in_call()
        return self.feed("document.requested", call_id="c1", request_id=request_id, kind=kind,
                         instruction=instruction)

    def face_check(self, challenges: tuple[str, ...] = ("blink", "turn_left"),
                   check_id: str = "fc_1") -> s.BoothView:
        """In a call, a face check has just started (the baseline step is up)."""
        if self.engine.screen is not s.Screen.IN_CALL:
            self.in_call()
        return self.feed("face.check.started", call_id="c1", check_id=check_id,
                         document_id="doc_1", challenges=list(challenges), baseline_s=2.0,
                         step_s=4.0, fps=5.0, max_frames=40,
                         upload_url=f"/api/calls/c1/face-checks/{check_id}/frames")

    def at(self, now: float) -> s.BoothView:
        """Let the engine's timers run up to ``now``."""
        self.now = now
        self._keep(self.engine.tick(now))
        return self.view()

    def media(self, state: str) -> s.BoothView:
        call = self.engine.call
        assert call is not None
        self._keep(self.engine.peer_state(call.call_id, call.gen, state, self.now))
        return self.view()

    def rating(self, call_id: str = "c1") -> s.BoothView:
        if self.engine.screen is not s.Screen.IN_CALL:
            self.in_call()
        self.feed("call.ended", call_id="c1", reason="agent_hangup", by="agent")
        view = self.feed("rating.request", call_id=call_id)
        assert view.screen is s.Screen.RATING
        return view

    def thanks(self) -> s.BoothView:
        self.rating()
        self._keep(self.engine.user_rate(5, (), now=self.now))
        view = self.feed("rating", re=self.last_request("rating.submit"), call_id="c1",
                         level=5)
        assert view.screen is s.Screen.THANKS
        return view

    def disabled(self) -> s.BoothView:
        self.online()
        self._keep(self.engine.disconnected(self.now, p.CloseCode.REVOKED))
        return self.view()


class LoopbackRunner:
    """Calls the real engine's intents and draws each new view (the runner, minus I/O)."""

    def __init__(self, booth: Booth, draw: Any) -> None:
        self.booth = booth
        self.draw = draw
        self.calls: list[tuple[Any, ...]] = []

    def act(self, intent: str, *args: Any) -> None:
        self.calls.append((intent, *args))
        method = getattr(self.booth.engine, "user_" + intent)
        self.booth._keep(method(*args, now=self.booth.now))
        self.draw(self.booth.view())
