"""The booth engine without sockets: feed frames and intents, check effects and view."""

from __future__ import annotations

from typing import Any

import pytest

from booth_client import session as s
from signaling import protocol as p

CFG = s.SessionConfig(choose_idle_s=10, rating_idle_s=5, thanks_s=2, media_grace_s=3,
                      media_connect_s=8, backoff_base_s=1, backoff_max_s=8)
CATALOG = {"departments": [{"id": "housing", "name": "住房和城乡建设局", "name_en": "Housing",
                            "services": [{"id": "housing.public_rental", "name": "公租房申请",
                                          "materials": [{"name": "居民身份证原件"}]}]}]}


def frame(mtype: str, re: str | None = None, **data: Any) -> p.Frame:
    model = p.OUTBOUND[mtype]
    return p.Frame(type=mtype, re=re, data=model.model_validate(data))


def welcome(resumed: bool = False, ticket: str | None = None, call: str | None = None,
            sid: str = "s1") -> p.Frame:
    return frame("welcome", re="b1", session_id=sid, role="booth",
                 subject={"id": "bth_1", "name": "新村村服务站"}, heartbeat_s=20,
                 server_time=0.0, resumed=resumed,
                 restored={"ticket_id": ticket, "call_id": call})


def sends(effects: list[s.Effect], mtype: str) -> list[s.Send]:
    return [e for e in effects if isinstance(e, s.Send) and e.mtype == mtype]


def online() -> s.BoothSession:
    eng = s.BoothSession(has_token=True, token="tok", config=CFG)
    assert eng.start(0.0) == [s.Connect()]
    assert eng.screen is s.Screen.CONNECTING and eng.link is s.Link.CONNECTING
    hello = sends(eng.connected(0.0), "hello")[0]
    assert isinstance(hello.data, p.Hello) and hello.data.resume is None
    effects = eng.frame(welcome(), 0.0)
    assert s.LoadCatalog() in effects and sends(effects, "booth.status")
    eng.catalog_loaded(CATALOG)
    assert eng.screen is s.Screen.WELCOME and eng.link is s.Link.ONLINE
    return eng


def waiting(eng: s.BoothSession) -> str:
    eng.user_start(1.0)
    eng.user_service("housing.public_rental", 1.0)
    create = sends(eng.user_take_ticket(1.0), "ticket.create")[0]
    assert eng.view().busy
    eng.frame(frame("ticket", re=create.id, ticket_id="t1", number="A012", state="waiting",
                    position=3, eta_s=600, service_id="housing.public_rental",
                    department_id="housing"), 2.0)
    assert eng.screen is s.Screen.WAITING and not eng.view().busy
    return "t1"


def in_call(eng: s.BoothSession) -> str:
    waiting(eng)
    effects = eng.frame(frame("call.start", call_id="c1", ticket_id="t1", role="offerer",
                              peer={"kind": "agent", "id": "u1", "name": "张敏"},
                              ice_servers=[{"urls": ["turn:127.0.0.1:3478"], "username": "1:x",
                                            "credential": "y"}]), 3.0)
    assert effects == [s.StartMedia("c1", 0, ({"urls": ["turn:127.0.0.1:3478"],
                                                "username": "1:x", "credential": "y"},))]
    assert eng.screen is s.Screen.IN_CALL and eng.media is s.Media.CONNECTING
    return "c1"


def test_unenrolled_booth_does_not_connect() -> None:
    eng = s.BoothSession(has_token=False, config=CFG)
    assert eng.start(0.0) == []
    assert eng.screen is s.Screen.UNENROLLED
    assert eng.enrolled("tok", 1.0) == [s.Connect()]
    assert eng.screen is s.Screen.CONNECTING


def test_choose_service_and_take_ticket() -> None:
    eng = online()
    assert eng.user_take_ticket(1.0) == []  # not choosing yet
    eng.user_start(1.0)
    assert eng.screen is s.Screen.CHOOSING
    assert eng.user_take_ticket(1.0) == []  # no service chosen
    eng.user_department("housing", 1.0)
    eng.user_service("housing.public_rental", 1.0)
    view = eng.view()
    assert view.department_id == "housing" and view.service_id == "housing.public_rental"
    assert view.departments[0].services[0].materials == ("居民身份证原件",)
    first = eng.user_take_ticket(1.0)
    [create] = sends(first, "ticket.create")
    assert create.data.model_dump()["priority"] == "normal"
    assert eng.user_take_ticket(1.0) == []  # a double tap sends nothing more
    assert eng.user_take_priority_ticket(1.0) == []  # nor a tap on the other button


