"""Queue and dispatch: feed events with explicit ``now`` values, check effects and views."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from signaling.queue import (
    AgentState,
    AgentStateChanged,
    Assigned,
    Conflict,
    DepartmentSnapshot,
    Dispatcher,
    Effect,
    NotFound,
    Offer,
    OfferWithdrawn,
    Priority,
    QueueChanged,
    QueueConfig,
    QueueError,
    TicketState,
    TicketUpdate,
)

A, T = AgentState, TicketState
E = TypeVar("E")


def seq_ids() -> Callable[[], str]:
    n = count(1)
    return lambda: f"o{next(n)}"


def make(**config: Any) -> Dispatcher:
    return Dispatcher(QueueConfig(**config), offer_ids=seq_ids())


def add(
    d: Dispatcher, tid: str, dept: str = "d1", now: float = 0.0,
    prio: Priority = Priority.NORMAL, **kw: Any,
) -> list[Effect]:
    return d.add_ticket(tid, dept, prio, tid.upper(), f"booth-{tid}", now, **kw)


def ready(d: Dispatcher, agent: str, skills: tuple[str, ...] = ("d1",),
          now: float = 0.0) -> list[Effect]:
    d.agent_online(agent, skills, now)
    return d.set_agent_state(agent, A.AVAILABLE, now)


def of(effects: list[Effect], cls: type[E]) -> list[E]:
    return [e for e in effects if isinstance(e, cls)]


def offer_id(d: Dispatcher, agent: str) -> str:
    oid = d.agent(agent).offer_id
    assert oid is not None
    return oid


def positions(d: Dispatcher, *tids: str) -> list[int]:
    return [d.ticket(t).position for t in tids]


def dump(d: Dispatcher, tids: list[str], agents: list[str]) -> object:
    """Everything observable, for "a refused call changed nothing"."""
    out: list[object] = []
    for tid in tids:
        try:
            out.append(d.ticket(tid))
        except NotFound:
            out.append(None)
    for aid in agents:
        try:
            out.append(d.agent(aid))
        except NotFound:
            out.append(None)
    return out, d.next_deadline(), d.snapshot(1000.0), d.live_tickets()


# ---------------------------------------------------------------------------- order


def test_config_is_checked() -> None:
    with pytest.raises(ValueError):
        QueueConfig(offer_timeout_s=0)
    with pytest.raises(ValueError):
        QueueConfig(max_misses=0)


def test_new_ticket_waits_with_position_and_eta() -> None:
    d = make()
    fx = add(d, "t1")
    assert fx == [TicketUpdate("t1", T.WAITING, 1, 300), QueueChanged(frozenset({"d1"}))]
    view = d.ticket("t1")
    assert (view.number, view.booth_id, view.state, view.agent_id) == ("T1", "booth-t1",
                                                                       T.WAITING, None)


def test_priority_first_then_fifo() -> None:
    d = make()
    add(d, "n1", now=1)
    add(d, "n2", now=2)
    add(d, "p1", now=3, prio=Priority.PRIORITY)
    add(d, "p2", now=4, prio=Priority.PRIORITY)
    assert positions(d, "p1", "p2", "n1", "n2") == [1, 2, 3, 4]
    assert [v.ticket_id for v in d.live_tickets()] == ["p1", "p2", "n1", "n2"]


def test_enqueued_at_restores_order_and_ties_go_by_insertion() -> None:
    d = make()
    add(d, "late", now=10)
    add(d, "restored", now=20, enqueued_at=5)
    add(d, "tie_a", now=30, enqueued_at=10)
    assert positions(d, "restored", "late", "tie_a") == [1, 2, 3]
    assert d.ticket("restored").enqueued_at == 5


def test_positions_are_per_department() -> None:
    d = make()
    add(d, "a", "d1")
    add(d, "b", "d2")
    add(d, "c", "d1")
    assert positions(d, "a", "b", "c") == [1, 1, 2]


# ---------------------------------------------------------------------------- dispatch


def test_offer_goes_only_to_an_agent_with_the_skill() -> None:
    d = make()
    add(d, "t1", "d1")
    assert of(ready(d, "other", ("d2",)), Offer) == []
    fx = ready(d, "a1", ("d1", "d3"))
    assert of(fx, Offer) == [Offer("o1", "t1", "a1", 20.0)]
    assert d.ticket("t1").state is T.OFFERED and d.ticket("t1").agent_id == "a1"
    assert d.agent("a1").state is A.OFFERED and d.agent("a1").ticket_id == "t1"
    assert d.agent("other").state is A.AVAILABLE


def test_agent_comes_online_away_and_is_offered_after_asking() -> None:
    d = make()
    add(d, "t1")
    fx = d.agent_online("a1", ["d1"], 0)
    assert of(fx, AgentStateChanged) == [AgentStateChanged("a1", A.AWAY, "online")]
    assert of(fx, Offer) == []


def test_longest_idle_agent_wins_and_ties_go_by_id() -> None:
    d = make()
    ready(d, "b", now=1)
    ready(d, "a", now=1)
    ready(d, "c", now=0)
    fx = add(d, "t1", now=5) + add(d, "t2", now=6) + add(d, "t3", now=7)
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [
        ("t1", "c"), ("t2", "a"), ("t3", "b")]


def test_one_offer_per_agent_and_tickets_in_global_order() -> None:
    d = make()
    add(d, "n1", "d1", now=0)
    add(d, "p1", "d2", now=5, prio=Priority.PRIORITY)
    fx = ready(d, "a1", ("d1", "d2"), now=10)
    assert [o.ticket_id for o in of(fx, Offer)] == ["p1"]
    assert d.ticket("n1").state is T.WAITING


def test_offer_timeout_returns_ticket_to_its_old_place() -> None:
    d = make()
    add(d, "t1", now=0)
    ready(d, "a1", now=0)
    add(d, "t2", now=1)
    ready(d, "a2", ("d2",), now=2)  # counts nowhere for d1
    assert d.next_deadline() == 20
    assert d.tick(19.9) == []
    fx = d.tick(20)
    assert of(fx, OfferWithdrawn) == [OfferWithdrawn("o1", "a1", "t1", "timeout")]
    assert d.agent("a1").misses == 1
    # a1 is alone with the skill, so it is offered the same first ticket again
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [("t1", "a1")]
    assert positions(d, "t1", "t2") == [1, 2]


def test_timed_out_agent_goes_behind_other_idle_agents() -> None:
    d = make()
    ready(d, "a1", now=0)
    add(d, "t1", now=1)
    ready(d, "a2", now=5)
    fx = d.tick(21)
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [("t1", "a2")]
    assert d.agent("a1").state is A.AVAILABLE


def test_second_miss_in_a_row_puts_agent_away() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    d.tick(20)
    fx = d.tick(40)
    assert AgentStateChanged("a1", A.AWAY, "missed_offers") in fx
    assert d.agent("a1").misses == 2 and d.agent("a1").offer_id is None
    assert d.ticket("t1").state is T.WAITING and d.ticket("t1").position == 1
    assert of(fx, Offer) == []
    d.set_agent_state("a1", A.AVAILABLE, 50)
    assert d.agent("a1").misses == 0 and d.agent("a1").state is A.OFFERED


def test_accept_between_misses_resets_the_count() -> None:
    d = make()
    add(d, "t1")
    add(d, "t2")
    ready(d, "a1")
    d.tick(20)  # miss 1, t1 offered again
    d.accept("a1", offer_id(d, "a1"), 21)
    assert d.agent("a1").misses == 0
    d.call_ended("a1", "t1", 30, 9)
    d.tick(60)  # wrap-up over, t2 offered
    d.tick(80)  # miss 1 again, not 2
    assert d.agent("a1").state is A.OFFERED and d.agent("a1").misses == 1


def test_accept_emits_assignment_and_starts_the_call() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    fx = d.accept("a1", "o1", 3)
    assert of(fx, Assigned) == [Assigned("t1", "a1", "o1")]
    assert of(fx, TicketUpdate) == [TicketUpdate("t1", T.SERVING, 0, 0)]
    assert of(fx, AgentStateChanged) == [AgentStateChanged("a1", A.IN_CALL, None)]
    assert of(fx, QueueChanged) == [QueueChanged(frozenset({"d1"}))]
    assert d.next_deadline() is None


def test_accept_refuses_unknown_or_foreign_offers_and_changes_nothing() -> None:
    d = make()
    add(d, "t1")
    add(d, "t2")
    ready(d, "a1")
    ready(d, "a2")
    before = dump(d, ["t1", "t2"], ["a1", "a2"])
    with pytest.raises(NotFound):
        d.accept("a1", "nope", 1)
    with pytest.raises(Conflict):
        d.accept("a1", offer_id(d, "a2"), 1)
    with pytest.raises(Conflict):
        d.decline("a2", offer_id(d, "a1"), 1)
    with pytest.raises(NotFound):
        d.accept("ghost", "o1", 1)
    assert dump(d, ["t1", "t2"], ["a1", "a2"]) == before
    d.tick(20)
    with pytest.raises(NotFound):  # expired
        d.accept("a1", "o1", 21)


def test_decline_reoffers_to_another_agent() -> None:
    d = make()
    ready(d, "a1", now=0)
    ready(d, "a2", now=1)
    add(d, "t1", now=2)
    fx = d.decline("a1", "o1", 3)
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [("t1", "a2")]
    assert d.agent("a1").state is A.AVAILABLE and d.agent("a1").available_since == 3
    assert d.agent("a1").misses == 0
    assert d.ticket("t1").position == 1


def test_decline_cooldown_expiry_reoffers_to_the_lone_decliner() -> None:
    d = make()
    add(d, "t1")
    add(d, "t2")
    ready(d, "a1")
    fx = d.decline("a1", "o1", 5)
    # a1 gets t2 instead; t1 keeps its place
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [("t2", "a1")]
    d.decline("a1", "o2", 6)
    assert d.agent("a1").state is A.AVAILABLE and d.ticket("t1").state is T.WAITING
    assert d.next_deadline() == 35
    assert of(d.tick(34), Offer) == []
    fx = d.tick(35)
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [("t1", "a1")]
    assert d.next_deadline() == 36  # t2's cooldown for a1


# ---------------------------------------------------------------------------- tickets


def test_cancel_during_offer_frees_the_agent_without_a_miss() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1", now=0)
    d.tick(20)  # a miss, then re-offered
    fx = d.cancel_ticket("t1", 25)
    assert of(fx, OfferWithdrawn) == [OfferWithdrawn("o2", "a1", "t1", "cancelled")]
    assert of(fx, TicketUpdate) == [TicketUpdate("t1", T.CANCELLED, 0, 0)]
    a1 = d.agent("a1")
    assert (a1.state, a1.misses, a1.offer_id, a1.available_since) == (A.AVAILABLE, 1, None, 20)
    assert d.next_deadline() is None


def test_cancel_as_abandoned_and_no_cancel_while_serving() -> None:
    d = make()
    add(d, "t1")
    add(d, "t2")
    ready(d, "a1")
    d.accept("a1", "o1", 1)
    with pytest.raises(Conflict):
        d.cancel_ticket("t1", 2)
    d.cancel_ticket("t2", 2, abandoned=True)
    assert d.ticket("t2").state is T.ABANDONED
    with pytest.raises(Conflict):
        d.cancel_ticket("t2", 3)


def test_suspend_keeps_place_but_is_not_offered_until_resumed() -> None:
    d = make()
    add(d, "t1", now=0)
    add(d, "t2", now=1)
    d.suspend_ticket("t1", 2)
    assert d.suspend_ticket("t1", 2) == []
    fx = ready(d, "a1", now=3)
    assert [o.ticket_id for o in of(fx, Offer)] == ["t2"]
    assert positions(d, "t1", "t2") == [1, 2] and d.ticket("t1").suspended
    d.accept("a1", "o1", 4)
    ready(d, "a2", now=5)
    assert d.agent("a2").state is A.AVAILABLE
    fx = d.resume_ticket("t1", 6)
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [("t1", "a2")]
    assert d.resume_ticket("t1", 7) == []


def test_suspend_an_offered_ticket_withdraws_and_keeps_its_place() -> None:
    d = make()
    add(d, "t1", now=0)
    ready(d, "a1", now=0)
    add(d, "t2", now=1)
    fx = d.suspend_ticket("t1", 2)
    assert OfferWithdrawn("o1", "a1", "t1", "suspended") in fx
    assert [o.ticket_id for o in of(fx, Offer)] == ["t2"]
    assert d.agent("a1").misses == 0
    assert d.ticket("t1").state is T.WAITING and positions(d, "t1", "t2") == [1, 2]


def test_transfer_keeps_the_original_enqueue_time() -> None:
    d = make()
    add(d, "old", "d1", now=0)
    add(d, "b", "d2", now=5)
    add(d, "c", "d2", now=10)
    fx = d.transfer_ticket("old", "d2", 20)
    assert positions(d, "old", "b", "c") == [1, 2, 3]
    assert d.ticket("old").department_id == "d2"
    assert {u.ticket_id for u in of(fx, TicketUpdate)} == {"old", "b", "c"}
    assert of(fx, QueueChanged) == [QueueChanged(frozenset({"d1", "d2"}))]
    assert d.transfer_ticket("old", "d2", 21) == []


def test_transfer_an_offered_ticket_withdraws_the_offer() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    fx = d.transfer_ticket("t1", "d2", 1)
    assert OfferWithdrawn("o1", "a1", "t1", "transferred") in fx
    assert d.agent("a1").state is A.AVAILABLE and d.ticket("t1").state is T.WAITING


def test_transfer_during_call_then_call_ended() -> None:
    d = make()
    add(d, "t1", "d1", now=0)
    ready(d, "a1", ("d1",))
    ready(d, "a2", ("d2",))
    d.accept("a1", "o1", 1)
    fx = d.transfer_ticket("t1", "d2", 100)
    assert [(o.ticket_id, o.agent_id) for o in of(fx, Offer)] == [("t1", "a2")]
    assert d.agent("a1").state is A.IN_CALL
    fx = d.call_ended("a1", "t1", 101, 100)
    assert d.ticket("t1").state is T.OFFERED  # left alone
    assert d.agent("a1").state is A.WRAP_UP
    add(d, "t2", "d1", now=102)
    assert d.ticket("t2").eta_s == 100  # the handle time counts for d1, not d2
    assert d.ticket("t1").eta_s == 300


def test_finish_ticket_and_call_ended_afterwards() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    with pytest.raises(Conflict):
        d.finish_ticket("t1", 1)
    d.accept("a1", "o1", 1)
    fx = d.finish_ticket("t1", 2)
    assert of(fx, TicketUpdate) == [TicketUpdate("t1", T.DONE, 0, 0)]
    d.call_ended("a1", "t1", 3, 2)
    assert d.agent("a1").state is A.WRAP_UP and d.ticket("t1").agent_id == "a1"


# ---------------------------------------------------------------------------- agents


def test_wrap_up_counts_down_to_available() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    d.accept("a1", "o1", 1)
    add(d, "t2", now=2)
    fx = d.call_ended("a1", "t1", 100, 99)
    assert AgentStateChanged("a1", A.WRAP_UP, "call_ended") in fx
    assert TicketUpdate("t1", T.DONE, 0, 0) in fx
    assert d.agent("a1").wrap_up_until == 130 and d.next_deadline() == 130
    assert d.tick(129) == []
    fx = d.tick(131)
    assert AgentStateChanged("a1", A.AVAILABLE, "wrap_up_done") in fx
    assert [o.ticket_id for o in of(fx, Offer)] == ["t2"]
    assert d.agent("a1").available_since == 130


def test_wrap_up_ends_early_on_request() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    d.accept("a1", "o1", 1)
    d.call_ended("a1", "t1", 10, 9)
    d.set_agent_state("a1", A.AVAILABLE, 12)
    a1 = d.agent("a1")
    assert (a1.state, a1.wrap_up_until, a1.available_since) == (A.AVAILABLE, None, 12)
    assert d.next_deadline() is None


def test_set_agent_state_rules() -> None:
    d = make()
    add(d, "t1")
    add(d, "t2")
    ready(d, "a1")
    for bad in (A.OFFERED, A.IN_CALL, A.WRAP_UP):
        with pytest.raises(Conflict):
            d.set_agent_state("a1", bad, 1)
    with pytest.raises(Conflict):  # accept or decline first
        d.set_agent_state("a1", A.AVAILABLE, 1)
    fx = d.set_agent_state("a1", A.AWAY, 2, "lunch")
    assert OfferWithdrawn("o1", "a1", "t1", "agent_away") in fx
    assert AgentStateChanged("a1", A.AWAY, "lunch") in fx
    assert d.ticket("t1").state is T.WAITING and d.agent("a1").misses == 0
    assert d.set_agent_state("a1", A.AWAY, 3) == []
    d.set_agent_state("a1", A.AVAILABLE, 4)
    d.accept("a1", "o2", 5)
    for any_state in (A.AVAILABLE, A.AWAY, A.OFFLINE):
        with pytest.raises(Conflict):
            d.set_agent_state("a1", any_state, 6)


def test_agent_gone_in_call_keeps_the_ticket_serving() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    d.accept("a1", "o1", 1)
    fx = d.agent_gone("a1", 2)
    assert fx == [AgentStateChanged("a1", A.OFFLINE, "gone")]
    assert d.ticket("t1").state is T.SERVING and d.agent("a1").ticket_id == "t1"
    assert d.agent_gone("a1", 3) == []
    with pytest.raises(Conflict):
        d.set_agent_state("a1", A.AVAILABLE, 3)
    d.agent_online("a1", ["d1"], 4)  # back within the grace period
    assert d.agent("a1").state is A.IN_CALL
    assert d.agent_back("a1", 4) == []
    d.agent_gone("a1", 5)
    d.call_ended("a1", "t1", 6, 5)
    assert d.agent("a1").state is A.OFFLINE and d.ticket("t1").state is T.DONE
    assert d.next_deadline() is None


def test_agent_gone_while_offered_withdraws() -> None:
    d = make()
    add(d, "t1")
    ready(d, "a1")
    fx = d.agent_gone("a1", 1)
    assert OfferWithdrawn("o1", "a1", "t1", "agent_offline") in fx
    assert d.ticket("t1").state is T.WAITING


def test_reregistering_keeps_state_and_updates_skills() -> None:
    d = make()
    ready(d, "a1", ("d2",))
    add(d, "t1", "d1")
    fx = d.agent_online("a1", ["d1"], 1)
    assert d.agent("a1").skills == frozenset({"d1"})
    assert [o.ticket_id for o in of(fx, Offer)] == ["t1"]


def test_offline_by_request_survives_a_skill_refresh_but_not_a_reconnect() -> None:
    d = make()
    ready(d, "a1")
    d.set_agent_state("a1", A.OFFLINE, 1)
    assert d.agent_online("a1", ["d1", "d2"], 2) == [QueueChanged(frozenset({"d2"}))]
    assert d.agent("a1").state is A.OFFLINE
    d.agent_gone("a1", 3)
    d.agent_online("a1", ["d1"], 4)
    assert d.agent("a1").state is A.AWAY


def test_restore_serving_after_restart() -> None:
    d = make()
    d.restore_serving("t1", "d1", Priority.NORMAL, "A001", "b1", "a1", 0)
    assert d.agent("a1").state is A.OFFLINE and d.agent("a1").ticket_id == "t1"
    d.agent_online("a1", ["d1"], 1)
    assert d.agent("a1").state is A.IN_CALL
    d.call_ended("a1", "t1", 2, 60)
    assert d.ticket("t1").state is T.DONE


# ---------------------------------------------------------------------------- ETA, snapshot


def test_eta_uses_recent_handle_times_and_staffed_agents() -> None:
    d = make(handle_window=2)
    for i, handle in enumerate((1000.0, 100.0, 200.0)):  # 1000 falls out of the window
        add(d, f"x{i}")
        ready(d, "a1", now=i)
        d.accept("a1", offer_id(d, "a1"), i)
        d.call_ended("a1", f"x{i}", i, handle)
    d.set_agent_state("a1", A.AWAY, 10)
    for i in range(3):
        add(d, f"t{i}", now=10 + i)
    assert [d.ticket(f"t{i}").eta_s for i in range(3)] == [150, 300, 450]
    d.agent_online("a2", ["d1"], 20)  # AWAY: does not count
    assert d.ticket("t2").eta_s == 450
    d.set_agent_state("a2", A.AVAILABLE, 21)  # now t0 offered to a2, 1 staffed
    d.set_agent_state("a1", A.AVAILABLE, 22)  # t1 offered to a1, 2 staffed
    assert [d.ticket(f"t{i}").eta_s for i in range(3)] == [75, 150, 225]


def test_snapshot_numbers() -> None:
    d = make()
    add(d, "t1", "d1", now=0)
    add(d, "t2", "d1", now=4, prio=Priority.PRIORITY)
    add(d, "t3", "d2", now=5)
    d.suspend_ticket("t3", 5)
    d.agent_online("a1", ["d3"], 0)
    d.agent_online("a2", ["d3"], 0)
    d.set_agent_state("a2", A.AVAILABLE, 0)
    assert d.snapshot(10.7, ["d9"]) == [
        DepartmentSnapshot("d1", 2, 10, 0),
        DepartmentSnapshot("d2", 1, 5, 0),
        DepartmentSnapshot("d3", 0, 0, 1),
        DepartmentSnapshot("d9", 0, 0, 0),
    ]


def test_ticket_update_only_when_something_changed() -> None:
    d = make()
    add(d, "t1", now=0)
    add(d, "t2", now=1)
    fx = add(d, "t3", now=2)
    assert of(fx, TicketUpdate) == [TicketUpdate("t3", T.WAITING, 3, 900)]
    fx = d.cancel_ticket("t3", 3)  # nobody behind t3: only t3 changes
    assert of(fx, TicketUpdate) == [TicketUpdate("t3", T.CANCELLED, 0, 0)]
    fx = d.cancel_ticket("t1", 4)
    assert of(fx, TicketUpdate) == [TicketUpdate("t1", T.CANCELLED, 0, 0),
                                    TicketUpdate("t2", T.WAITING, 1, 300)]
    fx = d.agent_online("a1", ["d2"], 5)  # no skill for d1: nothing changes for t2
    assert of(fx, TicketUpdate) == []
    assert d.suspend_ticket("t2", 6) == []  # same state, position and eta


def test_queue_changed_only_for_departments_that_changed() -> None:
    d = make()
    add(d, "t1", "d1")
    fx = add(d, "t2", "d2")
    assert of(fx, QueueChanged) == [QueueChanged(frozenset({"d2"}))]
    assert of(d.agent_online("a1", ["d1"], 1), QueueChanged) == []  # AWAY: 0 available still
    fx = d.agent_online("a2", ["d3"], 1)
    assert of(fx, QueueChanged) == [QueueChanged(frozenset({"d3"}))]  # department appears
    assert of(d.suspend_ticket("t1", 2), QueueChanged) == []


# ---------------------------------------------------------------------------- errors, deadlines


def test_unknown_ids_raise_not_found() -> None:
    d = make()
    calls: list[Callable[[], object]] = [
        lambda: d.ticket("x"), lambda: d.agent("x"), lambda: d.cancel_ticket("x", 0),
        lambda: d.suspend_ticket("x", 0), lambda: d.resume_ticket("x", 0),
        lambda: d.transfer_ticket("x", "d", 0), lambda: d.finish_ticket("x", 0),
        lambda: d.set_agent_state("x", A.AWAY, 0), lambda: d.agent_gone("x", 0),
        lambda: d.decline("x", "o", 0), lambda: d.call_ended("x", "t", 0, 1),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()


@pytest.mark.parametrize("name", [
    "duplicate", "cancel_done", "suspend_serving", "resume_done", "transfer_done",
    "finish_waiting", "call_ended_wrong_ticket", "call_ended_not_in_call", "away_in_call",
    "agent_back_without_call", "negative_handle", "restore_busy_agent",
])
def test_illegal_moves_raise_and_change_nothing(name: str) -> None:
    d = make()
    add(d, "done")
    add(d, "serving")
    add(d, "waiting")
    ready(d, "a1")
    d.accept("a1", "o1", 1)
    d.call_ended("a1", "done", 2, 1)
    d.set_agent_state("a1", A.AVAILABLE, 3)
    d.accept("a1", "o2", 4)
    ready(d, "a2", ("d2",), now=5)
    illegal: dict[str, Callable[[], object]] = {
        "duplicate": lambda: add(d, "done"),
        "cancel_done": lambda: d.cancel_ticket("done", 9),
        "suspend_serving": lambda: d.suspend_ticket("serving", 9),
        "resume_done": lambda: d.resume_ticket("done", 9),
        "transfer_done": lambda: d.transfer_ticket("done", "d2", 9),
        "finish_waiting": lambda: d.finish_ticket("waiting", 9),
        "call_ended_wrong_ticket": lambda: d.call_ended("a1", "waiting", 9, 1),
        "call_ended_not_in_call": lambda: d.call_ended("a2", "serving", 9, 1),
        "away_in_call": lambda: d.set_agent_state("a1", A.AWAY, 9),
        "agent_back_without_call": lambda: d.agent_back("a2", 9),
        "negative_handle": lambda: d.call_ended("a1", "serving", 9, -1),
        "restore_busy_agent": lambda: d.restore_serving(
            "new", "d1", Priority.NORMAL, "N", "b", "a2", 9),
    }
    before = dump(d, ["done", "serving", "waiting", "new"], ["a1", "a2"])
    with pytest.raises((QueueError, ValueError)):
        illegal[name]()
    assert dump(d, ["done", "serving", "waiting", "new"], ["a1", "a2"]) == before


def test_next_deadline() -> None:
    d = make(offer_timeout_s=10, wrap_up_s=5)
    assert d.next_deadline() is None
    add(d, "t1", now=0)
    ready(d, "a1", now=3)
    assert d.next_deadline() == 13
    d.accept("a1", "o1", 4)
    assert d.next_deadline() is None
    d.call_ended("a1", "t1", 6, 2)
    assert d.next_deadline() == 11
    d.tick(11)
    assert d.next_deadline() is None


def test_finished_tickets_are_pruned_beyond_retention() -> None:
    d = make(retain_finished=2)
    for i in range(3):
        add(d, f"t{i}")
        d.cancel_ticket(f"t{i}", 1)
    with pytest.raises(NotFound):
        d.ticket("t0")
    assert d.ticket("t2").state is T.CANCELLED


def test_default_offer_ids_are_unique() -> None:
    d = Dispatcher()
    add(d, "t1")
    add(d, "t2")
    ready(d, "a1")
    ready(d, "a2")
    assert offer_id(d, "a1") != offer_id(d, "a2")


# ---------------------------------------------------------------------------- random operations

TICKETS = [f"t{i}" for i in range(8)]
AGENTS = [f"a{i}" for i in range(4)]
DEPTS = ["d0", "d1"]


class QueueMachine(RuleBasedStateMachine):
    """Random operations; refused ones must change nothing, and invariants always hold."""

    def __init__(self) -> None:
        super().__init__()
        self.d = make(offer_timeout_s=10, wrap_up_s=5, decline_cooldown_s=7)
        self.now = 0.0
        self.updates: dict[str, tuple[TicketState, int, int]] = {}
        self.agent_states: dict[str, AgentState] = {}

    def run(self, op: Callable[[], list[Effect]]) -> None:
        before = dump(self.d, TICKETS, AGENTS)
        try:
            effects = op()
        except QueueError:
            assert dump(self.d, TICKETS, AGENTS) == before
            return
        for e in effects:
            if isinstance(e, TicketUpdate):
                self.updates[e.ticket_id] = (e.state, e.position, e.eta_s)
            elif isinstance(e, AgentStateChanged):
                self.agent_states[e.agent_id] = e.state

    @rule(t=st.sampled_from(TICKETS), dept=st.sampled_from(DEPTS),
          prio=st.sampled_from(Priority), back=st.floats(0, 50))
    def add_ticket(self, t: str, dept: str, prio: Priority, back: float) -> None:
        self.run(lambda: add(self.d, t, dept, self.now, prio, enqueued_at=self.now - back))

    @rule(t=st.sampled_from(TICKETS), abandoned=st.booleans())
    def cancel(self, t: str, abandoned: bool) -> None:
        self.run(lambda: self.d.cancel_ticket(t, self.now, abandoned=abandoned))

    @rule(t=st.sampled_from(TICKETS), resume=st.booleans())
    def suspend_or_resume(self, t: str, resume: bool) -> None:
        f = self.d.resume_ticket if resume else self.d.suspend_ticket
        self.run(lambda: f(t, self.now))

    @rule(t=st.sampled_from(TICKETS), dept=st.sampled_from(DEPTS))
    def transfer(self, t: str, dept: str) -> None:
        self.run(lambda: self.d.transfer_ticket(t, dept, self.now))

    @rule(t=st.sampled_from(TICKETS))
    def finish(self, t: str) -> None:
        self.run(lambda: self.d.finish_ticket(t, self.now))

    @rule(a=st.sampled_from(AGENTS), skills=st.sets(st.sampled_from(DEPTS)),
          available=st.booleans())
    def online(self, a: str, skills: set[str], available: bool) -> None:
        self.run(lambda: self.d.agent_online(a, skills, self.now))
        if available:
            self.run(lambda: self.d.set_agent_state(a, A.AVAILABLE, self.now))

    @rule(a=st.sampled_from(AGENTS), state=st.sampled_from(AgentState))
    def set_state(self, a: str, state: AgentState) -> None:
        self.run(lambda: self.d.set_agent_state(a, state, self.now))

    @rule(a=st.sampled_from(AGENTS), back=st.booleans())
    def gone_or_back(self, a: str, back: bool) -> None:
        f = self.d.agent_back if back else self.d.agent_gone
        self.run(lambda: f(a, self.now))

    @rule(a=st.sampled_from(AGENTS), other=st.sampled_from(AGENTS + ["nobody"]),
          own=st.integers(0, 3), take=st.booleans())
    def answer(self, a: str, other: str, own: int, take: bool) -> None:
        other = a if own else other  # mostly the agent's own offer
        try:
            oid = self.d.agent(other).offer_id or "o0"
        except NotFound:
            oid = "o0"
        f = self.d.accept if take else self.d.decline
        self.run(lambda: f(a, oid, self.now))

    def offered(self) -> list[str]:
        return [a for a in self.agent_states if self.d.agent(a).state is A.OFFERED]

    @precondition(lambda self: bool(self.offered()))
    @rule(data=st.data())
    def accept_an_offer(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(self.offered()))
        oid = offer_id(self.d, a)
        self.run(lambda: self.d.accept(a, oid, self.now))

    @rule(a=st.sampled_from(AGENTS), t=st.sampled_from(TICKETS), own=st.integers(0, 3),
          handle=st.floats(0, 600))
    def end_call(self, a: str, t: str, own: int, handle: float) -> None:
        try:
            tid = (self.d.agent(a).ticket_id if own else None) or t
        except NotFound:
            tid = t
        self.run(lambda: self.d.call_ended(a, tid, self.now, handle))

    @rule(dt=st.floats(0, 15))
    def tick(self, dt: float) -> None:
        self.now += dt
        self.run(lambda: self.d.tick(self.now))
        deadline = self.d.next_deadline()
        assert deadline is None or deadline > self.now

    @invariant()
    def offers_pair_one_agent_with_one_ticket(self) -> None:
        agents = {a: self.d.agent(a) for a in AGENTS if a in self.agent_states}
        offered_by_ticket: dict[str, list[str]] = {}
        for v in agents.values():
            assert (v.offer_id is not None) == (v.state is A.OFFERED)
            if v.state is A.OFFERED:
                assert v.ticket_id is not None
                offered_by_ticket.setdefault(v.ticket_id, []).append(v.agent_id)
        offer_ids = [v.offer_id for v in agents.values() if v.offer_id is not None]
        assert len(offer_ids) == len(set(offer_ids))
        live = self.d.live_tickets()
        for view in live:
            if view.state is T.OFFERED:
                assert offered_by_ticket.get(view.ticket_id) == [view.agent_id]
                assert not view.suspended
            elif view.state is T.SERVING and view.agent_id is not None:
                holder = agents[view.agent_id]
                assert holder.ticket_id == view.ticket_id
                assert holder.state in (A.IN_CALL, A.OFFLINE)
        assert set(offered_by_ticket) == {v.ticket_id for v in live if v.state is T.OFFERED}

    @invariant()
    def positions_have_no_gaps(self) -> None:
        by_dept: dict[str, list[int]] = {}
        for view in self.d.live_tickets():
            if view.state in (T.WAITING, T.OFFERED):
                by_dept.setdefault(view.department_id, []).append(view.position)
            else:
                assert view.position == 0
        for ranks in by_dept.values():
            assert ranks == list(range(1, len(ranks) + 1))  # live_tickets is in queue order

    @invariant()
    def last_emitted_effects_match_the_views(self) -> None:
        for tid, last in self.updates.items():
            view = self.d.ticket(tid)
            assert last == (view.state, view.position, view.eta_s)
        for aid, state in self.agent_states.items():
            assert self.d.agent(aid).state is state

    @invariant()
    def nothing_dispatchable_is_left_waiting(self) -> None:
        idle = [self.d.agent(a) for a in self.agent_states]
        idle = [v for v in idle if v.state is A.AVAILABLE]
        for view in self.d.live_tickets():
            if view.state is T.WAITING and not view.suspended:
                cooling = self.d._tickets[view.ticket_id].cooldown  # private, test only
                assert not any(view.department_id in v.skills and v.agent_id not in cooling
                               for v in idle)


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(
    max_examples=200, stateful_step_count=80, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