def test_priority_ticket() -> None:
    eng = online()
    eng.user_start(1.0)
    eng.user_service("housing.public_rental", 1.0)
    [create] = sends(eng.user_take_priority_ticket(1.0), "ticket.create")
    assert create.data.model_dump() == {"service_id": "housing.public_rental",
                                        "priority": "priority"}


def test_back_and_inactivity_return_to_welcome_and_clear() -> None:
    eng = online()
    eng.user_start(0.0)
    eng.user_service("housing.public_rental", 0.0)
    eng.user_back(1.0)
    assert eng.screen is s.Screen.CHOOSING and eng.service_id is None
    eng.user_back(1.0)
    assert eng.screen is s.Screen.WELCOME
    eng.user_start(2.0)
    eng.user_touch(9.0)  # a touch pushes the timeout to 19
    assert s.ResetResident() not in eng.tick(18.0)
    assert s.ResetResident() in eng.tick(19.5)
    assert eng.screen is s.Screen.WELCOME and eng.department_id is None


def test_ticket_updates_and_cancel() -> None:
    eng = online()
    waiting(eng)
    eng.frame(frame("ticket.update", ticket_id="t1", state="waiting", position=1, eta_s=120), 3)
    assert eng.view().ticket is not None and eng.view().ticket.position == 1  # type: ignore[union-attr]
    eng.frame(frame("ticket.update", ticket_id="other", state="waiting", position=9,
                    eta_s=1), 3)
    assert eng.ticket is not None and eng.ticket.position == 1
    cancel = sends(eng.user_cancel_ticket(4.0), "ticket.cancel")[0]
    effects = eng.frame(frame("ticket", re=cancel.id, ticket_id="t1", number="A012",
                              state="cancelled", position=0, eta_s=0), 4.0)
    assert eng.screen is s.Screen.WELCOME and s.ResetResident() in effects
    assert eng.ticket is None


def test_ticket_refused_shows_a_notice_and_stays() -> None:
    eng = online()
    eng.user_start(0.0)
    eng.user_service("housing.public_rental", 0.0)
    create = sends(eng.user_take_ticket(0.0), "ticket.create")[0]
    eng.frame(frame("error", re=create.id, code="not_found", message="no service"), 0.5)
    assert eng.screen is s.Screen.CHOOSING and eng.notice == "notice.service_unavailable"
    assert not eng.view().busy


def test_call_flow_answer_ice_end_rating_thanks() -> None:
    eng = online()
    call_id = in_call(eng)
    offer = sends(eng.local_offer(call_id, 0, "v=0 offer"), "call.sdp")[0]
    assert isinstance(offer.data, p.CallSdp) and offer.data.gen == 0
    assert eng.local_offer(call_id, 7, "stale") == []
    answer = eng.frame(frame("call.sdp", call_id=call_id, gen=0,
                             description={"type": "answer", "sdp": "v=0 answer"}), 3.1)
    assert answer == [s.ApplyRemote(call_id, 0, description={"type": "answer",
                                                              "sdp": "v=0 answer"})]
    cand = eng.frame(frame("call.ice", call_id=call_id, gen=0,
                           candidate={"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
                                      "sdpMid": "0", "sdpMLineIndex": 0}), 3.2)
    assert isinstance(cand[0], s.ApplyRemote) and cand[0].candidate is not None
    assert eng.frame(frame("call.ice", call_id=call_id, gen=0, candidate=None), 3.2) == [
        s.ApplyRemote(call_id, 0, end_of_candidates=True)]
    eng.peer_state(call_id, 0, "connected", 3.5)
    assert eng.media is s.Media.CONNECTED
    hang = sends(eng.user_hang_up(60.0), "call.end")[0]
    assert isinstance(hang.data, p.CallEnd) and hang.data.call_id == call_id
    ended = eng.frame(frame("call.ended", call_id=call_id, reason="resident_hangup",
                            by="booth"), 60.1)
    assert s.StopMedia(call_id) in ended and eng.call is None
    eng.frame(frame("rating.request", call_id=call_id), 60.2)
    assert eng.screen is s.Screen.RATING
    with pytest.raises(ValueError):
        eng.user_rate(6, now=61.0)
    rate = sends(eng.user_rate(2, ("reason.waiting",), now=61.0), "rating.submit")[0]
    assert isinstance(rate.data, p.RatingSubmit) and rate.data.reasons == ["reason.waiting"]
    eng.frame(frame("rating", re=rate.id, call_id=call_id, level=2), 61.1)
    assert eng.screen is s.Screen.THANKS
    assert s.ResetResident() in eng.tick(63.2)
    assert eng.screen is s.Screen.WELCOME and eng.ticket is None


def test_reasons_are_dropped_for_good_ratings_and_rating_times_out() -> None:
    eng = online()
    in_call(eng)
    eng.frame(frame("call.ended", call_id="c1", reason="done", by="agent"), 10)
    eng.frame(frame("rating.request", call_id="c1"), 10)
    rate = sends(eng.user_rate(5, ("reason.waiting",), now=10), "rating.submit")[0]
    assert isinstance(rate.data, p.RatingSubmit) and rate.data.reasons == []
    eng2 = online()
    in_call(eng2)
    eng2.frame(frame("call.ended", call_id="c1", reason="done", by="agent"), 10)
    eng2.frame(frame("rating.request", call_id="c1"), 10)
    eng2.tick(15.1)
    assert eng2.screen is s.Screen.WELCOME and eng2.rating_call_id is None


def test_peer_failure_rebuilds_with_next_gen_and_ignores_the_old_one() -> None:
    eng = online()
    call_id = in_call(eng)
    eng.peer_state(call_id, 0, "connected", 4.0)
    effects = eng.peer_state(call_id, 0, "failed", 5.0)
    assert effects == [s.StartMedia(call_id, 1, eng.call.ice_servers)]  # type: ignore[union-attr]
    assert eng.media is s.Media.RECONNECTING and eng.screen is s.Screen.IN_CALL
    assert eng.peer_state(call_id, 0, "closed", 5.1) == []  # the replaced connection closing
    assert eng.frame(frame("call.sdp", call_id=call_id, gen=0,
                           description={"type": "answer", "sdp": "old"}), 5.2) == []
    assert len(sends(eng.local_offer(call_id, 1, "new offer"), "call.sdp")) == 1
    eng.peer_state(call_id, 1, "connected", 6.0)
    assert eng.media is s.Media.CONNECTED


def test_disconnected_peer_gets_a_grace_period_then_rebuild() -> None:
    eng = online()
    call_id = in_call(eng)
    eng.peer_state(call_id, 0, "connected", 4.0)
    eng.peer_state(call_id, 0, "disconnected", 10.0)
    assert eng.media is s.Media.RECONNECTING
    assert [e for e in eng.tick(12.0) if isinstance(e, s.StartMedia)] == []
    eng.peer_state(call_id, 0, "connected", 12.5)  # it came back by itself
    assert [e for e in eng.tick(14.0) if isinstance(e, s.StartMedia)] == []
    eng.peer_state(call_id, 0, "disconnected", 20.0)
    rebuilt = [e for e in eng.tick(23.0) if isinstance(e, s.StartMedia)]
    assert rebuilt == [s.StartMedia(call_id, 1, eng.call.ice_servers)]  # type: ignore[union-attr]


def test_a_peer_that_never_connects_is_rebuilt() -> None:
    eng = online()
    call_id = in_call(eng)  # call.start at t=3, media_connect_s=8
    assert [e for e in eng.tick(10.0) if isinstance(e, s.StartMedia)] == []
    assert [e.gen for e in eng.tick(11.1) if isinstance(e, s.StartMedia)] == [1]
    assert eng.force_rebuild(12.0)[0] == s.StartMedia(call_id, 2, eng.call.ice_servers)  # type: ignore[union-attr]


def test_link_drop_reconnects_with_backoff_and_resumes_ticket() -> None:
    eng = online()
    waiting(eng)
    first = eng.disconnected(5.0, 1006)
    assert first == [s.ScheduleReconnect(1.0)] and eng.link is s.Link.RECONNECTING
    assert eng.screen is s.Screen.WAITING  # the resident still sees the ticket
    assert eng.disconnected(6.0, None) == [s.ScheduleReconnect(2.0)]
    assert eng.disconnected(7.0, None) == [s.ScheduleReconnect(4.0)]
    assert eng.disconnected(8.0, None) == [s.ScheduleReconnect(8.0)]
    assert eng.disconnected(9.0, None) == [s.ScheduleReconnect(8.0)]  # capped
    hello = sends(eng.connected(10.0), "hello")[0]
    assert isinstance(hello.data, p.Hello) and hello.data.resume == "s1"
    eng.frame(welcome(resumed=True, ticket="t1"), 10.1)
    assert eng.screen is s.Screen.WAITING and eng.link is s.Link.ONLINE
    assert eng.ticket is not None and eng.ticket.ticket_id == "t1"
    assert eng.disconnected(20.0, 1006) == [s.ScheduleReconnect(1.0)]  # backoff was reset


def test_jitter_spreads_reconnects() -> None:
    eng = s.BoothSession(has_token=True, token="t", config=CFG, jitter=lambda: 1.0)
    eng.start(0.0)
    assert eng.disconnected(1.0, None) == [s.ScheduleReconnect(1.5)]  # 1 s * 1.5
    assert eng.disconnected(2.0, None) == [s.ScheduleReconnect(3.0)]  # 2 s * 1.5


def test_resume_refused_means_the_ticket_is_gone() -> None:
    eng = online()
    waiting(eng)
    eng.disconnected(5.0, 1006)
    eng.connected(70.0)
    effects = eng.frame(welcome(resumed=False, sid="s2"), 70.1)
    assert eng.screen is s.Screen.WELCOME and eng.notice == "notice.ticket_lost"
    assert s.ResetResident() in effects and eng.session_id == "s2"


def test_link_drop_during_call_keeps_the_call_and_media() -> None:
    eng = online()
    call_id = in_call(eng)
    eng.peer_state(call_id, 0, "connected", 4.0)
    assert eng.disconnected(5.0, 1006) == [s.ScheduleReconnect(1.0)]
    assert eng.screen is s.Screen.IN_CALL and eng.media is s.Media.CONNECTED
    effects = eng.frame(welcome(resumed=True, call=call_id), 6.0)
    assert not [e for e in effects if isinstance(e, s.StartMedia | s.StopMedia)]
    assert eng.screen is s.Screen.IN_CALL


def test_revocation_disables_and_stops_everything() -> None:
    eng = online()
    call_id = in_call(eng)
    effects = eng.disconnected(5.0, p.CloseCode.REVOKED)
    assert s.StopMedia(call_id) in effects and s.Disabled("revoked") in effects
    assert eng.screen is s.Screen.DISABLED and eng.call is None
    assert eng.disconnected(6.0, 1006) == []  # no reconnect loop while disabled
    assert eng.user_start(7.0) == []


def test_refused_token_at_hello_disables() -> None:
    eng = s.BoothSession(has_token=True, token="bad", config=CFG)
    eng.start(0.0)
    hello = sends(eng.connected(0.0), "hello")[0]
    effects = eng.frame(frame("error", re=hello.id, code="unauthenticated", message="no"), 0.1)
    assert s.Disabled("unauthenticated") in effects and eng.screen is s.Screen.DISABLED


def test_peer_away_and_agent_lost_requeue() -> None:
    eng = online()
    call_id = in_call(eng)
    eng.frame(frame("call.peer", call_id=call_id, state="away"), 4.0)
    assert eng.view().call is not None and eng.view().call.peer_away  # type: ignore[union-attr]
    eng.frame(frame("call.ended", call_id=call_id, reason="agent_lost", by="hub"), 9.0)
    eng.frame(frame("ticket.update", ticket_id="t1", state="waiting", position=1, eta_s=60), 9)
    assert eng.screen is s.Screen.WAITING and eng.call is None


def test_transfer_goes_back_to_waiting_without_rating() -> None:
    eng = online()
    call_id = in_call(eng)
    eng.frame(frame("call.ended", call_id=call_id, reason="transferred", by="agent"), 9.0)
    eng.frame(frame("ticket.update", ticket_id="t1", state="waiting", position=2, eta_s=300,
                    department_id="market"), 9.1)
    assert eng.screen is s.Screen.WAITING
    assert eng.ticket is not None and eng.ticket.department_id == "market"


def test_heartbeat_and_device_status() -> None:
    eng = online()
    assert eng.tick(10.0) == []
    beat = eng.tick(20.0)
    assert sends(beat, "ping") and sends(beat, "booth.status")
    status = sends(eng.device_status(camera="missing"), "booth.status")[0]
    assert isinstance(status.data, p.BoothStatus) and status.data.camera == "missing"
    assert eng.device_status(camera="missing") == []  # unchanged: nothing sent


def test_illegal_screen_moves_are_refused() -> None:
    eng = online()
    with pytest.raises(ValueError):
        eng._go(s.Screen.THANKS)
    assert eng.screen is s.Screen.WELCOME
